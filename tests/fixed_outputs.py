"""The expected outputs of `memlint check --fix --unsafe-fixes` on the fixtures.

Every fixture whose diagnostics carry a fix has `case.py.fixed` beside it: the
file as `memlint check --fix --unsafe-fixes` leaves it when run on a copy of
the fixture tree. tests/test_fix_fixtures.py compares them exactly.

Regenerate them (after a fixture or the fix engine changed) with

    python tests/fixed_outputs.py

and read every changed one before committing it: it must parse, lint clean
of everything that had a fix, and be what a careful developer would write.
Not a test module (pytest does not collect it).
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SUFFIX = ".fixed"


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py"))


def expected_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def copy_tree(destination: Path) -> Path:
    """A copy of the fixture tree (without the .fixed files) under `destination`."""
    target = destination / "fixtures"
    shutil.copytree(FIXTURES, target, ignore=shutil.ignore_patterns("*" + SUFFIX, "__pycache__"))
    return target


def run_fix(paths: list[str], *extra: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """`memlint check --fix --unsafe-fixes PATHS` in this process: (exit code, stdout, stderr)."""
    from memlint.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["check", "--fix", "--unsafe-fixes", "--jobs", "1", *extra, *paths])
    finally:
        os.chdir(previous)
    return code, out.getvalue(), err.getvalue()


def fixed_tree(destination: Path) -> Path:
    """A copy of the fixture tree with every file fixed."""
    tree = copy_tree(destination)
    run_fix([str(tree)])
    return tree


def regenerate() -> list[Path]:
    """Write (or remove) the .fixed file of every fixture; the ones that changed."""
    changed: list[Path] = []
    with tempfile.TemporaryDirectory() as temporary:
        tree = fixed_tree(Path(temporary))
        for original in fixture_files():
            copy = tree / original.relative_to(FIXTURES)
            expected = expected_path(original)
            if copy.read_bytes() != original.read_bytes():
                if not expected.exists() or expected.read_bytes() != copy.read_bytes():
                    expected.write_bytes(copy.read_bytes())
                    changed.append(expected)
            elif expected.exists():
                expected.unlink()
                changed.append(expected)
    return changed


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "tests"))
    for path in regenerate():
        print(path.relative_to(ROOT))
