"""Hostile input: ask Python first, and bound what libcst is given.

libcst's parser and its Python-side tree cost grow much faster than linearly
with nesting depth (measured: 1,000 nested dicts 29 s and 1.5 GB, 5,000 abort
in native code; `a.b.b…` / `a+a+…` 50,000 long run for minutes). Python's own
parser answers in milliseconds, so every candidate file is parsed with `ast`
first (the tree is reused for the module's summary, so it costs nothing
extra):

- what Python refuses (a syntax error, more than 200 nested parentheses, a
  NUL byte, a parser stack overflow) is one MEM000 and never reaches libcst;
- what Python accepts but is nested deeper than real code ever is (the AST
  nested more than about MAX_AST_DEPTH levels: 0 of 16,000 files of the
  standard library and site-packages come near it) is one MEM000 too: libcst
  would take seconds to minutes on it.

The depth is measured by Python's parser itself: on 3.10/3.11 the AST
construction counts its recursion against the interpreter's recursion limit
(about 3 levels per unit), so parsing with a limit of the current depth plus
AST_BUDGET bounds the depth for free. Later Pythons count against a fixed C
limit, so there the depth is measured by an iterative walk of the tree.
"""
from __future__ import annotations

import ast
import sys
import threading
from dataclasses import dataclass
from typing import Optional

# ast.parse under a recursion limit of (current depth + AST_BUDGET) accepts
# an AST about 3 × AST_BUDGET levels deep (measured on 3.11: 576 for 200).
AST_BUDGET = 200
MAX_AST_DEPTH = 576
# Python's tokenizer refuses more than this many nested brackets (MAXLEVEL).
MAX_BRACKETS = 200
RUNNING_VERSION = sys.version_info[:2]
_COUNTS_AGAINST_LIMIT = sys.version_info < (3, 12)
_limit_lock = threading.Lock()


@dataclass(frozen=True)
class Rejection:
    """Why a text is not analyzed: one MEM000 at line/column."""

    line: int
    column: int
    message: str


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _frame_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def _parse_bounded(text: str) -> ast.Module:
    """ast.parse, raising RecursionError when the tree nests deeper than MAX_AST_DEPTH."""
    if not _COUNTS_AGAINST_LIMIT:
        tree = ast.parse(text)
        if _deeper_than(tree, MAX_AST_DEPTH):
            raise RecursionError("maximum recursion depth exceeded during ast construction")
        return tree
    with _limit_lock:
        previous = sys.getrecursionlimit()
        sys.setrecursionlimit(_frame_depth() + AST_BUDGET)
        try:
            return ast.parse(text)
        finally:
            sys.setrecursionlimit(previous)


def _deeper_than(tree: ast.AST, limit: int) -> bool:
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return False


def _python_refuses_depth(text: str) -> bool:
    """Does Python, at its default recursion limit, refuse this text?"""
    if not _COUNTS_AGAINST_LIMIT:
        return False
    with _limit_lock:
        previous = sys.getrecursionlimit()
        sys.setrecursionlimit(_frame_depth() + 1000)
        try:
            ast.parse(text)
        except (RecursionError, MemoryError):
            return True
        except (SyntaxError, ValueError):
            return False
        finally:
            sys.setrecursionlimit(previous)
    return False


def bracket_depth(text: str) -> int:
    """The deepest bracket nesting, counting brackets inside strings too (a
    cheap upper bound: for text Python has not parsed)."""
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif char in ")]}" and depth:
            depth -= 1
    return deepest


def python_verdict(text: str, target_version: tuple[int, ...] = RUNNING_VERSION
                   ) -> tuple[Optional[ast.Module], Optional[Rejection]]:
    """(the module's AST, None) when memlint may give the text to libcst;
    (None, why) when it must not. (None, None): Python cannot tell (syntax
    newer than the running Python); libcst may try."""
    nul = text.find("\0")
    if nul != -1:
        line, column = _position(text, nul)
        return None, Rejection(line, column, "syntax error: source code cannot contain null bytes")
    try:
        return _parse_bounded(text), None
    except SyntaxError as exc:
        message = exc.msg or "invalid syntax"
        if "too many nested parentheses" in message or tuple(target_version[:2]) <= RUNNING_VERSION:
            return None, Rejection(exc.lineno or 1, exc.offset or 1, f"syntax error: {message}")
        if bracket_depth(text) > MAX_BRACKETS:
            return None, Rejection(1, 1, "the file nests brackets too deeply to analyze")
        return None, None  # perhaps newer syntax: libcst decides
    except MemoryError:
        return None, Rejection(1, 1, "syntax error: too complex or too deeply nested for Python's parser "
                                     "(Python refuses it)")
    except RecursionError:
        if _python_refuses_depth(text):
            return None, Rejection(1, 1, "syntax error: nested too deeply (Python refuses it: maximum recursion "
                                         "depth exceeded during compilation)")
        return None, Rejection(1, 1, f"the file nests an expression or statement more than {MAX_AST_DEPTH} "
                                     "levels deep; memlint does not analyze it")
    except UnicodeError as exc:  # a lone surrogate (a str handed to the API): no file can hold it
        index = getattr(exc, "start", 0)
        line, column = _position(text, index)
        char = text[index] if index < len(text) else "?"
        return None, Rejection(line, column, f"the text holds a lone surrogate (U+{ord(char):04X}), which no "
                                             "Python source file can encode")
    except ValueError as exc:
        return None, Rejection(1, 1, f"syntax error: {exc}")
