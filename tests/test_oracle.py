"""The runtime oracle: static and runtime verdicts must agree on every runnable fixture.

A fixture file that defines a top-level `run_fixture(ctx)` (or `async def
run_fixture(ctx)`, run with asyncio) is imported (with
the `flink_agents` stand-in of tests/runtime on sys.path) and run against
memories that enforce the value contract and record rejected `set()` calls.
The `set()` calls rejected at runtime in that file must be exactly the
`set()` calls memlint flags in it. Both sides are compared call by call: a
rejected frame line and a diagnostic line are each mapped to the enclosing
`.set(` call (found with `ast`), and the calls' start lines are compared.

Rejections in other files a fixture reaches (project modules) are compared
too, but only on the calls that ran: a call that never ran has no runtime
verdict.
"""
from __future__ import annotations

import ast
import asyncio
import inspect
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = ROOT / "fixtures"
REFERENCE_FILES = {
    FIXTURES_DIR / "reference" / "tool_call_context_unsafe.py",
    FIXTURES_DIR / "reference" / "tool_call_context_normalized.py",
}
# Not verdicts on a value: syntax errors, unused noqa, --strict "cannot prove".
IGNORED_CODES = frozenset({"MEM000", "MEM100", "MEM900"})


def _defines_run_fixture(path: Path) -> bool:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError):
        return False  # e.g. MEM000 cases: they cannot run
    return any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "run_fixture"
        for node in tree.body
    )


def runnable_fixtures() -> list[Path]:
    return sorted(p.resolve() for p in FIXTURES_DIR.rglob("*.py") if _defines_run_fixture(p))


RUNNABLE = runnable_fixtures()


def _rel(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class SetCall:
    start: int
    end: int
    text: str


@lru_cache(maxsize=None)
def set_calls(path: Path) -> tuple[SetCall, ...]:
    """Every `X.set(...)` call in the file, with its line span and first line's text."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    calls = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "set":
            end = node.end_lineno or node.lineno
            calls.append(SetCall(node.lineno, end, lines[node.lineno - 1].strip()))
    return tuple(calls)


def enclosing_call(path: Path, line: int) -> int | str:
    """Start line of the innermost `.set(` call spanning `line` (or a description if none)."""
    spanning = [c for c in set_calls(path) if c.start <= line <= c.end]
    if not spanning:
        return f"line {line} (not inside a .set( call)"
    return min(spanning, key=lambda c: (c.end - c.start, -c.start)).start


def _same_file(a: str | Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == b
    except OSError:
        return False


def run_runtime(path: Path, import_fixture: Any, runtime: ModuleType) -> Any:
    """Run the fixture's `run_fixture` against contract-enforcing memories; return the context."""
    with import_fixture(path) as module:
        ctx = runtime.FakeRunnerContext()
        if inspect.iscoroutinefunction(module.run_fixture):  # async actions (durable_execute_async)
            asyncio.run(module.run_fixture(ctx))
        else:
            module.run_fixture(ctx)
    return ctx


def test_runnable_fixtures_exist() -> None:
    # Guard against silently testing nothing (a moved folder, a renamed function).
    assert RUNNABLE, f"no fixture under {FIXTURES_DIR} defines a top-level run_fixture(ctx)"
    missing = REFERENCE_FILES - set(RUNNABLE)
    assert not missing, f"reference fixtures are not runnable: {sorted(map(_rel, missing))}"


@pytest.mark.parametrize("path", RUNNABLE, ids=_rel)
def test_runtime_harness_runs(path: Path, import_fixture: Any, runtime: ModuleType) -> None:
    """The runtime half alone: the fixture runs, and every write maps to a `.set(` call."""
    ctx = run_runtime(path, import_fixture, runtime)
    writes = ctx.sensory_memory.writes + ctx.short_term_memory.writes
    for write in writes:
        file = Path(write.filename).resolve()
        assert file.is_file(), write
        assert isinstance(enclosing_call(file, write.lineno), int), (
            f"{_rel(file)}:{write.lineno}: a memory write outside any .set( call"
        )


MARKER = re.compile(r"#\s*expect:\s*(MEM\d{3}(?:\s*,\s*MEM\d{3})*)\s*$")


def marker_findings(file: Path) -> list[tuple[int, str]]:
    """(line, code) for every `# expect:` marker in the file."""
    found = []
    for number, text in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        match = MARKER.search(text)
        if match:
            found.extend((number, code.strip()) for code in match.group(1).split(","))
    return found


def memlint_findings(files: list[Path]) -> dict[Path, list[tuple[int, str]]]:
    """(line, code) of memlint's diagnostics per file, from `memlint.lint_paths`."""
    import memlint

    found: dict[Path, list[tuple[int, str]]] = defaultdict(list)
    for diagnostic in memlint.lint_paths(files):
        file = next((f for f in files if _same_file(diagnostic.path, f)), None)
        if file is not None:
            found[file].append((diagnostic.line, diagnostic.code))
    return found


def compare_verdicts(
    path: Path,
    import_fixture: Any,
    runtime: ModuleType,
    static_findings: Callable[[list[Path]], dict[Path, list[tuple[int, str]]]],
    static_name: str,
) -> None:
    """Assert that the runtime rejects exactly the `set()` calls `static_findings` flags."""
    # Runtime verdicts, per file, as .set( call start lines.
    ctx = run_runtime(path, import_fixture, runtime)
    runtime_flagged: dict[Path, set[int | str]] = defaultdict(set)
    ran: dict[Path, set[int | str]] = defaultdict(set)
    notes: dict[tuple[Path, Any], list[str]] = defaultdict(list)
    for write in ctx.sensory_memory.writes + ctx.short_term_memory.writes:
        file = Path(write.filename).resolve()
        ran[file].add(enclosing_call(file, write.lineno))
    for rejection in ctx.rejections:
        file = Path(rejection.filename).resolve()
        call = enclosing_call(file, rejection.lineno)
        runtime_flagged[file].add(call)
        for violation in rejection.violations:
            notes[(file, call)].append(f"{violation.type_name} at {rejection.path!r}{violation.location}")

    files = [path] + sorted(
        f for f in set(runtime_flagged) | set(ran) if f != path and f.is_relative_to(FIXTURES_DIR)
    )

    # Static verdicts for the same files.
    static_flagged: dict[Path, set[int | str]] = defaultdict(set)
    for file, findings in static_findings(files).items():
        for line, code in findings:
            if code in IGNORED_CODES:
                continue
            call = enclosing_call(file, line)
            static_flagged[file].add(call)
            notes[(file, call)].append(code)

    problems = []
    for file in files:
        static = static_flagged[file]
        dynamic = runtime_flagged[file]
        if file != path:  # only calls this fixture ran have a runtime verdict
            static = {c for c in static if c in ran[file]}
        only_static = sorted(static - dynamic, key=str)
        only_runtime = sorted(dynamic - static, key=str)
        for label, calls in (
            (f"flagged only by {static_name} (the runtime accepted it or never ran it)", only_static),
            (f"rejected only at runtime ({static_name} misses it)", only_runtime),
        ):
            if calls:
                problems.append(f"  {label}:")
                problems.extend(_describe_call(file, call, notes) for call in calls)
    assert not problems, (
        f"{_rel(path)}: {static_name} and runtime verdicts differ\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("path", RUNNABLE, ids=_rel)
def test_static_and_runtime_verdicts_agree(path: Path, import_fixture: Any, runtime: ModuleType) -> None:
    """The oracle: memlint flags exactly the set() calls the runtime contract rejects."""
    compare_verdicts(path, import_fixture, runtime, memlint_findings, "memlint")


@pytest.mark.parametrize("path", RUNNABLE, ids=_rel)
def test_markers_and_runtime_verdicts_agree(path: Path, import_fixture: Any, runtime: ModuleType) -> None:
    """The fixtures themselves: their `# expect:` markers sit on exactly the rejected calls.

    Independent of the engine: when this passes and the oracle fails, memlint
    is wrong; when this fails, the fixture is.
    """
    compare_verdicts(
        path,
        import_fixture,
        runtime,
        lambda files: {f: marker_findings(f) for f in files},
        "the # expect: markers",
    )


def _describe_call(file: Path, call: int | str, notes: dict[tuple[Path, Any], list[str]]) -> str:
    if isinstance(call, int):
        text = next((f"  `{c.text}`" for c in set_calls(file) if c.start == call), "")
        where = f"{_rel(file)}:{call}{text}"
    else:
        where = f"{_rel(file)}: {call}"
    unique = list(dict.fromkeys(notes.get((file, call), [])))
    extra = "; ".join(unique[:4]) + (f"; ... ({len(unique) - 4} more)" if len(unique) > 4 else "")
    return f"    {where}" + (f"  [{extra}]" if extra else "")
