"""Every fixture file: memlint reports exactly its `# expect:` markers."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import memlint

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MARKER = re.compile(rb"#\s*expect:\s*(?P<codes>MEM\d{3}(?:\s*,\s*MEM\d{3})*)")


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py"))


def expected_markers(path: Path) -> set[tuple[int, str]]:
    expected: set[tuple[int, str]] = set()
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        match = MARKER.search(line)
        if match:
            for code in match.group("codes").split(b","):
                expected.add((number, code.strip().decode()))
    return expected


def test_fixture_corpus_is_large() -> None:
    files = fixture_files()
    assert len(files) >= 80, f"only {len(files)} fixture files found under {FIXTURES}"
    flagged = sum(1 for f in files if expected_markers(f))
    assert flagged >= 40 and len(files) - flagged >= 40


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_matches_markers(path: Path) -> None:
    found = {(d.line, d.code) for d in memlint.lint_paths([path])}
    expected = expected_markers(path)
    missing = sorted(expected - found)
    unexpected = sorted(found - expected)
    assert not missing and not unexpected, (
        f"{path.relative_to(FIXTURES)}: missing (line, code) {missing}; unexpected {unexpected}"
    )
