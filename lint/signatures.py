"""signatures: which signature of a function a call meets, and what its
TypeVars stand for.

Typeshed and libraries declare much of Python's meaning as overloads
(`datetime.__sub__` gives a timedelta for a datetime, a datetime for a
timedelta) and TypeVars (`max(it: Iterable[T]) -> T`). A call picks the
overloads its arguments fit by arity and kind (an argument memlint cannot
see fits anything); the TypeVars of the picked signature are bound from the
arguments where the parameter is simply `T`, `Iterable[T]`-like, `type[T]`,
`Callable[..., T]` or `Awaitable[T]`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional, Sequence

from .summary import FunctionSummary, ModuleSummary, TypeExpr
from .types import (UNKNOWN, Awaitable, ClassRef, Container, DictOf, Dumped, Inst, ListOf, Prim, Ref,
                    Unknown, Value, options_of, union)

if TYPE_CHECKING:
    from .index import Index

# Generic parameter types whose one argument is what iterating the value gives.
ITERABLE_GENERICS = frozenset({
    "Iterable", "Iterator", "Sequence", "MutableSequence", "Collection", "Reversible", "AbstractSet",
    "MutableSet", "Set", "FrozenSet", "List", "list", "set", "frozenset", "tuple", "Tuple", "Generator",
    "AsyncIterable", "AsyncIterator", "KeysView", "ValuesView", "deque", "Deque", "SupportsIter",
})
NUMERIC_ORDER = {"bool": 0, "int": 1, "float": 2}


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def bound_parameters(summary: FunctionSummary, bound: bool) -> list[tuple[str, Optional[TypeExpr], str, bool]]:
    """(name, annotation, kind, has default) of the parameters a caller fills:
    without `self`/`cls` when the function is called bound."""
    kinds = summary.kinds or tuple("pos" for _ in summary.params)
    defaults = summary.defaults or tuple(False for _ in summary.params)
    params = [(name, ann, kind, default) for (name, ann), kind, default in zip(summary.params, kinds, defaults)]
    if bound and params and params[0][2] in ("pos", "posonly"):
        params = params[1:]
    return params


def arguments_fit(summary: FunctionSummary, bound: bool, n_positional: int, keywords: Sequence[str]) -> bool:
    params = bound_parameters(summary, bound)
    positional = [p for p in params if p[2] in ("pos", "posonly")]
    has_var = any(p[2] == "var" for p in params)
    has_varkw = any(p[2] == "varkw" for p in params)
    if n_positional > len(positional) and not has_var:
        return False
    filled = {p[0] for p in positional[:n_positional]}
    by_name = {p[0]: p for p in params if p[2] in ("pos", "kwonly")}
    for keyword in keywords:
        if keyword not in by_name and not has_varkw:
            return False
        if keyword in filled:
            return False
        filled.add(keyword)
    return all(p[0] in filled or p[3] for p in params if p[2] in ("pos", "posonly", "kwonly"))


def matched_arguments(summary: FunctionSummary, bound: bool, positional: Sequence[Value],
                      keywords: dict[str, Value]) -> list[tuple[TypeExpr, Value]]:
    """(parameter annotation, argument value) for every annotated parameter a call fills."""
    params = bound_parameters(summary, bound)
    pairs: list[tuple[TypeExpr, Value]] = []
    slots = [p for p in params if p[2] in ("pos", "posonly")]
    var = next((p for p in params if p[2] == "var"), None)
    for i, value in enumerate(positional):
        param = slots[i] if i < len(slots) else var
        if param is not None and param[1] is not None:
            pairs.append((param[1], value))
    for name, value in keywords.items():
        param = next((p for p in params if p[0] == name and p[2] in ("pos", "kwonly")), None)
        if param is None:
            param = next((p for p in params if p[2] == "varkw"), None)
        if param is not None and param[1] is not None:
            pairs.append((param[1], value))
    return pairs


class SignatureReader:
    """Kind checks and TypeVar binding against one index."""

    def __init__(self, index: "Index", call: Callable[[Value, list[Value]], Value]) -> None:
        self.index = index
        self.call = call  # the result of calling a value with positional arguments

    def fits(self, value: Value, expected: Value) -> bool:
        """Can `value` be passed where `expected` is declared? (Unknown fits anything.)"""
        if isinstance(value, Unknown) or isinstance(expected, Unknown):
            return True
        if len(options_of(expected)) > 1:
            return any(self.fits(value, option) for option in options_of(expected))
        if len(options_of(value)) > 1:
            return any(self.fits(option, expected) for option in options_of(value))
        if isinstance(expected, Prim):
            if isinstance(value, Prim):
                if value.name == expected.name or "json" in (value.name, expected.name):
                    return True
                return (value.name in NUMERIC_ORDER and expected.name in NUMERIC_ORDER
                        and NUMERIC_ORDER[value.name] <= NUMERIC_ORDER[expected.name])
            if isinstance(value, Inst):
                return f"builtins.{expected.name}" in self.index.mro(value.qualname)
            return False
        if isinstance(expected, Inst):
            if isinstance(value, Inst):
                return expected.qualname in self.index.mro(value.qualname) or \
                    self.index.category(expected.qualname) == "unknown"
            if isinstance(value, Prim):
                return expected.qualname in ("builtins.object", "builtins.complex") or \
                    self.index.category(expected.qualname) == "unknown"
            return self.index.category(expected.qualname) == "unknown"
        if isinstance(expected, ListOf):
            return isinstance(value, ListOf)
        if isinstance(expected, DictOf):
            return isinstance(value, (DictOf, Dumped))
        if isinstance(expected, Container):
            return isinstance(value, Container) and value.kind == expected.kind
        return True

    def fits_annotation(self, value: Value, annotation: TypeExpr, module: Optional[ModuleSummary],
                        owner: Optional[str]) -> bool:
        if _short(annotation.name) in ITERABLE_GENERICS and annotation.args and not isinstance(value, Unknown):
            from .infer import iter_item

            item = iter_item(value, self.index)
            if item is None:
                return True
            expected_item = self.index.value_of_type(annotation.args[0], module, owner=owner, bindings={})
            if any(isinstance(o, (Prim, Inst)) and not isinstance(o, Unknown) for o in options_of(value)) and \
                    not any(isinstance(o, (ListOf, DictOf, Container, ClassRef)) for o in options_of(value)):
                return False  # a scalar where an iterable is wanted
            return self.fits(item, expected_item)
        expected = self.index.value_of_type(annotation, module, owner=owner, bindings={})
        return self.fits(value, expected)

    def pick(self, signatures: Sequence[FunctionSummary], module: Optional[ModuleSummary], owner: Optional[str],
             bound: bool, positional: Sequence[Value], keywords: dict[str, Value],
             exact: bool = False) -> list[FunctionSummary]:
        """The signatures the call fits by arity and kind; with `exact`, none
        when none fits, else all of them (their results are then united)."""
        by_arity = [s for s in signatures if arguments_fit(s, bound, len(positional), list(keywords))]
        by_kind = [s for s in by_arity
                   if all(self.fits_annotation(v, a, module, owner)
                          for a, v in matched_arguments(s, bound, positional, keywords))]
        if by_kind:
            return by_kind[:1] if not any(isinstance(v, Unknown) for v in positional) else by_kind
        return [] if exact else list(by_arity or signatures)

    def bindings(self, summary: FunctionSummary, module: Optional[ModuleSummary], bound: bool,
                 positional: Sequence[Value], keywords: dict[str, Value]) -> dict[str, Value]:
        """TypeVar name (as written) -> value, from the arguments of a call."""
        found: dict[str, list[Value]] = {}
        for annotation, value in matched_arguments(summary, bound, positional, keywords):
            self._bind(annotation, value, module, found, 0)
        return {name: union(*values) or UNKNOWN for name, values in found.items()}

    def _is_typevar(self, name: str, module: Optional[ModuleSummary]) -> bool:
        return module is not None and "." not in name and module.lookup(name) == ("typevar", name)

    def _bind(self, annotation: TypeExpr, value: Value, module: Optional[ModuleSummary],
              found: dict[str, list[Value]], depth: int) -> None:
        if depth > 4:
            return
        name, args = annotation.name, annotation.args
        if self._is_typevar(name, module):
            found.setdefault(name, []).append(value)
            return
        short = _short(name)
        if name == "|" or short in ("Optional", "Union"):
            typevars = [a for a in args if self._is_typevar(a.name, module)]
            if len(typevars) == 1:
                kept = union(*(o for o in options_of(value) if not (isinstance(o, Prim) and o.name == "None")))
                self._bind(typevars[0], kept or value, module, found, depth + 1)
            return
        if not args:
            return
        from .infer import iter_item

        if short in ITERABLE_GENERICS:
            item = iter_item(value, self.index)
            if item is not None:
                self._bind(args[0], item, module, found, depth + 1)
        elif short == "type":
            for option in options_of(value):
                if isinstance(option, ClassRef):
                    self._bind(args[0], self.index.instance_of(option.qualname, []), module, found, depth + 1)
        elif short == "Callable":
            for option in options_of(value):
                if isinstance(option, (Ref, ClassRef)):
                    self._bind(args[-1], self.call(option, []), module, found, depth + 1)
        elif short in ("Awaitable", "Coroutine"):
            for option in options_of(value):
                if isinstance(option, Awaitable):
                    self._bind(args[-1], option.result, module, found, depth + 1)
        elif short in ("Mapping", "MutableMapping", "dict", "Dict", "SupportsKeysAndGetItem"):
            for option in options_of(value):
                if isinstance(option, DictOf) and len(args) == 2:
                    if option.key is not None:
                        self._bind(args[0], option.key, module, found, depth + 1)
                    if option.value is not None:
                        self._bind(args[1], option.value, module, found, depth + 1)
