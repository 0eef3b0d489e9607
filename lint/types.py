"""The abstract values memlint infers for expressions.

A value says what memlint knows of a runtime value: an exact primitive, an
instance of a known class, an exact list/dict with what it holds, a non-list
container, the result of a model dump, a union of possibilities, or nothing
(Unknown). Every value may carry `origin`, the source range of the expression
that produced it, so a diagnostic can say where an unsafe value came from.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional


@dataclass(frozen=True)
class Loc:
    """A 1-based source range in the file being checked."""

    line: int
    column: int
    end_line: int
    end_column: int
    # True when the value is an item of the expression at this range (it came
    # in through `l.extend(expr)`), not the expression itself.
    items: bool = False


class Value:
    origin: Optional[Loc] = None

    def at(self, origin: Optional[Loc]) -> "Value":
        """This value, produced by the expression at `origin`."""
        if origin is None or self.origin == origin:
            return self
        return replace(self, origin=origin)


@dataclass(frozen=True)
class Unknown(Value):
    origin: Optional[Loc] = None


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Prim(Value):
    """An exact primitive: None, bool, int, float, str, bytes; "json" is any
    JSON-compatible value (json.loads, model_dump(mode="json"))."""

    name: str
    origin: Optional[Loc] = None
    literal: Optional[str] = None  # the text of a str literal or module constant


@dataclass(frozen=True)
class Ref(Value):
    """Something that is not data: a module, function, method or builtin.
    kind: "module", "function", "method", "builtin", "builtin_method"."""

    kind: str
    qualname: str
    payload: object = None
    module: object = None
    receiver: Optional[Value] = None
    origin: Optional[Loc] = None


@dataclass(frozen=True)
class Inst(Value):
    """An instance of the class with this qualified name."""

    qualname: str
    origin: Optional[Loc] = None


@dataclass(frozen=True)
class ClassRef(Value):
    """The class object itself (a name that resolves to a class)."""

    qualname: str
    origin: Optional[Loc] = None


@dataclass(frozen=True)
class ListOf(Value):
    """An exact list whose items are `item` (None: nothing known to be in it)."""

    item: Optional[Value] = None
    origin: Optional[Loc] = None


@dataclass(frozen=True)
class DictOf(Value):
    """An exact dict with keys `key` and values `value` (None: empty)."""

    key: Optional[Value] = None
    value: Optional[Value] = None
    origin: Optional[Loc] = None


@dataclass(frozen=True)
class Container(Value):
    """A container that is not an exact list/dict: tuple, set, deque, generator…
    `kind` is its type name as users know it; `items` the known item values."""

    kind: str
    item: Optional[Value] = None
    elements: Optional[tuple[Value, ...]] = None  # fixed-length tuples
    origin: Optional[Loc] = None


@dataclass(frozen=True)
class Dumped(Value):
    """The result of a normalization call on an instance of `qualname`:
    `how` is "model_dump", "model_dump_json_mode", "asdict", "vars", "dict"."""

    qualname: str
    how: str
    text: str = ""
    origin: Optional[Loc] = None
    # model_dump(include=/exclude=) with literal names: (names, include?).
    fields: Optional[tuple[tuple[str, ...], bool]] = None


@dataclass(frozen=True)
class Awaitable(Value):
    """A coroutine or other awaitable whose `await` gives `result`."""

    result: Value
    origin: Optional[Loc] = None


@dataclass(frozen=True)
class Union(Value):
    options: tuple[Value, ...]
    origin: Optional[Loc] = None

    def at(self, origin: Optional[Loc]) -> "Value":
        # The origin belongs to each possibility that has none of its own.
        if origin is None:
            return self
        return Union(tuple(o if o.origin is not None else o.at(origin) for o in self.options))


MAX_OPTIONS = 24


def union(*values: Optional[Value]) -> Optional[Value]:
    """Merge possibilities; None stands for 'no value' (an empty container's item)."""
    options: list[Value] = []
    prims: set[str] = set()
    for value in values:
        if value is None:
            continue
        for option in value.options if isinstance(value, Union) else (value,):
            if isinstance(option, Prim) and option.name != "None":
                # Safe values need no origin: keep one per primitive type, and
                # its literal only while every merged value has the same one.
                if option.name in prims:
                    for i, kept in enumerate(options):
                        if isinstance(kept, Prim) and kept.name == option.name and kept.literal != option.literal:
                            options[i] = Prim(option.name)
                    continue
                prims.add(option.name)
            if option not in options:
                options.append(option)
    if len(options) > MAX_OPTIONS:
        options = options[:MAX_OPTIONS]
    if not options:
        return None
    if len(options) == 1:
        return options[0]
    return Union(tuple(options))


def options_of(value: Optional[Value]) -> tuple[Value, ...]:
    if value is None:
        return ()
    if isinstance(value, Union):
        return value.options
    return (value,)


def without_none(value: Value) -> Value:
    kept = [o for o in options_of(value) if not (isinstance(o, Prim) and o.name == "None")]
    return union(*kept) or value


def restamp(value: Value, origin: Optional[Loc], items: bool = False) -> Value:
    """The same possibilities, each now said to come from `origin` (where a
    value enters a container, which is what a diagnostic should point at)."""
    if origin is None:
        return value
    if items:
        origin = Loc(origin.line, origin.column, origin.end_line, origin.end_column, items=True)
    return union(*(option.at(origin) for option in options_of(value))) or value
