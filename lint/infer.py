"""infer: an abstract interpretation of function bodies, statement by statement.

Every expression gets a Value (see types.py). Local variables, container
mutation, branches (merged: unsafe on any path is unsafe), loops, narrowing by
`isinstance` / `is None`, and early exits are followed. Memory writes met on
the way are recorded with the value they write at that point.

The walk reads libcst node fields directly (no visitor), so it costs little
beyond the parse; only functions that hold a `.set(` candidate are walked.
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional, Sequence

import libcst as cst

from .index import Index, MEMORY_OBJECT
from .prefilter import MEMORY_ATTRIBUTE_NAMES
from .signatures import SignatureReader
from .summary import FunctionSummary, ModuleSummary, TypeExpr
from .syntax import dotted_name, string_value
from .types import (
    UNKNOWN,
    Awaitable,
    ClassRef,
    Container,
    DictOf,
    Dumped,
    Inst,
    ListOf,
    Loc,
    Prim,
    Ref,
    Union,
    Unknown,
    Value,
    options_of,
    restamp,
    union,
    without_none,
)

TRY_STAR = (cst.TryStar,) if hasattr(cst, "TryStar") else ()
RUNNER_CONTEXT = "flink_agents.api.runner_context.RunnerContext"
MEMORY_REF = "flink_agents.api.memory_reference.MemoryRef"
Env = dict[str, Value]

STR_RESULT_BUILTINS = frozenset({"str", "repr", "ascii", "format", "chr", "hex", "oct", "bin", "input"})
INT_RESULT_BUILTINS = frozenset({"len", "ord", "hash", "id", "int"})
BOOL_RESULT_BUILTINS = frozenset({"bool", "isinstance", "issubclass", "callable", "any", "all", "hasattr"})
ITERATOR_BUILTINS = {"map": "map", "filter": "filter", "zip": "zip", "enumerate": "enumerate",
                     "reversed": "reversed", "iter": "iterator"}
STR_METHODS_LIST = frozenset({"split", "rsplit", "splitlines"})
STR_METHODS_BOOL = frozenset({"startswith", "endswith", "isdigit", "isalpha", "isalnum", "isspace",
                              "islower", "isupper", "isidentifier", "isnumeric", "isdecimal", "isascii"})
STR_METHODS_INT = frozenset({"find", "rfind", "index", "rindex", "count"})


@dataclass
class MemoryWrite:
    """A `.set(path, value)` call on a memory object, with what it writes."""

    call: cst.Call
    call_loc: Loc
    value_node: cst.BaseExpression
    value_loc: Loc
    value: Value
    path: Optional[str]  # the memory path when it is a literal or a module constant


@dataclass
class FileContext:
    index: Index
    module: ModuleSummary
    positions: Mapping[cst.CSTNode, object]
    memory_attributes: tuple[str, ...] = MEMORY_ATTRIBUTE_NAMES
    writes: dict[int, MemoryWrite] = field(default_factory=dict)
    # Return kinds of unannotated functions (None while being computed) and
    # the functions being computed now (recursion guard, bounded depth).
    returned: dict[tuple, Optional[Value]] = field(default_factory=dict)
    returning: list[tuple] = field(default_factory=list)

    def loc(self, node: cst.CSTNode) -> Optional[Loc]:
        rng = self.positions.get(node)
        if rng is None:
            return None
        return Loc(rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)  # type: ignore[attr-defined]


def _body(block: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    if isinstance(block, cst.IndentedBlock):
        return block.body
    if isinstance(block, cst.SimpleStatementSuite):
        return (cst.SimpleStatementLine(body=block.body),)
    return ()


def merge_envs(*envs: Optional[Env]) -> Optional[Env]:
    live = [e for e in envs if e is not None]
    if not live:
        return None
    if len(live) == 1:
        return dict(live[0])
    merged: Env = {}
    for name in set().union(*live):
        values = [e[name] if name in e else UNKNOWN for e in live]
        merged[name] = union(*values) or UNKNOWN
    return merged


class Interpreter:
    """Interprets one function body (or a module's top-level statements)."""

    def __init__(self, ctx: FileContext, env: Env, wanted: Callable[[cst.CSTNode], bool],
                 self_class: Optional[str] = None) -> None:
        self.ctx = ctx
        self.index = ctx.index
        self.env: Optional[Env] = env
        self.local_imports: dict[str, str] = {}
        self.wanted = wanted  # does a nested def hold a memory-write candidate?
        self.self_class = self_class
        self.signatures = SignatureReader(self.index, lambda func, args: self.call_result(func, list(args), {}, None))

    # -- statements ----------------------------------------------------------

    def run_block(self, statements: Sequence[cst.BaseStatement]) -> None:
        for statement in statements:
            if self.env is None:
                return
            self.statement(statement)

    def statement(self, node: cst.BaseStatement) -> None:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                if self.env is None:
                    return
                self.small_statement(small)
        elif isinstance(node, cst.If):
            self.if_statement(node)
        elif isinstance(node, cst.For):
            self.for_statement(node)
        elif isinstance(node, cst.While):
            self.while_statement(node)
        elif isinstance(node, (cst.Try, *TRY_STAR)):
            self.try_statement(node)
        elif isinstance(node, cst.With):
            for item in node.items:
                self.eval(item.item)
                if item.asname is not None:
                    self.bind(item.asname.name, UNKNOWN)
            self.run_block(_body(node.body))
        elif isinstance(node, cst.FunctionDef):
            if self.wanted(node):
                interpret_function(self.ctx, node, dict(self.env or {}), self.wanted, None)
            assert self.env is not None
            self.env[node.name.value] = Ref("function", node.name.value, summary_of(node), self.ctx.module)
        elif isinstance(node, cst.ClassDef):
            if self.wanted(node):
                interpret_class(self.ctx, node, self.wanted, dict(self.env or {}))
            assert self.env is not None
            self.env[node.name.value] = UNKNOWN
        elif hasattr(cst, "Match") and isinstance(node, getattr(cst, "Match")):
            self.eval(node.subject)
            before = self.env
            outcomes: list[Optional[Env]] = [dict(before or {})]
            for case in node.cases:
                self.env = dict(before or {})
                self.run_block(_body(case.body))
                outcomes.append(self.env)
            self.env = merge_envs(*outcomes)

    def small_statement(self, node: cst.BaseSmallStatement) -> None:
        if isinstance(node, cst.Expr):
            self.eval(node.value)
        elif isinstance(node, cst.Assign):
            value = self.eval(node.value)
            for target in node.targets:
                self.bind(target.target, value, node.value)
        elif isinstance(node, cst.AnnAssign):
            declared = self.index.value_of_type(_annotation_expr(node.annotation.annotation), self.ctx.module)
            if node.value is not None:
                value = self.eval(node.value)
                if not isinstance(declared, Unknown) and (isinstance(value, Unknown) or self.narrows(declared, value)):
                    value = declared.at(self.ctx.loc(node.value))
                self.bind(node.target, value, node.value)
            elif isinstance(node.target, cst.Name):
                assert self.env is not None
                self.env[node.target.value] = declared.at(self.ctx.loc(node.target))
        elif isinstance(node, cst.AugAssign):
            self.aug_assign(node)
        elif isinstance(node, (cst.Return, cst.Raise)):
            if isinstance(node, cst.Return) and node.value is not None:
                self.eval(node.value)
            self.env = None
        elif isinstance(node, (cst.Continue, cst.Break)):
            self.env = None
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            self.local_import(node)
        elif isinstance(node, cst.Assert):
            self.eval(node.test)
            narrowed = self.narrow(node.test, True)
            if narrowed is not None:
                self.env = narrowed
        elif isinstance(node, cst.Del):
            pass

    def local_import(self, node: cst.BaseSmallStatement) -> None:
        module = self.ctx.module
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.local_imports[alias.asname.name.value] = full
                else:
                    top = full.split(".", 1)[0]
                    self.local_imports[top] = top
                self._forget(alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name)
                             else full.split(".", 1)[0])
        elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            from .summary import absolute_import

            source = dotted_name(node.module) if node.module is not None else ""
            base = absolute_import(module.name, module.is_package, len(node.relative), source or "")
            for alias in node.names:
                imported = dotted_name(alias.name) or ""
                local = imported
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    local = alias.asname.name.value
                self.local_imports[local] = f"{base}.{imported}" if base else imported
                self._forget(local)

    def _forget(self, name: str) -> None:
        if self.env is not None:
            self.env.pop(name, None)

    def if_statement(self, node: cst.If) -> None:
        self.eval(node.test)
        before = self.env or {}
        self.env = self.narrow(node.test, True) or dict(before)
        self.run_block(_body(node.body))
        after_body = self.env
        self.env = dict(before)
        self.env = self.narrow(node.test, False) or dict(before)
        if isinstance(node.orelse, cst.If):
            self.if_statement(node.orelse)
        elif isinstance(node.orelse, cst.Else):
            self.run_block(_body(node.orelse.body))
        self.env = merge_envs(after_body, self.env)

    def for_statement(self, node: cst.For) -> None:
        iterable = self.eval(node.iter)
        item = iter_item(iterable, self.index)
        before = self.env
        current = before
        for _ in range(2):  # a second pass lets values added in the body reach the top
            self.env = dict(current or {})
            self.bind(node.target, item or UNKNOWN)
            self.run_block(_body(node.body))
            current = merge_envs(current, self.env)
        self.env = current
        if node.orelse is not None:
            self.run_block(_body(node.orelse.body))

    def while_statement(self, node: cst.While) -> None:
        before = self.env
        current = before
        for _ in range(2):
            self.env = dict(current or {})
            self.eval(node.test)
            self.env = self.narrow(node.test, True) or self.env
            self.run_block(_body(node.body))
            current = merge_envs(current, self.env)
        self.env = current
        if node.orelse is not None:
            self.run_block(_body(node.orelse.body))

    def narrows(self, declared: Value, value: Value) -> bool:
        """Is `x: declared = value` a downcast (every declared class a subclass
        of what the value is said to be), as `prompt: Prompt = ctx.get_resource(...)`?"""
        values = options_of(value)
        return all(isinstance(o, Inst) for o in values) and all(
            isinstance(d, Inst) and any(v.qualname in self.index.mro(d.qualname) and v.qualname != d.qualname
                                        for v in values)
            for d in options_of(declared))

    def caught(self, handler_type: Optional[cst.BaseExpression], group: bool) -> Value:
        """What `except T as e` binds: an instance of T (of any of a tuple's
        classes); in `except*`, an exception group."""
        if group:
            return Inst("builtins.ExceptionGroup")
        if handler_type is None:
            return UNKNOWN
        classes = self.class_values(handler_type)
        return union(*classes) or UNKNOWN if classes else UNKNOWN

    def try_statement(self, node) -> None:
        before = dict(self.env or {})
        self.run_block(_body(node.body))
        after_body = self.env
        outcomes: list[Optional[Env]] = []
        for handler in node.handlers:
            self.env = merge_envs(before, after_body) or dict(before)
            if handler.name is not None:
                self.bind(handler.name.name, self.caught(handler.type, isinstance(node, TRY_STAR)))
            self.run_block(_body(handler.body))
            outcomes.append(self.env)
        self.env = after_body
        if node.orelse is not None and self.env is not None:
            self.run_block(_body(node.orelse.body))
        self.env = merge_envs(self.env, *outcomes)
        if node.finalbody is not None:
            live = self.env is not None
            self.env = self.env if live else dict(before)
            self.run_block(_body(node.finalbody.body))
            if not live:
                self.env = None

    def aug_assign(self, node: cst.AugAssign) -> None:
        value = self.eval(node.value)
        if isinstance(node.target, cst.Name):
            old = self.lookup(node.target.value, node.target)
            self.bind(node.target, self.binary_op(old, node.operator, value))
        elif isinstance(node.target, cst.Subscript):
            entering = restamp(value, self.ctx.loc(node.value))
            self.mutate(node.target.value, ("item",),
                        lambda old: self.binary_op(old or UNKNOWN, node.operator, entering))
            self.eval(node.target.value)

    # -- binding and mutation ------------------------------------------------

    def bind(self, target: cst.BaseExpression, value: Value, source: Optional[cst.CSTNode] = None) -> None:
        if self.env is None:
            return
        if isinstance(target, cst.Name):
            self.env[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = list(target.elements)
            starred = any(isinstance(e, cst.StarredElement) for e in elements)
            # Position by position: a fixed-length tuple gives each target its
            # own element; anything else gives every target an item.
            at: list[list[Value]] = [[] for _ in elements]
            for option in options_of(value):
                if (not starred and isinstance(option, Container) and option.elements is not None
                        and len(option.elements) == len(elements)):
                    for i, element_value in enumerate(option.elements):
                        at[i].append(element_value)
                else:
                    item = iter_item(option, self.index) or UNKNOWN
                    for values in at:
                        values.append(item)
            for i, element in enumerate(elements):
                if isinstance(element, cst.StarredElement):
                    self.bind(element.value, ListOf(iter_item(value, self.index) or UNKNOWN))
                else:
                    self.bind(element.value, union(*at[i]) or UNKNOWN)
        elif isinstance(target, cst.Subscript):
            key = self.subscript_key(target)
            entering = restamp(value, self.ctx.loc(source)) if source is not None else value
            self.mutate(target.value, (), lambda old: set_item(old, key, entering))
            self.eval(target.value)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, ListOf(iter_item(value, self.index) or UNKNOWN))

    def subscript_key(self, node: cst.Subscript) -> Optional[Value]:
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            return self.eval(node.slice[0].slice.value)
        return None

    def lvalue_path(self, node: cst.BaseExpression) -> Optional[tuple[str, tuple[str, ...]]]:
        """`d` -> ("d", ()); `d[k]` / `d.setdefault(k, ..)` / `d.get(k)` -> ("d", ("item",))."""
        steps: list[str] = []
        while True:
            if isinstance(node, cst.Name):
                return node.value, tuple(reversed(steps))
            if isinstance(node, cst.Subscript):
                steps.append("item")
                node = node.value
            elif (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                  and node.func.attr.value in ("setdefault", "get", "pop")):
                steps.append("item")
                node = node.func.value
            else:
                return None

    def mutate(self, target: cst.BaseExpression, extra: tuple[str, ...], change: Callable[[Optional[Value]], Value]) -> None:
        """Apply `change` to the part of a local container that `target` names."""
        path = self.lvalue_path(target)
        if path is None or self.env is None:
            return
        name, steps = path
        steps = steps + extra
        if name not in self.env:
            current = self.lookup(name, None)
            if isinstance(current, Ref) or isinstance(current, ClassRef) or current is None:
                return
        else:
            current = self.env[name]
        self.env[name] = apply_at(current, steps, change)

    # -- narrowing -----------------------------------------------------------

    def narrow(self, test: cst.BaseExpression, truth: bool) -> Optional[Env]:
        if self.env is None:
            return None
        env = dict(self.env)
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            return self.narrow(test.expression, not truth)
        if isinstance(test, cst.BooleanOperation):
            both_and = isinstance(test.operator, cst.And)
            if both_and == truth:  # `a and b` true, or `a or b` false: both hold
                saved = self.env
                first = self.narrow(test.left, truth)
                self.env = first
                second = self.narrow(test.right, truth) if first is not None else None
                self.env = saved
                return second
            return None
        if isinstance(test, cst.Name) and test.value in env:
            if truth:
                env[test.value] = without_none(env[test.value])
            return env
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name):
            comparison = test.comparisons[0]
            name = test.left.value
            is_none = isinstance(comparison.comparator, cst.Name) and comparison.comparator.value == "None"
            if is_none and name in env and isinstance(comparison.operator, (cst.Is, cst.IsNot)):
                none_side = truth if isinstance(comparison.operator, cst.Is) else not truth
                if none_side:
                    env[name] = Prim("None")
                else:
                    env[name] = without_none(env[name])
                return env
        if (isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "isinstance"
                and len(test.args) == 2 and isinstance(test.args[0].value, cst.Name)):
            name = test.args[0].value.value
            current = env.get(name)
            if current is None:
                current = self.lookup(name, None)
                if current is None:
                    return env
            classes = self.class_values(test.args[1].value)
            if classes is None:
                return env
            matches = lambda option: any(_same_class(option, c, self.index) for c in classes)  # noqa: E731
            if truth:
                kept = [o for o in options_of(current) if matches(o)]
                env[name] = union(*kept) or union(*(c.at(current.origin) for c in classes)) or UNKNOWN
            else:
                kept = [o for o in options_of(current) if not matches(o)]
                env[name] = union(*kept) or UNKNOWN
            return env
        return env

    def class_values(self, node: cst.BaseExpression) -> Optional[list[Value]]:
        """Instance values for the class (or tuple of classes) of an isinstance check."""
        nodes = [e.value for e in node.elements] if isinstance(node, cst.Tuple) else [node]
        result: list[Value] = []
        for item in nodes:
            value = self.eval(item)
            if isinstance(value, ClassRef):
                result.append(self.index.instance_of(value.qualname, []))
            elif isinstance(value, Ref) and value.kind == "builtin":
                result.append(self.index.instance_of(value.qualname, []))
            else:
                return None
        return result

    # -- names ---------------------------------------------------------------

    def lookup(self, name: str, node: Optional[cst.CSTNode]) -> Value:
        if self.env is not None and name in self.env:
            return self.env[name]
        if name in ("None", "True", "False"):
            return Prim("None" if name == "None" else "bool")
        if name in self.local_imports:
            return self.resolved_value(self.index.resolve_qualname(self.local_imports[name]))
        if name == "self" and self.self_class:
            return Inst(self.self_class)
        return self.resolved_value(self.index.resolve(self.ctx.module, name))

    def resolved_value(self, resolved, depth: int = 0) -> Value:
        kind = resolved.kind
        if kind == "class":
            return ClassRef(resolved.qualname)
        if kind == "builtin":
            return Ref("builtin", resolved.qualname)
        if kind == "module":
            return Ref("module", resolved.qualname)
        if kind == "function":
            return Ref("function", resolved.qualname, resolved.payload, resolved.module)
        if kind == "constant":
            return Prim("str", literal=str(resolved.payload))
        if kind == "variable" and isinstance(resolved.payload, TypeExpr) and depth < 10:
            expr = resolved.payload
            if expr.name == "<value>" and expr.args:
                return self.dotted_value(expr.args[0].name, resolved.module, depth + 1)
            if expr.name == "<call>" and expr.args:
                callee = self.dotted_value(expr.args[0].name, resolved.module, depth + 1)
                return self.call_result(callee, [], {}, None)
            return self.index.value_of_type(expr, resolved.module)
        if kind == "external":
            return Ref("external", resolved.qualname)
        return UNKNOWN

    def dotted_value(self, dotted: str, module: Optional[ModuleSummary], depth: int) -> Value:
        first, _, rest = dotted.partition(".")
        value = self.resolved_value(self.index.resolve(module, first), depth)
        for attr in rest.split(".") if rest else ():
            value = self.attribute(value, attr)
        return value

    # -- expressions ---------------------------------------------------------

    def eval(self, node: cst.BaseExpression) -> Value:
        value = self._eval(node)
        if value.origin is None and not isinstance(value, (Ref, ClassRef, Unknown)):
            value = value.at(self.ctx.loc(node))
        return value

    def _eval(self, node: cst.BaseExpression) -> Value:  # noqa: C901 - one dispatch over node types
        if isinstance(node, cst.Name):
            return self.lookup(node.value, node)
        if isinstance(node, cst.Attribute):
            return self.attribute(self.eval(node.value), node.attr.value, node)
        if isinstance(node, cst.Call):
            return self.call(node)
        if isinstance(node, cst.SimpleString):
            if "b" in node.prefix.lower():
                return Prim("bytes")
            return Prim("str", literal=string_value(node))
        if isinstance(node, cst.ConcatenatedString):
            text = string_value(node)
            if text is None and _has_bytes(node):
                return Prim("bytes")
            return Prim("str", literal=text)
        if isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    self.eval(part.expression)
            return Prim("str")
        if isinstance(node, cst.Integer):
            return Prim("int")
        if isinstance(node, cst.Float):
            return Prim("float")
        if isinstance(node, cst.Imaginary):
            return Inst("builtins.complex")
        if isinstance(node, cst.List):
            return ListOf(self.elements(node.elements))
        if isinstance(node, cst.Tuple):
            values = [restamp(self.eval(e.value), self.ctx.loc(e.value)) for e in node.elements
                      if not isinstance(e, cst.StarredElement)]
            if any(isinstance(e, cst.StarredElement) for e in node.elements):
                return Container("tuple", self.elements(node.elements))
            return Container("tuple", union(*values), tuple(values))
        if isinstance(node, cst.Set):
            return Container("set", self.elements(node.elements))
        if isinstance(node, cst.Dict):
            return self.dict_literal(node)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            return self.comprehension(node)
        if isinstance(node, cst.Subscript):
            return self.subscript(node)
        if isinstance(node, cst.BooleanOperation):
            left = self.eval(node.left)
            saved = self.env
            self.env = self.narrow(node.left, isinstance(node.operator, cst.And)) or saved
            right = self.eval(node.right)
            self.env = saved
            if isinstance(node.operator, cst.Or):
                return union(without_none(left), right) or UNKNOWN
            return union(left, right) or UNKNOWN
        if isinstance(node, cst.IfExp):
            # Each branch is said to come from where it is written, so a
            # diagnostic points at the unsafe branch.
            self.eval(node.test)
            saved = self.env
            self.env = self.narrow(node.test, True) or saved
            body = restamp(self.eval(node.body), self.ctx.loc(node.body))
            self.env = saved
            self.env = self.narrow(node.test, False) or saved
            orelse = restamp(self.eval(node.orelse), self.ctx.loc(node.orelse))
            self.env = saved
            return union(body, orelse) or UNKNOWN
        if isinstance(node, cst.BinaryOperation):
            return self.binary_op(self.eval(node.left), node.operator, self.eval(node.right))
        if isinstance(node, cst.UnaryOperation):
            operand = self.eval(node.expression)
            if isinstance(node.operator, cst.Not):
                return Prim("bool")
            if isinstance(operand, Prim) and operand.name in ("int", "float", "bool"):
                return Prim("int" if operand.name == "bool" else operand.name)
            if isinstance(operand, Inst) and operand.qualname == "builtins.complex":
                return operand
            return UNKNOWN
        if isinstance(node, cst.Comparison):
            self.eval(node.left)
            for comparison in node.comparisons:
                self.eval(comparison.comparator)
            return Prim("bool")
        if isinstance(node, cst.NamedExpr):
            value = self.eval(node.value)
            self.bind(node.target, value)
            return value
        if isinstance(node, cst.Await):
            return awaited(self.eval(node.expression))
        if isinstance(node, cst.Lambda):
            # The body may write to memory (callbacks); its parameters are unknown.
            saved = self.env
            self.env = dict(saved or {})
            for param in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params):
                self.env[param.name.value] = UNKNOWN
            self.eval(node.body)
            self.env = saved
            return Ref("function", "<lambda>")
        if isinstance(node, cst.Ellipsis):
            return Ref("builtin", "builtins.Ellipsis")
        return UNKNOWN

    def elements(self, elements: Sequence[cst.BaseElement]) -> Optional[Value]:
        values: list[Value] = []
        for element in elements:
            if isinstance(element, cst.StarredElement):
                item = iter_item(self.eval(element.value), self.index)
                values.append(item or UNKNOWN)
            else:
                values.append(restamp(self.eval(element.value), self.ctx.loc(element.value)))
        return union(*values)

    def dict_literal(self, node: cst.Dict) -> Value:
        keys: list[Value] = []
        values: list[Value] = []
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                other = self.eval(element.value)
                for option in options_of(other):
                    if isinstance(option, DictOf):
                        keys.append(option.key or UNKNOWN) if option.key is not None else None
                        values.append(option.value) if option.value is not None else None
                    else:
                        keys.append(UNKNOWN)
                        values.append(UNKNOWN)
            else:
                keys.append(restamp(self.eval(element.key), self.ctx.loc(element.key)))
                values.append(restamp(self.eval(element.value), self.ctx.loc(element.value)))
        return DictOf(union(*keys), union(*values))

    def comprehension(self, node) -> Value:
        saved = self.env
        self.env = dict(saved or {})
        clause = node.for_in
        while clause is not None:
            item = iter_item(self.eval(clause.iter), self.index)
            self.bind(clause.target, item or UNKNOWN)
            for condition in clause.ifs:
                self.eval(condition.test)
                self.env = self.narrow(condition.test, True) or self.env
            clause = clause.inner_for_in
        if isinstance(node, cst.DictComp):
            result: Value = DictOf(self.eval(node.key), self.eval(node.value))
        else:
            element = self.eval(node.elt)
            if isinstance(node, cst.ListComp):
                result = ListOf(element)
            elif isinstance(node, cst.SetComp):
                result = Container("set", element)
            else:
                result = Container("generator", element)
        self.env = saved
        return result

    def subscript(self, node: cst.Subscript) -> Value:
        base = self.eval(node.value)
        key = None
        index_node = None
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            index_node = node.slice[0].slice.value
            key = self.eval(index_node)
        elif len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice):
            return base if all(isinstance(o, (ListOf, Prim)) for o in options_of(base)) else UNKNOWN
        results: list[Value] = []
        for option in options_of(base):
            if isinstance(option, ListOf):
                results.append(option.item or UNKNOWN)
            elif isinstance(option, DictOf):
                results.append(option.value or UNKNOWN)
            elif isinstance(option, Container):
                if option.elements is not None and isinstance(index_node, cst.Integer):
                    position = int(index_node.value, 0)
                    if -len(option.elements) <= position < len(option.elements):
                        results.append(option.elements[position])
                        continue
                results.append(option.item or UNKNOWN)
            elif isinstance(option, Prim) and option.name in ("str", "bytes"):
                results.append(Prim(option.name) if option.name == "str" else Prim("int"))
            elif isinstance(option, (ClassRef, Ref)):
                return UNKNOWN  # a generic alias such as list[int]
            else:
                results.append(UNKNOWN)
        del key
        return union(*results) or UNKNOWN

    # -- attributes ----------------------------------------------------------

    def attribute(self, base: Value, attr: str, node: Optional[cst.Attribute] = None) -> Value:
        if isinstance(base, Union):
            results = [self.attribute(o, attr, node) for o in base.options
                       if not (isinstance(o, Prim) and o.name == "None")]
            return union(*results) or UNKNOWN
        if isinstance(base, Ref) and base.kind in ("module", "external"):
            resolved = self.index.resolve_qualname(f"{base.qualname}.{attr}")
            if resolved.kind == "external" and base.kind == "module":
                return UNKNOWN
            return self.resolved_value(resolved)
        if isinstance(base, ClassRef):
            found = self.index.attribute(base.qualname, attr)
            if found is not None:
                kind, payload, module = found
                if kind == "member" and self.index.category(base.qualname) == "enum" and not attr.startswith("_"):
                    return Inst(base.qualname)
                if kind == "member" and payload in ("str", "int", "float", "bool", "None", "bytes"):
                    return Prim(str(payload))
                if kind == "field" and self.index.category(base.qualname) not in ("model", "enum"):
                    return self.index.value_of_type(payload, module)  # type: ignore[arg-type]
                if kind == "method":
                    return Ref("method", f"{base.qualname}.{attr}", payload, module, receiver=base)
            if attr == "__name__":
                return Prim("str")
            return UNKNOWN
        if isinstance(base, Inst):
            return self.instance_attribute(base, attr)
        if isinstance(base, Prim) and base.name in ("str", "bytes", "int", "float", "json"):
            return Ref("builtin_method", attr, receiver=base)
        if isinstance(base, (ListOf, DictOf, Container)):
            return Ref("builtin_method", attr, receiver=base)
        if isinstance(base, Dumped):
            return Ref("builtin_method", attr, receiver=DictOf(Prim("str"), UNKNOWN))
        if attr in self.ctx.memory_attributes:
            return Inst(MEMORY_OBJECT)
        return UNKNOWN

    def instance_attribute(self, base: Inst, attr: str) -> Value:
        qualname = base.qualname
        category = self.index.category(qualname)
        if category == "enum":
            if attr == "value":
                return self.index.enum_value(qualname)
            if attr == "name":
                return Prim("str")
        if attr == "__dict__":
            return self.normalization(base, "vars", f"{_short(qualname)}.__dict__")
        found = self.index.attribute(qualname, attr)
        if found is not None:
            kind, payload, module = found
            if kind == "field":
                return self.index.value_of_type(payload, module)  # type: ignore[arg-type]
            if kind == "method":
                summary: FunctionSummary = payload  # type: ignore[assignment]
                if "property" in summary.decorators or any(d.endswith(".getter") or d == "cached_property"
                                                             or d.endswith(".cached_property") for d in summary.decorators):
                    return self.returns(summary, module, qualname)
                return Ref("method", f"{qualname}.{attr}", summary, module, receiver=base)
            if kind == "member":
                return UNKNOWN
        # The attribute names of RunnerContext stand for memory only where the
        # receiver's class is not known to be some other class.
        # Configured attribute names always do.
        if attr in self.ctx.memory_attributes and (attr not in MEMORY_ATTRIBUTE_NAMES or category == "unknown"
                                                   or RUNNER_CONTEXT in self.index.mro(qualname)):
            return Inst(MEMORY_OBJECT)
        if category in ("model",) and attr in ("model_dump", "model_dump_json", "model_copy", "dict", "json", "copy"):
            return Ref("method", f"{qualname}.{attr}", None, None, receiver=base)
        return UNKNOWN

    def returns(self, summary: FunctionSummary, module, owner: Optional[str], positional: Sequence[Value] = (),
                keywords: Optional[dict[str, Value]] = None, bound: bool = False, exact: bool = False) -> Value:
        """What a call of `summary` (defined in `module`, on class `owner`) gives."""
        keywords = keywords or {}
        signatures = summary.overloads or (summary,)
        picked = self.signatures.pick(signatures, module, owner, bound, positional, keywords, exact)
        if len(signatures) == 1 and not exact:
            picked = list(signatures)
        return union(*(self.signature_result(s, module, owner, positional, keywords, bound) for s in picked)) \
            or UNKNOWN

    def signature_result(self, summary: FunctionSummary, module, owner: Optional[str], positional: Sequence[Value],
                         keywords: dict[str, Value], bound: bool) -> Value:
        if summary.returns is None:
            result = self.returned_value(summary, module, owner)
            return Awaitable(result) if summary.is_async else result
        ret = summary.returns
        if owner is not None and ret.name in ("Self", "typing.Self", "typing_extensions.Self"):
            return Inst(owner)
        bindings = self.signatures.bindings(summary, module, bound, positional, keywords)
        result = self.index.value_of_type(ret, module, bindings=bindings, owner=owner)
        return Awaitable(result) if summary.is_async else result

    def returned_value(self, summary: FunctionSummary, module, owner: Optional[str]) -> Value:
        """The kind an unannotated function returns, from the shapes of its
        return statements (see summary.returned); recursion-safe, cached."""
        if not summary.returned or module is None:
            return UNKNOWN
        key = (module.name, owner, summary.name, summary.returned)
        cache = self.ctx.returned
        if key in cache:
            return cache[key] or UNKNOWN  # None: being computed (recursion)
        if len(self.ctx.returning) >= RETURN_DEPTH:
            return UNKNOWN
        cache[key] = None
        self.ctx.returning.append(key)
        try:
            first_param = summary.params[0][0] if summary.params else None
            value = union(*(self.shape_value(shape, module, owner, first_param, 0) for shape in summary.returned))
        finally:
            self.ctx.returning.pop()
        cache[key] = value or UNKNOWN
        return cache[key]

    def shape_value(self, shape: TypeExpr, module, owner: Optional[str], self_name: Optional[str], depth: int) -> Value:
        if depth > 8 or not shape.name:
            return UNKNOWN
        name, args = shape.name, shape.args

        def inner(e: TypeExpr) -> Value:
            return self.shape_value(e, module, owner, self_name, depth + 1)

        if name == "None":
            return Prim("None")
        if name in ("<str>", "<int>", "<float>", "<bool>", "<bytes>"):
            return Prim(name[1:-1])
        if name == "|":
            return union(*(inner(a) for a in args)) or UNKNOWN
        if name == "<value>":
            return self.dotted_value(args[0].name, module, depth + 1) if args else UNKNOWN
        if name == "<param>":
            if args and args[0].name == self_name and owner is not None:
                return Inst(owner)
            return self.index.value_of_type(args[1], module, owner=owner) if len(args) > 1 else UNKNOWN
        if name == "<attr>":
            return self.attribute(inner(args[0]), args[1].name)
        if name == "<call>":
            callee = args[0]
            func = inner(callee) if callee.name.startswith("<") else self.dotted_value(callee.name, module, depth + 1)
            positional: list[Value] = []
            keywords: dict[str, Value] = {}
            for arg in args[1:]:
                if arg.name == "=*":
                    positional = [inner(a) for a in arg.args]
                elif arg.name.startswith("="):
                    keywords[arg.name[1:]] = inner(arg.args[0]) if arg.args else UNKNOWN
            return self.call_result(func, positional, keywords, None)
        if name == "<binop>":
            operator = BINARY_OPERATORS.get(args[0].name)
            if operator is None:
                return UNKNOWN
            return self.binary_op(inner(args[1]), operator(), inner(args[2]))
        if name == "<await>":
            return awaited(inner(args[0])) if args else UNKNOWN
        items = [inner(a) for a in args]
        if name == "<tuple>":
            return Container("tuple", union(*items), tuple(items))
        if name in ("<set>", "<generator>"):
            return Container(name[1:-1], union(*items))
        if name == "<list>":
            return ListOf(union(*items))
        if name == "<dict>":
            return DictOf(union(*items[0::2]), union(*items[1::2]))
        return UNKNOWN

    def binary_op(self, left: Value, operator: cst.BaseBinaryOp, right: Value) -> Value:
        """`left <op> right`: the builtin rules, else the operands' dunder methods
        (typeshed's and the project's), reflected when the left one does not fit."""
        result = binary(left, operator, right, self.index)
        if not isinstance(result, Unknown):
            return result
        names = OPERATOR_DUNDERS.get(type(operator))
        if names is None:
            return UNKNOWN
        results: list[Value] = []
        for left_option in options_of(left):
            for right_option in options_of(right):
                found = self._dunder(left_option, names[0], right_option)
                if found is None:
                    found = self._dunder(right_option, names[1], left_option)
                if found is None:
                    return UNKNOWN
                results.append(found)
        return union(*results) or UNKNOWN

    def _dunder(self, receiver: Value, dunder: str, argument: Value) -> Optional[Value]:
        return self.dunder_call(receiver, dunder, [argument])

    def dunder_call(self, receiver: Value, dunder: str, arguments: Sequence[Value]) -> Optional[Value]:
        """What `receiver.<dunder>(*arguments)` gives, None when no signature fits."""
        qualname = _class_of(receiver)
        if qualname is None:
            return None
        found = self.index.attribute(qualname, dunder)
        if found is None or found[0] != "method":
            return None
        summary: FunctionSummary = found[1]  # type: ignore[assignment]
        owner = receiver.qualname if isinstance(receiver, Inst) else None
        result = self.returns(summary, found[2], owner, list(arguments), {}, bound=True, exact=True)
        if isinstance(result, Unknown) or (isinstance(result, Inst) and result.qualname == "builtins.NotImplementedType"):
            return None
        return result

    # -- calls ---------------------------------------------------------------

    def call(self, node: cst.Call) -> Value:
        func = self.eval(node.func)
        positional: list[Value] = []
        keywords: dict[str, Value] = {}
        for arg in node.args:
            value = self.eval(arg.value)
            if arg.keyword is not None:
                keywords[arg.keyword.value] = value
            elif arg.star == "*":
                positional.append(ListOf(iter_item(value, self.index) or UNKNOWN))
            elif arg.star == "**":
                continue
            else:
                positional.append(value)
        if isinstance(node.func, cst.Attribute):
            self.method_side_effects(node, func, positional, keywords)
        return self.call_result(func, positional, keywords, node)

    def method_side_effects(self, node: cst.Call, func: Value, positional: list[Value],
                            keywords: dict[str, Value]) -> None:
        """Record memory writes, and follow mutation of local containers."""
        assert isinstance(node.func, cst.Attribute)
        method = node.func.attr.value
        receiver = node.func.value
        if method == "set" and isinstance(func, Ref) and func.receiver is not None and self.is_memory(func.receiver):
            self.record_write(node)
            return
        # Only builtin containers (or values memlint cannot see) are mutated;
        # a user class's own `append` or `update` method is left alone.
        if not any(isinstance(o, Unknown) or (isinstance(o, Ref) and o.kind == "builtin_method")
                   for o in options_of(func)):
            return
        # What enters the container is said to come from the argument written here.
        arg_nodes = [a.value for a in node.args if a.keyword is None and not a.star]
        positional = [restamp(v, self.ctx.loc(n)) for v, n in zip(positional, arg_nodes)]
        keywords = {k: restamp(v, self.ctx.loc(a.value)) for k, v in keywords.items()
                    for a in node.args if a.keyword is not None and a.keyword.value == k}
        if method == "append" and positional:
            item = positional[0]
            self.mutate(receiver, (), lambda old: add_items(old, item, "list"))
        elif method == "insert" and len(positional) >= 2:
            item = positional[1]
            self.mutate(receiver, (), lambda old: add_items(old, item, "list"))
        elif method == "extend" and positional:
            items = restamp(iter_item(positional[0], self.index) or UNKNOWN, positional[0].origin, items=True)
            self.mutate(receiver, (), lambda old: add_items(old, items, "list"))
        elif method == "update":
            pairs: list[tuple[Value, Value]] = []
            for value in positional[:1]:
                for option in options_of(value):
                    if isinstance(option, DictOf):
                        pairs.append((option.key or UNKNOWN, option.value or UNKNOWN))
                    elif isinstance(option, Dumped):
                        pairs.append((Prim("str"), option))
                    else:
                        pairs.append((UNKNOWN, UNKNOWN))
            for value in keywords.values():
                pairs.append((Prim("str"), value))
            for key, value in pairs:
                self.mutate(receiver, (), lambda old, k=key, v=value: set_item(old, k, v))
        elif method == "setdefault" and positional:
            key = positional[0]
            default = positional[1] if len(positional) > 1 else Prim("None")
            self.mutate(receiver, (), lambda old: set_item(old, key, default))
        elif method == "add" and positional:
            item = positional[0]
            self.mutate(receiver, (), lambda old: add_items(old, item, "set"))

    def is_memory(self, value: Value) -> bool:
        return any(isinstance(o, Inst) and self.index.category(o.qualname) == "memory" for o in options_of(value))

    def record_write(self, node: cst.Call) -> None:
        path_node = value_node = None
        positional = [a for a in node.args if a.keyword is None and not a.star]
        if positional:
            path_node = positional[0].value
        if len(positional) > 1:
            value_node = positional[1].value
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "path":
                path_node = arg.value
            elif arg.keyword is not None and arg.keyword.value == "value":
                value_node = arg.value
        if value_node is None:
            return
        value = self.eval(value_node)
        path_value = self.eval(path_node) if path_node is not None else None
        path = path_value.literal if isinstance(path_value, Prim) else None
        call_loc = self.ctx.loc(node)
        value_loc = self.ctx.loc(value_node)
        if call_loc is None or value_loc is None:
            return
        key = id(node)
        previous = self.ctx.writes.get(key)
        if previous is not None:
            previous.value = union(previous.value, value) or value
            return
        self.ctx.writes[key] = MemoryWrite(node, call_loc, value_node, value_loc, value, path)

    def call_result(self, func: Value, positional: list[Value], keywords: dict[str, Value],
                    node: Optional[cst.Call]) -> Value:
        if isinstance(func, Union):
            return union(*(self.call_result(o, positional, keywords, node) for o in func.options)) or UNKNOWN
        if isinstance(func, ClassRef):
            return self.construct(func.qualname, positional, keywords)
        if not isinstance(func, Ref):
            return UNKNOWN
        if func.kind == "builtin":
            return self.builtin_call(func.qualname.split(".", 1)[1], positional, keywords, node)
        if func.kind == "builtin_method":
            result = container_method(func.receiver, func.qualname, positional)
            if isinstance(result, Unknown):
                result = self.library_method(func.receiver, func.qualname, positional, keywords)
            return result
        if func.kind == "external":
            return self.known_function(func.qualname, positional, keywords, node)
        if func.kind == "function":
            special = self.known_function(func.qualname, positional, keywords, node)
            if not isinstance(special, Unknown) or func.payload is None:
                return special
            return self.returns(func.payload, func.module, None, positional, keywords)  # type: ignore[arg-type]
        if func.kind == "method":
            return self.method_result(func, positional, keywords, node)
        return UNKNOWN

    def library_method(self, receiver: Optional[Value], name: str, positional: list[Value],
                       keywords: dict[str, Value]) -> Value:
        """A method of a builtin value, from its class in typeshed."""
        results: list[Value] = []
        for option in options_of(receiver):
            qualname = _class_of(option)
            found = self.index.attribute(qualname, name) if qualname is not None else None
            if found is None or found[0] != "method":
                return UNKNOWN
            owner = qualname if isinstance(option, Inst) else None
            results.append(self.returns(found[1], found[2], owner, positional, keywords, bound=True))  # type: ignore[arg-type]
        return union(*results) or UNKNOWN

    def library_function(self, qualname: str, positional: list[Value], keywords: dict[str, Value]) -> Value:
        """A function the hand rules do not know, from its declaration (typeshed's for builtins)."""
        resolved = self.index.resolve_qualname(qualname)
        if resolved.kind == "function" and isinstance(resolved.payload, FunctionSummary):
            return self.returns(resolved.payload, resolved.module, None, positional, keywords)
        if resolved.kind == "class":
            return self.construct(resolved.qualname, positional, keywords)
        return UNKNOWN

    def method_result(self, func: Ref, positional, keywords, node) -> Value:
        receiver = func.receiver
        name = func.qualname.rsplit(".", 1)[-1]
        if isinstance(receiver, Inst):
            category = self.index.category(receiver.qualname)
            if name in ("durable_execute", "durable_execute_async") and positional and \
                    RUNNER_CONTEXT in self.index.mro(receiver.qualname):
                result = self.call_result(positional[0], list(positional[1:]), keywords, None)
                if name == "durable_execute":
                    return awaited(result) if isinstance(result, Awaitable) else result
                return result if isinstance(result, Awaitable) else Awaitable(result)
            if category == "memory":
                if name == "set":
                    return Inst(MEMORY_REF)
                if name == "new_object":
                    return Inst(receiver.qualname)
                if name == "get":
                    return UNKNOWN
            if category == "model":
                if name in ("model_dump", "dict"):
                    mode = keywords.get("mode")
                    kept = _kept_fields(node)
                    if mode is None or (isinstance(mode, Prim) and mode.literal == "python"):
                        return Dumped(receiver.qualname, "model_dump", f"{_short(receiver.qualname)}.{name}()",
                                      fields=kept)
                    if isinstance(mode, Prim) and mode.literal == "json":
                        return Prim("json")
                    return UNKNOWN
                if name in ("model_dump_json", "json"):
                    return Prim("str")
                if name in ("model_copy", "copy"):
                    return Inst(receiver.qualname)
        elif isinstance(receiver, ClassRef):
            if name in ("model_validate", "model_validate_json", "model_construct", "parse_obj", "construct"):
                return Inst(receiver.qualname)
            summary = func.payload
            if isinstance(summary, FunctionSummary):
                bound = "classmethod" in summary.decorators
                return self.returns(summary, func.module, receiver.qualname, positional, keywords, bound)
            return UNKNOWN
        summary = func.payload
        if isinstance(summary, FunctionSummary):
            owner = receiver.qualname if isinstance(receiver, Inst) else None
            bound = owner is not None and "staticmethod" not in summary.decorators
            return self.returns(summary, func.module, owner, positional, keywords, bound)
        return UNKNOWN

    def normalization(self, instance: Inst, how: str, text: str) -> Value:
        return Dumped(instance.qualname, how, text)

    def construct(self, qualname: str, positional: list[Value], keywords: dict[str, Value]) -> Value:
        if qualname.startswith("builtins."):
            return self.builtin_call(qualname.split(".", 1)[1], positional, keywords, None)
        if qualname in ("collections.OrderedDict", "collections.defaultdict", "collections.Counter",
                        "collections.deque", "collections.ChainMap"):
            return self.index.instance_of(qualname, [])
        return self.index.instance_of(qualname, [])

    def builtin_call(self, name: str, positional: list[Value], keywords: dict[str, Value],
                     node: Optional[cst.Call]) -> Value:
        first = positional[0] if positional else None
        if name in STR_RESULT_BUILTINS:
            return Prim("str")
        if name in INT_RESULT_BUILTINS:
            return Prim("int")
        if name in BOOL_RESULT_BUILTINS:
            return Prim("bool")
        if name == "float":
            return Prim("float")
        if name == "bytes":
            return Prim("bytes")
        if name in ("bytearray", "memoryview", "complex"):
            return Inst(f"builtins.{name}")
        if name == "object" and not positional and not keywords:
            return Inst("builtins.object")  # a bare object() (a sentinel): not data
        if name == "list":
            return ListOf(iter_item(first, self.index) if first is not None else None)
        if name == "sorted":
            return ListOf(iter_item(first, self.index) if first is not None else UNKNOWN)
        if name == "dict":
            return self.dict_call(first, keywords)
        if name in ("tuple", "set", "frozenset"):
            return Container(name, iter_item(first, self.index) if first is not None else None)
        if name == "range":
            return Container("range", Prim("int"))
        if name in ITERATOR_BUILTINS:
            if name == "enumerate" and first is not None:
                item = iter_item(first, self.index) or UNKNOWN
                return Container("enumerate", Container("tuple", union(Prim("int"), item), (Prim("int"), item)))
            if name == "zip":
                items = tuple(iter_item(p, self.index) or UNKNOWN for p in positional)
                return Container("zip", Container("tuple", union(*items), items))
            if name in ("filter", "reversed", "iter") and len(positional) >= 1:
                source = positional[-1] if name == "filter" else first
                return Container(ITERATOR_BUILTINS[name], iter_item(source, self.index) if source is not None else UNKNOWN)
            return Container(ITERATOR_BUILTINS[name], UNKNOWN)
        if name in ("min", "max") and len(positional) == 1:
            default = keywords.get("default")
            return union(iter_item(first, self.index), default) or UNKNOWN
        if name in ("min", "max", "abs", "round") and positional:
            if all(isinstance(p, Prim) and p.name in ("int", "float", "bool") for p in positional):
                return union(*positional) or UNKNOWN
        if name == "sum":
            item = iter_item(first, self.index) if first is not None else None
            if item is not None and all(isinstance(o, Prim) and o.name in ("int", "float", "bool") for o in options_of(item)):
                return Prim("float" if any(o.name == "float" for o in options_of(item)) else "int")
        if name == "vars" and isinstance(first, Inst):
            return self.normalization(first, "vars", "vars(...)")
        if name == "next" and first is not None:
            return iter_item(first, self.index) or UNKNOWN
        if name in PROTOCOL_BUILTINS and positional:
            # typeshed declares these over protocols (`_SupportsRound2[T] -> T`):
            # the argument's own dunder method says what they give.
            results = [self.dunder_call(option, PROTOCOL_BUILTINS[name], positional[1:])
                       for option in options_of(positional[0])]
            if all(r is not None for r in results):
                return union(*results) or UNKNOWN  # type: ignore[arg-type]
        if name == "divmod" and len(positional) == 2:
            # typeshed says `SupportsDivMod[..., T] -> T`: a protocol memlint does not bind.
            quotient = self.binary_op(positional[0], cst.FloorDivide(), positional[1])
            remainder = self.binary_op(positional[0], cst.Modulo(), positional[1])
            return Container("tuple", union(quotient, remainder), (quotient, remainder))
        resolved = self.index.resolve_qualname(f"builtins.{name}")
        if resolved.kind == "class":
            return self.index.instance_of(resolved.qualname, [])
        return self.library_function(f"builtins.{name}", positional, keywords)

    def dict_call(self, first: Optional[Value], keywords: dict[str, Value]) -> Value:
        keys: list[Value] = [Prim("str")] if keywords else []
        values: list[Value] = list(keywords.values())
        if first is not None:
            for option in options_of(first):
                if isinstance(option, DictOf):
                    keys.append(option.key or UNKNOWN) if option.key is not None else None
                    values.append(option.value) if option.value is not None else None
                elif isinstance(option, Container) and option.kind in ("OrderedDict", "defaultdict", "Counter", "ChainMap"):
                    keys.append(UNKNOWN)
                    values.append(option.item or UNKNOWN)
                elif isinstance(option, Inst) and self.index.category(option.qualname) == "model":
                    return self.normalization(option, "dict", f"dict({_short(option.qualname)})")
                elif isinstance(option, Dumped):
                    return option
                else:
                    item = iter_item(option, self.index)
                    if isinstance(item, Container) and item.elements is not None and len(item.elements) == 2:
                        keys.append(item.elements[0])
                        values.append(item.elements[1])
                    else:
                        keys.append(UNKNOWN)
                        values.append(UNKNOWN)
        return DictOf(union(*keys), union(*values))

    def known_function(self, qualname: str, positional: list[Value], keywords: dict[str, Value],
                       node: Optional[cst.Call]) -> Value:
        first = positional[0] if positional else None
        if qualname in ("copy.copy", "copy.deepcopy", "dataclasses.replace"):
            return first or UNKNOWN
        if qualname in ("json.loads", "json.load"):
            return Prim("json")
        if qualname in ("json.dumps",):
            return Prim("str")
        if qualname == "dataclasses.asdict" and isinstance(first, Inst) and self.index.is_dataclass(first.qualname):
            return self.normalization(first, "asdict", f"dataclasses.asdict({_short(first.qualname)})")
        if qualname == "dataclasses.astuple":
            return Container("tuple", UNKNOWN)
        if qualname in ("typing.cast", "typing_extensions.cast") and node is not None and node.args:
            return self.index.value_of_type(_annotation_expr(node.args[0].value), self.ctx.module)
        return UNKNOWN


RETURN_DEPTH = 6
PROTOCOL_BUILTINS = {"round": "__round__", "abs": "__abs__"}
OPERATOR_DUNDERS = {
    cst.Add: ("__add__", "__radd__"), cst.AddAssign: ("__add__", "__radd__"),
    cst.Subtract: ("__sub__", "__rsub__"), cst.SubtractAssign: ("__sub__", "__rsub__"),
    cst.Multiply: ("__mul__", "__rmul__"), cst.MultiplyAssign: ("__mul__", "__rmul__"),
    cst.Divide: ("__truediv__", "__rtruediv__"), cst.DivideAssign: ("__truediv__", "__rtruediv__"),
    cst.FloorDivide: ("__floordiv__", "__rfloordiv__"), cst.FloorDivideAssign: ("__floordiv__", "__rfloordiv__"),
    cst.Modulo: ("__mod__", "__rmod__"), cst.ModuloAssign: ("__mod__", "__rmod__"),
    cst.Power: ("__pow__", "__rpow__"), cst.PowerAssign: ("__pow__", "__rpow__"),
    cst.BitOr: ("__or__", "__ror__"), cst.BitOrAssign: ("__or__", "__ror__"),
    cst.BitAnd: ("__and__", "__rand__"), cst.BitAndAssign: ("__and__", "__rand__"),
    cst.MatrixMultiply: ("__matmul__", "__rmatmul__"),
}
# ast operator names (in summaries' "<binop>" shapes) -> libcst operators.
BINARY_OPERATORS = {
    "Add": cst.Add, "Sub": cst.Subtract, "Mult": cst.Multiply, "Div": cst.Divide, "FloorDiv": cst.FloorDivide,
    "Mod": cst.Modulo, "Pow": cst.Power, "BitOr": cst.BitOr, "BitAnd": cst.BitAnd, "MatMult": cst.MatrixMultiply,
}
# The class whose methods a builtin value has.
BUILTIN_CLASS_OF = {"str": "builtins.str", "bytes": "builtins.bytes", "int": "builtins.int",
                    "float": "builtins.float", "bool": "builtins.bool"}
CONTAINER_CLASS_OF = {"tuple": "builtins.tuple", "set": "builtins.set", "frozenset": "builtins.frozenset",
                      "range": "builtins.range", "OrderedDict": "collections.OrderedDict",
                      "defaultdict": "collections.defaultdict", "Counter": "collections.Counter",
                      "deque": "collections.deque", "ChainMap": "collections.ChainMap"}


def _class_of(value: Value) -> Optional[str]:
    """The qualified name of the class of a value, where memlint knows it."""
    if isinstance(value, Inst):
        return value.qualname
    if isinstance(value, Prim):
        return BUILTIN_CLASS_OF.get(value.name)
    if isinstance(value, ListOf):
        return "builtins.list"
    if isinstance(value, DictOf):
        return "builtins.dict"
    if isinstance(value, Container):
        return CONTAINER_CLASS_OF.get(value.kind)
    return None


def awaited(value: Value) -> Value:
    """What `await value` gives."""
    results = [o.result if isinstance(o, Awaitable) else UNKNOWN for o in options_of(value)]
    return union(*results) or UNKNOWN


def _kept_fields(node: Optional[cst.Call]) -> Optional[tuple[tuple[str, ...], bool]]:
    """`model_dump(include={...})` / `(exclude={...})` with literal field names:
    (names, True for include / False for exclude); None when not written so."""
    if node is None:
        return None
    for arg in node.args:
        if arg.keyword is None or arg.keyword.value not in ("include", "exclude"):
            continue
        value = arg.value
        if isinstance(value, (cst.Set, cst.List, cst.Tuple)):
            names = [string_value(e.value) for e in value.elements if not isinstance(e, cst.StarredElement)]
        elif isinstance(value, cst.Dict):
            names = [string_value(e.key) for e in value.elements if isinstance(e, cst.DictElement)]
        else:
            return None
        if any(n is None for n in names):
            return None
        return tuple(n for n in names if n is not None), arg.keyword.value == "include"
    return None


def _has_bytes(node: cst.ConcatenatedString) -> bool:
    left = node.left
    return isinstance(left, cst.SimpleString) and "b" in left.prefix.lower()


def _annotation_expr(node: cst.BaseExpression) -> TypeExpr:
    from .syntax import type_expr

    return type_expr(node)


def _short(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1]


def _same_class(option: Value, cls: Value, index: Index) -> bool:
    if isinstance(cls, Prim):
        return isinstance(option, Prim) and option.name == cls.name
    if isinstance(cls, Inst):
        return isinstance(option, Inst) and cls.qualname in index.mro(option.qualname)
    if isinstance(cls, ListOf):
        return isinstance(option, ListOf)
    if isinstance(cls, DictOf):
        return isinstance(option, DictOf)
    if isinstance(cls, Container):
        return isinstance(option, Container) and option.kind == cls.kind
    return False


def iter_item(value: Optional[Value], index: Optional[Index] = None) -> Optional[Value]:
    """What iterating over `value` yields (with an index: an Enum class gives its members)."""
    if value is None:
        return None
    items: list[Value] = []
    for option in options_of(value):
        if isinstance(option, ClassRef) and index is not None and index.category(option.qualname) == "enum":
            items.append(Inst(option.qualname))
        elif isinstance(option, ListOf):
            if option.item is not None:
                items.append(option.item)
        elif isinstance(option, DictOf):
            if option.key is not None:
                items.append(option.key)
        elif isinstance(option, Container):
            if option.item is not None:
                items.append(option.item)
        elif isinstance(option, Prim) and option.name == "str":
            items.append(Prim("str"))
        else:
            items.append(UNKNOWN)
    return union(*items)


def set_item(old: Optional[Value], key: Optional[Value], value: Value) -> Value:
    """The container after `old[key] = value`."""
    results: list[Value] = []
    for option in options_of(old) or (UNKNOWN,):
        if isinstance(option, DictOf):
            results.append(DictOf(union(option.key, key) if key is not None else option.key,
                                  union(option.value, value), option.origin))
        elif isinstance(option, ListOf):
            results.append(ListOf(union(option.item, value), option.origin))
        elif isinstance(option, Unknown):
            # Something indexable we cannot see: remember what was put in; an
            # int key may be a list index, so only other keys are kept.
            known_key = key if key is not None and not (isinstance(key, Prim) and key.name == "int") else UNKNOWN
            results.append(DictOf(union(UNKNOWN, known_key), union(UNKNOWN, value)))
        else:
            results.append(option)
    return union(*results) or UNKNOWN


def add_items(old: Optional[Value], item: Value, kind: str) -> Value:
    results: list[Value] = []
    for option in options_of(old) or (UNKNOWN,):
        if isinstance(option, ListOf):
            results.append(ListOf(union(option.item, item), option.origin))
        elif isinstance(option, Container):
            results.append(Container(option.kind, union(option.item, item), None, option.origin))
        elif isinstance(option, Unknown):
            results.append(ListOf(union(UNKNOWN, item)) if kind == "list" else option)
        else:
            results.append(option)
    return union(*results) or UNKNOWN


def apply_at(current: Value, steps: tuple[str, ...], change: Callable[[Optional[Value]], Value]) -> Value:
    if not steps:
        return change(current)
    results: list[Value] = []
    rest = steps[1:]
    for option in options_of(current) or (UNKNOWN,):
        if isinstance(option, DictOf):
            results.append(DictOf(option.key, apply_at(option.value or UNKNOWN, rest, change)
                                  if option.value is not None else change(None) if not rest else None, option.origin))
        elif isinstance(option, ListOf):
            inner = apply_at(option.item, rest, change) if option.item is not None else (change(None) if not rest else None)
            results.append(ListOf(union(option.item, inner), option.origin))
        elif isinstance(option, Unknown):
            inner = apply_at(UNKNOWN, rest, change)
            results.append(DictOf(UNKNOWN, union(UNKNOWN, inner)))
        else:
            results.append(option)
    return union(*results) or UNKNOWN


def container_method(receiver: Optional[Value], name: str, positional: list[Value]) -> Value:
    """The result of a method of a builtin value (str, list, dict…)."""
    results: list[Value] = []
    for option in options_of(receiver):
        if isinstance(option, Prim) and option.name in ("str", "bytes"):
            if name in STR_METHODS_LIST:
                results.append(ListOf(Prim(option.name)))
            elif name in STR_METHODS_BOOL:
                results.append(Prim("bool"))
            elif name in STR_METHODS_INT:
                results.append(Prim("int"))
            elif name == "encode":
                results.append(Prim("bytes"))
            elif name == "decode":
                results.append(Prim("str"))
            elif name in ("partition", "rpartition"):
                results.append(Container("tuple", Prim(option.name)))
            else:
                results.append(Prim(option.name))
        elif isinstance(option, Prim) and option.name in ("int", "float"):
            if name in ("is_integer",):
                results.append(Prim("bool"))
            elif name in ("as_integer_ratio",):
                results.append(Container("tuple", Prim("int")))
            else:
                results.append(UNKNOWN)
        elif isinstance(option, ListOf):
            if name == "copy":
                results.append(option)
            elif name == "pop":
                results.append(option.item or UNKNOWN)
            elif name in ("index", "count"):
                results.append(Prim("int"))
            elif name in ("append", "extend", "insert", "sort", "reverse", "clear", "remove"):
                results.append(Prim("None"))
            else:
                results.append(UNKNOWN)
        elif isinstance(option, DictOf):
            key, value = option.key or UNKNOWN, option.value or UNKNOWN
            if name == "copy":
                results.append(option)
            elif name in ("get", "pop"):
                default = positional[1] if len(positional) > 1 else Prim("None")
                results.append(union(value, default) or UNKNOWN)
            elif name == "setdefault":
                default = positional[1] if len(positional) > 1 else Prim("None")
                results.append(union(value, default) or UNKNOWN)
            elif name == "items":
                results.append(Container("dict_items", Container("tuple", union(key, value), (key, value))))
            elif name == "keys":
                results.append(Container("dict_keys", key))
            elif name == "values":
                results.append(Container("dict_values", value))
            elif name in ("update", "clear"):
                results.append(Prim("None"))
            else:
                results.append(UNKNOWN)
        elif isinstance(option, Container):
            if name == "copy":
                results.append(option)
            elif name in ("items", "keys", "values"):
                results.append(Container(f"dict_{name}", UNKNOWN))
            else:
                results.append(UNKNOWN)
        else:
            results.append(UNKNOWN)
    return union(*results) or UNKNOWN


NUMERIC = ("bool", "int", "float")


def binary(left: Value, operator: cst.BaseBinaryOp, right: Value, index: Index) -> Value:
    complex_number = Inst("builtins.complex")
    for one, other in ((left, right), (right, left)):
        if (isinstance(one, Inst) and one.qualname == "builtins.complex"
                and (isinstance(other, Prim) and other.name in NUMERIC or other == one)
                and isinstance(operator, (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.Power,
                                          cst.AddAssign, cst.SubtractAssign, cst.MultiplyAssign))):
            return complex_number
    if isinstance(operator, (cst.Multiply, cst.MultiplyAssign)):
        # List repetition keeps the items: [uuid4()] * 2 is a list of UUIDs.
        for one, other in ((left, right), (right, left)):
            if isinstance(one, ListOf) and isinstance(other, Prim) and other.name in ("int", "bool"):
                return ListOf(one.item, one.origin)
    if isinstance(left, Prim) and isinstance(right, Prim):
        if left.name in NUMERIC and right.name in NUMERIC:
            if isinstance(operator, (cst.Divide, cst.DivideAssign)):
                return Prim("float")
            if "float" in (left.name, right.name):
                return Prim("float")
            return Prim("int")
        if left.name in ("str", "bytes") and isinstance(operator, (cst.Add, cst.AddAssign, cst.Modulo, cst.ModuloAssign,
                                                                   cst.Multiply, cst.MultiplyAssign)):
            return Prim(left.name)
        if right.name == "str" and isinstance(operator, (cst.Multiply, cst.MultiplyAssign)) and left.name == "int":
            return Prim("str")
        return UNKNOWN
    if isinstance(left, Prim) and left.name == "str" and isinstance(operator, (cst.Modulo, cst.ModuloAssign)):
        return Prim("str")
    if isinstance(operator, (cst.Add, cst.AddAssign)):
        if isinstance(left, ListOf) and any(isinstance(o, (ListOf, Container)) for o in options_of(right)):
            return ListOf(union(left.item, iter_item(right)), left.origin)
        if isinstance(left, ListOf):
            return ListOf(union(left.item, UNKNOWN), left.origin)
    if isinstance(operator, (cst.BitOr, cst.BitOrAssign)) and isinstance(left, DictOf) and isinstance(right, DictOf):
        return DictOf(union(left.key, right.key), union(left.value, right.value), left.origin)
    if isinstance(left, Inst) and left.qualname == "builtins.complex" and isinstance(
            operator, (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.AddAssign, cst.SubtractAssign)):
        return left
    return UNKNOWN


def summary_of(node: cst.FunctionDef) -> FunctionSummary:
    from .syntax import summarize_function

    return summarize_function(node)


def parameter_env(ctx: FileContext, node: cst.FunctionDef, outer: Env, self_class: Optional[str]) -> Env:
    env = dict(outer)
    p = node.params
    ordered = [*p.posonly_params, *p.params]
    is_method = self_class is not None and not any(
        decorator_name in ("staticmethod",) for decorator_name in (dotted_name(d.decorator) for d in node.decorators))
    for i, param in enumerate((*ordered, *p.kwonly_params)):
        name = param.name.value
        if param.annotation is not None:
            declared = ctx.index.value_of_type(_annotation_expr(param.annotation.annotation), ctx.module)
            env[name] = declared.at(ctx.loc(param)) if not isinstance(declared, Unknown) else declared
        elif i == 0 and is_method and param in ordered:
            is_class_method = any(dotted_name(d.decorator) == "classmethod" for d in node.decorators)
            env[name] = ClassRef(self_class) if is_class_method else Inst(self_class)  # type: ignore[arg-type]
        else:
            env[name] = UNKNOWN
    if isinstance(p.star_arg, cst.Param):
        env[p.star_arg.name.value] = Container("tuple", UNKNOWN)
    if isinstance(p.star_kwarg, cst.Param):
        env[p.star_kwarg.name.value] = DictOf(Prim("str"), UNKNOWN)
    return env


def interpret_function(ctx: FileContext, node: cst.FunctionDef, outer: Env,
                       wanted: Callable[[cst.CSTNode], bool], self_class: Optional[str]) -> None:
    env = parameter_env(ctx, node, outer, self_class)
    interpreter = Interpreter(ctx, env, wanted, self_class)
    interpreter.run_block(_body(node.body))


def interpret_class(ctx: FileContext, node: cst.ClassDef, wanted: Callable[[cst.CSTNode], bool],
                    outer: Optional[Env] = None) -> None:
    qualname = f"{ctx.module.name}.{node.name.value}" if ctx.module.name else node.name.value
    for statement in _body(node.body):
        if isinstance(statement, cst.FunctionDef) and wanted(statement):
            interpret_function(ctx, statement, dict(outer or {}), wanted, qualname)
        elif isinstance(statement, cst.ClassDef) and wanted(statement):
            interpret_class(ctx, statement, wanted, outer)


def interpret_module(ctx: FileContext, module: cst.Module, wanted_top: Callable[[cst.CSTNode], bool],
                     wanted: Callable[[cst.CSTNode], bool]) -> list[MemoryWrite]:
    """Interpret every top-level definition (and top-level code) that `wanted_top`
    selects; inside them, every nested definition that `wanted` selects."""
    code = {id(statement) for statement in interpret_definitions(ctx, module.body, wanted_top, wanted)}
    if code:
        # Module-level code runs in order, with the imports and assignments before it.
        interpreter = Interpreter(ctx, {}, wanted, None)
        for statement in module.body:
            if interpreter.env is None:
                break
            if id(statement) in code or (isinstance(statement, cst.SimpleStatementLine) and any(
                    isinstance(s, (cst.Import, cst.ImportFrom, cst.Assign, cst.AnnAssign)) for s in statement.body)):
                interpreter.statement(statement)
    return sorted(ctx.writes.values(), key=lambda w: (w.call_loc.line, w.call_loc.column))


def interpret_definitions(ctx: FileContext, statements: Sequence[cst.BaseStatement],
                          wanted_top: Callable[[cst.CSTNode], bool],
                          wanted: Callable[[cst.CSTNode], bool]) -> list[cst.BaseStatement]:
    """Interpret the top-level functions and classes among `statements` that
    `wanted_top` selects; return the other statements it selects (module-level
    code, which only a whole module can interpret)."""
    code: list[cst.BaseStatement] = []
    for statement in statements:
        if isinstance(statement, cst.FunctionDef):
            if wanted_top(statement):
                interpret_function(ctx, statement, {}, wanted, None)
        elif isinstance(statement, cst.ClassDef):
            if wanted_top(statement):
                interpret_class(ctx, statement, wanted)
        elif wanted_top(statement):
            code.append(statement)
    return code


__all__ = ["FileContext", "MemoryWrite", "interpret_definitions", "interpret_module", "iter_item"]
_unused: Iterable = (builtins,)
