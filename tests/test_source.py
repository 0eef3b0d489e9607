"""source.py's line model: lines end at \\n, \\r\\n and \\r only, as Python's
tokenizer reads them (not at form feeds, \\x85 or U+2028, as str.splitlines does)."""
from __future__ import annotations

from hypothesis import given, strategies as st

from memlint.source import line_starts, matching_lines


def starts_by_hand(text: str) -> list[int]:
    starts = [0]
    i = 0
    while i < len(text):
        if text[i] == "\r" and text[i + 1:i + 2] == "\n":
            i += 2
            starts.append(i)
            continue
        if text[i] in "\r\n":
            starts.append(i + 1)
        i += 1
    return starts


@given(st.text(alphabet="ab\n\r\f\x85\u2028é ", max_size=80))
def test_line_starts_follow_python_line_breaks(text: str) -> None:
    assert line_starts(text) == starts_by_hand(text)


def test_line_starts_of_common_texts() -> None:
    assert line_starts("") == [0]
    assert line_starts("a\nbc\n") == [0, 2, 5]
    assert line_starts("a\r\nb\rc\f\nd") == [0, 3, 5, 8]


def test_matching_lines_are_one_based_sorted_and_unique() -> None:
    import re

    assert matching_lines(re.compile("x"), "x x\nab\n\nxx\r\nx") == [1, 4, 5]
