"""`# noqa` suppression, unused-noqa (MEM100) and `--add-noqa` (issue 2 §4, README "Suppression").

- `# noqa: MEM101` / bare `# noqa` on the flagged line suppress; for a
  multi-line `set()` call a `# noqa` on any line of the call counts.
- A `# noqa: MEMxxx` that suppresses nothing is MEM100 at the comment; a noqa
  for another tool's code (E501) is never MEM100.
- `--add-noqa` appends `# noqa: CODE` to every flagged line: afterwards the
  files pass, still parse, keep every other byte (encoding, newlines), and a
  second run adds nothing.
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import memlint

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def lint(source: str, **kwargs) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.column) for d in memlint.lint_source(source, path="agent.py", **kwargs)]


def line_of(source: str, anchor: str) -> int:
    hits = [n for n, line in enumerate(source.splitlines(), start=1) if anchor in line]
    assert len(hits) == 1, (anchor, hits)
    return hits[0]


def comment_column(source: str, anchor: str) -> int:
    """1-based column of the `#` that starts the noqa comment on the line of `anchor`."""
    line = source.splitlines()[line_of(source, anchor) - 1]
    return line.index("# noqa") + 1


def memlint_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "memlint", *args], cwd=str(cwd), capture_output=True,
                          text=True, encoding="utf-8", timeout=180)


WRITE = '''
    from uuid import uuid4

    from flink_agents.api.runner_context import RunnerContext


    def remember(ctx: RunnerContext) -> None:
        ctx.short_term_memory.set("request_id", uuid4())COMMENT
        ctx.short_term_memory.set("name", "ana")OTHER
'''


def write_case(comment: str = "", other: str = "") -> str:
    return src(WRITE).replace("COMMENT", comment).replace("OTHER", other)


# --------------------------------------------------------------- suppression


def test_unsuppressed_write_is_reported() -> None:
    source = write_case()
    assert [code for code, _, _ in lint(source)] == ["MEM101"]


@pytest.mark.parametrize("comment", [
    "  # noqa: MEM101",
    "  # noqa",
    "  # noqa:MEM101",
    "  # NOQA: MEM101",
    "  # noqa: MEM101, MEM103",
    "  # noqa: E501, MEM101",
    "  # keeps the id for the retry  # noqa: MEM101",
], ids=["code", "bare", "no-space", "upper", "two-codes-used-one", "mixed-tools", "after-comment"])
def test_noqa_on_the_flagged_line_suppresses(comment: str) -> None:
    found = lint(write_case(comment))
    assert "MEM101" not in [code for code, _, _ in found]
    if "MEM103" in comment:
        # MEM103 suppresses nothing on that line: reported as unused.
        source = write_case(comment)
        assert found == [("MEM100", line_of(source, '"request_id"'), comment_column(source, '"request_id"'))]
    else:
        assert found == []


def test_noqa_naming_another_code_does_not_suppress() -> None:
    source = write_case("  # noqa: MEM103")
    line = line_of(source, '"request_id"')
    found = lint(source)
    assert sorted(found) == sorted([
        ("MEM101", line, source.splitlines()[line - 1].index("uuid4()") + 1),
        ("MEM100", line, comment_column(source, '"request_id"')),
    ])


def test_unused_noqa_is_mem100_at_the_comment() -> None:
    source = write_case(other="  # noqa: MEM101")
    diagnostics = memlint.lint_source(source, path="agent.py")
    line = line_of(source, '"name"')
    unused = [d for d in diagnostics if d.code == "MEM100"]
    assert [(d.line, d.column) for d in unused] == [(line, comment_column(source, '"name"'))]
    assert "MEM101" in unused[0].message
    assert [d.code for d in diagnostics if d.code != "MEM100"] == ["MEM101"]


def test_unused_noqa_names_only_the_unused_code() -> None:
    source = write_case("  # noqa: MEM101, MEM106")
    diagnostics = memlint.lint_source(source, path="agent.py")
    assert [d.code for d in diagnostics] == ["MEM100"]
    assert "MEM106" in diagnostics[0].message and "MEM101" not in diagnostics[0].message


def test_noqa_naming_an_unknown_mem_code_is_mem100() -> None:
    source = write_case("  # noqa: MEM999")
    diagnostics = memlint.lint_source(source, path="agent.py")
    line = line_of(source, '"request_id"')
    assert sorted((d.code, d.line) for d in diagnostics) == [("MEM100", line), ("MEM101", line)]
    assert "MEM999" in [d for d in diagnostics if d.code == "MEM100"][0].message


@pytest.mark.parametrize("where", ["flagged", "clean"])
def test_noqa_for_another_tool_is_never_mem100(where: str) -> None:
    if where == "flagged":
        source = write_case("  # noqa: E501")
        assert [code for code, _, _ in lint(source)] == ["MEM101"]
    else:
        source = write_case(other="  # noqa: E501")
        assert [code for code, _, _ in lint(source)] == ["MEM101"]


def test_bare_noqa_suppressing_nothing_is_not_mem100() -> None:
    # Only `# noqa: MEMxxx` can be unused; a bare noqa names no code.
    source = write_case(other="  # noqa")
    assert [code for code, _, _ in lint(source)] == ["MEM101"]


def test_mem100_can_be_ignored() -> None:
    source = write_case(other="  # noqa: MEM101")
    config = memlint.Config(ignore=("MEM100",))
    assert [code for code, _, _ in lint(source, config=config)] == ["MEM101"]


def test_noqa_text_inside_a_string_is_not_a_comment() -> None:
    source = write_case().replace('"request_id"', '"request_id  # noqa: MEM101"')
    assert [code for code, _, _ in lint(source)] == ["MEM101"]


MULTILINE = '''
    from uuid import uuid4

    from flink_agents.api.runner_context import RunnerContext


    def remember(ctx: RunnerContext) -> None:
        ctx.sensory_memory.set(A
            "tool_request_context",B
            {
                "model": "qwen",
                "initial_request_id": uuid4(),C
            },D
        )E
        ctx.sensory_memory.set("after", 1)F
'''


def multiline(**comments: str) -> str:
    text = src(MULTILINE)
    for marker in "ABCDEF":
        text = text.replace(marker + "\n", comments.get(marker, "") + "\n", 1)
    return text


def test_multiline_call_is_flagged_without_noqa() -> None:
    source = multiline()
    line = line_of(source, "uuid4()")
    assert lint(source) == [("MEM101", line, source.splitlines()[line - 1].index("uuid4()") + 1)]


@pytest.mark.parametrize("marker", list("ABCDE"), ids=["open", "path", "value", "dict-close", "call-close"])
@pytest.mark.parametrize("comment", ["  # noqa: MEM101", "  # noqa"], ids=["code", "bare"])
def test_noqa_on_any_line_of_a_multiline_call(marker: str, comment: str) -> None:
    source = multiline(**{marker: comment})
    assert lint(source) == []


def test_noqa_after_a_multiline_call_does_not_count() -> None:
    source = multiline(F="  # noqa: MEM101")
    codes = [code for code, _, _ in lint(source)]
    assert sorted(codes) == ["MEM100", "MEM101"]


def test_noqa_on_the_related_line_does_not_suppress() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            pending = {}
            pending["id"] = uuid4()  # noqa: MEM101
            ctx.short_term_memory.set("pending", pending)
    ''')
    found = lint(source)
    assert sorted(found) == sorted([
        ("MEM100", line_of(source, 'pending["id"]'), comment_column(source, 'pending["id"]')),
        ("MEM101", line_of(source, ".set("), source.splitlines()[line_of(source, ".set(") - 1].index("pending)") + 1),
    ])


# ----------------------------------------------------------------- --add-noqa


NOQA_COMMENT = re.compile(rb"[ \t]*#\s*noqa(?::\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)?", re.IGNORECASE)


def without_noqa(line: bytes) -> bytes:
    return NOQA_COMMENT.sub(b"", line)


def split_keep_endings(data: bytes) -> list[tuple[bytes, bytes]]:
    """(body, newline) pairs."""
    pieces = re.findall(rb"([^\r\n]*)(\r\n|\r|\n|$)", data)
    if pieces and pieces[-1] == (b"", b""):
        pieces.pop()
    return pieces


def assert_only_noqa_added(before: bytes, after: bytes, name: str) -> None:
    old, new = split_keep_endings(before), split_keep_endings(after)
    assert len(old) == len(new), f"{name}: line count changed"
    for number, ((old_body, old_end), (new_body, new_end)) in enumerate(zip(old, new), start=1):
        assert old_end == new_end, f"{name}:{number}: newline changed {old_end!r} -> {new_end!r}"
        if old_body != new_body:
            assert without_noqa(old_body) == without_noqa(new_body), (
                f"{name}:{number}: more than a noqa comment changed:\n{old_body!r}\n{new_body!r}")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.py"))}


def test_add_noqa_on_a_copy_of_the_fixtures(tmp_path: Path) -> None:
    copy = tmp_path / "fixtures"
    # MEM000 files (syntax/decoding errors) cannot be suppressed: leave them out.
    shutil.copytree(FIXTURES, copy, ignore=shutil.ignore_patterns("mem000_syntax", "__pycache__"))
    before = snapshot(copy)

    added = memlint_cli("check", "--add-noqa", "fixtures", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "Traceback" not in added.stderr
    after = snapshot(copy)
    assert set(after) == set(before)
    changed = [name for name in before if before[name] != after[name]]
    assert len(changed) >= 40, changed
    for name in before:
        ast.parse(after[name], filename=name)  # still parses
        assert_only_noqa_added(before[name], after[name], name)

    result = memlint_cli("check", "fixtures", cwd=tmp_path)
    assert result.returncode == 0, result.stdout

    again = memlint_cli("check", "--add-noqa", "fixtures", cwd=tmp_path)
    assert again.returncode == 0
    assert snapshot(copy) == after  # nothing added the second time


UNSAFE_LINES = '''\
from uuid import uuid4

from flink_agents.api.runner_context import RunnerContext


def remember(ctx: RunnerContext) -> None:
    ctx.short_term_memory.set("request_id", uuid4())
    ctx.short_term_memory.set("note", "café ok")
    ctx.short_term_memory.set("ids", [uuid4()])  # keep the ids
'''

TRICKY = '''\
from uuid import uuid4

from flink_agents.api.runner_context import RunnerContext


def remember(ctx: RunnerContext) -> None:
    ctx.short_term_memory.set("ids", [uuid4(), """first line
second line"""])
    ctx.short_term_memory.set("more", [uuid4(), \\
        "x"])
'''


def test_add_noqa_keeps_encoding_newlines_and_bom(tmp_path: Path) -> None:
    files = {
        "crlf.py": UNSAFE_LINES.replace("\n", "\r\n").encode("utf-8"),
        "latin1.py": ("# -*- coding: latin-1 -*-\n" + UNSAFE_LINES).encode("latin-1"),
        "bom.py": b"\xef\xbb\xbf" + UNSAFE_LINES.encode("utf-8"),
        "cr.py": UNSAFE_LINES.replace("\n", "\r").encode("utf-8"),
        "no_final_newline.py": UNSAFE_LINES.rstrip("\n").encode("utf-8"),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert memlint_cli("check", ".", cwd=tmp_path).returncode == 1

    added = memlint_cli("check", "--add-noqa", ".", cwd=tmp_path)
    assert added.returncode == 0 and "Traceback" not in added.stderr, added.stderr
    for name, before in files.items():
        after = (tmp_path / name).read_bytes()
        assert after != before, name
        assert_only_noqa_added(before, after, name)
        ast.parse(after, filename=name)
    latin = (tmp_path / "latin1.py").read_bytes()
    assert "café".encode("latin-1") in latin and "café".encode("utf-8") not in latin
    assert (tmp_path / "bom.py").read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"\n" not in (tmp_path / "cr.py").read_bytes()
    assert b"\r\n" * 2 in (tmp_path / "crlf.py").read_bytes() and b"\n\n" not in (tmp_path / "crlf.py").read_bytes()

    assert memlint_cli("check", ".", cwd=tmp_path).returncode == 0
    snapshot_after = snapshot(tmp_path)
    assert memlint_cli("check", "--add-noqa", ".", cwd=tmp_path).returncode == 0
    assert snapshot(tmp_path) == snapshot_after


def test_add_noqa_multiline_string_and_backslash(tmp_path: Path) -> None:
    """A comment cannot go inside a string nor after a line continuation."""
    path = tmp_path / "tricky.py"
    path.write_text(TRICKY, encoding="utf-8")
    assert [code for code, _, _ in lint(TRICKY)] == ["MEM101", "MEM101"]
    added = memlint_cli("check", "--add-noqa", "tricky.py", cwd=tmp_path)
    assert added.returncode == 0 and "Traceback" not in added.stderr, added.stderr
    after = path.read_bytes()
    ast.parse(after)
    assert b'"""first line\nsecond line"""' in after  # the string is unchanged
    assert_only_noqa_added(TRICKY.encode(), after, "tricky.py")
    result = memlint_cli("check", "tricky.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout


def test_add_noqa_with_form_feed_and_unicode_line_separators(tmp_path: Path) -> None:
    """Python ends lines only at \\n, \\r\\n and \\r: a form feed (PEP 8 page break)
    or a U+2028 inside a string must not shift the line a noqa goes on."""
    text = UNSAFE_LINES.replace("\n\ndef remember", "\n\x0c\ndef remember").replace(
        '"café ok"', '"café\u2028ok\x0cnext"')
    path = tmp_path / "paged.py"
    path.write_text(text, encoding="utf-8", newline="")
    assert [code for code, _, _ in lint(text)] == ["MEM101", "MEM101"]
    added = memlint_cli("check", "--add-noqa", "paged.py", cwd=tmp_path)
    assert added.returncode == 0 and "Traceback" not in added.stderr, added.stderr
    after = path.read_bytes()
    ast.parse(after)
    assert_only_noqa_added(text.encode("utf-8"), after, "paged.py")
    assert memlint_cli("check", "paged.py", cwd=tmp_path).returncode == 0


# ------------------------------------------------------------ MEM100's fix


def test_unused_noqa_fix_removes_only_what_suppresses_nothing(tmp_path) -> None:
    import subprocess
    import sys

    source = (
        "import uuid\n"
        "def act(ctx):\n"
        '    ctx.short_term_memory.set("a", "x")  # noqa: MEM101\n'
        '    ctx.short_term_memory.set("b", uuid.uuid4())  # noqa: MEM101, MEM103\n'
        "    width = 1  # noqa: E501, MEM102\n"
        '    ctx.short_term_memory.set("c", 1)  # noqa: MEM104  # a note that stays\n'
    )
    path = tmp_path / "agent.py"
    path.write_text(source, encoding="utf-8")
    found = [d for d in memlint.lint_paths([path]) if d.code == "MEM100"]
    assert len(found) == 4 and all(d.fix is not None and d.fix.applicability == "safe" for d in found)
    run = subprocess.run([sys.executable, "-m", "memlint", "check", "--fix", str(path)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert path.read_text(encoding="utf-8") == (
        "import uuid\n"
        "def act(ctx):\n"
        '    ctx.short_term_memory.set("a", "x")\n'
        '    ctx.short_term_memory.set("b", uuid.uuid4())  # noqa: MEM101\n'
        "    width = 1  # noqa: E501\n"
        '    ctx.short_term_memory.set("c", 1)  # a note that stays\n'
    )


CONTINUED = '''\
from uuid import uuid4

from flink_agents.api.runner_context import RunnerContext


def remember(ctx: RunnerContext, cond: bool) -> None:
    ctx.short_term_memory.set("k", uuid4()) \\
        if cond else None
    x = ctx.short_term_memory.set("j", uuid4()) or \\
        2
    ctx.short_term_memory.set("a", uuid4()); \\
        y = 3
    ctx.short_term_memory.set(
        "b", uuid4()) \\
        ; z = 1
    ctx.short_term_memory.set("c", [uuid4(), """x
y"""]) \\
        ; w = 1
'''


def test_add_noqa_converges_on_a_call_continued_with_a_backslash(tmp_path: Path) -> None:
    """Issue 10 item 9: the comment can only go where the backslash chain ends;
    there it counts for the lines continued into it (Ruff's rule), so one
    --add-noqa makes the next check clean (it used to add MEM100 run after run)."""
    path = tmp_path / "continued.py"
    path.write_text(CONTINUED, encoding="utf-8")
    assert [code for code, _, _ in lint(CONTINUED)] == ["MEM101"] * 5
    added = memlint_cli("check", "--add-noqa", "continued.py", cwd=tmp_path)
    assert added.returncode == 0 and "Added 5 noqa directives." in added.stdout, added.stdout + added.stderr
    after = path.read_text(encoding="utf-8")
    ast.parse(after)
    assert after.count("# noqa: MEM101") == 5
    result = memlint_cli("check", "continued.py", cwd=tmp_path)
    assert result.returncode == 0 and "MEM100" not in result.stdout, result.stdout
    again = memlint_cli("check", "--add-noqa", "continued.py", cwd=tmp_path)
    assert "Added 0 noqa directives." in again.stdout and path.read_text(encoding="utf-8") == after


def test_a_noqa_after_a_backslash_chain_covers_the_lines_continued_into_it() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            ctx.short_term_memory.set("k", uuid4()) \\
                ; y = 1  # noqa: MEM101
            ctx.short_term_memory.set("j", uuid4())
            z = 2  # noqa: MEM101
    ''')
    # the first is suppressed; the second is not (its line does not continue),
    # and the second noqa suppresses nothing
    assert [(code, line) for code, line, _ in lint(source)] == [("MEM101", 9), ("MEM100", 10)]
