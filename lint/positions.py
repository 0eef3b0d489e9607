"""Source positions for the parts of a module memlint looks at, without paying
for positions of the whole module.

libcst's PositionProvider over a whole module costs about twice the parse
itself (measured: tests/benchmarks/bench.py and the profile in the issue
note). memlint needs positions only inside the top-level statements that hold
a memory-write candidate, so it takes the line spans of top-level statements
from `ast` (about a tenth of a libcst parse), and runs PositionProvider on a
one-statement module per wanted statement, shifting the lines back.
"""
from __future__ import annotations

import ast
import bisect
import re
from typing import Callable, Iterable, Mapping, Optional

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider

from .source import split_lines


def _shift(rng: CodeRange, lines: int) -> CodeRange:
    if lines == 0:
        return rng
    return CodeRange(CodePosition(rng.start.line + lines, rng.start.column),
                     CodePosition(rng.end.line + lines, rng.end.column))


def _statement_spans(module: cst.Module, text: str) -> Optional[list[tuple[int, int, int]]]:
    """(first line, last line, anchor line) of each of module.body's statements,
    from ast; the anchor is where libcst's range of the statement starts (the
    `def`/`class` line of a decorated definition, like ast's lineno). None
    if ast and libcst disagree (then the caller falls back to whole-module positions)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    nodes = tree.body
    spans: list[tuple[int, int, int]] = []
    i = 0
    for statement in module.body:
        count = len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        group = nodes[i: i + count]
        if len(group) != count:
            return None
        i += count
        first = group[0]
        start = first.lineno
        decorators = getattr(first, "decorator_list", None)
        if decorators:
            start = min(start, min(d.lineno for d in decorators) - 1)
        spans.append((start, max(getattr(n, "end_lineno", None) or n.lineno for n in group), first.lineno))
    if i != len(nodes):
        return None
    return spans


HEADER = re.compile(r"(?:async[ \t]+def|def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)")


class _Positions:
    """What libcst's position-recording codegen writes into (a provider's `_computed`)."""

    __slots__ = ("_computed",)

    def __init__(self) -> None:
        self._computed: dict[cst.CSTNode, CodeRange] = {}


def module_positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """PositionProvider's ranges for every node of `module`. libcst's
    MetadataWrapper also walks the whole tree for its batchable providers
    (none here) first: running the provider's codegen alone costs a third as
    much (measured: 1.8 vs 4.7 ms on a 10-line function). Any surprise from
    libcst's internals falls back to the public way."""
    try:
        from libcst.metadata.position_provider import PositionProvidingCodegenState

        sink = _Positions()
        state = PositionProvidingCodegenState(default_indent=module.default_indent,
                                              default_newline=module.default_newline,
                                              provider=sink)  # type: ignore[arg-type]
        module._codegen(state)
        return sink._computed
    except Exception:  # noqa: BLE001 - a libcst without this internal API
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


def _same_line(line: int) -> int:
    return line


def _statement_positions(module: cst.Module, statement: cst.CSTNode, anchor: int,
                         to_file: Callable[[int], int] = _same_line) -> Optional[dict[cst.CSTNode, CodeRange]]:
    alone = module.with_changes(body=[statement], header=[], footer=[])
    found = module_positions(alone)
    own = found.get(statement)
    if own is None:
        return None
    offset = to_file(anchor) - own.start.line
    return {node: _shift(rng, offset) for node, rng in found.items()}


def _by_scanning(module: cst.Module, text: str, lines: list[int],
                 to_file: Callable[[int], int]) -> Optional[dict[cst.CSTNode, CodeRange]]:
    """The common case without `ast`: every candidate line lies in a top-level
    def/class, found by its header line at column 0 (the k-th header named N is
    the k-th top-level definition named N). Every guess is checked against the
    positions it produces; any doubt returns None (then `ast` decides)."""
    physical = split_lines(text)
    headers: list[tuple[int, str]] = []
    for number, line in enumerate(physical, start=1):
        if line[:1] in ("d", "c", "a"):
            match = HEADER.match(line)
            if match:
                headers.append((number, match.group(1)))
    definitions: dict[str, list[cst.CSTNode]] = {}
    for statement in module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            definitions.setdefault(statement.name.value, []).append(statement)
    seen: dict[str, int] = {}
    order: list[tuple[int, str, int]] = []  # (header line, name, occurrence)
    for number, name in headers:
        order.append((number, name, seen.get(name, 0)))
        seen[name] = seen.get(name, 0) + 1
    if any(len(definitions.get(name, ())) != count for name, count in seen.items()):
        return None  # a header inside a string, or a definition the scan missed
    if sum(len(v) for v in definitions.values()) != len(headers):
        return None
    positions: dict[cst.CSTNode, CodeRange] = {}
    done: set[int] = set()
    header_lines = [number for number, _, _ in order]
    for line in lines:
        index = bisect.bisect_right(header_lines, line) - 1
        if index < 0:
            return None  # a candidate before any definition: module-level code
        number, name, occurrence = order[index]
        statement = definitions[name][occurrence]
        if id(statement) in done:
            continue
        found = _statement_positions(module, statement, number, to_file)
        if found is None:
            return None
        own = found[statement]
        name_range = found.get(statement.name)  # type: ignore[attr-defined]
        if own.end.line < to_file(line) or name_range is None or name_range.start.line != to_file(number):
            return None  # the candidate is in module-level code after the definition
        positions.update(found)
        done.add(id(statement))
    return positions


def positions_for(module: cst.Module, text: str, candidate_lines: Iterable[int],
                  to_file: Callable[[int], int] = _same_line) -> Mapping[cst.CSTNode, CodeRange]:
    """Positions of every node inside the top-level statements whose span holds a
    candidate line (plus the statements themselves). `module` is the parse of
    `text` and the candidate lines are its; `to_file` maps them to the lines
    the positions are given in (a partial parse's, see partial.py: it shifts
    a whole statement alike)."""
    lines = sorted(set(candidate_lines))
    scanned = _by_scanning(module, text, lines, to_file) if lines else {}
    if scanned is not None:
        return scanned
    spans = _statement_spans(module, text)
    if spans is None:
        found = module_positions(module)
        if to_file is _same_line:
            return found
        return {node: _shift(rng, to_file(rng.start.line) - rng.start.line) for node, rng in found.items()}
    positions: dict[cst.CSTNode, CodeRange] = {}
    for statement, (first, last, anchor) in zip(module.body, spans):
        if not any(first <= line <= last for line in lines):
            continue
        found = _statement_positions(module, statement, anchor, to_file)
        if found is not None:
            positions.update(found)
    return positions
