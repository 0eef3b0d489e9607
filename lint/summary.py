"""summarize: what other modules need to know of a module, as plain frozen data.

Imports and aliases, classes (bases, annotated fields, methods, enum members,
decorators), function signatures and module constants. Pure: the same
module text always gives the same summary, so it can be cached by content.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import libcst as cst


@dataclass(frozen=True)
class TypeExpr:
    """An annotation (or a callee) as written: a dotted name and its arguments.

    Special names: "None"; "|" (a union written with |); "<str>", "<int>",
    "<float>", "<bool>", "<bytes>" (literal values inside Literal[...]);
    "..." (ellipsis); "" (something memlint does not read)."""

    name: str
    args: tuple["TypeExpr", ...] = ()


UNREAD = TypeExpr("")


@dataclass(frozen=True)
class FunctionSummary:
    name: str
    params: tuple[tuple[str, Optional[TypeExpr]], ...]
    returns: Optional[TypeExpr]
    decorators: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClassSummary:
    name: str
    bases: tuple[TypeExpr, ...]
    decorators: tuple[str, ...]
    fields: tuple[tuple[str, TypeExpr], ...]
    methods: tuple[FunctionSummary, ...]
    # Class-level `NAME = <value>` assignments: (name, kind of the value) where
    # kind is "str", "int", "float", "bool", "None", "auto" or "other".
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

    def lookup(self, name: str):
        """(kind, payload) for a top-level name, or None."""
        for cls in self.classes:
            if cls.name == name:
                return ("class", cls)
        for function in self.functions:
            if function.name == name:
                return ("function", function)
        for local, target in self.imports:
            if local == name:
                return ("import", target)
        for const_name, value in self.constants:
            if const_name == name:
                return ("constant", value)
        for var_name, expr in self.variables:
            if var_name == name:
                return ("variable", expr)
        return None


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def decorator_name(decorator: cst.Decorator) -> str:
    node = decorator.decorator
    if isinstance(node, cst.Call):
        node = node.func
    return dotted_name(node) or ""


def string_value(node: cst.BaseExpression) -> Optional[str]:
    """The value of a plain (non-f, non-bytes) string literal, else None."""
    if isinstance(node, cst.SimpleString):
        prefix = node.prefix.lower()
        if "b" in prefix:
            return None
        if prefix in ("", "u", "r"):
            # Most literals need no evaluation (libcst's evaluated_value
            # compiles each one with ast.literal_eval).
            raw = node.value[len(node.prefix):]
            quote = raw[:3] if raw[:3] in ('"""', "'''") else raw[:1]
            body = raw[len(quote):-len(quote)]
            if "\\" not in body and "\r" not in body:
                return body
        try:
            value = node.evaluated_value
        except Exception:  # noqa: BLE001 - libcst raises plain exceptions on odd literals
            return None
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        pieces: list[str] = []
        stack: list[cst.BaseExpression] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.ConcatenatedString):
                stack.append(current.right)
                stack.append(current.left)
                continue
            piece = string_value(current)
            if piece is None:
                return None
            pieces.append(piece)
        return "".join(pieces)
    return None


def type_expr(node: Optional[cst.BaseExpression], depth: int = 0) -> TypeExpr:
    """Read an annotation expression into a TypeExpr."""
    if node is None or depth > 20:
        return UNREAD
    name = dotted_name(node)
    if name is not None:
        return TypeExpr(name)
    if isinstance(node, cst.Subscript):
        base = dotted_name(node.value)
        if base is None:
            return UNREAD
        args: list[TypeExpr] = []
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                args.append(_type_arg(element.slice.value, depth + 1))
        return TypeExpr(base, tuple(args))
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return TypeExpr("|", (type_expr(node.left, depth + 1), type_expr(node.right, depth + 1)))
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        text = string_value(node)
        if text is None:
            return UNREAD
        try:
            return type_expr(cst.parse_expression(text.strip()), depth + 1)
        except Exception:  # noqa: BLE001 - any unparsable string annotation is unread
            return UNREAD
    if isinstance(node, cst.Ellipsis):
        return TypeExpr("...")
    return UNREAD


def _type_arg(node: cst.BaseExpression, depth: int) -> TypeExpr:
    # Inside Literal[...] strings are values, not forward references.
    if isinstance(node, cst.SimpleString):
        text = string_value(node)
        if text is not None and not text.isidentifier() and "." not in text and "[" not in text:
            return TypeExpr("<str>")
    if isinstance(node, cst.Integer):
        return TypeExpr("<int>")
    if isinstance(node, cst.Float):
        return TypeExpr("<float>")
    if isinstance(node, cst.List):
        return UNREAD  # Callable[[...], R] parameter lists
    return type_expr(node, depth)


def literal_kind(node: cst.BaseExpression) -> str:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        if isinstance(node, cst.SimpleString) and "b" in node.prefix.lower():
            return "bytes"
        return "str"
    if isinstance(node, cst.Integer):
        return "int"
    if isinstance(node, cst.Float):
        return "float"
    if isinstance(node, cst.UnaryOperation) and isinstance(node.expression, (cst.Integer, cst.Float)):
        return literal_kind(node.expression)
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return "bool"
    if isinstance(node, cst.Name) and node.value == "None":
        return "None"
    if isinstance(node, cst.Call) and dotted_name(node.func) in ("auto", "enum.auto"):
        return "auto"
    return "other"


def summarize_function(node: cst.FunctionDef) -> FunctionSummary:
    params: list[tuple[str, Optional[TypeExpr]]] = []
    p = node.params
    for param in (*p.posonly_params, *p.params, *p.kwonly_params):
        params.append((param.name.value, type_expr(param.annotation.annotation) if param.annotation else None))
    for star in (p.star_arg, p.star_kwarg):
        if isinstance(star, cst.Param):
            params.append(("*" + star.name.value, None))
    returns = type_expr(node.returns.annotation) if node.returns else None
    return FunctionSummary(
        name=node.name.value,
        params=tuple(params),
        returns=returns,
        decorators=tuple(decorator_name(d) for d in node.decorators),
    )


MEMORY_ATTRIBUTE_NAMES = ("sensory_memory", "short_term_memory")


def _instance_attributes(node: cst.FunctionDef, summary: FunctionSummary) -> list[tuple[str, TypeExpr]]:
    """`self.x: T = ...`, `self.x = <annotated parameter>` and `self.x = ctx.short_term_memory`
    in a method's top-level statements: what instance attributes hold."""
    if not summary.params or not isinstance(node.body, cst.IndentedBlock):
        return []
    self_name = summary.params[0][0]
    annotations = dict(summary.params)
    found: list[tuple[str, TypeExpr]] = []
    for statement in node.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.AnnAssign):
                target, annotation = small.target, type_expr(small.annotation.annotation)
            elif isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, annotation = small.targets[0].target, None
                value = small.value
                if isinstance(value, cst.Name) and annotations.get(value.value) is not None:
                    annotation = annotations[value.value]
                elif isinstance(value, cst.Attribute) and value.attr.value in MEMORY_ATTRIBUTE_NAMES:
                    annotation = TypeExpr("<memory>")
                elif (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                      and value.func.attr.value == "new_object"):
                    annotation = TypeExpr("<memory>")
            else:
                continue
            if (annotation is not None and isinstance(target, cst.Attribute)
                    and isinstance(target.value, cst.Name) and target.value.value == self_name):
                found.append((target.attr.value, annotation))
    return found


def summarize_class(node: cst.ClassDef) -> ClassSummary:
    fields: list[tuple[str, TypeExpr]] = []
    methods: list[FunctionSummary] = []
    members: list[tuple[str, str]] = []
    has_serializer = False
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for statement in body:
        if isinstance(statement, cst.FunctionDef):
            summary = summarize_function(statement)
            methods.append(summary)
            fields.extend(_instance_attributes(statement, summary))
            if any(d.rsplit(".", 1)[-1] == "model_serializer" for d in summary.decorators):
                has_serializer = True
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                fields.append((small.target.value, type_expr(small.annotation.annotation)))
            elif isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
                if isinstance(target, cst.Name):
                    members.append((target.value, literal_kind(small.value)))
    bases = tuple(type_expr(arg.value) for arg in node.bases if arg.keyword is None and not arg.star)
    return ClassSummary(
        name=node.name.value,
        bases=bases,
        decorators=tuple(decorator_name(d) for d in node.decorators),
        fields=tuple(fields),
        methods=tuple(methods),
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


def summarize_module(module: cst.Module, name: str, path: str, is_package: bool) -> ModuleSummary:
    imports: list[tuple[str, str]] = []
    star: list[str] = []
    classes: list[ClassSummary] = []
    functions: list[FunctionSummary] = []
    constants: list[tuple[str, str]] = []
    variables: list[tuple[str, TypeExpr]] = []

    def visit_block(statements: Sequence[cst.BaseStatement]) -> None:
        for statement in statements:
            if isinstance(statement, cst.ClassDef):
                classes.append(summarize_class(statement))
            elif isinstance(statement, cst.FunctionDef):
                functions.append(summarize_function(statement))
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    visit_small(small)
            elif isinstance(statement, cst.If):
                # `if TYPE_CHECKING:` imports and version-dependent definitions.
                visit_block(statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ())
                orelse = statement.orelse
                while orelse is not None:
                    if isinstance(orelse, cst.If):
                        visit_block(orelse.body.body if isinstance(orelse.body, cst.IndentedBlock) else ())
                        orelse = orelse.orelse
                    else:
                        visit_block(orelse.body.body if isinstance(orelse.body, cst.IndentedBlock) else ())
                        orelse = None
            elif isinstance(statement, cst.Try):
                visit_block(statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ())
                for handler in statement.handlers:
                    visit_block(handler.body.body if isinstance(handler.body, cst.IndentedBlock) else ())

    def visit_small(small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Import):
            for alias in small.names:
                full = dotted_name(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    imports.append((alias.asname.name.value, full))
                else:
                    top = full.split(".", 1)[0]
                    imports.append((top, top))
        elif isinstance(small, cst.ImportFrom):
            source = dotted_name(small.module) if small.module is not None else ""
            base = absolute_import(name, is_package, len(small.relative), source or "")
            if isinstance(small.names, cst.ImportStar):
                star.append(base)
                return
            for alias in small.names:
                imported = dotted_name(alias.name) or ""
                local = imported
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    local = alias.asname.name.value
                imports.append((local, f"{base}.{imported}" if base else imported))
        elif isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            if isinstance(target, cst.Name):
                record_binding(target.value, small.value, None)
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            record_binding(small.target.value, small.value, small.annotation.annotation)

    def record_binding(target: str, value: Optional[cst.BaseExpression], annotation) -> None:
        text = string_value(value) if value is not None else None
        if text is not None:
            constants.append((target, text))
            return
        if annotation is not None:
            if dotted_name(annotation) not in ("TypeAlias", "typing.TypeAlias"):
                variables.append((target, type_expr(annotation)))
                return
        if value is None:
            return
        if isinstance(value, cst.Call):
            callee = dotted_name(value.func)
            if callee is not None:
                variables.append((target, TypeExpr("<call>", (TypeExpr(callee),))))
            return
        if isinstance(value, (cst.Name, cst.Attribute, cst.Subscript, cst.BinaryOperation)):
            expr = type_expr(value)
            if expr != UNREAD:
                variables.append((target, TypeExpr("<value>", (expr,))))

    visit_block(module.body)
    return ModuleSummary(
        name=name,
        path=path,
        is_package=is_package,
        imports=tuple(imports),
        star_imports=tuple(star),
        classes=tuple(classes),
        functions=tuple(functions),
        constants=tuple(constants),
        variables=tuple(variables),
    )
