"""summarize: what other modules need to know of a module, as plain frozen data.

Imports and aliases, classes (bases, annotated fields, methods and their
overloads, enum members, decorators), function signatures, module constants,
and for functions without a return annotation the shapes of what they
return. Read with `ast` (about a tenth of libcst's cost), so the project's
modules, installed packages and typeshed are all cheap to summarize. Pure:
the same text (and target Python version) always gives the same summary, so
it can be cached by content.
"""
from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from typing import Optional, Sequence

from .prefilter import MEMORY_ATTRIBUTE_NAMES

PythonVersion = tuple[int, int]
RUNNING_VERSION: PythonVersion = (sys.version_info[0], sys.version_info[1])


@dataclass(frozen=True)
class TypeExpr:
    """An annotation (or a callee) as written: a dotted name and its arguments.

    Special names: "None"; "|" (a union written with |); "<str>", "<int>",
    "<float>", "<bool>", "<bytes>" (literal values inside Literal[...], or
    returned literals); "..." (ellipsis); "" (something memlint does not read).
    Shapes of returned expressions (see `FunctionSummary.returned`):
    "<value>" (a dotted name, args[0]), "<call>" (args[0] the callee,
    args[1] TypeExpr("=*", positional argument shapes), then keyword
    arguments as TypeExpr("=name", (value,))), "<attr>" (args[0] the
    base, args[1].name the attribute), "<tuple>"/"<set>"/"<list>" (item
    shapes), "<dict>" (key and value shapes, alternating), "<param>"
    (args: the parameter's name and annotation), "<binop>" (the ast
    operator's name, left, right), "<await>"."""

    name: str
    args: tuple["TypeExpr", ...] = ()


UNREAD = TypeExpr("")


@dataclass(frozen=True)
class FunctionSummary:
    name: str
    # (name, annotation); `*args` is "*args", `**kwargs` is "**kwargs".
    params: tuple[tuple[str, Optional[TypeExpr]], ...]
    returns: Optional[TypeExpr]
    decorators: tuple[str, ...] = ()
    # Per parameter: "posonly", "pos", "kwonly", "var" (*args), "varkw" (**kwargs).
    kinds: tuple[str, ...] = ()
    defaults: tuple[bool, ...] = ()
    # The signatures of an @overload set, in order (the summary itself then
    # has the first one's parameters and the union of their returns).
    overloads: tuple["FunctionSummary", ...] = ()
    # Without a return annotation: the shapes of the returned expressions.
    returned: tuple[TypeExpr, ...] = ()
    is_async: bool = False

    @property
    def is_property(self) -> bool:
        return any(d == "property" or d.endswith(".getter") or d == "cached_property"
                   or d.endswith(".cached_property") for d in self.decorators)


@dataclass(frozen=True)
class ClassSummary:
    name: str
    bases: tuple[TypeExpr, ...]
    decorators: tuple[str, ...]
    fields: tuple[tuple[str, TypeExpr], ...]
    methods: tuple[FunctionSummary, ...]
    # Class-level `NAME = <value>` assignments: (name, kind of the value) where
    # kind is "str", "int", "float", "bool", "bytes", "None", "auto" or "other".
    members: tuple[tuple[str, str], ...]
    has_model_serializer: bool = False

    def field(self, name: str) -> Optional[TypeExpr]:
        for field_name, annotation in self.fields:
            if field_name == name:
                return annotation
        return None

    def method(self, name: str) -> Optional[FunctionSummary]:
        for method in self.methods:
            if method.name == name:
                return method
        return None


@dataclass(frozen=True)
class ModuleSummary:
    name: str
    path: str
    is_package: bool
    imports: tuple[tuple[str, str], ...]  # local name -> absolute dotted target
    star_imports: tuple[str, ...]
    classes: tuple[ClassSummary, ...]
    functions: tuple[FunctionSummary, ...]
    constants: tuple[tuple[str, str], ...]  # name -> str literal value
    # Module-level names: `X: T` gives T; `X = a.b` / `X = Dict[str, Y]` gives
    # TypeExpr("<value>", (expr,)); `X = f(...)` gives TypeExpr("<call>", (f,)).
    variables: tuple[tuple[str, TypeExpr], ...]
    typevars: tuple[str, ...] = ()

    def lookup(self, name: str):
        """(kind, payload) for a top-level name, or None. The last binding of
        a name wins, as at run time; a TypeVar is ("typevar", name)."""
        names = self.__dict__.get("_names")
        if names is None:
            names = {}
            # Reversed priority, so that the first kind listed wins a clash.
            for var_name, expr in self.variables:
                names[var_name] = ("variable", expr)
            for const_name, value in self.constants:
                names[const_name] = ("constant", value)
            for local, target in self.imports:
                names[local] = ("import", target)
            for function in self.functions:
                names[function.name] = ("function", function)
            for cls in self.classes:
                names[cls.name] = ("class", cls)
            for typevar in self.typevars:
                names[typevar] = ("typevar", typevar)
            self.__dict__["_names"] = names  # a cache: not a field, not pickled
        return names.get(name)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_names", None)
        return state


# -- reading expressions -------------------------------------------------------

def ast_dotted(node: ast.expr) -> Optional[str]:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def ast_decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    return ast_dotted(node) or ""


def annotation(node: Optional[ast.expr], depth: int = 0) -> TypeExpr:
    """Read an annotation expression into a TypeExpr."""
    if node is None or depth > 20:
        return UNREAD
    name = ast_dotted(node)
    if name is not None:
        return TypeExpr(name)
    if isinstance(node, ast.Subscript):
        base = ast_dotted(node.value)
        if base is None:
            return UNREAD
        elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return TypeExpr(base, tuple(_type_arg(e, depth + 1) for e in elements))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return TypeExpr("|", (annotation(node.left, depth + 1), annotation(node.right, depth + 1)))
    if isinstance(node, ast.Constant):
        if node.value is None:
            return TypeExpr("None")
        if node.value is Ellipsis:
            return TypeExpr("...")
        if isinstance(node.value, str):
            try:
                parsed = ast.parse(node.value.strip(), mode="eval").body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return UNREAD
            return annotation(parsed, depth + 1)
    return UNREAD


def _type_arg(node: ast.expr, depth: int) -> TypeExpr:
    # Inside Literal[...] strings are values, not forward references.
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str) and (not value.isidentifier() and "." not in value and "[" not in value):
            return TypeExpr("<str>")
        if isinstance(value, bool):
            return TypeExpr("<bool>")
        if isinstance(value, int):
            return TypeExpr("<int>")
        if isinstance(value, float):
            return TypeExpr("<float>")
        if isinstance(value, bytes):
            return TypeExpr("<bytes>")
    if isinstance(node, ast.List):
        return UNREAD  # Callable[[...], R] parameter lists
    return annotation(node, depth)


def literal_kind(node: Optional[ast.expr]) -> str:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None:
            return "None"
        if isinstance(value, bool):
            return "bool"
        for kind in (str, bytes, int, float):
            if isinstance(value, kind):
                return kind.__name__
        return "other"
    if isinstance(node, ast.JoinedStr):
        return "str"
    if isinstance(node, ast.Call) and ast_dotted(node.func) in ("auto", "enum.auto"):
        return "auto"
    return "other"


MAX_SHAPE_DEPTH = 6


def shape(node: Optional[ast.expr], locals_: dict[str, list[ast.expr]], params: dict[str, Optional[TypeExpr]],
          depth: int = 0, seen: frozenset[str] = frozenset()) -> TypeExpr:
    """The shape of an expression a function returns (see TypeExpr)."""
    if node is None:
        return TypeExpr("None")
    if depth > MAX_SHAPE_DEPTH:
        return UNREAD
    kind = literal_kind(node)
    if kind not in ("other", "auto"):
        return TypeExpr("None") if kind == "None" else TypeExpr(f"<{kind}>")
    if isinstance(node, ast.Name):
        if node.id in params and node.id not in locals_:
            return TypeExpr("<param>", (TypeExpr(node.id), params[node.id] or UNREAD))
        if node.id in locals_ and node.id not in seen:
            options = [shape(v, locals_, params, depth + 1, seen | {node.id}) for v in locals_[node.id]]
            return options[0] if len(options) == 1 else TypeExpr("|", tuple(options))
        if node.id in locals_:
            return UNREAD
        return TypeExpr("<value>", (TypeExpr(node.id),))
    if isinstance(node, ast.Attribute):
        dotted = ast_dotted(node)
        if dotted is not None and dotted.split(".", 1)[0] not in locals_ and dotted.split(".", 1)[0] not in params:
            return TypeExpr("<value>", (TypeExpr(dotted),))
        return TypeExpr("<attr>", (shape(node.value, locals_, params, depth + 1, seen), TypeExpr(node.attr)))
    if isinstance(node, ast.Call):
        callee = node.func
        dotted = ast_dotted(callee)
        if dotted is not None and dotted.split(".", 1)[0] not in locals_ and dotted.split(".", 1)[0] not in params:
            func = TypeExpr(dotted)
        else:
            func = shape(callee, locals_, params, depth + 1, seen)
        keywords = tuple(TypeExpr(f"={k.arg}", (shape(k.value, locals_, params, depth + 1, seen),))
                         for k in node.keywords if k.arg is not None)
        positional = tuple(shape(a, locals_, params, depth + 1, seen) for a in node.args[:3]
                           if not isinstance(a, ast.Starred))
        return TypeExpr("<call>", (func, TypeExpr("=*", positional), *keywords))
    if isinstance(node, (ast.Tuple, ast.Set, ast.List)):
        name = {ast.Tuple: "<tuple>", ast.Set: "<set>", ast.List: "<list>"}[type(node)]
        return TypeExpr(name, tuple(shape(e, locals_, params, depth + 1, seen) for e in node.elts[:8]
                                    if not isinstance(e, ast.Starred)))
    if isinstance(node, ast.Dict):
        items: list[TypeExpr] = []
        for key, value in list(zip(node.keys, node.values))[:8]:
            if key is None:
                continue
            items.append(shape(key, locals_, params, depth + 1, seen))
            items.append(shape(value, locals_, params, depth + 1, seen))
        return TypeExpr("<dict>", tuple(items))
    if isinstance(node, ast.BinOp):
        return TypeExpr("<binop>", (TypeExpr(type(node.op).__name__), shape(node.left, locals_, params, depth + 1, seen),
                                    shape(node.right, locals_, params, depth + 1, seen)))
    if isinstance(node, ast.IfExp):
        return TypeExpr("|", (shape(node.body, locals_, params, depth + 1, seen),
                              shape(node.orelse, locals_, params, depth + 1, seen)))
    if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)):
        kind_name = {ast.ListComp: "<list>", ast.GeneratorExp: "<generator>", ast.SetComp: "<set>",
                     ast.DictComp: "<dict>"}[type(node)]
        return TypeExpr(kind_name, (UNREAD,) if kind_name != "<dict>" else (UNREAD, UNREAD))
    if isinstance(node, ast.Await):
        return TypeExpr("<await>", (shape(node.value, locals_, params, depth + 1, seen),))
    return UNREAD


YIELDS = (ast.Yield, ast.YieldFrom)


class _ReturnCollector:
    """Return statements and local assignments of one function body, found by
    walking statements only (not expressions, nor nested functions or
    classes): this runs for every unannotated function of every module read."""

    def __init__(self) -> None:
        self.returns: list[Optional[ast.expr]] = []
        self.locals: dict[str, list[ast.expr]] = {}
        self.yields = False
        self.raises = False

    def block(self, statements: Sequence[ast.stmt]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:  # noqa: C901 - one dispatch over statement types
        if isinstance(node, ast.Return):
            self.returns.append(node.value)
            self._yield_in(node.value)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind(target, node.value)
            self._yield_in(node.value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._bind(node.target, node.value)
                self._yield_in(node.value)
        elif isinstance(node, ast.AugAssign):
            if isinstance(node.target, ast.Name):
                self.locals.setdefault(node.target.id, []).append(ast.BinOp(node.target, node.op, node.value))
            self._yield_in(node.value)
        elif isinstance(node, ast.Expr):
            self._yield_in(node.value)
            if isinstance(node.value, ast.NamedExpr):
                self._bind(node.value.target, node.value.value)
        elif isinstance(node, ast.Raise):
            self.raises = True
        elif isinstance(node, (ast.If, ast.While)):
            if isinstance(node.test, ast.NamedExpr):
                self._bind(node.test.target, node.test.value)
            self.block(node.body)
            self.block(node.orelse)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._unknown(node.target)
            self.block(node.body)
            self.block(node.orelse)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self._unknown(item.optional_vars)
            self.block(node.body)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self.block(node.body)  # type: ignore[attr-defined]
            for handler in node.handlers:  # type: ignore[attr-defined]
                if handler.name:
                    self.locals.setdefault(handler.name, []).append(ast.Constant(Ellipsis))
                self.block(handler.body)
            self.block(node.orelse)  # type: ignore[attr-defined]
            self.block(node.finalbody)  # type: ignore[attr-defined]
        elif type(node).__name__ == "Match":
            for case in node.cases:  # type: ignore[attr-defined]
                self.block(case.body)

    def _yield_in(self, value: Optional[ast.expr]) -> None:
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, YIELDS):
            self.yields = True

    def _bind(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.locals.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._unknown(target)  # unpacked: unknown items

    def _unknown(self, target: ast.expr) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                self.locals.setdefault(node.id, []).append(ast.Constant(Ellipsis))


MAX_RETURNS = 8


def returned_shapes(node, params: dict[str, Optional[TypeExpr]]) -> tuple[TypeExpr, ...]:
    """The shapes of what an unannotated function returns (empty: nothing read)."""
    collector = _ReturnCollector()
    collector.block(node.body)
    if collector.yields:
        return (TypeExpr("<generator>", (UNREAD,)),)
    if not collector.returns:
        return (TypeExpr("None"),) if _falls_through_only(node, collector.raises) else ()
    shapes = [shape(value, collector.locals, params) for value in collector.returns[:MAX_RETURNS]]
    if len(collector.returns) > MAX_RETURNS:
        shapes.append(UNREAD)
    return tuple(shapes)


def _falls_through_only(node, raises: bool) -> bool:
    """A body that only falls off its end returns None, unless it raises (an
    abstract method or a stub body says nothing)."""
    body = node.body
    if len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        return False  # docstring or `...` only
    if len(body) == 2 and isinstance(body[0], ast.Expr) and isinstance(body[1], (ast.Expr, ast.Pass)):
        return False
    return not raises


# -- definitions ---------------------------------------------------------------

def summarize_function(node, with_returned: bool = True) -> FunctionSummary:
    params: list[tuple[str, Optional[TypeExpr]]] = []
    kinds: list[str] = []
    defaults: list[bool] = []
    a = node.args
    positional = [*a.posonlyargs, *a.args]
    first_default = len(positional) - len(a.defaults)
    for i, arg in enumerate(positional):
        params.append((arg.arg, annotation(arg.annotation) if arg.annotation is not None else None))
        kinds.append("posonly" if i < len(a.posonlyargs) else "pos")
        defaults.append(i >= first_default)
    if a.vararg is not None:
        params.append(("*" + a.vararg.arg, annotation(a.vararg.annotation) if a.vararg.annotation else None))
        kinds.append("var")
        defaults.append(True)
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        params.append((arg.arg, annotation(arg.annotation) if arg.annotation is not None else None))
        kinds.append("kwonly")
        defaults.append(default is not None)
    if a.kwarg is not None:
        params.append(("**" + a.kwarg.arg, annotation(a.kwarg.annotation) if a.kwarg.annotation else None))
        kinds.append("varkw")
        defaults.append(True)
    returns = annotation(node.returns) if node.returns is not None else None
    returned: tuple[TypeExpr, ...] = ()
    if returns is None and with_returned:
        returned = returned_shapes(node, dict(params))
    return FunctionSummary(
        name=node.name,
        params=tuple(params),
        returns=returns,
        decorators=tuple(ast_decorator_name(d) for d in node.decorator_list),
        kinds=tuple(kinds),
        defaults=tuple(defaults),
        returned=returned,
        is_async=isinstance(node, ast.AsyncFunctionDef),
    )


def _merge_overloads(functions: list[FunctionSummary]) -> list[FunctionSummary]:
    """One summary per name: an @overload set becomes the first signature with
    every signature in `overloads` and the union of their returns; otherwise
    the last definition wins (as at run time)."""
    by_name: dict[str, list[FunctionSummary]] = {}
    for function in functions:
        by_name.setdefault(function.name, []).append(function)
    merged: list[FunctionSummary] = []
    for name, defs in by_name.items():
        signatures = [d for d in defs if any(x.rsplit(".", 1)[-1] == "overload" for x in d.decorators)]
        if not signatures:
            merged.append(defs[-1])
            continue
        returns = [s.returns or UNREAD for s in signatures]
        first = signatures[0]
        others = tuple(x for x in first.decorators if x.rsplit(".", 1)[-1] != "overload")
        merged.append(FunctionSummary(first.name, first.params,
                                      returns[0] if len(returns) == 1 else TypeExpr("|", tuple(returns)),
                                      others, first.kinds, first.defaults, tuple(signatures),
                                      is_async=first.is_async))
    return merged




def _instance_attributes(node, summary: FunctionSummary) -> list[tuple[str, TypeExpr]]:
    """`self.x: T = ...`, `self.x = <annotated parameter>` and `self.x = ctx.short_term_memory`
    in a method's top-level statements: what instance attributes hold."""
    if not summary.params:
        return []
    self_name = summary.params[0][0]
    annotations = dict(summary.params)
    found: list[tuple[str, TypeExpr]] = []
    for statement in node.body:
        declared: Optional[TypeExpr]
        if isinstance(statement, ast.AnnAssign):
            target, declared = statement.target, annotation(statement.annotation)
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, declared = statement.targets[0], None
            value = statement.value
            if isinstance(value, ast.Name) and annotations.get(value.id) is not None:
                declared = annotations[value.id]
            elif isinstance(value, ast.Attribute) and value.attr in MEMORY_ATTRIBUTE_NAMES:
                declared = TypeExpr("<memory>")
            elif (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                  and value.func.attr == "new_object"):
                declared = TypeExpr("<memory>")
        else:
            continue
        if (declared is not None and isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name) and target.value.id == self_name):
            found.append((target.attr, declared))
    return found


def static_condition(test: ast.expr, version: PythonVersion) -> Optional[bool]:
    """The value of `sys.version_info >= (3, 11)`-style and `sys.platform == "x"`
    tests for the target, None for anything else."""
    if isinstance(test, ast.BoolOp):
        values = [static_condition(v, version) for v in test.values]
        if isinstance(test.op, ast.And):
            return False if False in values else (True if all(v is True for v in values) else None)
        return True if True in values else (False if all(v is False for v in values) else None)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = static_condition(test.operand, version)
        return None if inner is None else not inner
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, op, right = ast_dotted(test.left), test.ops[0], test.comparators[0]
    if left in ("sys.version_info", "version_info") and isinstance(right, ast.Tuple):
        try:
            wanted = tuple(int(e.value) for e in right.elts if isinstance(e, ast.Constant))
        except (TypeError, ValueError):
            return None
        have = version[: len(wanted)]
        compare = {ast.GtE: have >= wanted, ast.Gt: have > wanted, ast.Lt: have < wanted,
                   ast.LtE: have <= wanted, ast.Eq: have == wanted, ast.NotEq: have != wanted}
        return compare.get(type(op))
    if left in ("sys.platform",) and isinstance(right, ast.Constant) and isinstance(right.value, str):
        if isinstance(op, ast.Eq):
            return sys.platform == right.value
        if isinstance(op, ast.NotEq):
            return sys.platform != right.value
    return None


def _live_statements(statements: Sequence[ast.stmt], version: PythonVersion) -> list[ast.stmt]:
    """The statements of a block with version/platform branches decided and
    other `if`/`try` blocks flattened (TYPE_CHECKING imports, fallbacks)."""
    live: list[ast.stmt] = []
    for statement in statements:
        if isinstance(statement, ast.If):
            decided = static_condition(statement.test, version)
            if decided is True:
                live.extend(_live_statements(statement.body, version))
            elif decided is False:
                live.extend(_live_statements(statement.orelse, version))
            else:
                live.extend(_live_statements(statement.body, version))
                live.extend(_live_statements(statement.orelse, version))
        elif isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar":
            live.extend(_live_statements(statement.body, version))  # type: ignore[attr-defined]
            for handler in statement.handlers:  # type: ignore[attr-defined]
                # `except ImportError:` fallbacks: the first binding of a name wins.
                for inner in _live_statements(handler.body, version):
                    if not _rebinds(inner, live):
                        live.append(inner)
        else:
            live.append(statement)
    return live


def _bound_names(statement: ast.stmt) -> set[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".", 1)[0] for a in statement.names}
    if isinstance(statement, ast.Assign):
        return {t.id for t in statement.targets if isinstance(t, ast.Name)}
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return {statement.target.id}
    return set()


def _rebinds(statement: ast.stmt, earlier: list[ast.stmt]) -> bool:
    names = _bound_names(statement)
    return bool(names) and any(names & _bound_names(e) for e in earlier)


def _plain_serializer(decorator: ast.expr) -> bool:
    """`@model_serializer` that replaces the dump (a "wrap" serializer calls the
    default one, so it keeps whatever the fields hold)."""
    if ast_decorator_name(decorator).rsplit(".", 1)[-1] != "model_serializer":
        return False
    if isinstance(decorator, ast.Call):
        for keyword in decorator.keywords:
            if keyword.arg == "mode" and isinstance(keyword.value, ast.Constant) and keyword.value.value == "wrap":
                return False
    return True


def summarize_class(node: ast.ClassDef, version: PythonVersion = RUNNING_VERSION,
                    with_returned: bool = True) -> ClassSummary:
    fields: list[tuple[str, TypeExpr]] = []
    methods: list[FunctionSummary] = []
    members: list[tuple[str, str]] = []
    has_serializer = False
    for statement in _live_statements(node.body, version):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            summary = summarize_function(statement, with_returned)
            methods.append(summary)
            fields.extend(_instance_attributes(statement, summary))
            if any(_plain_serializer(d) for d in statement.decorator_list):
                has_serializer = True
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            fields.append((statement.target.id, annotation(statement.annotation)))
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                members.append((target.id, literal_kind(statement.value)))
    bases = tuple(annotation(base) for base in node.bases if not isinstance(base, ast.Starred))
    return ClassSummary(
        name=node.name,
        bases=bases,
        decorators=tuple(ast_decorator_name(d) for d in node.decorator_list),
        fields=tuple(fields),
        methods=tuple(_merge_overloads(methods)),
        members=tuple(members),
        has_model_serializer=has_serializer,
    )


def absolute_import(module_name: str, is_package: bool, level: int, target: str) -> str:
    """Resolve a relative import (`from ..x import y`) against the importing module."""
    if level == 0:
        return target
    parts = module_name.split(".") if module_name else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if target:
        parts.append(target)
    return ".".join(parts)


TYPEVAR_FACTORIES = frozenset({"TypeVar", "typing.TypeVar", "typing_extensions.TypeVar", "ParamSpec",
                               "typing.ParamSpec", "typing_extensions.ParamSpec"})


def summarize_module(tree: ast.Module, name: str, path: str, is_package: bool,
                     version: PythonVersion = RUNNING_VERSION, with_returned: bool = True) -> ModuleSummary:
    """The summary of a parsed module. `with_returned=False` skips reading
    function bodies (stub files have none worth reading)."""
    imports: list[tuple[str, str]] = []
    star: list[str] = []
    classes: list[ClassSummary] = []
    functions: list[FunctionSummary] = []
    constants: list[tuple[str, str]] = []
    variables: list[tuple[str, TypeExpr]] = []
    typevars: list[str] = []

    def record_binding(target: str, value: Optional[ast.expr], declared: Optional[ast.expr]) -> None:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            constants.append((target, value.value))
            return
        if declared is not None and ast_dotted(declared) not in ("TypeAlias", "typing.TypeAlias",
                                                                 "typing_extensions.TypeAlias"):
            variables.append((target, annotation(declared)))
            return
        if value is None:
            return
        if isinstance(value, ast.Call):
            callee = ast_dotted(value.func)
            if callee in TYPEVAR_FACTORIES:
                typevars.append(target)
            elif callee is not None:
                variables.append((target, TypeExpr("<call>", (TypeExpr(callee),))))
            return
        if isinstance(value, (ast.Name, ast.Attribute, ast.Subscript, ast.BinOp)):
            expr = annotation(value)
            if expr != UNREAD:
                variables.append((target, TypeExpr("<value>", (expr,))))

    for statement in _live_statements(tree.body, version):
        if isinstance(statement, ast.ClassDef):
            classes.append(summarize_class(statement, version, with_returned))
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(summarize_function(statement, with_returned))
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname is not None:
                    imports.append((alias.asname, alias.name))
                else:
                    top = alias.name.split(".", 1)[0]
                    imports.append((top, top))
        elif isinstance(statement, ast.ImportFrom):
            base = absolute_import(name, is_package, statement.level, statement.module or "")
            for alias in statement.names:
                if alias.name == "*":
                    star.append(base)
                    continue
                local = alias.asname or alias.name
                imports.append((local, f"{base}.{alias.name}" if base else alias.name))
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                record_binding(target.id, statement.value, None)
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            record_binding(statement.target.id, statement.value, statement.annotation)
        elif type(statement).__name__ == "TypeAlias":  # `type X = ...` (3.12)
            variables.append((statement.name.id, TypeExpr("<value>", (annotation(statement.value),))))  # type: ignore[attr-defined]
    # Later definitions of a name win: keep the last of each.
    return ModuleSummary(
        name=name,
        path=path,
        is_package=is_package,
        imports=tuple(_last_wins(imports)),
        star_imports=tuple(star),
        classes=tuple(_last_wins_by_name(classes)),
        functions=tuple(_merge_overloads(functions)),
        constants=tuple(_last_wins(constants)),
        variables=tuple(_last_wins(variables)),
        typevars=tuple(typevars),
    )


def _last_wins(pairs: list) -> list:
    seen: dict = {}
    for key, value in pairs:
        seen.pop(key, None)
        seen[key] = value
    return list(seen.items())


def _last_wins_by_name(classes: list[ClassSummary]) -> list[ClassSummary]:
    by_name: dict[str, ClassSummary] = {}
    for cls in classes:
        by_name.pop(cls.name, None)
        by_name[cls.name] = cls
    return list(by_name.values())


def empty_summary(name: str, path: str, is_package: bool) -> ModuleSummary:
    return ModuleSummary(name, path, is_package, (), (), (), (), (), ())


def summarize_text(text: str, name: str, path: str, is_package: bool,
                   version: PythonVersion = RUNNING_VERSION) -> Optional[ModuleSummary]:
    """The summary of a module's source, or None when Python cannot parse it."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return summarize_module(tree, name, path, is_package, version, with_returned=not path.endswith(".pyi"))
