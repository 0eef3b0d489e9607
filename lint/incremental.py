"""Incremental checking of one module's text, for long-lived hosts (the language server).

`IncrementalModule(display_path, settings, fs_path).check(text)` returns what
`engine.check_text(display_path, text, settings, fs_path)` returns, but after
the first call it re-analyses only the top-level statements an edit touched:

- The text is cut into *chunks*: runs of whole top-level statements (with the
  blank and comment lines before them), cut only where libcst would give
  those lines to the next statement, so the chunks' libcst parses, put side
  by side, are the module libcst parses from the whole text (same nodes, same
  whitespace ownership). After an edit only the chunks the changed characters
  fall in are cut again (`ast`, on those chunks only).
- Per chunk text (shared by every document, bounded): the `ast` and libcst
  parses and the source positions of its statements, relative to the chunk.
- Per document and chunk: the memory writes the interpreter found, reused
  while the module summary (position-free: imports, classes, signatures, ...)
  and everything else the interpretation reads stay the same, and shifted
  when lines were added or removed above the chunk.
- What depends on the whole module is recomputed on every call from those
  parts: the summary (from the chunks' `ast`), diagnostics, fixes (their
  safety reads the whole module: its memory reads come from per-chunk parts,
  readside.ReadParts, not from parsing the module again), `# noqa`. A chunk's
  diagnostics are reused while what its fixes read is unchanged; moved with
  it when lines were added above it, and when they name lines of other
  chunks (a fix's imports, its reads), each such line moves with its chunk.

Whenever the text is not what this path handles exactly (a syntax error, a
chunk libcst parses differently alone, memory writes in module-level code,
mixed indentation or newlines, any unexpected failure), it answers with
`check_text` itself and starts again from the next call. Diagnostics are
identical either way: tests/test_incremental.py compares both on every
fixture and on random edits.
"""
from __future__ import annotations

import ast
import bisect
import re
from collections import OrderedDict
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional

from .diagnostics import Diagnostic
from .engine import CANDIDATE, Settings, check_text
from .noqa import apply_noqa, find_noqa
from .source import any_line_between, line_starts, matching_lines, split_lines

__all__ = ["IncrementalModule", "Cancelled", "forget_files"]

# Chunk parses kept besides those of the documents' current texts (shared by
# every document, so a second buffer or an undo finds them warm). Bounded: a
# chunk's parse and positions take about 100 KB.
CHUNK_CACHE_SIZE = 256
# How far a re-cut may grow around the changed characters before cutting the whole text.
MAX_GROW = 6

_generation = 0  # bumped when files on disk change: interpretations may read them


class Cancelled(Exception):
    """The caller said the result is no longer wanted."""


class _Fallback(Exception):
    """This text needs the whole-module engine."""


def forget_files() -> None:
    """Files on disk changed: forget every interpretation (not the parses)."""
    global _generation
    _generation += 1


# ---------------------------------------------------------------------------
# Chunks


@dataclass(eq=False)
class _Chunk:
    """Whole top-level statements (and the lines before them) parsed on their own."""

    text: str
    first: bool  # the module's first chunk (its leading lines are the module header)
    tree: ast.Module
    line_count: int = 0  # line breaks in text
    _cst: object = None
    statements: tuple = ()
    header: tuple = ()
    footer: tuple = ()
    default_indent: Optional[str] = None  # None: no indented block in the chunk
    default_newline: str = "\n"
    has_trailing_newline: bool = True
    # per libcst statement, relative to the chunk: (first line incl. decorators, last line, anchor line)
    spans: list = field(default_factory=list)
    # relative positions per statement index (computed when a candidate needs them)
    positions: dict = field(default_factory=dict)
    _facts: Optional[tuple] = None
    _blank: object = None
    _read_parts: object = None
    _matching: dict = field(default_factory=dict)

    def lines_matching(self, pattern: "re.Pattern[str]") -> list[int]:
        """The lines (1-based, in the chunk) where a match of `pattern` starts."""
        found = self._matching.get(pattern)
        if found is None:
            found = self._matching[pattern] = matching_lines(pattern, self.text)
        return found

    def read_parts(self):
        """The chunk's part of the module's memory reads (fix safety, readside.Reads)."""
        if self._read_parts is None:
            from .fix.readside import ReadParts

            self._read_parts = ReadParts(self.tree)
        return self._read_parts

    def blank(self) -> Optional[str]:
        """The chunk with every line of its definitions' bodies turned to spaces
        (one `pass` each): the same lines, columns, statements and headers, for
        the module-wide reads of fix planning where nothing in it matters.
        None when the chunk is not only definitions with indented bodies."""
        if self._blank is None:
            self._blank = _blanked(self.text, self.tree) or False
        return self._blank or None

    def facts(self) -> tuple:
        """What fixes elsewhere may depend on, read from the text (a superset):
        (literal paths read, literal paths written, opaque reads, opaque writes, imports)."""
        if self._facts is None:
            reads = {m.group(2) for m in _READ_LITERAL.finditer(self.text)}
            writes = {m.group(2) for m in _WRITE_LITERAL.finditer(self.text)}
            opaque_reads = sum(1 for _ in _READ_LITERAL.finditer(self.text)) < len(
                _READ_ANY.findall(self.text)) or "get_field" in self.text
            opaque_writes = sum(1 for _ in _WRITE_LITERAL.finditer(self.text)) < len(CANDIDATE.findall(self.text))
            aliases = _ALIAS.search(self.text) is not None
            self._facts = (frozenset(reads), frozenset(writes), opaque_reads, opaque_writes,
                           _imports(self.tree) if "import" in self.text else (), aliases)
        return self._facts

    def parse(self) -> None:
        if self._cst is not None:
            return
        import libcst as cst

        try:
            module = cst.parse_module(self.text)
        except Exception as exc:  # libcst rejects it alone (or at all): the engine decides
            raise _Fallback(f"libcst: {exc.__class__.__name__}") from None
        statements = list(module.body)
        if not self.first and module.header and statements:
            statements[0] = statements[0].with_changes(
                leading_lines=(*module.header, *statements[0].leading_lines))
        self.statements = tuple(statements)
        # The ast spans of each libcst statement (`a = 1; b = 2` is one libcst line, two ast statements).
        spans, i = [], 0
        for statement in statements:
            count = len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
            group = self.tree.body[i:i + count]
            if len(group) != count:
                raise _Fallback("ast and libcst disagree")
            i += count
            first, _, anchor = _span(group[0])
            spans.append((first, max(_span(n)[1] for n in group), anchor))
        if i != len(self.tree.body):
            raise _Fallback("ast and libcst disagree")
        self.spans = spans
        self.header = tuple(module.header) if self.first else ()
        self.footer = tuple(module.footer)
        if any(isinstance(getattr(s, "body", None), cst.IndentedBlock) for s in statements):
            self.default_indent = module.default_indent
        self.default_newline = module.default_newline
        self.has_trailing_newline = module.has_trailing_newline
        self._cst = module

    def statement_positions(self, index: int, template) -> dict:
        """Positions of the nodes of statement `index`, lines relative to the chunk."""
        found = self.positions.get(index)
        if found is None:
            from .positions import module_positions

            statement = self.statements[index]
            alone = template.with_changes(body=[statement], header=[], footer=[])
            resolved = module_positions(alone)
            own = resolved.get(statement)
            if own is None:
                raise _Fallback("no position for a statement")
            offset = self.spans[index][2] - own.start.line
            found = self.positions[index] = (offset, resolved)
        return found


_TRAILING_DOT = re.compile(r"\.\s*\Z")


@lru_cache(maxsize=8)
def _hint_pattern(hints: tuple) -> "re.Pattern[str]":
    return re.compile("|".join(re.escape(h.decode()) for h in hints))


_READ_ANY = re.compile(r"\.\s*get\s*\(")
_READ_LITERAL = re.compile(r"""\.\s*get\s*\(\s*(["'])([^"'\\\n]*)\1\s*[,)]""")
_WRITE_LITERAL = re.compile(r"""\.\s*set\s*\(\s*(["'])([^"'\\\n]*)\1\s*,""")
# A name bound to a memory object (readside then counts its reads).
_ALIAS = re.compile(r"=[^=\n]*\bmemory\b(?!\s*[.(\[])|=[^=\n]*_memory\b(?!\s*[.(\[])|new_object|MemoryObject")
_LINE_NUMBER = re.compile(r"\blines? \d")


def _blanked(text: str, tree: ast.Module) -> Optional[str]:
    lines = split_lines(text)
    kept = list(lines)
    if not tree.body:
        return None
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or not node.body:
            return None
        first_body = node.body[0].lineno
        header_end = first_body - 1
        if header_end < node.lineno:
            return None  # `def f(): ...` on one line
        last = node.end_lineno or first_body
        body_line = lines[first_body - 1]
        indent = len(body_line) - len(body_line.lstrip(" "))
        if indent == 0 or len(body_line) < indent + 4 or "\t" in body_line[:indent]:
            return None
        for n in range(first_body, last + 1):
            kept[n - 1] = " " * len(lines[n - 1])
        kept[first_body - 1] = " " * indent + "pass" + " " * (len(body_line) - indent - 4)
        if lines[last - 1].rstrip().endswith("\\"):
            return None
    blanked = "\n".join(kept)
    # the same line breaks as the text (split_lines dropped them)
    breaks = [m.group(0) for m in re.finditer(r"\r\n|\r|\n", text)]
    if any(b != "\n" for b in breaks):
        return None
    return blanked


def _imports(tree: ast.AST) -> tuple:
    """The import statements of a chunk, without their positions."""
    return tuple(ast.dump(n) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))


def _dotted_parts(path: str) -> list[str]:
    """The proper dotted prefixes and suffixes of a path: "a.b.c" -> a, a.b, b.c, c."""
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))] + [".".join(parts[i:]) for i in range(1, len(parts))]


def _related(a: str, b: str) -> bool:
    """Can a read or write of one memory path see the other? (readside's rule.)"""
    return (a == b or a.startswith(b + ".") or b.startswith(a + ".") or a.endswith("." + b)
            or b.endswith("." + a))


_chunks: "OrderedDict[tuple[str, bool], _Chunk]" = OrderedDict()


def _chunk(text: str, first: bool, tree: Optional[ast.Module] = None) -> _Chunk:
    key = (text, first)
    found = _chunks.get(key)
    if found is not None:
        _chunks.move_to_end(key)
        return found
    tree = _python_tree(text)
    found = _Chunk(text, first, tree, line_count=len(line_starts(text)) - 1)
    _chunks[key] = found
    while len(_chunks) > CHUNK_CACHE_SIZE:
        _chunks.popitem(last=False)
    return found


def _python_tree(text: str) -> ast.Module:
    """The chunk's ast as the engine's guard reads the module (what Python
    refuses or what nests too deeply never reaches libcst): the engine decides
    the whole text when this chunk is refused."""
    try:
        from .guard import python_verdict
    except ImportError:  # an engine without the guard
        return ast.parse(text)
    tree, rejection = python_verdict(text)
    if tree is None or rejection is not None:
        raise _Fallback("Python refuses a chunk")
    return tree


def _span(node: ast.stmt) -> tuple[int, int, int]:
    first = node.lineno
    for decorator in getattr(node, "decorator_list", ()) or ():
        first = min(first, decorator.lineno)
    return (first, node.end_lineno or node.lineno, node.lineno)


def _clean(line: str) -> bool:
    """A line libcst gives to the statement after it (never to the block before)."""
    return line == "" or line.startswith("#")


def _cut(text: str, tree: Optional[ast.Module] = None) -> Optional[list[tuple[int, int]]]:
    """Where to cut `text` into chunks: (first line, last line) of each, 1-based.
    None when Python cannot parse it."""
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            return None
    lines = split_lines(text)
    total = len(lines)
    cuts: list[tuple[int, int]] = []
    start = 1
    previous_last = 0
    for node in tree.body:
        first, last, _ = _span(node)
        if previous_last and first > previous_last and all(
                _clean(lines[n - 1]) for n in range(previous_last + 1, first)):
            cuts.append((start, previous_last))
            start = previous_last + 1
        previous_last = max(previous_last, last)
    cuts.append((start, total))
    return cuts


# ---------------------------------------------------------------------------
# Moving interpretation results to other lines


def _shift(obj, delta: int, memo: dict):
    from .types import Loc, Value

    if delta == 0:
        return obj
    key = id(obj)
    if key in memo:
        return memo[key][1]
    result = obj
    if isinstance(obj, Loc):
        result = replace(obj, line=obj.line + delta, end_line=obj.end_line + delta)
    elif isinstance(obj, tuple):
        items = tuple(_shift(item, delta, memo) for item in obj)
        if any(a is not b for a, b in zip(items, obj)):
            result = items
    elif isinstance(obj, Value) and is_dataclass(obj):
        changes = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            if isinstance(value, (Loc, Value, tuple)):
                moved = _shift(value, delta, memo)
                if moved is not value:
                    changes[f.name] = moved
        if changes:
            result = replace(obj, **changes)
    memo[key] = (obj, result)  # keep obj alive: ids stay unique during the walk
    return result


def _shift_write(write, delta: int, memo: dict):
    if delta == 0:
        return write
    from .infer import MemoryWrite

    return MemoryWrite(call=write.call, call_loc=_shift(write.call_loc, delta, memo),
                       value_node=write.value_node, value_loc=_shift(write.value_loc, delta, memo),
                       value=_shift(write.value, delta, memo), path=write.path)


def _shift_range(rng, delta: int):
    from libcst._position import CodePosition, CodeRange

    return CodeRange(CodePosition(rng.start.line + delta, rng.start.column),
                     CodePosition(rng.end.line + delta, rng.end.column))


# ---------------------------------------------------------------------------
# One document


@dataclass
class _Placed:
    chunk: _Chunk
    start: int  # 1-based first line in the module
    offset: int  # first character in the module


@dataclass
class _ChunkResult:
    chunk: _Chunk  # the parse the nodes below belong to
    key: tuple  # what the interpretation read besides the chunk's text
    start: int  # the chunk's first line when the writes were found
    writes: list
    positions_start: int = 0
    positions: Optional[dict] = None  # absolute positions at positions_start
    # The diagnostics of the writes (fixes included), what they depended on,
    # and whether they name lines outside the chunk (then they never move).
    fingerprint: Optional[tuple] = None
    diagnostics: Optional[list] = None
    diagnostics_start: int = 0
    absolute: bool = False


def _common_prefix(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class IncrementalModule:
    """The diagnostics of one module whose text changes, e.g. an editor buffer."""

    def __init__(self, display_path: str, settings: Settings, fs_path: Optional[Path] = None) -> None:
        self.display_path = display_path
        self.settings = settings
        self.fs_path = fs_path
        self.text: Optional[str] = None
        self.placed: list[_Placed] = []
        self.layout: list[tuple[int, _Chunk]] = []  # (first line, chunk) of the last text's chunks
        self.results: dict[int, _ChunkResult] = {}  # by id of the chunk
        self.summary = None
        self.summary_generation = 0
        self.full_runs = 0  # calls answered by the whole-module engine (for tests and logs)
        self.last_reanalysed = 0  # chunks interpreted by the last call
        self.fallback_reason = ""  # why the last whole-module run was needed
        self._context = None

    # -- the public call ---------------------------------------------------------

    def check(self, text: str, cancelled: Callable[[], bool] = lambda: False) -> list[Diagnostic]:
        try:
            return self._check(text, cancelled)
        except Cancelled:
            raise
        except (_Fallback, RecursionError, MemoryError) as exc:
            self.fallback_reason = f"{exc.__class__.__name__}: {exc}"
        except Exception as exc:  # an engine change this path does not know: the engine decides
            self.fallback_reason = f"{exc.__class__.__name__}: {exc}"
        self._reset()
        self.full_runs += 1
        return check_text(self.display_path, text, self.settings, self.fs_path)

    def _reset(self) -> None:
        self.text = None
        self.placed = []
        self.layout = []
        self.results = {}
        self.summary = None

    # -- cutting -----------------------------------------------------------------

    def _place_all(self, text: str) -> list[_Placed]:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            raise _Fallback("syntax") from None
        cuts = _cut(text, tree)
        assert cuts is not None
        starts = line_starts(text)
        placed: list[_Placed] = []
        for i, (first, last) in enumerate(cuts):
            begin = starts[first - 1]
            end = starts[last] if last < len(starts) else len(text)
            placed.append(_Placed(_chunk(text[begin:end], i == 0), first, begin))
        return placed

    def _place(self, text: str) -> list[_Placed]:
        old, placed = self.text, self.placed
        if old is None or not placed:
            return self._place_all(text)
        prefix = _common_prefix(old, text)
        suffix = _common_suffix(old, text, min(len(old), len(text)) - prefix)
        change_end = len(old) - suffix
        delta = len(text) - len(old)
        offsets = [p.offset for p in placed]
        a = max(bisect.bisect_right(offsets, prefix) - 1, 0)
        b = max(bisect.bisect_right(offsets, max(change_end - 1, prefix)) - 1, a)
        for _ in range(MAX_GROW):
            begin = placed[a].offset
            end_old = placed[b + 1].offset if b + 1 < len(placed) else len(old)
            region = text[begin:end_old + delta]
            outcome = self._cut_region(region, a == 0, b + 1 == len(placed))
            if isinstance(outcome, list):
                line = placed[a].start
                new: list[_Placed] = []
                for chunk_text, chunk_tree in outcome:
                    new.append(_Placed(_chunk(chunk_text, a == 0 and not new, chunk_tree), line, begin))
                    line += new[-1].chunk.line_count
                    begin += len(chunk_text)
                new_end = new[-1].start + new[-1].chunk.line_count if new else placed[a].start
                moved = new_end - (placed[b].start + placed[b].chunk.line_count)
                after = [_Placed(p.chunk, p.start + moved, p.offset + delta) for p in placed[b + 1:]]
                if not new:  # the region is empty now
                    if after:
                        after[0] = _Placed(_chunk(after[0].chunk.text, a == 0), after[0].start, after[0].offset)
                return placed[:a] + new + after
            grow_back, grow_forward = outcome
            if grow_back and a > 0:
                a -= 1
            elif grow_forward and b + 1 < len(placed):
                b += 1
            elif a > 0:
                a -= 1
            elif b + 1 < len(placed):
                b += 1
            else:
                break
        return self._place_all(text)

    @staticmethod
    def _cut_region(region: str, at_start: bool, at_end: bool):
        """The chunks of `region` (a run of whole chunks after an edit), or which
        way to grow it: (back, forward)."""
        if not region:
            return []
        try:
            tree = ast.parse(region)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            return (True, True)
        if not tree.body:
            return (True, not at_start)
        lines = split_lines(region)
        first_line = _span(tree.body[0])[0]
        if not at_start and not all(_clean(lines[n - 1]) for n in range(1, first_line)):
            return (True, False)
        last_line = max(_span(node)[1] for node in tree.body)
        trailing = len(lines) - last_line  # lines after the last statement (the last is "" after a newline)
        if not at_end and (trailing > 1 or (trailing == 1 and lines[-1] != "")):
            return (False, True)
        cuts = _cut(region, tree)
        assert cuts is not None
        starts = line_starts(region)
        chunks = []
        for first, last in cuts:
            begin = starts[first - 1]
            end = starts[last] if last < len(starts) else len(region)
            piece = region[begin:end]
            chunks.append((piece, None if len(cuts) > 1 else tree))
        return chunks

    # -- checking ----------------------------------------------------------------

    def _check(self, text: str, cancelled: Callable[[], bool]) -> list[Diagnostic]:
        from .engine import _ignored_here

        settings = self.settings
        enabled = settings.enabled - _ignored_here(self.display_path, settings.config)
        diagnostics: list[Diagnostic] = []
        if text.startswith("\ufeff"):
            raise _Fallback("BOM")
        if not text.isascii():
            try:
                from .syntax import nfkc
            except ImportError:
                nfkc = None
            if nfkc is not None and nfkc(text) != text:
                # Python reads `ﬁx` as `fix`: the engine renames nodes in place
                # (shared chunk parses must not be), so it decides such texts.
                raise _Fallback("identifiers that NFKC changes")
        if CANDIDATE.search(text) is not None and any(h.decode() in text for h in settings.hints):
            diagnostics = self._analyze(text, enabled, cancelled)
        else:
            self._reset()
        if settings.apply_noqa:
            diagnostics = apply_noqa(self.display_path, diagnostics, find_noqa(text), enabled)
        return sorted((d for d in diagnostics if d.code in enabled), key=lambda d: d.sort_key)

    def _context_for(self):
        """What interpretation reads that does not come from the text: the
        import roots, the environment's knowledge (cached per settings)."""
        if self._context is None:
            from .engine import import_roots, knowledge_for

            path = (self.fs_path or Path(self.display_path)).resolve()
            name, roots, is_package = import_roots(path, self.settings.config)
            knowledge = knowledge_for(self.settings.config, path)
            self._context = (path, name, roots, is_package, knowledge)
        return self._context

    def _analyze(self, text: str, enabled: frozenset[str], cancelled) -> list[Diagnostic]:
        import libcst as cst

        from .check import Checker
        from .index import SHARED_CACHE, Index
        from .infer import FileContext, interpret_definitions
        from .summary import empty_summary, summarize_module

        placed = self._place(text)
        self.text, self.placed = None, []  # until this call succeeds
        seen: set[int] = set()
        for p in placed:  # the same text twice in a module: two parses (nodes are keys of positions)
            if id(p.chunk) in seen:
                c = p.chunk
                p.chunk = _Chunk(c.text, c.first, c.tree, line_count=c.line_count)
            seen.add(id(p.chunk))
        for p in placed:
            p.chunk.parse()
        # The module as libcst parses it whole: the chunks' statements side by side.
        indents = [p.chunk.default_indent for p in placed if p.chunk.default_indent is not None]
        newlines = {p.chunk.default_newline for p in placed if p.chunk.line_count}
        if len(set(indents)) > 1 or len(newlines) > 1:
            raise _Fallback("mixed indentation or newlines")
        if any(p.chunk.footer for p in placed[:-1]):
            raise _Fallback("a footer inside the module")
        module = cst.Module(
            body=tuple(s for p in placed for s in p.chunk.statements),
            header=placed[0].chunk.header,
            footer=placed[-1].chunk.footer,
            default_indent=indents[0] if indents else "    ",
            default_newline=newlines.pop() if newlines else "\n",
            has_trailing_newline=placed[-1].chunk.has_trailing_newline,
        )

        path, name, roots, is_package, knowledge = self._context_for()
        tree = ast.Module(body=[node for p in placed for node in p.chunk.tree.body], type_ignores=[])
        summary = summarize_module(tree, name, str(path), is_package, knowledge.environment.python_version,
                                   with_returned=not str(path).endswith(".pyi")) or empty_summary(
            name, str(path), is_package)
        if summary != self.summary:
            self.summary = summary
            self.summary_generation += 1
        index = Index(roots, SHARED_CACHE, self.settings.config.memory_types, knowledge)
        index.add_module(summary)

        hint_pattern = _hint_pattern(self.settings.hints)
        if any(p.chunk.lines_matching(_TRAILING_DOT) for p in placed[:-1]):
            # `.` at the end of a chunk, `set(` at the start of the next: one match across them
            starts = line_starts(text)
            candidate_lines = matching_lines(CANDIDATE, text, starts)
        else:
            candidate_lines = [p.start - 1 + n for p in placed for n in p.chunk.lines_matching(CANDIDATE)]
        hint_lines = [p.start - 1 + n for p in placed for n in p.chunk.lines_matching(hint_pattern)]

        # Positions, for the statements that hold a candidate line (as the
        # engine's), made absolute only for the chunks that need them now.
        results: dict[int, _ChunkResult] = {}
        candidates: dict[int, list[int]] = {}  # chunk id -> indexes of its statements with a candidate
        for p in placed:
            chunk = p.chunk
            held = [i for i, (f, l, _) in enumerate(chunk.spans)
                    if any_line_between(candidate_lines, p.start + f - 1, p.start + l - 1)]
            if not held:
                continue
            candidates[id(chunk)] = held
            previous = self.results.get(id(chunk))
            reuse = previous is not None and previous.chunk is chunk and previous.positions_start == p.start
            results[id(chunk)] = _ChunkResult(chunk=chunk, key=(), start=p.start, writes=[], positions_start=p.start,
                                              positions=previous.positions if reuse else None)
        by_id = {id(p.chunk): p for p in placed}

        def absolute_positions(p: _Placed) -> dict:
            result = results[id(p.chunk)]
            if result.positions is None:
                found: dict = {}
                for i in candidates[id(p.chunk)]:
                    offset, relative = p.chunk.statement_positions(i, module)
                    delta = offset + p.start - 1
                    if delta:
                        for node, rng in relative.items():
                            found[node] = _shift_range(rng, delta)
                    else:
                        found.update(relative)
                result.positions = found
            return result.positions

        definitions = (cst.FunctionDef, cst.ClassDef)
        spans = []
        for key, held in candidates.items():
            p = by_id[key]
            for i in held:
                statement = p.chunk.statements[i] if i < len(p.chunk.statements) else None
                if isinstance(statement, definitions):
                    offset, relative = p.chunk.statement_positions(i, module)
                    rng = relative[statement]
                    delta = offset + p.start - 1
                    spans.append((rng.start.line + delta, rng.end.line + delta))
        top_hints = any(not any(a <= line <= b for a, b in spans) for line in hint_lines)
        positions: dict = {}

        def wanted(node) -> bool:
            rng = positions.get(node)
            return rng is not None and any_line_between(candidate_lines, rng.start.line, rng.end.line)

        def wanted_top(node) -> bool:
            if not wanted(node):
                return False
            if top_hints:
                return True
            rng = positions[node]
            return any_line_between(hint_lines, rng.start.line, rng.end.line)

        context_key = (self.summary_generation, top_hints, _generation)
        reanalysed = 0
        writes: list = []
        for p in placed:
            chunk = p.chunk
            key = id(chunk)
            result = results.get(key)
            if result is None:
                # No candidate: only module-level code could matter, and only
                # with a candidate in it, which it has not.
                continue
            previous = self.results.get(key)
            if previous is not None and previous.chunk is chunk and previous.key == context_key:
                memo: dict = {}
                result.writes = [_shift_write(w, p.start - previous.start, memo) for w in previous.writes]
                result.key = context_key
                writes.extend(result.writes)
                continue
            if cancelled():
                raise Cancelled()
            reanalysed += 1
            positions = absolute_positions(p)
            ctx = FileContext(index=index, module=summary, positions=positions,
                              memory_attributes=self.settings.memory_attributes)
            if interpret_definitions(ctx, chunk.statements, wanted_top, wanted):
                raise _Fallback("a memory write in module-level code")
            result.writes = list(ctx.writes.values())
            result.key = context_key
            writes.extend(result.writes)
        writes.sort(key=lambda w: (w.call_loc.line, w.call_loc.column))
        self.last_reanalysed = reanalysed

        checker = Checker(index, self.settings.config.admits_bytes, "MEM900" in enabled)
        found = self._diagnostics(placed, results, checker, enabled, text, module, absolute_positions)
        self.text, self.placed, self.results = text, placed, results
        self.layout = [(p.start, p.chunk) for p in placed]
        return found

    def _diagnostics(self, placed, results, checker, enabled, text, module, absolute_positions) -> list:
        """The checker's diagnostics (with fixes) for every write: per chunk,
        reused while nothing a fix may read changed, else computed again."""
        from .fix.readside import provided_reads

        hints = tuple(h.decode() for h in self.settings.hints)
        config = self.settings.config
        with_writes = [p for p in placed if id(p.chunk) in results and results[id(p.chunk)].writes]
        facts = {id(p.chunk): p.chunk.facts() for p in placed}
        conservative = bool(config.memory_attributes or config.memory_types) or any(
            f[5] for f in facts.values())
        opaque = any(f[2] and (conservative or any(h in p.chunk.text for h in hints))
                     for p, f in ((p, facts[id(p.chunk)]) for p in placed))

        # Literal paths -> the chunks that read or write them, also under each
        # dotted prefix and suffix (readside relates "a.b" to "a", "b", "a.b.c", ...).
        exact: dict[str, list] = {}
        around: dict[str, list] = {}
        everywhere = []  # chunks every fix may read
        anything = []  # chunks with any literal path
        for other in placed:
            reads, writes, opaque_reads, opaque_writes, _, _ = facts[id(other.chunk)]
            if opaque_writes or (opaque and (opaque_reads or reads or writes)):
                everywhere.append(other)
            if reads or writes:
                anything.append(other)
            for literal in reads | writes:
                exact.setdefault(literal, []).append(other)
                for part in _dotted_parts(literal):
                    around.setdefault(part, []).append(other)

        def deps(p: _Placed) -> list:
            """The chunks whose text a fix of `p`'s writes may read: (placed, only for its imports)."""
            paths = {w.path for w in results[id(p.chunk)].writes}
            chosen = {id(o): o for o in everywhere}
            if None in paths:
                chosen.update((id(o), o) for o in anything)
            for path in paths:
                if path is None:
                    continue
                for o in (*exact.get(path, ()), *around.get(path, ())):
                    chosen[id(o)] = o
                for part in _dotted_parts(path):
                    for o in exact.get(part, ()):
                        chosen[id(o)] = o
            found = []
            for other in placed:
                if other is p:
                    continue
                if id(other) in chosen:
                    found.append((other, False))
                elif facts[id(other.chunk)][4]:
                    found.append((other, True))
            return found

        found_deps = {id(p.chunk): deps(p) for p in with_writes}
        moved_to = _line_map(self.layout, placed)
        dependencies = {key: [d for d, _ in found] for key, found in found_deps.items()}
        fingerprints = {}
        dirty: list[_Placed] = []
        for p in with_writes:
            result = results[id(p.chunk)]
            previous = self.results.get(id(p.chunk))
            found = found_deps[id(p.chunk)]
            # Where the diagnostics stay inside the chunk they move with it and
            # read the other chunks' text only (for imports: which imports);
            # otherwise they also need every chunk where it was.
            relative = (result.key, tuple(facts[id(d.chunk)][4] if only_imports else d.chunk
                                          for d, only_imports in found))
            absolute = (p.start, tuple((d.chunk, d.start) for d, _ in found))
            key = (relative, absolute)
            fingerprints[id(p.chunk)] = key
            if (previous is not None and previous.chunk is p.chunk and previous.fingerprint is not None
                    and _same(previous.fingerprint[0], relative)
                    and (not previous.absolute or _same(previous.fingerprint[1], absolute))):
                delta = p.start - previous.diagnostics_start
                result.diagnostics = [_move(d, delta) for d in previous.diagnostics]
                result.diagnostics_start, result.absolute = p.start, previous.absolute
                result.fingerprint = key
                continue
            if (previous is not None and previous.chunk is p.chunk and previous.fingerprint is not None
                    and _same(previous.fingerprint[0], relative)):
                # Diagnostics naming lines of other chunks (a fix's reads, its
                # imports): each line moves with the chunk that holds it.
                remapped = [_remap(d, moved_to, self.display_path) for d in previous.diagnostics]
                if all(d is not None for d in remapped):
                    result.diagnostics = remapped
                    result.diagnostics_start, result.absolute = p.start, previous.absolute
                    result.fingerprint = key
                    continue
            dirty.append(p)
        # Writes whose fixes may see each other are planned together.
        dirty_ids = {id(p.chunk) for p in dirty}
        changed = True
        while changed:
            changed = False
            for p in with_writes:
                if id(p.chunk) in dirty_ids:
                    continue
                if any(id(d.chunk) in dirty_ids for d in dependencies[id(p.chunk)]) or any(
                        p in dependencies[i] for i in dirty_ids):
                    dirty_ids.add(id(p.chunk))
                    changed = True
        dirty = [p for p in with_writes if id(p.chunk) in dirty_ids]
        if dirty:
            involved = set(dirty_ids)
            for i in dirty_ids:
                involved.update(id(d.chunk) for d in dependencies[i])
            subset = {}
            for p in placed:
                if id(p.chunk) in involved and id(p.chunk) in results:
                    subset.update(absolute_positions(p))
            writes = sorted((w for p in dirty for w in results[id(p.chunk)].writes),
                            key=lambda w: (w.call_loc.line, w.call_loc.column))
            # Chunks no fix can read (no memory hint, read, write, import or
            # constant: plain definitions) are blanked out of the text fix
            # planning parses for the module's reads: same lines and columns.
            pieces = []
            blanked_any = False
            for p in placed:
                piece = p.chunk.text
                if id(p.chunk) not in involved and not (conservative or opaque):
                    f = facts[id(p.chunk)]
                    if not (f[0] or f[1] or f[2] or f[3] or f[4] or f[5]) and not any(
                            h in piece for h in hints) and ".get" not in piece and ".set" not in piece:
                        blank = p.chunk.blank()
                        if blank is not None:
                            piece, blanked_any = blank, True
                pieces.append(piece)
            plan_text = "".join(pieces) if blanked_any else text
            # The reads fix safety looks at, from the chunks' parts (kept per
            # chunk) instead of parsing and walking the module: the whole
            # text's reads, as `memlint check` finds them (blanking aside).
            with provided_reads(plan_text, lambda: [p.chunk.read_parts() for p in placed]):
                computed = checker.diagnostics(self.display_path, writes, split_lines(text), enabled,
                                               text=plan_text, module=module, positions=subset)
            starts = [p.start for p in dirty]
            for p in dirty:
                result = results[id(p.chunk)]
                result.diagnostics, result.diagnostics_start = [], p.start
                result.fingerprint = fingerprints[id(p.chunk)]
            for d in computed:
                line = d.noqa_lines[0] or d.line
                owner = dirty[max(bisect.bisect_right(starts, line) - 1, 0)]
                results[id(owner.chunk)].diagnostics.append(d)
            for p in dirty:
                result = results[id(p.chunk)]
                first, last = p.start, p.start + p.chunk.line_count
                result.absolute = any(not _within(d, first, last) for d in result.diagnostics)
        out: list[Diagnostic] = []
        for p in with_writes:
            out.extend(results[id(p.chunk)].diagnostics or ())
        self.last_replanned = len(dirty)
        return out


def _within(d: Diagnostic, first: int, last: int) -> bool:
    """Does everything `d` says lie in lines first..last (so it can move with them)?"""
    if _LINE_NUMBER.search(d.message) or (d.fix is not None and _LINE_NUMBER.search(d.fix.message)):
        return False
    spots = [d.line, d.end_line, *(r.line for r in d.related)]
    if d.fix is not None:
        for e in d.fix.edits:
            spots.extend((e.start_line, e.end_line))
    return all(first <= n <= last for n in spots)


def _line_map(layout: list, placed: list) -> Callable[[int], Optional[int]]:
    """Where a line of the last text is now, when the chunk holding it is
    still there (the same chunk; at its first line, also the same chunk
    before it, whose end a position there may be relative to), else None."""
    starts = [start for start, _ in layout]
    now = {id(p.chunk): (i, p.start) for i, p in enumerate(placed)}

    def moved_to(line: int) -> Optional[int]:
        i = bisect.bisect_right(starts, line) - 1  # the chunks are contiguous
        if i < 0 or (i == len(layout) - 1 and line > starts[i] + layout[i][1].line_count):
            return None
        start, chunk = layout[i]
        found = now.get(id(chunk))
        if found is None:
            return None
        j, new_start = found
        if line == start:
            same_before = (i == 0 and j == 0) or (i > 0 and j > 0 and placed[j - 1].chunk is layout[i - 1][1])
            if not same_before:
                return None
        return line - start + new_start

    return moved_to


@lru_cache(maxsize=1)
def _unpaired_lines() -> tuple[str, "re.Pattern[str]"]:
    """The note fix planning adds naming the reads it could not rewrite, and its line numbers."""
    from .fix.plan import UNPAIRED

    return UNPAIRED, re.compile(re.escape(UNPAIRED) + r"s? (\d+(?:, \d+)*)")


def _remap(d: Diagnostic, moved_to: Callable[[int], Optional[int]], path: str) -> Optional[Diagnostic]:
    """`d` with every line it names (its range, fix edits, related lines,
    `# noqa` lines, the lines of reads its messages name) where `moved_to`
    says, or None when one cannot be placed or the lines would change order."""
    unpaired, pattern = _unpaired_lines()
    fix = d.fix
    messages = [d.message] + ([fix.message] if fix is not None else [])
    if any(r.path != path or _LINE_NUMBER.search(r.message) for r in d.related):
        return None
    if d.message.count(unpaired) != (fix.message.count(unpaired) if fix is not None else 0):
        return None  # the note is not only the fix's (a snippet of the code says it)
    named: list[int] = []
    for message in messages:
        if _LINE_NUMBER.search(pattern.sub("", message)):
            return None  # a line number memlint cannot tell from the message's text
        for m in pattern.finditer(message):
            named.extend(int(n) for n in m.group(1).split(", "))
    spots = [d.line, d.end_line, *(r.line for r in d.related), *named]
    if d.noqa_lines[0]:
        spots.extend(d.noqa_lines)
    if fix is not None:
        for e in fix.edits:
            spots.extend((e.start_line, e.end_line))
    new = {}
    for line in set(spots):
        target = moved_to(line)
        if target is None:
            return None
        new[line] = target
    order = sorted(new)
    if any(new[a] >= new[b] for a, b in zip(order, order[1:])):
        return None

    def numbers(m: re.Match) -> str:
        lines = ", ".join(str(new[int(n)]) for n in m.group(1).split(", "))
        return m.group(0)[:m.start(1) - m.start(0)] + lines

    return _relined(d, new.__getitem__, lambda message: pattern.sub(numbers, message))


def _same(a, b) -> bool:
    """Equal, comparing chunks by identity (a chunk is its text and its parse)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, _Chunk) or isinstance(b, _Chunk):
        return a is b
    return a == b


def _move(d: Diagnostic, delta: int) -> Diagnostic:
    if delta == 0:
        return d
    return _relined(d, lambda line: line + delta)


def _relined(d: Diagnostic, to: Callable[[int], int],
             message: Callable[[str], str] = lambda text: text) -> Diagnostic:
    """`d` with each line it names at `to(line)` (and its messages' text through `message`)."""
    fix = d.fix
    if fix is not None:
        fix = replace(fix, message=message(fix.message), edits=tuple(
            replace(e, start_line=to(e.start_line), end_line=to(e.end_line)) for e in fix.edits))
    first_noqa, last_noqa = d.noqa_lines
    return replace(
        d, line=to(d.line), end_line=to(d.end_line), message=message(d.message),
        related=tuple(replace(r, line=to(r.line)) for r in d.related),
        noqa_lines=(to(first_noqa), to(last_noqa)) if first_noqa else d.noqa_lines,
        fix=fix,
    )
