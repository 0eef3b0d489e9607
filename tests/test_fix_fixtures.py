"""`memlint check --fix --unsafe-fixes` on every fixture: exact expected outputs.

Each fixture whose diagnostics carry a fix has `case.py.fixed` beside it
(regenerate with `python tests/fixed_outputs.py`, then read them). Here:

- the set of .fixed files is exactly the set of fixable fixtures;
- fixing a copy of the fixture gives the .fixed file byte for byte;
- the fixed file parses, nothing fixable remains in it, and what remains is
  exactly what had no fix (nothing new appeared);
- a runnable fixed fixture runs, and the runtime contract rejects exactly the
  `set()` calls memlint still flags (none of the fixed ones).
"""
from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import memlint
from fixed_outputs import FIXTURES, copy_tree, expected_path, fixture_files, fixed_tree, run_fix

FIXED = sorted(FIXTURES.rglob("*.py.fixed"))


def _source_of(expected: Path) -> Path:
    return expected.with_name(expected.name[: -len(".fixed")])


def _id(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


@pytest.fixture(scope="module")
def fixed_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole fixture tree, copied and fixed once (`--fix --unsafe-fixes`)."""
    return fixed_tree(tmp_path_factory.mktemp("fixed"))


def test_expected_outputs_are_exactly_the_fixable_fixtures() -> None:
    assert len(FIXED) >= 40
    fixable = {
        Path(d.path).resolve()
        for d in memlint.lint_paths([FIXTURES])
        if d.fix is not None
    }
    have = {_source_of(p).resolve() for p in FIXED}
    missing = sorted(str(p.relative_to(FIXTURES)) for p in fixable - have)
    stale = sorted(str(p.relative_to(FIXTURES)) for p in have - fixable)
    assert not missing, f"fixable fixtures without a .fixed file (run tests/fixed_outputs.py): {missing}"
    assert not stale, f".fixed files of fixtures that have no fix: {stale}"
    for expected in FIXED:
        assert _source_of(expected).is_file(), expected


@pytest.mark.parametrize("expected", FIXED, ids=_id)
def test_fixing_one_file_gives_its_expected_output(expected: Path, tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    target = tree / _source_of(expected).relative_to(FIXTURES)
    code, out, err = run_fix([str(target)])
    assert err == ""
    assert target.read_bytes() == expected.read_bytes(), out
    # The exit code follows Ruff: 1 if diagnostics remain after fixing, else 0.
    remaining = memlint.lint_paths([target])
    assert code == (1 if remaining else 0)


@pytest.mark.parametrize("expected", FIXED, ids=_id)
def test_expected_output_parses_and_keeps_only_unfixable_findings(expected: Path, fixed_copy: Path) -> None:
    source = _source_of(expected)
    fixed = fixed_copy / source.relative_to(FIXTURES)
    assert fixed.read_bytes() == expected.read_bytes()
    ast.parse(expected.read_bytes())
    before = memlint.lint_paths([source])
    after = memlint.lint_paths([fixed])
    assert [d for d in after if d.fix is not None] == []
    assert Counter(d.code for d in after) == Counter(d.code for d in before if d.fix is None), (
        [f"{d.line}:{d.column} {d.code} {d.message}" for d in after]
    )


def _runnable(path: Path) -> bool:
    tree = ast.parse(path.read_bytes())
    return any(isinstance(n, ast.FunctionDef) and n.name == "run_fixture" for n in tree.body)


RUNNABLE_FIXED = [p for p in FIXED if _runnable(p)]


@pytest.mark.parametrize("expected", RUNNABLE_FIXED, ids=_id)
def test_fixed_fixture_runs_and_the_runtime_accepts_what_was_fixed(
    expected: Path, fixed_copy: Path, import_fixture: Any, runtime: ModuleType
) -> None:
    from test_oracle import compare_verdicts, memlint_findings

    fixed = (fixed_copy / _source_of(expected).relative_to(FIXTURES)).resolve()
    compare_verdicts(fixed, import_fixture, runtime, memlint_findings, "memlint (after --fix)")


def test_fixture_list_covers_every_rule_with_a_fix() -> None:
    codes = {d.code for d in memlint.lint_paths([FIXTURES]) if d.fix is not None}
    assert {"MEM101", "MEM102", "MEM103", "MEM104", "MEM105", "MEM106", "MEM201"} <= codes
    assert not codes & {"MEM000", "MEM107", "MEM900"}
    assert all(expected_path(p).exists() for p in fixture_files() if expected_path(p) in FIXED)
