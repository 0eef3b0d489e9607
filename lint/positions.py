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
from typing import Iterable, Mapping, Optional

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider


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


def positions_for(module: cst.Module, text: str, candidate_lines: Iterable[int]) -> Mapping[cst.CSTNode, CodeRange]:
    """Positions of every node inside the top-level statements whose span holds a
    candidate line (plus the statements themselves)."""
    lines = sorted(set(candidate_lines))
    spans = _statement_spans(module, text)
    if spans is None:
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    positions: dict[cst.CSTNode, CodeRange] = {}
    for statement, (first, last, anchor) in zip(module.body, spans):
        if not any(first <= line <= last for line in lines):
            continue
        alone = module.with_changes(body=[statement], header=[], footer=[])
        found = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
        own = found.get(statement)
        if own is None:
            continue
        offset = anchor - own.start.line
        for node, rng in found.items():
            positions[node] = _shift(rng, offset)
    return positions
