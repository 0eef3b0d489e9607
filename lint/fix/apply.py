"""Applying fixes: `memlint check --fix / --unsafe-fixes / --diff`.

Per file: lint, take the applicable fixes (safe ones; unsafe ones too with
--unsafe-fixes), apply those that do not overlap an earlier one (by
position; the others wait for the next round), check that the result still
parses, lint the new text again, and repeat until nothing more applies (at
most MAX_ROUNDS rounds). The file is then written atomically in its own
encoding, BOM and newlines, unless it changed on disk since it was read.
"""
from __future__ import annotations

import ast
import bisect
import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from ..diagnostics import Diagnostic, Edit, Fix
from ..source import line_starts, physical_lines

MAX_ROUNDS = 10


def applicable(fix: Optional[Fix], unsafe: bool) -> bool:
    return fix is not None and (fix.applicability == "safe" or unsafe)


def _offsets(edit: Edit, starts: Sequence[int], size: int) -> Optional[tuple[int, int]]:
    if not (1 <= edit.start_line <= len(starts) and 1 <= edit.end_line <= len(starts)):
        return None
    start = starts[edit.start_line - 1] + edit.start_column - 1
    end = starts[edit.end_line - 1] + edit.end_column - 1
    if not (0 <= start <= end <= size):
        return None
    return start, end


@dataclass
class Selection:
    """The edits of one round and the diagnostics they fix."""

    edits: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, content) by offset
    fixed: list[Diagnostic] = field(default_factory=list)


def select_fixes(text: str, diagnostics: Sequence[Diagnostic], unsafe: bool) -> Selection:
    """The fixes to apply in one round: in order of position, each one whose
    edits overlap no edit taken before (an identical edit counts as taken)."""
    starts = line_starts(text)
    candidates: list[tuple[tuple, Diagnostic, list[tuple[int, int, str]]]] = []
    for diagnostic in diagnostics:
        if not applicable(diagnostic.fix, unsafe):
            continue
        assert diagnostic.fix is not None
        spans = []
        for edit in diagnostic.fix.edits:
            offsets = _offsets(edit, starts, len(text))
            if offsets is None:
                break
            spans.append((offsets[0], offsets[1], edit.content))
        else:
            if spans:
                spans.sort()
                candidates.append(((spans[0][0], spans[0][1], diagnostic.sort_key), diagnostic, spans))
    candidates.sort(key=lambda c: c[0])
    selection = Selection()
    taken = _Taken()
    for _, diagnostic, spans in candidates:
        new = [s for s in spans if s not in taken.exact]
        if any(taken.overlaps(a) for a in new) or any(
                _overlaps(a, b) for i, a in enumerate(new) for b in new[i + 1:]):
            continue
        for span in new:
            taken.add(span)
        selection.fixed.append(diagnostic)
    selection.edits = sorted(taken.exact)
    return selection


class _Taken:
    """The edits taken in a round, sorted by start: an overlap test costs a
    binary search (the edits taken do not overlap each other), so a round of
    n fixes costs n log n, not n²."""

    def __init__(self) -> None:
        self.exact: set[tuple[int, int, str]] = set()
        self.starts: list[int] = []
        self.spans: list[tuple[int, int, str]] = []

    def add(self, span: tuple[int, int, str]) -> None:
        index = bisect.bisect_right(self.starts, span[0])
        self.starts.insert(index, span[0])
        self.spans.insert(index, span)
        self.exact.add(span)

    def overlaps(self, span: tuple[int, int, str]) -> bool:
        start, end = span[0], span[1]
        index = bisect.bisect_left(self.starts, start)
        if index > 0 and _overlaps(span, self.spans[index - 1]):
            return True
        while index < len(self.spans) and (self.starts[index] < end or self.starts[index] == start):
            if _overlaps(span, self.spans[index]):
                return True
            index += 1
        return False


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    if a[0] == b[0] and (a[0] == a[1] or b[0] == b[1]):
        return True  # two insertions (or an insertion and a replacement) at one place
    return a[0] < b[1] and b[0] < a[1]


def apply_edits(text: str, edits: Sequence[tuple[int, int, str]]) -> str:
    out: list[str] = []
    position = 0
    for start, end, content in sorted(edits):
        out.append(text[position:start])
        out.append(content)
        position = end
    out.append(text[position:])
    return "".join(out)


def parses(text: str, also_ast: bool) -> bool:
    import libcst as cst

    try:
        cst.parse_module(text)
    except Exception:  # noqa: BLE001 - any parser failure means: do not write it
        return False
    if also_ast:
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def _ast_parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@dataclass
class TextFix:
    text: str
    fixed: list[Diagnostic]
    remaining: list[Diagnostic]
    rounds: int


def fix_text(display_path: str, text: str, settings, unsafe: bool, fs_path: Optional[Path] = None,
             diagnostics: Optional[Sequence[Diagnostic]] = None, max_rounds: int = MAX_ROUNDS) -> TextFix:
    """Apply fixes to `text` until none applies; the final text, the diagnostics
    fixed on the way, and those that remain in the final text."""
    from ..engine import check_text, deep_call

    if hasattr(settings, "for_file"):
        settings = settings.for_file(display_path)  # the configuration that applies to this file

    def lint(current: str) -> list[Diagnostic]:
        return deep_call(check_text, display_path, current, settings, fs_path or Path(display_path))

    current = text
    found = list(diagnostics) if diagnostics is not None else lint(current)
    also_ast = _ast_parses(text)
    fixed: list[Diagnostic] = []
    rounds = 0
    while rounds < max_rounds:
        selection = select_fixes(current, found, unsafe)
        if not selection.edits:
            break
        new = apply_edits(current, selection.edits)
        if not deep_call(parses, new, also_ast):
            # Try the first fix alone before giving up on this file.
            first = select_fixes(current, selection.fixed[:1], unsafe)
            new = apply_edits(current, first.edits)
            if not first.edits or not deep_call(parses, new, also_ast):
                break
            selection = first
        rounds += 1
        if new == current:
            break
        current = new
        fixed.extend(selection.fixed)
        found = lint(current)
    if current != text:
        tidy = drop_unused_imports(text, current, ("copy",))
        if tidy != current and deep_call(parses, tidy, also_ast):
            current = tidy
            found = lint(current)
    return TextFix(current, fixed, list(found), rounds)


def _module_uses(tree: ast.Module, module: str) -> tuple[list[ast.stmt], int]:
    """Top-level `import module` / `from module import ...` statements, and how
    many times the names they bind are used."""
    imports: list[ast.stmt] = []
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Import) and all(a.name == module and a.asname is None for a in statement.names):
            imports.append(statement)
            names.add(module)
        elif (isinstance(statement, ast.ImportFrom) and statement.module == module and statement.level == 0
              and all(a.name != "*" for a in statement.names)):
            imports.append(statement)
            names.update(a.asname or a.name for a in statement.names)
    uses = sum(1 for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id in names)
    return imports, uses


def drop_unused_imports(before: str, after: str, modules: Sequence[str]) -> str:
    """Remove a top-level import of `modules` that the fixes left unused (it was
    used before them). The fix drops `copy.deepcopy(...)` around a conversion."""
    try:
        old_tree, new_tree = ast.parse(before), ast.parse(after)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return after
    for module in modules:
        old_imports, old_uses = _module_uses(old_tree, module)
        new_imports, new_uses = _module_uses(new_tree, module)
        if not old_imports or not old_uses or new_uses or len(new_imports) != 1:
            continue
        statement = new_imports[0]
        lines = physical_lines(after)  # ast's line numbers: a form feed does not end a line
        first, last = statement.lineno, statement.end_lineno or statement.lineno
        if any(";" in lines[i - 1] or "\\" in lines[i - 1] for i in range(first, last + 1)):
            continue
        if lines[first - 1][: statement.col_offset].strip():
            continue
        return "".join(lines[: first - 1] + lines[last:])
    return after


@dataclass
class FileFix:
    path: str
    original: Optional[str]  # the text that was read (None: unreadable)
    text: Optional[str]  # the fixed text
    fixed: list[Diagnostic]
    remaining: list[Diagnostic]
    written: bool = False
    problem: str = ""  # why the file was not written
    encoding: str = "utf-8"  # the file's (its diff is printed in it)


def fix_file(path: str, settings, unsafe: bool, write: bool,
             diagnostics: Optional[Sequence[Diagnostic]] = None) -> FileFix:
    """Fix one file; write it back (write=True) unless it changed since it was
    read or must not be written (fileio: read-only, not a regular file)."""
    from .fileio import WriteRefused, read_for_fix, write_if_unchanged

    try:
        source, data = read_for_fix(path)
    except Exception as exc:  # noqa: BLE001 - report and go on
        return FileFix(path, None, None, [], list(diagnostics or []), problem=f"cannot read the file: {exc}")
    result = fix_text(path, source.text, settings, unsafe, Path(path))
    outcome = FileFix(path, source.text, result.text, result.fixed, result.remaining, encoding=source.encoding)
    if write and result.text != source.text:
        try:
            outcome.written = write_if_unchanged(path, source, result.text, data)
        except WriteRefused as exc:
            outcome.problem = str(exc)
            return outcome
        except (OSError, UnicodeError) as exc:
            outcome.problem = f"cannot write the file: {exc}"
            return outcome
        if not outcome.written:
            outcome.problem = "the file changed on disk while memlint was fixing it; it was not written"
    return outcome


def diff_lines(text: str) -> list[str]:
    """The lines of `text` with their endings, as `patch` and `git apply` see
    them: a line ends at "\n" (so at "\r\n" too), and only there. This is
    Python's line model (source.split_lines) except for a lone "\r", which the
    patch tools keep inside a line; form feeds, "\v", "\x1c"-"\x1e", "\x85",
    U+2028/U+2029 end no line for either (str.splitlines breaks at all of them)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])  # the last line, without a newline
    return out


def diff_bytes(diff: str, encoding: str) -> bytes:
    """One file's unified_diff as bytes `patch` applies to that file: the
    lines in the file's own encoding (a latin-1 file's "é" is one byte in
    it, so in its diff), the `---`/`+++` header in the file system's."""
    header, _, body = diff.partition("\n")
    second, _, body = body.partition("\n")
    try:
        encoded = body.encode(encoding)
    except (UnicodeError, LookupError):
        encoded = body.encode("utf-8", "surrogateescape")
    return os.fsencode(header + "\n" + second + "\n") + encoded


def unified_diff(path: str, old: str, new: str) -> str:
    """A unified diff of one file (`--- path` / `+++ path`) that `patch -p0` and
    `git apply` apply: lines split as they split them, and a last line without
    a newline marked `\\ No newline at end of file`."""
    out: list[str] = []
    for line in difflib.unified_diff(diff_lines(old), diff_lines(new), fromfile=path, tofile=path, lineterm="\n"):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
