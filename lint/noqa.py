"""`# noqa` comments: suppression, unused-noqa (MEM100) and --add-noqa."""
from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, replace
from typing import Iterable, Optional, Sequence

from .diagnostics import Diagnostic, Edit, Fix
from .rules import RULES
from .source import physical_lines

NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
CODE = re.compile(r"[A-Z]+[0-9]+")


@dataclass(frozen=True)
class NoqaComment:
    line: int
    column: int  # 1-based, of the `#` that starts `# noqa`
    end_column: int
    codes: Optional[frozenset[str]]  # None for a bare `# noqa`
    # For removing the directive: where the blank run before `#` starts, and
    # where the text after the directive resumes (end_column when it ends the line).
    blank_column: int = 0
    rest_column: int = 0
    ends_line: bool = True
    # The first line of the chain of lines continued into this one (a
    # backslash, a multi-line string): the comment stands for all of them, as
    # no comment can go on those lines. 0: only its own line.
    first_line: int = 0


def _comments(text: str, ended: Optional[set[int]] = None) -> Iterable[tuple[int, int, str]]:
    """(line, 0-based column, comment text) of every comment; a regex scan if
    the text does not tokenize. `ended` receives the lines a NEWLINE or NL
    token ends (the others continue into the next line)."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.start[1], token.string
            elif ended is not None and token.type in (tokenize.NEWLINE, tokenize.NL):
                ended.add(token.start[0])
    except (tokenize.TokenError, IndentationError, SyntaxError):
        if ended is not None:
            ended.clear()
            ended.add(-1)  # unknown: each comment stands for its own line
        for number, line in enumerate((raw.rstrip("\r\n") for raw in physical_lines(text)), start=1):
            position = line.find("#")
            if position != -1:
                yield number, position, line[position:]


def find_noqa(text: str) -> dict[int, NoqaComment]:
    if "noqa" not in text and "NOQA" not in text:
        return {}
    found: dict[int, NoqaComment] = {}
    physical: Optional[list[str]] = None
    ended: set[int] = set()
    for line, column, comment in list(_comments(text, ended)):
        match = NOQA.search(comment)
        if match is None:
            continue
        codes_text = match.group("codes")
        codes = frozenset(CODE.findall(codes_text.upper())) if codes_text else None
        start = column + match.start()
        if physical is None:
            physical = physical_lines(text)
        raw = physical[line - 1].rstrip("\r\n") if line - 1 < len(physical) else ""
        before = raw[:start]
        after = raw[column + match.end():]
        rest = len(after) - len(after.lstrip())
        found[line] = NoqaComment(
            line, start + 1, column + match.end() + 1, codes,
            blank_column=len(before.rstrip()) + 1,
            rest_column=column + match.end() + rest + 1,
            ends_line=not after.strip(),
            first_line=_chain_start(line, ended),
        )
    return found


def _chain_start(line: int, ended: set[int]) -> int:
    """The first line of the lines continued (backslash, multi-line string) into `line`."""
    if -1 in ended:
        return line
    first = line
    while first > 1 and first - 1 not in ended:
        first -= 1
    return first


def _removal_fix(comment: NoqaComment, unused: Sequence[str]) -> Fix:
    """Drop the unused codes from the directive, or the whole directive."""
    kept = sorted((comment.codes or frozenset()) - set(unused))
    line = comment.line
    if kept:
        edit = Edit(line, comment.column, line, comment.end_column, "# noqa: " + ", ".join(kept))
        return Fix("safe", f"Remove unused {', '.join(unused)} from the `noqa` directive", (edit,))
    if comment.ends_line:
        edit = Edit(line, comment.blank_column, line, comment.end_column, "")
    else:
        edit = Edit(line, comment.column, line, comment.rest_column, "")
    return Fix("safe", "Remove the unused `noqa` directive", (edit,))


def apply_noqa(path: str, diagnostics: Sequence[Diagnostic], comments: dict[int, NoqaComment],
               enabled: frozenset[str]) -> list[Diagnostic]:
    """Drop suppressed diagnostics; add MEM100 for MEM codes in noqa comments that suppress nothing."""
    used: dict[int, set[str]] = {}
    kept: list[Diagnostic] = []
    # A line continued into a commented line (backslash, multi-line string) is
    # covered by that comment: no comment can go on it.
    covering: dict[int, int] = {}
    for comment in comments.values():
        for covered in range(comment.first_line or comment.line, comment.line):
            covering[covered] = comment.line
    for diagnostic in diagnostics:
        first, last = diagnostic.noqa_lines
        lines = range(first, last + 1) if first else range(diagnostic.line, diagnostic.line + 1)
        suppressed = False
        for line in (diagnostic.line, *lines):
            line = covering.get(line, line)
            comment = comments.get(line)
            if comment is None:
                continue
            if comment.codes is None or diagnostic.code in comment.codes:
                used.setdefault(line, set()).add(diagnostic.code)
                suppressed = True
                break
        if not suppressed:
            kept.append(diagnostic)
    if "MEM100" in enabled:
        for line, comment in sorted(comments.items()):
            if comment.codes is None:
                continue
            unused = sorted(code for code in comment.codes
                            if code.startswith("MEM") and code in enabled and code not in used.get(line, ()))
            unknown = sorted(code for code in comment.codes if code.startswith("MEM") and code not in RULES)
            unused = sorted(set(unused) | set(unknown))
            if not unused or "MEM100" in comment.codes:
                continue
            label = "unknown" if set(unused) <= set(unknown) else "unused"
            rule = RULES["MEM100"]
            kept.append(Diagnostic(
                path=path, line=line, column=comment.column, end_line=line, end_column=comment.end_column,
                code="MEM100", message=f"unused `noqa` directive ({label}: {', '.join(unused)}); remove it",
                url=rule.url(), noqa_lines=(line, line), fix=_removal_fix(comment, unused),
            ))
    return kept


_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python >= 3.12 tokenizes f-strings
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)
_LAYOUT = frozenset({tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
                     tokenize.ENDMARKER})


def _string_interior_lines(text: str) -> set[int]:
    """Lines whose end no comment can go after: inside a multi-line string
    (or f-string), or continued with a backslash."""
    inside: set[int] = set()
    ended: set[int] = set()  # lines closed by a NEWLINE/NL token
    code: set[int] = set()  # lines where a code token ends
    fstrings: list[int] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if token.end[0] > token.start[0] and token.type not in _LAYOUT:
                inside.update(range(token.start[0], token.end[0]))
            if _FSTRING_START is not None and token.type == _FSTRING_START:
                fstrings.append(token.start[0])
            elif _FSTRING_END is not None and token.type == _FSTRING_END and fstrings:
                inside.update(range(fstrings.pop(), token.end[0]))
            if token.type in (tokenize.NEWLINE, tokenize.NL):
                ended.add(token.start[0])
            elif token.type not in _LAYOUT:
                code.add(token.end[0])
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return inside | (code - ended)


def add_noqa(text: str, diagnostics: Sequence[Diagnostic]) -> tuple[str, int]:
    """Append `# noqa: CODE` for each diagnostic; returns (new text, lines changed)."""
    if not diagnostics:
        return text, 0
    blocked = _string_interior_lines(text)
    wanted: dict[int, set[str]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code == "MEM000":
            continue
        line = diagnostic.line
        if diagnostic.code == "MEM100":
            # An unused directive: name MEM100 in that comment, which silences it.
            wanted.setdefault(line, set()).add("MEM100")
            continue
        if line in blocked:
            line = diagnostic.noqa_lines[1] or line
            while line in blocked:
                line += 1
        wanted.setdefault(line, set()).add(diagnostic.code)
    comments = find_noqa(text)
    lines = physical_lines(text)
    changed = 0
    for line, codes in wanted.items():
        if line - 1 >= len(lines):
            continue
        raw = lines[line - 1]
        body = raw.rstrip("\r\n")
        ending = raw[len(body):]
        comment = comments.get(line)
        if comment is not None and comment.codes is None:
            continue
        if comment is not None:
            merged = sorted(set(comment.codes or ()) | codes)
            start, end = comment.column - 1, comment.end_column - 1
            new_body = body[:start] + "# noqa: " + ", ".join(merged) + body[end:]
        else:
            new_body = body.rstrip() + "  # noqa: " + ", ".join(sorted(codes))
        if new_body != body:
            lines[line - 1] = new_body + ending
            changed += 1
    return "".join(lines), changed


def without_noqa_lines(diagnostic: Diagnostic) -> Diagnostic:
    return replace(diagnostic, noqa_lines=(0, 0))
