"""Reading libcst nodes of the file being checked: dotted names, string
literals, annotations (as summary.TypeExpr) and the signatures of functions
defined inside function bodies. Other modules are summarized with `ast`
(summary.py); this is for the nodes the interpreter and the fixer walk.
"""
from __future__ import annotations

import dataclasses
from typing import Iterator, Optional

import libcst as cst

from .summary import UNREAD, FunctionSummary, TypeExpr


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
# What a field's value is, by its type: 1 a node, 2 a sequence, 0 neither.
# libcst's classes are ABCs, so isinstance(x, cst.CSTNode) runs Python code
# each time; this asks once per type (millions of fields per run).
_VALUE_KIND: dict[type, int] = {}


def _value_kind(kind: type) -> int:
    found = _VALUE_KIND.get(kind)
    if found is None:
        found = _VALUE_KIND[kind] = 1 if issubclass(kind, cst.CSTNode) else 2 if issubclass(kind, (tuple, list)) else 0
    return found


_IS_EXPRESSION: dict[type, bool] = {}


def is_expression(node: cst.CSTNode) -> bool:
    """isinstance(node, cst.BaseExpression), asked once per node type."""
    found = _IS_EXPRESSION.get(type(node))
    if found is None:
        found = _IS_EXPRESSION[type(node)] = issubclass(type(node), cst.BaseExpression)
    return found


def child_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The node's children, read from its fields. libcst's own `children` and
    `visit` rebuild every node they pass (several times the cost); this only
    reads. The order is the fields', which is not always the source order."""
    names = _CHILD_FIELDS.get(type(node))
    if names is None:
        names = _CHILD_FIELDS[type(node)] = tuple(f.name for f in dataclasses.fields(node))
    kinds = _VALUE_KIND
    for name in names:
        value = getattr(node, name)
        kind = kinds.get(type(value))
        if kind is None:
            kind = _value_kind(type(value))
        if kind == 1:
            yield value
        elif kind == 2:
            for item in value:
                item_kind = kinds.get(type(item))
                if item_kind == 1 or (item_kind is None and _value_kind(type(item)) == 1):
                    yield item


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


def summarize_function(node: cst.FunctionDef) -> FunctionSummary:
    """The signature of a function defined inside a body being interpreted."""
    params: list[tuple[str, Optional[TypeExpr]]] = []
    kinds: list[str] = []
    defaults: list[bool] = []
    p = node.params
    for kind, group in (("posonly", p.posonly_params), ("pos", p.params), ("kwonly", p.kwonly_params)):
        for param in group:
            params.append((param.name.value, type_expr(param.annotation.annotation) if param.annotation else None))
            kinds.append(kind)
            defaults.append(param.default is not None)
    for prefix, kind, star in (("*", "var", p.star_arg), ("**", "varkw", p.star_kwarg)):
        if isinstance(star, cst.Param):
            params.append((prefix + star.name.value, None))
            kinds.append(kind)
            defaults.append(True)
    returns = type_expr(node.returns.annotation) if node.returns else None
    return FunctionSummary(
        name=node.name.value,
        params=tuple(params),
        returns=returns,
        decorators=tuple(decorator_name(d) for d in node.decorators),
        kinds=tuple(kinds),
        defaults=tuple(defaults),
        is_async=node.asynchronous is not None,
    )


def nfkc(text: str) -> str:
    """The text as Python's parser sees identifiers (NFKC, PEP 3131); line
    breaks are unchanged, so line numbers stay valid. Used to find candidate
    and hint lines; strings and comments may change too, which only widens
    the search."""
    import unicodedata

    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def normalize_names(module: cst.Module) -> None:
    """Rewrite, in place, every non-ASCII identifier to its NFKC form, as
    Python does when it parses (`ﬁx` is `fix`). Node identities are kept, so
    positions computed before stay valid; code generated from a changed
    node spells the name the way Python reads it (the same name)."""
    import unicodedata

    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            if not node.value.isascii():
                object.__setattr__(node, "value", unicodedata.normalize("NFKC", node.value))
            continue
        stack.extend(child_nodes(node))
