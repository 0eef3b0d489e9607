"""Partial parsing: libcst reads only the top-level statements memlint analyses.

A libcst parse costs about ten times Python's own (see
../shared/PERFORMANCE.md), and a module holding one agent action among
hundreds of other definitions needs libcst's tree only for that action.
`ast`, which the engine runs first anyway (guard.py), gives the top-level
statements' line spans; every top-level statement that no analysis reads
from libcst is *blanked*: left out of the text libcst parses, whole lines at
a time (even empty lines cost libcst's tokenizer: keeping them as blank lines
made the parse twice as slow as leaving them out). The statements kept are
whole, so their columns are the file's, and `Partial.positions` maps their
lines back: every position, diagnostic and fix edit is the one a whole parse
gives.

Kept (what the interpretation and the fixes read from libcst's tree):
- every statement whose lines hold a memory-write candidate (`.set(`) or a
  memory hint (an attribute name, `MemoryObject`, `new_object`);
- imports and assignments of constants (a fix adds imports in the module's
  style and resolves path constants from them);
- everything, when a candidate lies in module-level code (top-level code is
  interpreted statement by statement).

What the interpretation needs from the blanked statements (their classes,
functions, return kinds) comes from the module's summary, which is built from
`ast` over the whole text. A fix that must rebuild a read lying in a blanked
statement raises `WholeModuleNeeded`, and the engine analyses the file again
from a whole parse: the answer is always the one a whole parse gives
(tests/test_partial.py compares both on the fixtures and on the benchmark
corpora). One difference is by design: code Python accepts but libcst
cannot parse (MEM000 "libcst cannot parse this file") no longer matters when
it lies in a statement left out.
"""
from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass
from functools import cached_property
from typing import Optional, Sequence

from .source import any_line_between, line_in_spans, physical_lines

__all__ = ["Partial", "WholeModuleNeeded", "blank_unread"]


class WholeModuleNeeded(Exception):
    """An analysis needs a statement the partial parse left out."""


@dataclass(frozen=True)
class Partial:
    """The text libcst parses, and what was left out of it. Lines are the
    file's unless said otherwise ("parsed lines" are the text's)."""

    text: str  # the module's text without the blanked statements' lines
    blanked: tuple[tuple[int, int], ...]  # (first, last) line of each blanked statement, in order
    class_names: frozenset[str]  # the module's top-level classes, blanked or not

    @cached_property
    def _removed_before(self) -> tuple[int, ...]:
        """Lines left out before each blanked span (and after the last, at the end)."""
        total, result = 0, [0]
        for first, last in self.blanked:
            total += last - first + 1
            result.append(total)
        return tuple(result)

    @cached_property
    def _parsed_follows(self) -> tuple[int, ...]:
        """The parsed line that takes each blanked span's place."""
        return tuple(first - removed for (first, _), removed in zip(self.blanked, self._removed_before))

    def is_blanked(self, line: int) -> bool:
        return line_in_spans(self.blanked, line)

    def parsed_line(self, line: int) -> int:
        """The parsed line of a file line that was kept."""
        return line - self._removed_before[bisect.bisect_left(self.blanked, (line, line))]

    def file_line(self, parsed: int) -> int:
        return parsed + self._removed_before[bisect.bisect_right(self._parsed_follows, parsed)]

    def positions(self, module, lines: Sequence[int]):
        """positions.positions_for over the parsed module, for file lines, in file lines."""
        from .positions import positions_for

        parsed = [self.parsed_line(line) for line in lines if not self.is_blanked(line)]
        return positions_for(module, self.text, parsed, self.file_line)


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _span(statement: ast.stmt) -> tuple[int, int]:
    first = statement.lineno
    for decorator in getattr(statement, "decorator_list", ()):
        first = min(first, decorator.lineno)
    return first, statement.end_lineno or statement.lineno


def _kept_simple(statement: ast.stmt, lines: list[str]) -> bool:
    """Imports, and `NAME = "a string"` (a memory path constant, as libcst's
    SimpleString: one literal, not an implicit concatenation)."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return True
    if not isinstance(statement, (ast.Assign, ast.AnnAssign)):
        return False
    value = statement.value
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        return False
    if value.lineno == value.end_lineno:
        return True
    # Over several lines: one triple-quoted literal, not `("a" "b")` over lines.
    # (ast's columns count UTF-8 bytes.)
    first = lines[value.lineno - 1].encode()[value.col_offset:].decode(errors="replace").lstrip("rRuU")
    last = lines[(value.end_lineno or value.lineno) - 1].encode()[:value.end_col_offset].decode(errors="replace")
    quote = first[:3]
    return (quote in ('"""', "\'\'\'") and quote not in first[3:] and last.count(quote) == 1
            and last.endswith(quote)
            and all(quote not in lines[n] for n in range(value.lineno, (value.end_lineno or value.lineno) - 1)))


def _calls_set(statement: ast.stmt) -> bool:
    """Does module-level code call a `.set` (not just mention `.set(` in a string or comment)?"""
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "set"
               for node in ast.walk(statement))


def blank_unread(text: str, tree: ast.Module, candidate_lines: Sequence[int],
                 hint_lines: Sequence[int]) -> Optional[Partial]:
    """The partial text for `tree` (Python's parse of `text`), or None when
    nothing can be left out. The line lists are sorted."""
    spans = [_span(statement) for statement in tree.body]
    candidates = [any_line_between(candidate_lines, first, last)
                  and (isinstance(statement, _DEFINITIONS) or _calls_set(statement))
                  for statement, (first, last) in zip(tree.body, spans)]
    hints = [any_line_between(hint_lines, first, last) for first, last in spans]
    if any(c and not isinstance(s, _DEFINITIONS) for s, c in zip(tree.body, candidates)):
        return None  # module-level code writes memory: it is read statement by statement
    # A definition with a candidate is interpreted when it holds a memory hint,
    # or when a hint lies outside every such definition (engine.py: a global
    # memory object, a helper handing memory around): then every one is.
    inside = [(s.lineno, s.end_lineno or s.lineno) for s, c in zip(tree.body, candidates) if c]  # as libcst's ranges
    every_candidate = any(not line_in_spans(inside, line) for line in hint_lines)
    physical = physical_lines(text)
    keep = [(c and (h or every_candidate)) or h or _kept_simple(s, physical)
            for s, c, h in zip(tree.body, candidates, hints)]
    # Statements sharing a line (`import a; x = f()`) are kept or blanked together.
    kept_lines = sorted({line for (first, last), k in zip(spans, keep) if k for line in (first, last)})
    blanked = [(first, last) for (first, last), k in zip(spans, keep)
               if not k and not any_line_between(kept_lines, first, last)]
    if not blanked:
        return None
    for first, last in blanked:
        physical[first - 1: last] = [""] * (min(last, len(physical)) - first + 1)
    class_names = frozenset(s.name for s in tree.body if isinstance(s, ast.ClassDef))
    return Partial("".join(physical), tuple(blanked), class_names)
