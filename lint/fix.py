"""fix: plan the edit that normalizes an unsafe memory value (Diagnostic.fix).

For each finding the checker reports, this module works out

- the *owner*: the source range whose expression produced the unsafe value
  (the finding's origin; for a dict key, the dict's), and the part of the
  written value that came from there (the *subject*);
- a *conversion* of the subject to primitives (`str(x)`,
  `x.model_dump(mode="json")`, `x.value`, `list(x)`, `[... for m in x]`,
  `{str(k): v for k, v in x.items()}`, ...), composed through containers and
  None-guarded where the value may be None;
- where to write it: at the owner's expression when it lies inside the
  `set()` call ("inside"); otherwise either on the value argument of every
  `set()` call that stores the owner's value unchanged ("root"), or at the
  owner's expression outside the call ("site", where the value enters a
  container or a name — other code sees the change, so never safe).

A conversion is only produced when it is right for every possibility memlint
knows at that place: one option it cannot convert (a custom class, a value it
cannot see alongside one it would convert, a dump it cannot extend) means no
fix. Parts of the value that entered from elsewhere keep their own fix and
are left alone, so no value is converted twice.

Safety (Ruff's convention) is decided in lint/readside.py: "safe" only when
every edit lies inside the `set()` call and every read of the memory path in
the module already rebuilds the rich type.
"""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping, Optional, Sequence

import libcst as cst

from .diagnostics import Edit, Fix
from .source import line_starts
from .syntax import dotted_name
from .types import Container, DictOf, Dumped, Inst, ListOf, Loc, Prim, Value, options_of

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
    # The read-side rebuild (lint/rebuild.py): a template with {C} for the
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


class SourceMap:
    """Nodes of the parsed module by source range, their parents and text."""

    def __init__(self, text: str, module: cst.Module, positions: Mapping[cst.CSTNode, object]) -> None:
        self.text = text
        self.module = module
        self.positions = positions
        self.starts = line_starts(text)
        from .source import detect_newline

        self.newline = detect_newline(text)
        self._by_range: Optional[dict[tuple[int, int, int, int], list[cst.CSTNode]]] = None
        self._parent_cache: dict[int, Optional[cst.CSTNode]] = {}

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
                if isinstance(node, cst.BaseExpression):
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
        rng = self.positions.get(node)
        if rng is None:
            return None
        for statement in self.module.body:
            srng = self.positions.get(statement)
            if srng is not None and srng.start.line <= rng.start.line <= srng.end.line:  # type: ignore
                return statement
        return None

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The parent of `node`: found by descending from its top-level statement
        through the children whose range holds it (no table of the whole statement)."""
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
                following: Optional[cst.CSTNode] = None
                for child in current.children:
                    if child is node:
                        found = current
                        break
                    rng = self.positions.get(child)
                    if rng is None:
                        continue
                    if (rng.start.line, rng.start.column) <= start and end <= (  # type: ignore[attr-defined]
                            rng.end.line, rng.end.column) and following is None:  # type: ignore[attr-defined]
                        following = child
                if following is not None:
                    self._parent_cache[id(following)] = current  # its ancestors are asked next
                current = following if found is None else None
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


class Planner:
    def __init__(self, checker, text: str, module: cst.Module, positions, writes) -> None:
        self.checker = checker
        self.index = checker.index
        self.source = SourceMap(text, module, positions)
        self.renderer = Renderer(self.source)
        self.writes = writes
        from .infer import MEMORY_ATTRIBUTES

        self.memory_attributes = MEMORY_ATTRIBUTES

    # -- conversions of abstract values --------------------------------------

    def convert(self, value: Optional[Value], owner: Loc, mode: str, site: Optional[tuple[int, int]],
                inherited: Optional[Loc] = None, depth: int = 0) -> Result:
        """The conversion of the possibilities of `value` that belong to `owner`.

        mode "site": the expression at `owner` produced the value; parts that
        entered from elsewhere are not its business (left out). mode "root":
        the value argument of the call holds exactly this value; parts from
        elsewhere must need no conversion (their own fix converts them)."""
        if value is None or depth > 12:
            return IDENTITY
        results: list[tuple[Value, Result]] = []
        has_none = False
        for option in options_of(value):
            effective = option.origin or inherited
            ours = _same_range(effective, owner) and (effective.items == owner.items if effective else False)
            if isinstance(option, Prim) and option.name == "None":
                if ours or mode == "root":
                    has_none = True
                continue
            if mode == "site" and not ours:
                continue  # it entered from elsewhere, after the site ran
            result = self.option(option, owner, mode, site, effective, ours, depth)
            if not ours and isinstance(result, Conv) and not isinstance(option, (ListOf, DictOf)):
                return FAIL  # root mode: converted by its own fix
            results.append((option, result))
        return merge(results, has_none)

    def option(self, option: Value, owner: Loc, mode: str, site, effective: Optional[Loc], ours: bool,
               depth: int) -> Result:
        if isinstance(option, Prim):
            if option.name in SAFE_PRIMS:
                return IDENTITY
            if option.name == "bytes":
                return IDENTITY if self.checker.admits_bytes else FAIL
            return OPAQUE
        if isinstance(option, ListOf):
            item = self.convert(option.item, owner, mode, site, effective, depth + 1)
            if item is IDENTITY or item is OPAQUE or item is FAIL:
                return item
            return Conv("listcomp", item=item, label=item.label, rebuild=item.rebuild)  # type: ignore[union-attr]
        if isinstance(option, DictOf):
            key = self.convert_keys(option, owner, mode, site, effective)
            value = self.convert(option.value, owner, mode, site, effective, depth + 1)
            if key is FAIL or value is FAIL:
                return FAIL
            if key in (IDENTITY, OPAQUE) and value in (IDENTITY, OPAQUE):
                return IDENTITY if IDENTITY in (key, value) else OPAQUE
            return Conv("dictcomp", key=key if isinstance(key, Conv) else None,
                        item=value if isinstance(value, Conv) else None, var="d",
                        label=(value.label if isinstance(value, Conv) else "keys"))
        if isinstance(option, Container):
            return self.container(option.kind, option, owner, mode, site, effective, depth)
        if isinstance(option, Inst):
            return self.instance(option.qualname)
        if isinstance(option, Dumped):
            return FAIL
        return OPAQUE

    def container(self, kind: str, option: Optional[Container], owner, mode, site, effective, depth) -> Result:
        if kind in DICT_KINDS:
            return Conv("wrap", "dict({x})", var="d", label=kind, rebuild=f"{kind}(...)")
        if kind not in LIST_KINDS:
            return FAIL
        item: Result = IDENTITY
        if option is not None:
            values = option.item
            item = self.convert(values, owner, mode, site, effective, depth + 1)
        rebuild = {"tuple": "tuple(...)", "set": "set(...)", "frozenset": "frozenset(...)",
                   "deque": "deque(...)"}.get(kind, "")
        var = "t" if kind == "tuple" else "x"
        inverse = f"{kind}({{x}})" if kind in ("tuple", "set", "frozenset") else ""
        if isinstance(item, Conv):
            return Conv("listcomp", item=item, var=var, label=kind, rebuild=rebuild)
        return Conv("list", var=var, label=kind, rebuild=rebuild, inverse=inverse)

    def instance(self, qualname: str) -> Result:
        index = self.index
        category = index.category(qualname)
        short = qualname.rsplit(".", 1)[-1]
        if category == "uuid":
            return Conv("wrap", "str({x})", var="u", label="UUID", rebuild="UUID(...)", inverse="{C}({x})",
                        cls="uuid.UUID")
        if category == "model":
            return Conv("wrap", '{x}.model_dump(mode="json")', var="m", label=f"{short} model",
                        rebuild=f"{short}.model_validate(...)", inverse="{C}.model_validate({x})", cls=qualname)
        if category == "enum":
            value = index.enum_value(qualname)
            if isinstance(value, Prim) and (value.name in ("str", "int", "float", "bool")
                                            or (value.name == "bytes" and self.checker.admits_bytes)):
                return Conv("wrap", "{x}.value", var="e", label=f"{short} member", rebuild=f"{short}(...)",
                            inverse="{C}({x})", cls=qualname)
            return FAIL
        if category == "container":
            return self.container(index.container_kind(qualname), None, None, "", None, None, 0)
        if category == "object":
            mro = index.mro(qualname)
            if any(name in ("datetime.datetime", "datetime.date", "datetime.time") for name in mro):
                return Conv("wrap", "{x}.isoformat()", var="t", label=short, rebuild=f"{short}.fromisoformat(...)",
                            inverse="{C}.fromisoformat({x})", cls=qualname)
            if "datetime.timedelta" in mro:
                return Conv("wrap", "{x}.total_seconds()", var="t", label="timedelta",
                            rebuild="timedelta(seconds=...)", inverse="{C}(seconds={x})", cls="datetime.timedelta")
            for base, rebuild in (("decimal.Decimal", "Decimal(...)"), ("fractions.Fraction", "Fraction(...)"),
                                  ("pathlib.PurePath", f"{short}(...)")):
                if base in mro:
                    return Conv("wrap", "str({x})", var="p" if "Path" in base else "n", label=short, rebuild=rebuild,
                                inverse="{C}({x})", cls=qualname)
            if qualname.startswith("ipaddress."):
                return Conv("wrap", "str({x})", var="a", label=short, rebuild="ipaddress.ip_address(...)")
            if qualname == "builtins.complex":
                return Conv("wrap", "[{x}.real, {x}.imag]", var="z", label="complex", rebuild="complex(*...)")
            if qualname in ("builtins.bytearray", "builtins.memoryview"):
                if self.checker.admits_bytes:
                    return Conv("wrap", "bytes({x})", var="b", label=short, rebuild=f"{short}(...)")
                return FAIL
            return FAIL
        if category == "unknown":
            return OPAQUE
        if category in ("prim",):
            return IDENTITY
        return FAIL

    def convert_keys(self, option: DictOf, owner: Loc, mode: str, site, effective: Optional[Loc]) -> Result:
        ours_dict = _same_range(effective, owner) and effective is not None and effective.items == owner.items
        results: list[tuple[Value, Result]] = []
        for key in options_of(option.key):
            if mode == "site":
                # Keys put in after the site (d = {} ... d[k] = v) are not there when it runs.
                if not ours_dict:
                    continue
                if key.origin is not None and (site is None or self._after(key.origin, site)):
                    continue
            result = self.key(key)
            if not ours_dict and isinstance(result, Conv):
                return FAIL
            results.append((key, result))
        merged = merge(results, False)
        return merged

    def _after(self, loc: Loc, span: tuple[int, int]) -> bool:
        return self.source.offset(loc.line, loc.column - 1) >= span[1]

    def _within(self, loc: Loc, span: tuple[int, int]) -> bool:
        start = self.source.offset(loc.line, loc.column - 1)
        end = self.source.offset(loc.end_line, loc.end_column - 1)
        return span[0] <= start and end <= span[1]

    def key(self, key: Value) -> Result:
        if isinstance(key, Prim):
            if key.name in ("str", "json"):
                return IDENTITY
            if key.name in ("int", "float", "bool"):
                return Conv("wrap", "str({x})", var="k", label=f"{key.name} key")
            return FAIL
        if isinstance(key, Inst):
            category = self.index.category(key.qualname)
            short = key.qualname.rsplit(".", 1)[-1]
            if category == "uuid":
                return Conv("wrap", "str({x})", var="k", label="UUID key")
            if category == "enum":
                value = self.index.enum_value(key.qualname)
                if isinstance(value, Prim) and value.name == "str":
                    return Conv("wrap", "{x}.value", var="k", label=f"{short} key")
                if isinstance(value, Prim) and value.name in ("int", "float"):
                    return Conv("wrap", "str({x}.value)", var="k", label=f"{short} key")
                return FAIL
            if category == "unknown":
                return OPAQUE
            if category == "object":
                mro = self.index.mro(key.qualname)
                if "decimal.Decimal" in mro or "pathlib.PurePath" in mro:
                    return Conv("wrap", "str({x})", var="k", label=f"{short} key")
            return FAIL
        if isinstance(key, (ListOf, DictOf, Container, Dumped)):
            return FAIL
        return OPAQUE

    # -- finding the subject ---------------------------------------------------

    def subject(self, value: Value, owner: Loc) -> Optional[Value]:
        """The outermost possibilities of the written value produced at `owner`."""
        found: list[Value] = []

        def walk(v: Optional[Value], depth: int) -> None:
            if v is None or depth > 30:
                return
            for option in options_of(v):
                if option.origin is not None and _same_range(option.origin, owner) and option.origin.items == owner.items:
                    if option not in found:
                        found.append(option)
                    continue
                if isinstance(option, ListOf):
                    walk(option.item, depth + 1)
                elif isinstance(option, DictOf):
                    walk(option.key, depth + 1)
                    walk(option.value, depth + 1)
                elif isinstance(option, Container):
                    walk(option.item, depth + 1)
        walk(value, 0)
        if not found:
            return None
        from .types import union

        return union(*found)

    # -- plans ---------------------------------------------------------------

    def candidate(self, write, finding) -> Optional[Candidate]:
        if finding.code not in FIXABLE:
            return None
        if finding.code == "MEM201":
            return self.dump_candidate(write, finding) if finding.origin is not None else None
        owner = finding.origin
        if finding.code == "MEM105":
            key = finding.subject
            if key is not None and key.origin is not None and _contains(write.value_loc, key.origin):
                plan = self.key_site(write, key)
                if plan is not None:
                    return Candidate(key.origin, inside=plan, write=write, finding=finding)
            owner = self.dict_owner(finding)
        if owner is None:
            return None
        candidate = Candidate(owner, write=write, finding=finding)
        if _contains(write.value_loc, owner):
            candidate.inside = self.site_plan(write, owner)
            return candidate
        candidate.root = self.root_plan(write, owner)
        candidate.site = self.site_plan(write, owner)
        return candidate

    def dict_owner(self, finding) -> Optional[Loc]:
        holders = finding.chain
        if not holders or not isinstance(holders[-1], DictOf):
            return None
        for holder in reversed(holders):
            if holder.origin is not None:
                return holder.origin
        return None

    def site_plan(self, write, owner: Loc) -> Optional[Plan]:
        node = self.source.expression_at(owner)
        if node is None:
            return None
        parent = self.source.parent(node)
        grandparent = self.source.parent(parent) if parent is not None else None
        if isinstance(parent, cst.Arg) and grandparent is not None and copy_call_argument(grandparent) is node:
            # copy.copy(x): the copy is what is stored; convert it (the copy goes).
            node, parent = grandparent, self.source.parent(grandparent)  # type: ignore[assignment]
            grandparent = self.source.parent(parent) if parent is not None else None
        if not value_position(node, parent, grandparent):
            return None
        if self.enclosing_function(node) is not self.enclosing_function(write.call):
            return None  # a class attribute, a module global, another function: not ours to change
        subject = self.subject(write.value, owner)
        if subject is None:
            return None
        span = self.source.span(node)
        if owner.items:
            item = self.convert(subject, owner, "site", span)
            if not isinstance(item, Conv):
                return None
            conv: Result = Conv("listcomp", item=item, label=item.label, rebuild=item.rebuild)
        else:
            conv = self.convert(subject, owner, "site", span)
        if not isinstance(conv, Conv):
            return None
        return self.replace(write, node, parent, conv)

    def enclosing_function(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        current = self.source.parent(node)
        while current is not None:
            if isinstance(current, (cst.FunctionDef, cst.Lambda)):
                return current
            current = self.source.parent(current)
        return None

    def root_plan(self, write, owner: Loc) -> Optional[Plan]:
        # Only when the value argument holds exactly what the owner produced.
        # (Other possibilities may stand beside it if they need no conversion.)
        top = [o for o in options_of(write.value) if not (isinstance(o, Prim) and o.name == "None")]
        if not any(o.origin is not None and _same_range(o.origin, owner) and o.origin.items == owner.items
                   for o in top):
            return None
        if owner.items:
            return None
        node = write.value_node
        if self.source.span(node) is None:
            return None
        value: Optional[Value] = write.value
        if isinstance(node, cst.IfExp) and not node.lpar:
            # `x if c else None`: the None comes from its branch; convert the other.
            for branch, other in ((node.body, node.orelse), (node.orelse, node.body)):
                if isinstance(other, cst.Name) and other.value == "None":
                    none_loc = self.source.loc(other)
                    kept = [o for o in options_of(write.value)
                            if not (isinstance(o, Prim) and o.name == "None" and _same_range(o.origin, none_loc))]
                    from .types import union

                    node, value = branch, union(*kept)
                    break
        conv = self.convert(value, owner, "root", None)
        if not isinstance(conv, Conv):
            return None
        return self.replace(write, node, self.source.parent(node), conv)

    def replace(self, write, node: cst.BaseExpression, parent, conv: Conv) -> Optional[Plan]:
        text = self.source.text_of(node)
        copied = copy_call_argument(node)
        if copied is not None and not getattr(node, "lpar", None):
            # Every conversion makes new objects (or keeps immutable ones):
            # `copy.deepcopy(x)` adds nothing to converting x.
            text = self.source.text_of(copied)
        if text is None:
            return None
        new = self.renderer.render(conv, text)
        if new is None or new.code == text.code:
            return None
        code = new.code
        if new.level <= TEST and not (text.node is not None and getattr(text.node, "lpar", None)) \
                and not accepts_test(node, parent):
            code = f"({code})"
        if getattr(node, "lpar", None):
            span = self.source.with_parens(node)
            if span is None:
                return None
            if new.level <= TEST:
                code = f"({new.code})"
        else:
            span = self.source.span(node)
            if span is None:
                return None
        start, end = span
        if self.source.code(start, end) == code:
            return None
        edit = self.source.edit(start, end, code)
        old = self.source.code(start, end)
        if "\n" not in old and "\r" not in old and len(old) <= 40 and len(code) <= MAX_SHOWN:
            message = f"Replace `{_short(old)}` with `{code}`"
        else:
            message = f"Replace with `{_short(code)}`"
        loc = self.source.loc(node)
        inside = loc is not None and _contains(write.value_loc, loc)
        whole = _same_range(loc, write.value_loc)
        rebuild, per_item = "", False
        if conv.kind in ("wrap", "list"):
            rebuild = conv.rebuild
        elif conv.kind == "listcomp" and isinstance(conv.item, Conv) and conv.item.kind == "wrap" \
                and not conv.item.guard:
            rebuild, per_item = conv.item.rebuild, True
        return Plan((edit,), message, inside, whole, rebuild, per_item, node, conv)

    def key_site(self, write, key: Value) -> Optional[Plan]:
        assert key.origin is not None
        node = self.source.expression_at(key.origin)
        if node is None:
            return None
        parent = self.source.parent(node)
        is_key = (isinstance(parent, cst.DictElement) and parent.key is node) or (
            isinstance(parent, cst.DictComp) and parent.key is node)
        if not is_key:
            return None
        results = []
        for option in options_of(self.subject(write.value, key.origin) or key):
            results.append((option, self.key(option)))
        conv = merge(results, False)
        if not isinstance(conv, Conv):
            return None
        span = self.source.span(node)
        if span is None:
            return None
        if isinstance(node, cst.Integer) and not node.lpar and conv.template == "str({x})":
            # Every int literal key of the display: `{1: a, 2: b}` -> `{"1": a, "2": b}`.
            edits = []
            elements = parent_dict.elements if isinstance(parent_dict := self.source.parent(parent), cst.Dict) else ()
            keys = [e.key for e in elements if isinstance(e, cst.DictElement) and isinstance(e.key, cst.Integer)
                    and not e.key.lpar] or [node]
            for key_node in keys:
                key_span = self.source.span(key_node)
                if key_span is None:
                    return None
                try:
                    literal = '"' + str(int(key_node.value.replace("_", ""), 0)) + '"'
                except ValueError:
                    return None
                edits.append(self.source.edit(key_span[0], key_span[1], literal))
            message = "Quote the int keys" if len(edits) > 1 else f"Replace the key `{node.value}` with `{literal}`"
            return Plan(tuple(edits), message, True)
        else:
            text = self.source.text_of(node)
            if text is None:
                return None
            new = self.renderer.render(conv, text)
            if new is None:
                return None
            code = new.code
            if getattr(node, "lpar", None):
                outer = self.source.with_parens(node)
                if outer is None:
                    return None
                span = outer
        start, end = span
        old = self.source.code(start, end)
        return Plan((self.source.edit(start, end, code),), f"Replace the key `{_short(old)}` with `{_short(code)}`",
                    True)

    def dump_candidate(self, write, finding) -> Optional[Candidate]:
        owner = finding.origin
        subject = finding.subject
        if not isinstance(subject, Dumped) or self.index.category(subject.qualname) != "model":
            return None
        node = self.source.expression_at(owner)
        if node is None:
            return None
        plan = self.dump_plan(write, node, subject)
        if plan is None:
            return Candidate(owner, write=write, finding=finding)
        if plan.inside:
            return Candidate(owner, inside=plan, write=write, finding=finding)
        return Candidate(owner, site=plan, write=write, finding=finding)

    def dump_plan(self, write, node: cst.BaseExpression, subject: Dumped) -> Optional[Plan]:
        short = subject.qualname.rsplit(".", 1)[-1]
        mode = cst.Arg(value=cst.SimpleString('"json"'), keyword=cst.Name("mode"),
                       equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                             whitespace_after=cst.SimpleWhitespace("")))
        new_node: Optional[cst.BaseExpression] = None
        if subject.how == "model_dump" and isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            func = node.func
            if func.attr.value not in ("model_dump", "dict"):
                return None
            args = list(node.args)
            if any(a.star for a in args):
                return None
            for i, arg in enumerate(args):
                if arg.keyword is not None and arg.keyword.value == "mode":
                    args[i] = arg.with_changes(value=cst.SimpleString('"json"'))
                    break
            else:
                if args and args[-1].comma is not cst.MaybeSentinel.DEFAULT:
                    args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                args.append(mode)
            new_node = node.with_changes(func=func.with_changes(attr=cst.Name("model_dump")), args=args,
                                         lpar=[], rpar=[])
            message = 'Add `mode="json"` to `model_dump()`'
        elif subject.how in ("dict", "vars") and isinstance(node, cst.Call) and len(node.args) == 1 \
                and not node.args[0].keyword and not node.args[0].star:
            target = self.source.text_of(node.args[0].value)
            if target is None:
                return None
            code = f'{as_operand(target)}.model_dump(mode="json")'
            return self._replace_code(write, node, code, f'Replace with `{_short(code)}`', short)
        elif subject.how == "vars" and isinstance(node, cst.Attribute) and node.attr.value == "__dict__":
            target = self.source.text_of(node.value)
            if target is None:
                return None
            code = f'{as_operand(target)}.model_dump(mode="json")'
            return self._replace_code(write, node, code, f'Replace with `{_short(code)}`', short)
        else:
            return None
        code = cst.Module([]).code_for_node(new_node)
        return self._replace_code(write, node, code, message, short)

    def _replace_code(self, write, node, code: str, message: str, model: str) -> Optional[Plan]:
        span = self.source.span(node)
        if span is None:
            return None
        start, end = span
        loc = self.source.loc(node)
        inside = loc is not None and _contains(write.value_loc, loc)
        return Plan((self.source.edit(start, end, code),), message, inside, _same_range(loc, write.value_loc),
                    f"{model}.model_validate(...)")

    # -- the file ---------------------------------------------------------------

    def plan(self, found: Sequence[tuple[object, object]]) -> list[Optional[Plan]]:
        candidates: list[Optional[Candidate]] = []
        for write, finding in found:
            try:
                candidates.append(self.candidate(write, finding))
            except (RecursionError, ValueError, IndexError, KeyError):
                candidates.append(None)
        # An owner outside the calls: converted in every call that stores it
        # unchanged (root), or where it is produced (site) — never both, or a
        # value would be converted twice.
        groups: dict[tuple, list[int]] = {}
        for i, c in enumerate(candidates):
            if c is not None and c.inside is None and c.owner is not None:
                groups.setdefault((c.owner.line, c.owner.column, c.owner.end_line, c.owner.end_column,
                                   c.owner.items), []).append(i)
        plans: list[Optional[Plan]] = [c.inside if c is not None else None for c in candidates]
        for members in groups.values():
            group = [candidates[i] for i in members]
            # Where the value is produced when some call cannot convert it on its
            # own; in the calls otherwise (also when it cannot be converted where
            # it is produced: then nothing converts it twice either).
            use_site = any(c.root is None for c in group) and any(c.site is not None for c in group)  # type: ignore
            for i, c in zip(members, group):
                assert c is not None
                plans[i] = c.site if use_site else c.root
        return plans


def plan_fixes(checker, text: str, module: cst.Module, positions, writes, found) -> list[Optional[Fix]]:
    """One Fix (or None) per (write, finding) of `found`."""
    from .readside import Reads, may_read

    planner = Planner(checker, text, module, positions, writes)
    plans = planner.plan(found)
    reads: Optional[Reads] = None
    safe: list[bool] = []
    for plan, (write, finding) in zip(plans, found):
        ok = False
        if plan is not None and plan.inside and plan.whole and write.path is not None and plan.rebuild \
                and may_read(text, write.path):
            if reads is None:
                reads = Reads(text, module, checker)
            ok = reads.all_rebuild(write.path, finding, plan)
        safe.append(ok)
    pairings = _pairings(planner, text, module, plans, found, safe)
    fixes: list[Optional[Fix]] = []
    for plan, is_safe, (write, finding) in zip(plans, safe, found):
        if plan is None:
            fixes.append(None)
            continue
        edits, message = plan.edits, plan.message
        pairing = pairings.get(write.path) if write.path is not None and not is_safe else None
        if pairing is not None:
            if pairing.edits:
                edits = edits + tuple(e for e in pairing.edits if e not in edits)
                n = pairing.rebuilt
                message += f" and rebuild it where it is read ({n} read{'s' if n != 1 else ''})"
            if pairing.unpaired:
                message += "; " + unpaired_note(pairing.unpaired)
        fixes.append(Fix("safe" if is_safe else "unsafe", message, edits))
    return fixes


UNPAIRED = "rebuild it by hand where it is read: line"


def unpaired_note(lines: Sequence[int]) -> str:
    shown = sorted(set(lines))
    return f"{UNPAIRED}{'s' if len(shown) > 1 else ''} " + ", ".join(str(n) for n in shown)


def _pairings(planner: "Planner", text: str, module: cst.Module, plans, found, safe) -> dict:
    """The read side of the unsafe fixes, per memory path (lint/rebuild.py)."""
    if ".get" not in text:
        return {}
    paths = {write.path for plan, ok, (write, _) in zip(plans, safe, found)
             if plan is not None and not ok and write.path is not None}
    if not paths:
        return {}
    from .rebuild import pair_reads

    chosen = [(write, plan) for plan, (write, finding) in zip(plans, found)
              if write.path in paths and finding.code in PAIRED]
    return pair_reads(planner, text, module, chosen)


__all__ = ["plan_fixes", "FIXABLE"]
_unused = (field,)
