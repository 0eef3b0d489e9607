"""The pieces a fix is made of: conversions of abstract values (Conv), the
text of expressions and how tightly they bind, the source map (nodes by
range, their parents, their text) and the Plan of one edit. Shared by
plan.py (the write side) and rebuild.py (the read side)."""
from __future__ import annotations

import bisect
import keyword
import re
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Optional, Sequence

import libcst as cst

from ..diagnostics import Edit
from ..source import line_starts
from ..syntax import child_nodes, dotted_name, is_expression
from ..types import DictOf, ListOf, Loc, Prim, Value

FIXABLE = frozenset({"MEM101", "MEM102", "MEM103", "MEM104", "MEM105", "MEM106", "MEM201"})
PAIRED = frozenset({"MEM101", "MEM102", "MEM103", "MEM104", "MEM106"})  # conversions with a read-side rebuild
SAFE_PRIMS = frozenset({"bool", "int", "float", "str", "json"})
DICT_KINDS = frozenset({"OrderedDict", "defaultdict", "Counter", "ChainMap"})
LIST_KINDS = frozenset({"tuple", "set", "frozenset", "deque", "generator", "range", "map", "zip", "filter",
                        "enumerate", "reversed", "iterator", "dict_keys", "dict_values", "dict_items"})
MAX_SHOWN = 60

# Precedence of an expression's text, lowest first: what it can be embedded in
# without parentheses.
TUPLE, TEST, EXPR, NUMBER, ATOM = 0, 1, 2, 3, 4


# -- conversions ---------------------------------------------------------------


@dataclass(frozen=True)
class Conv:
    """How to turn an expression into its primitive form.

    kind: "wrap" (template with {x}), "list" (`list(x)`, a list display for a
    tuple or generator), "listcomp" (convert each item), "dictcomp" (convert
    keys and/or values). `guard`: the value may be None (convert it only when
    it is not). `var`: the loop variable a comprehension over such values uses.
    `rebuild`: what a reader calls to get the rich value back (for messages
    and for the read-side check)."""

    kind: str
    template: str = ""
    item: Optional["Conv"] = None
    key: Optional["Conv"] = None
    guard: bool = False
    var: str = "x"
    rebuild: str = ""
    label: str = ""  # what is converted, e.g. "UUID", "ChatMessage model"
    # The read-side rebuild (rebuild.py): a template with {C} for the
    # class `cls` (a qualified name) and {x} for the stored value.
    inverse: str = ""
    cls: str = ""


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return self.name


IDENTITY = _Marker("IDENTITY")  # nothing to convert
OPAQUE = _Marker("OPAQUE")  # memlint cannot see it: fine alone, blocks a conversion beside it
FAIL = _Marker("FAIL")  # no mechanical conversion

Result = object  # Conv | IDENTITY | OPAQUE | FAIL


def _guarded(conv: Result, guard: bool) -> Result:
    if guard and isinstance(conv, Conv) and not conv.guard:
        return replace(conv, guard=True)
    return conv


def merge(results: Sequence[tuple[Value, Result]], has_none: bool) -> Result:
    """One conversion for all possibilities of a value, or FAIL."""
    convs: list[Conv] = []
    identities: list[Value] = []
    opaque = False
    for option, result in results:
        if result is FAIL:
            return FAIL
        if result is OPAQUE:
            opaque = True
        elif result is IDENTITY:
            identities.append(option)
        else:
            assert isinstance(result, Conv)
            if result not in convs:
                convs.append(result)
    if not convs:
        return OPAQUE if opaque and not identities else IDENTITY
    if opaque or len(convs) > 1:
        return FAIL
    conv = convs[0]
    for option in identities:
        # `str(x)` leaves a str as it is, a comprehension an empty container;
        # no other conversion may meet a value that needs none.
        if conv.kind == "wrap" and conv.template == "str({x})" and isinstance(option, Prim) and option.name == "str":
            continue
        if conv.kind == "dictcomp" and isinstance(option, DictOf) and option.key is None and option.value is None:
            continue
        if conv.kind == "listcomp" and isinstance(option, ListOf) and option.item is None:
            continue
        return FAIL
    return _guarded(conv, has_none)


# -- text of expressions -------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """Python source of an expression and how tightly it binds."""

    code: str
    level: int
    node: Optional[cst.BaseExpression] = None  # the source node it is the text of

    @property
    def is_name(self) -> bool:
        return self.level == ATOM and self.code.isidentifier() and not keyword.iskeyword(self.code)


def _node_level(node: cst.CSTNode) -> int:
    if getattr(node, "lpar", None):
        return ATOM
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary)):
        return NUMBER
    if isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Set, cst.Dict, cst.ListComp,
                         cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.SimpleString, cst.ConcatenatedString,
                         cst.FormattedString, cst.Ellipsis)):
        return ATOM
    if isinstance(node, (cst.BinaryOperation, cst.UnaryOperation, cst.Comparison, cst.BooleanOperation, cst.Await)):
        return EXPR
    if isinstance(node, (cst.IfExp, cst.Lambda, cst.NamedExpr)):
        return TEST
    return TUPLE


def as_operand(text: Text) -> str:
    """`text` ready to have `.attr` appended."""
    return text.code if text.level == ATOM else f"({text.code})"


def as_argument(text: Text) -> str:
    return text.code if text.level >= TEST else f"({text.code})"


def as_iterable(text: Text) -> str:
    """`text` after `for v in` in a comprehension."""
    return text.code if text.level >= EXPR else f"({text.code})"


NAME_RE = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


class Renderer:
    """Writes the text of a conversion applied to an expression."""

    def __init__(self, source: "SourceMap") -> None:
        self.source = source

    def render(self, conv: Result, text: Text, taken: frozenset[str] = frozenset()) -> Optional[Text]:
        if conv is IDENTITY or conv is OPAQUE:
            return text
        if not isinstance(conv, Conv):
            return None
        if conv.guard:
            if not text.is_name:
                return None  # `x if x is not None else None` needs x to be a plain name
            inner = self.render(_guarded_off(conv), text, taken)
            if inner is None:
                return None
            inner_code = inner.code if inner.level > TEST else f"({inner.code})"
            return Text(f"{inner_code} if {text.code} is not None else None", TEST)
        if conv.kind == "wrap":
            if conv.template.count("{x}") > 1 and not (text.is_name or isinstance(
                    text.node, (cst.Integer, cst.Float, cst.Imaginary))):
                return None  # the value is used twice: only a name or a literal
            if conv.template == "[{x}.real, {x}.imag]" and isinstance(text.node, cst.Imaginary):
                number = complex(text.node.value)
                return Text(f"[{number.real!r}, {number.imag!r}]", ATOM)
            if "{x}." in conv.template:
                return Text(conv.template.replace("{x}", as_operand(text)), ATOM)
            return Text(conv.template.replace("{x}", as_argument(text)), ATOM)
        if conv.kind == "list":
            special = self._list_display(text)
            if special is not None:
                return special
            return Text(f"list({as_argument(text)})", ATOM)
        if conv.kind == "listcomp":
            return self._listcomp(conv, text, taken)
        if conv.kind == "dictcomp":
            names = taken | frozenset(NAME_RE.findall(text.code))
            k = _fresh("k", names)
            v = _fresh("v", names | {k})
            key = self.render(conv.key if conv.key is not None else IDENTITY, Text(k, ATOM), names | {k, v})
            value = self.render(conv.item if conv.item is not None else IDENTITY, Text(v, ATOM), names | {k, v})
            if key is None or value is None:
                return None
            return Text(f"{{{key.code}: {value.code} for {k}, {v} in {as_operand(text)}.items()}}", ATOM)
        return None

    def _listcomp(self, conv: Conv, text: Text, taken: frozenset[str]) -> Optional[Text]:
        assert conv.item is not None
        node = text.node
        # A generator expression becomes the list comprehension itself.
        if isinstance(node, cst.GeneratorExp):
            elt = self.source.text_of(node.elt)
            if elt is not None:
                names = taken | frozenset(NAME_RE.findall(text.code))
                inner = self.render(conv.item, elt, names)
                rest = self.source.code_between(node.elt, node)
                if inner is not None and rest is not None:
                    element = inner.code if inner.level >= TEST else f"({inner.code})"
                    return Text(f"[{element}{rest}]", ATOM)
        iterable = text
        # `list(x)` adds nothing to a comprehension over it.
        if (isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "list"
                and len(node.args) == 1 and not node.args[0].keyword and not node.args[0].star
                and not node.lpar):
            inner_text = self.source.text_of(node.args[0].value)
            if inner_text is not None:
                iterable = inner_text
        names = taken | frozenset(NAME_RE.findall(iterable.code))
        var = _fresh(conv.item.var if isinstance(conv.item, Conv) else "x", names)
        item = self.render(conv.item, Text(var, ATOM), names | {var})
        if item is None:
            return None
        return Text(f"[{item.code} for {var} in {as_iterable(iterable)}]", ATOM)

    def _list_display(self, text: Text) -> Optional[Text]:
        """A tuple display becomes a list display, a generator a comprehension,
        `tuple(...)` becomes `list(...)`."""
        node = text.node
        if isinstance(node, cst.Tuple) and node.elements and not any(
                isinstance(e, cst.StarredElement) for e in node.elements):
            inner = self.source.elements_code(node)
            if inner is not None:
                return Text(f"[{inner}]", ATOM)
        if isinstance(node, cst.GeneratorExp) and node.lpar:
            inner = self.source.inner_code(node)
            if inner is not None:
                return Text(f"[{inner}]", ATOM)
        if (isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "tuple"
                and not node.lpar):
            rest = self.source.code_after(node.func, node)
            if rest is not None:
                return Text(f"list{rest}", ATOM)
        return None


def _guarded_off(conv: Conv) -> Conv:
    return replace(conv, guard=False)


def _fresh(base: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    if base not in taken and not keyword.iskeyword(base):
        return base
    for n in range(2, 100):
        candidate = f"{base}{n}"
        if candidate not in taken:
            return candidate
    return base + "_"


# -- the source: nodes at ranges, their parents, their text --------------------


_WHITESPACE = (cst.BaseParenthesizableWhitespace, cst.Newline, cst.Comment, cst.EmptyLine, cst.TrailingWhitespace)


class SourceMap:
    """Nodes of the parsed module by source range, their parents and text."""

    def __init__(self, text: str, module: cst.Module, positions: Mapping[cst.CSTNode, object]) -> None:
        self.text = text
        self.module = module
        self.positions = positions
        self.starts = line_starts(text)
        from ..source import detect_newline

        self.newline = detect_newline(text)
        self._by_range: Optional[dict[tuple[int, int, int, int], list[cst.CSTNode]]] = None
        self._parent_cache: dict[int, Optional[cst.CSTNode]] = {}
        self._statements: Optional[list[tuple[int, int, cst.CSTNode]]] = None
        self._statement_lines: list[int] = []
        self._child_cache: dict[int, tuple[list[tuple[int, int]], list[tuple[tuple[int, int], cst.CSTNode]]]] = {}
        self._keep: list[cst.CSTNode] = []

    # positions are 1-based lines, 0-based character columns
    def offset(self, line: int, column0: int) -> int:
        return self.starts[line - 1] + column0

    def loc(self, node: cst.CSTNode) -> Optional[Loc]:
        rng = self.positions.get(node)
        if rng is None:
            return None
        return Loc(rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)  # type: ignore[attr-defined]

    def span(self, node: cst.CSTNode) -> Optional[tuple[int, int]]:
        rng = self.positions.get(node)
        if rng is None:
            return None
        return (self.offset(rng.start.line, rng.start.column),  # type: ignore[attr-defined]
                self.offset(rng.end.line, rng.end.column))  # type: ignore[attr-defined]

    def expression_at(self, loc: Loc) -> Optional[cst.BaseExpression]:
        """The outermost expression whose range is exactly `loc`."""
        if self._by_range is None:
            self._by_range = {}
            for node, rng in self.positions.items():
                if is_expression(node):
                    key = (rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)  # type: ignore
                    self._by_range.setdefault(key, []).append(node)
        found = self._by_range.get((loc.line, loc.column, loc.end_line, loc.end_column), [])
        if not found:
            return None
        if len(found) == 1:
            return found[0]  # type: ignore[return-value]
        for candidate in found:
            if all(other is candidate or self._is_inside(other, candidate) for other in found):
                return candidate  # type: ignore[return-value]
        return found[0]  # type: ignore[return-value]

    def _is_inside(self, node: cst.CSTNode, outer: cst.CSTNode) -> bool:
        parent = self.parent(node)
        while parent is not None:
            if parent is outer:
                return True
            parent = self.parent(parent)
        return False

    def _statement_of(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The top-level statement holding `node`: a binary search over the
        statements' first lines (built once)."""
        rng = self.positions.get(node)
        if rng is None:
            return None
        if self._statements is None:
            self._statements = []
            for statement in self.module.body:
                srng = self.positions.get(statement)
                if srng is not None:
                    self._statements.append((srng.start.line, srng.end.line, statement))  # type: ignore
            self._statement_lines = [first for first, _, _ in self._statements]
        index = bisect.bisect_right(self._statement_lines, rng.start.line) - 1  # type: ignore[attr-defined]
        # Statements on one line (`a; b` is one statement, but a compound
        # statement may end on the line the next starts): take the first holding it.
        while index > 0 and self._statements[index - 1][1] >= rng.start.line:  # type: ignore[attr-defined]
            index -= 1
        while 0 <= index < len(self._statements):
            first, last, statement = self._statements[index]
            if first > rng.start.line:  # type: ignore[attr-defined]
                break
            if first <= rng.start.line <= last:  # type: ignore[attr-defined]
                return statement
            index += 1
        return None

    def _children(self, node: cst.CSTNode) -> tuple[list[tuple[int, int]], list[tuple[tuple[int, int], cst.CSTNode]]]:
        """The children of `node` that have a position, in source order, with
        their start positions (for bisect) — computed once per node (libcst's
        `children` rebuilds them on every access; syntax.child_nodes reads fields)."""
        key = id(node)
        cached = self._child_cache.get(key)
        if cached is None:
            placed: list[tuple[tuple[int, int], tuple[int, int], cst.CSTNode]] = []
            for child in child_nodes(node):
                rng = None if isinstance(child, _WHITESPACE) else self.positions.get(child)
                if rng is not None:
                    placed.append(((rng.start.line, rng.start.column), (rng.end.line, rng.end.column), child))  # type: ignore
            # Fields are not always in source order. Whitespace holds no node, and an
            # empty one may be a shared object whose recorded position is another's.
            placed.sort(key=lambda p: p[0])
            cached = ([start for start, _, _ in placed], [(end, child) for _, end, child in placed])
            self._child_cache[key] = cached
            self._keep.append(node)  # ids stay valid while cached
        return cached

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The parent of `node`: found by descending from its top-level statement
        through the children whose range holds it (no table of the whole
        statement; each node's children are listed once and searched by bisect,
        so a lookup costs the depth, not the size of the siblings)."""
        key = id(node)
        if key in self._parent_cache:
            return self._parent_cache[key]
        statement = self._statement_of(node)
        found: Optional[cst.CSTNode] = None
        target = self.positions.get(node)
        if statement is not None and statement is not node and target is not None:
            start = (target.start.line, target.start.column)  # type: ignore[attr-defined]
            end = (target.end.line, target.end.column)  # type: ignore[attr-defined]
            current: Optional[cst.CSTNode] = statement
            while current is not None and found is None:
                starts, ends = self._children(current)
                # The children that start at or before `node`; siblings do not
                # overlap, so only those just before the insertion point can hold it.
                index = bisect.bisect_right(starts, start) - 1
                holders: list[cst.CSTNode] = []
                while index >= 0:
                    child_end, child = ends[index]
                    if child_end < start:
                        break
                    if end <= child_end:
                        holders.append(child)
                    index -= 1
                holders.reverse()  # source order: the first holder, as a scan would find it
                if any(child is node for child in holders):
                    found = current
                    break
                following = holders[0] if holders else None
                if following is not None:
                    self._parent_cache[id(following)] = current  # its ancestors are asked next
                current = following
        self._parent_cache[key] = found
        return found

    def value_parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The parent that gives `node` its role (skipping nothing: libcst keeps
        parentheses on the node itself)."""
        return self.parent(node)

    def code(self, start: int, end: int) -> str:
        return self.text[start:end]

    def text_of(self, node: cst.BaseExpression) -> Optional[Text]:
        span = self.span(node)
        if span is None:
            return None
        start, end = span
        level = _node_level(node)
        if getattr(node, "lpar", None):
            # The range leaves out the node's own parentheses: put them back.
            outer = self.with_parens(node)
            if outer is None:
                return Text(self.text[start:end], _node_level_bare(node), node)
            start, end = outer
        return Text(self.text[start:end], level, node)

    def with_parens(self, node: cst.CSTNode) -> Optional[tuple[int, int]]:
        """The span of `node` with its own parentheses, if only whitespace lies between."""
        span = self.span(node)
        if span is None:
            return None
        start, end = span
        for _ in getattr(node, "lpar", ()):
            i = start - 1
            while i >= 0 and self.text[i] in " \t\r\n\\":
                i -= 1
            if i < 0 or self.text[i] != "(":
                return None
            start = i
        for _ in getattr(node, "rpar", ()):
            i = end
            while i < len(self.text) and self.text[i] in " \t\r\n\\":
                i += 1
            if i >= len(self.text) or self.text[i] != ")":
                return None
            end = i + 1
        return start, end

    def code_between(self, first: cst.CSTNode, outer: cst.CSTNode) -> Optional[str]:
        """The text of `outer` after `first` up to the end of `outer` (its own range)."""
        a, b = self.span(first), self.span(outer)
        if a is None or b is None:
            return None
        return self.text[a[1]:b[1]]

    def code_after(self, first: cst.CSTNode, outer: cst.CSTNode) -> Optional[str]:
        return self.code_between(first, outer)

    def inner_code(self, node: cst.CSTNode) -> Optional[str]:
        span = self.span(node)
        return None if span is None else self.text[span[0]:span[1]]

    def elements_code(self, node: cst.Tuple) -> Optional[str]:
        first, last = self.span(node.elements[0].value), self.span(node.elements[-1].value)
        if first is None or last is None:
            return None
        inner = self.text[first[0]:last[1]]
        if isinstance(node.elements[-1].value, cst.BaseExpression) and getattr(node.elements[-1].value, "lpar", None):
            outer = self.with_parens(node.elements[-1].value)
            if outer is not None:
                inner = self.text[first[0]:outer[1]]
        if getattr(node.elements[0].value, "lpar", None):
            outer = self.with_parens(node.elements[0].value)
            if outer is not None:
                inner = self.text[outer[0]:first[0]] + inner
        return inner

    def edit(self, start: int, end: int, content: str) -> Edit:
        sl, sc = self.position(start)
        el, ec = self.position(end)
        return Edit(sl, sc, el, ec, content)

    def position(self, offset: int) -> tuple[int, int]:
        import bisect

        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def _node_level_bare(node: cst.CSTNode) -> int:
    if isinstance(node, (cst.Tuple,)):
        return TUPLE
    if isinstance(node, (cst.IfExp, cst.Lambda, cst.NamedExpr)):
        return TEST
    if isinstance(node, (cst.BinaryOperation, cst.UnaryOperation, cst.Comparison, cst.BooleanOperation, cst.Await)):
        return EXPR
    return ATOM


def accepts_test(node: cst.CSTNode, parent: Optional[cst.CSTNode]) -> bool:
    """May a conditional expression stand where `node` stands, unparenthesized?"""
    if parent is None:
        return False
    if isinstance(parent, cst.Arg):
        return parent.value is node and not parent.star
    if isinstance(parent, (cst.Element, cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return, cst.NamedExpr,
                           cst.Index)):
        return True
    if isinstance(parent, cst.DictElement):
        return True
    if isinstance(parent, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        return parent.elt is node
    if isinstance(parent, cst.DictComp):
        return parent.key is node or parent.value is node
    if isinstance(parent, cst.IfExp):
        return parent.orelse is node
    return False


# Methods whose argument enters a container (or memory): converting the
# argument converts what the container holds.
ENTRY_METHODS = frozenset({"append", "insert", "extend", "add", "update", "setdefault", "set", "appendleft",
                           "extendleft"})
COPY_FUNCTIONS = frozenset({"copy.copy", "copy.deepcopy", "copy", "deepcopy"})


def copy_call_argument(node: cst.CSTNode) -> Optional[cst.BaseExpression]:
    """X of `copy.copy(X)` / `copy.deepcopy(X)`."""
    if (isinstance(node, cst.Call) and len(node.args) == 1 and not node.args[0].keyword
            and not node.args[0].star and _dotted(node.func) in COPY_FUNCTIONS):
        return node.args[0].value
    return None


def _dotted(node: cst.BaseExpression) -> str:
    return dotted_name(node) or ""


def value_position(node: cst.CSTNode, parent: Optional[cst.CSTNode], grandparent: Optional[cst.CSTNode] = None) -> bool:
    """Is `node` an expression whose value is used as data where it stands (so
    it may be replaced by a converted form)? Not a target, an annotation, a
    callee, a receiver or a test; an argument only of a method that puts it
    in a container (`append`, `extend`, `update`, ..., memory `set`)."""
    if parent is None or not isinstance(node, cst.BaseExpression):
        return False
    if isinstance(parent, cst.Arg):
        if parent.value is not node or parent.star != "":
            return False
        return (isinstance(grandparent, cst.Call) and isinstance(grandparent.func, cst.Attribute)
                and grandparent.func.attr.value in ENTRY_METHODS)
    if isinstance(parent, cst.Element):
        return parent.value is node
    if isinstance(parent, cst.DictElement):
        return parent.value is node or parent.key is node
    if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
        return parent.value is node
    if isinstance(parent, cst.Return):
        return parent.value is node
    if isinstance(parent, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        return parent.elt is node
    if isinstance(parent, cst.DictComp):
        return parent.key is node or parent.value is node
    if isinstance(parent, cst.IfExp):
        return parent.body is node or parent.orelse is node
    if isinstance(parent, cst.NamedExpr):
        return parent.value is node
    return False


# -- planning ------------------------------------------------------------------


@dataclass
class Plan:
    edits: tuple[Edit, ...]
    message: str
    inside: bool  # every edit lies inside the set() call's value argument
    whole: bool = False  # the edit converts the whole stored value (the value argument)
    rebuild: str = ""  # what a reader calls to get the rich value back, e.g. "UUID(...)"
    per_item: bool = False  # ... on each item of the stored list
    node: Optional[cst.CSTNode] = None  # the expression replaced (for the read side, lint/rebuild.py)
    conv: Optional[Conv] = None  # the conversion written there


@dataclass
class Candidate:
    owner: Optional[Loc]
    inside: Optional[Plan] = None
    root: Optional[Plan] = None
    site: Optional[Plan] = None
    write: object = None
    finding: object = None


def _contains(outer: Loc, inner: Loc) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) and (inner.end_line, inner.end_column) <= (
        outer.end_line, outer.end_column)


def _same_range(a: Optional[Loc], b: Optional[Loc]) -> bool:
    return a is not None and b is not None and (a.line, a.column, a.end_line, a.end_column) == (
        b.line, b.column, b.end_line, b.end_column)


def _short(code: str) -> str:
    code = " ".join(code.split())
    return code if len(code) <= MAX_SHOWN else code[: MAX_SHOWN - 1] + "…"


