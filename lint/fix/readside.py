"""readside: the reads of a memory path in a module, and whether each one
already rebuilds the rich value a fix would stop storing.

This decides a fix's safety (Ruff's convention: "safe" only when no reader
can observe a different value). A fix that converts the value written at
memory path P is safe when

1. every edit lies inside the `set()` call (no other use of the value in the
   code changes), and the edit converts the whole stored value;
2. P is known (a string literal or a module constant), the module reads P
   (or a path above or below it) at least once, and every such read passes
   the value straight to the reconstruction of the rich type
   (`Model.model_validate(mem.get(P))`, `UUID(mem.get(P))`,
   `MyEnum(mem.get(P))`, `datetime.fromisoformat(mem.get(P))`,
   `[Model.model_validate(m) for m in mem.get(P)]`, `tuple(mem.get(P))`, ...),
   or only compares it with None;
3. nothing in the module reads memory in a way memlint cannot pair with P
   (`mem.get(<expression it cannot resolve>)`, `mem.get_fields()`).

A path that is never read in the module is read somewhere memlint cannot see
(another module, another job version), so a fix of it is unsafe.

Reads are found with `ast` (about a tenth of a libcst parse), only for files
that have a fix whose edits lie inside the call; a long-lived caller (the
language server's lint/incremental.py) keeps them per run of top-level
statements (ReadParts) and provides them (`provided_reads`).
"""
from __future__ import annotations

import ast
import re
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator, Optional

from ..prefilter import MEMORY_ATTRIBUTE_NAMES
from ..summary import ast_dotted

READ_METHODS = ("get",)
READ_ALL_METHODS = ("get_fields", "get_field_names")


def related_paths(a: str, b: str) -> bool:
    """Does a read of one path see the value written at the other?"""
    return (a == b or a.startswith(b + ".") or b.startswith(a + ".") or a.endswith("." + b)
            or b.endswith("." + a))


class Read:
    def __init__(self, call: ast.Call, path: Optional[str], parents) -> None:
        self.call = call
        self.path = path  # None: memlint cannot tell which path
        self.parents = parents

    def parent(self, node: ast.AST) -> Optional[ast.AST]:
        return self.parents.get(id(node))


READ_CALL = re.compile(r"""\.\s*get\s*\(\s*(?:(?P<quote>["'])(?P<literal>[^"'\\\n]*)(?P=quote)|(?P<name>[A-Za-z_]\w*))""")
CONSTANT = re.compile(r"""^(?P<name>[A-Za-z_]\w*)\s*(?::[^=\n]*)?=\s*(?P<quote>["'])(?P<value>[^"'\\\n]*)(?P=quote)\s*$""",
                      re.MULTILINE)


def module_constants(text: str) -> dict[str, str]:
    """Top-level `NAME = "text"` assignments (a quick scan; good enough to find reads)."""
    return {m.group("name"): m.group("value") for m in CONSTANT.finditer(text)}


def may_read(text: str, path: str, constants: Optional[dict[str, str]] = None) -> bool:
    """Can the text read `path` (a `.get(` of it, literally or through a module constant)?
    A quick scan that lets most files skip parsing for reads. For many paths
    of one text, build ReadPaths once."""
    return ReadPaths(text, constants).may_read(path)


def _dot_prefixes_and_suffixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))] + [".".join(parts[i:]) for i in range(1, len(parts))]


class ReadPaths:
    """The paths a text reads (`.get(PATH)`, PATH a literal or a module
    constant), scanned once; may_read(path) costs the length of the path, not
    of the text: related_paths(a, b) holds when one is the other or a
    dot-prefix or dot-suffix of it."""

    def __init__(self, text: str, constants: Optional[dict[str, str]] = None) -> None:
        constants = module_constants(text) if constants is None else constants
        self.read: set[str] = set()
        for match in READ_CALL.finditer(text):
            literal = match.group("literal")
            if literal is not None:
                self.read.add(literal)
            name = match.group("name")
            if name is not None and name in constants:
                self.read.add(constants[name])
        self.parts: set[str] = set()  # every dot-prefix and dot-suffix of a read path
        for read in self.read:
            self.parts.update(_dot_prefixes_and_suffixes(read))

    def may_read(self, path: str) -> bool:
        if path in self.read or path in self.parts:
            return True
        return any(part in self.read for part in _dot_prefixes_and_suffixes(path))


class ReadParts:
    """What `Reads` takes from the `ast` of whole top-level statements (a
    module, or one of the runs of statements lint/incremental.py cuts it into),
    found in one walk and holding no line number: a caller that keeps the
    parts of unchanged statements builds the reads of an edited module from
    them (`provided_reads`) without parsing or walking it again.

    Memory names and reads are found in the order `ast.walk` meets them in the
    whole module (breadth first: by depth, then by statement): each is kept
    with its (depth, sequence) and `Reads` merges the parts in that order."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self._parents: Optional[dict[int, ast.AST]] = None
        self.constants: dict[str, str] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = node.value.value
            elif (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None
                  and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                self.constants[node.target.id] = node.value.value
        # (depth, sequence, memory key of the value, names bound): a name is a
        # memory name when the value is one (key True: always)
        self.bindings: list[tuple[int, int, object, tuple[str, ...]]] = []
        # (depth, sequence, call, method, memory key of the receiver, literal path, constant name)
        self.calls: list[tuple] = []
        level: list[ast.AST] = [tree]
        depth = sequence = 0
        while level:
            below: list[ast.AST] = []
            for node in level:
                sequence += 1
                below.extend(ast.iter_child_nodes(node))
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    key = _memory_key(node.value)
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names = tuple(d for d in map(ast_dotted, targets) if d)
                    if key is not None and names:
                        self.bindings.append((depth, sequence, key, names))
                elif isinstance(node, ast.arg) and node.annotation is not None:
                    annotation = ast.unparse(node.annotation) if hasattr(ast, "unparse") else ""
                    if "MemoryObject" in annotation:
                        self.bindings.append((depth, sequence, True, (node.arg,)))
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    method = node.func.attr
                    if method in READ_ALL_METHODS or (method in READ_METHODS and node.args):
                        argument = node.args[0] if node.args else None
                        literal = argument.value if isinstance(argument, ast.Constant) and isinstance(
                            argument.value, str) else None
                        name = argument.id if isinstance(argument, ast.Name) else None
                        self.calls.append((depth, sequence, node, method, _memory_key(node.func.value), literal, name))
            level = below
            depth += 1

    @property
    def parents(self) -> dict[int, ast.AST]:
        """id(node) -> its parent (computed when a read's use is followed)."""
        if self._parents is None:
            self._parents = {id(child): node for node in ast.walk(self.tree) for child in ast.iter_child_nodes(node)}
        return self._parents


def _memory_key(node: ast.AST) -> object:
    """What decides whether `node` is a memory object: True (`x.new_object(...)`),
    its dotted name (memory when it ends in a memory attribute or is a memory
    name), or None (never)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "new_object":
        return True
    return ast_dotted(node)


class _Parents:
    """The parents of the nodes of several parts as one module's: a part's root
    stands for the whole module (the parts' statements side by side)."""

    def __init__(self, own: ReadParts, parts: list[ReadParts], whole: list) -> None:
        self.own, self.parts, self.whole = own, parts, whole

    def get(self, key: int, default=None):
        parent = self.own.parents.get(key)
        if parent is None:  # a use elsewhere in the module (a module-level name)
            parent = next((p for p in (part.parents.get(key) for part in self.parts) if p is not None), None)
        if parent is None:
            return default
        if isinstance(parent, ast.Module):
            if not self.whole:
                self.whole.append(self.parts[0].tree if len(self.parts) == 1 else ast.Module(
                    body=[node for part in self.parts for node in part.tree.body], type_ignores=[]))
            return self.whole[0]
        return parent


_PROVIDED: ContextVar[Optional[tuple[str, Callable[[], list[ReadParts]]]]] = ContextVar("memlint_reads", default=None)


@contextmanager
def provided_reads(text: str, parts: Callable[[], list[ReadParts]]) -> Iterator[None]:
    """While in this block, `Reads(text, ...)` of this very text is built from
    `parts()` (the ReadParts of its top-level statements in order, parsed from
    the text or from text whose reads are the same) instead of parsing it."""
    token = _PROVIDED.set((text, parts))
    try:
        yield
    finally:
        _PROVIDED.reset(token)


class Reads:
    def __init__(self, text: str, module, checker, memory_attributes: tuple[str, ...] = MEMORY_ATTRIBUTE_NAMES) -> None:
        self.reads: list[Read] = []
        self.reads_everything = False
        provided = _PROVIDED.get()
        if provided is not None and (provided[0] is text or provided[0] == text):
            parts = provided[1]()
        else:
            try:
                tree = ast.parse(text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                self.reads_everything = True
                return
            parts = [ReadParts(tree)]
        constants: dict[str, str] = {}
        for part in parts:
            constants.update(part.constants)
        memory_names: set[str] = set()

        def memory(key: object) -> bool:
            if key is True:
                return True
            return isinstance(key, str) and (key.rsplit(".", 1)[-1] in memory_attributes or key in memory_names)

        for _, _, _, key, names in sorted((b[0], i, *b[1:]) for i, part in enumerate(parts) for b in part.bindings):
            if memory(key):
                memory_names.update(names)
        whole: list = []
        calls = sorted(((c[0], i, c[1]), c, part) for i, part in enumerate(parts) for c in part.calls)
        for _, (_, _, node, method, receiver, literal, name), part in calls:
            if method in READ_ALL_METHODS and memory(receiver):
                self.reads_everything = True
            if method not in READ_METHODS:
                continue
            path: Optional[str] = literal
            if path is None and name is not None:
                path = constants.get(name)
            if path is None and not memory(receiver):
                continue  # `d.get(key)` on a dict is common; only memory receivers count.
            self.reads.append(Read(node, path, _Parents(part, parts, whole)))

    def of(self, path: str) -> list[Read]:
        return [r for r in self.reads if r.path is None or related_paths(r.path, path)]

    def all_rebuild(self, path: Optional[str], finding, plan) -> bool:
        if path is None or self.reads_everything or not getattr(plan, "whole", False):
            return False
        reads = self.of(path)
        if not reads:
            return False
        return all(read.path == path and self._rebuilds(read, plan) for read in reads)

    def _rebuilds(self, read: Read, plan) -> bool:
        if not plan.rebuild:
            return False
        return self._consumed(read, read.call, plan, 0)

    def _consumed(self, read: Read, node: ast.AST, plan, depth: int) -> bool:
        """Is the value of `node` (a read, or a name holding one) only ever
        rebuilt, or compared with None?"""
        parent = read.parent(node)
        if isinstance(parent, ast.Compare) and all(isinstance(op, (ast.Is, ast.IsNot)) for op in parent.ops) and \
                any(isinstance(c, ast.Constant) and c.value is None for c in (parent.left, *parent.comparators)):
            return True
        if isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.Or) and parent.values[0] is node:
            # `mem.get(P) or default`: the default is rebuilt along with it.
            return self._consumed(read, parent, plan, depth)
        if plan.per_item:
            # [Model.model_validate(m) for m in mem.get(P)]
            if isinstance(parent, ast.comprehension) and parent.iter is node:
                comprehension = read.parent(parent)
                if isinstance(comprehension, ast.ListComp) and len(comprehension.generators) == 1 and \
                        isinstance(parent.target, ast.Name) and not parent.ifs:
                    return _is_rebuild_call(comprehension.elt, plan.rebuild, parent.target.id)
        elif _is_rebuild_call(parent, plan.rebuild, None, node):
            return True
        if isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1 and \
                isinstance(parent.targets[0], ast.Name) and depth < 3:
            # raw = mem.get(P) ... Model.model_validate(raw): every use of the name.
            name = parent.targets[0].id
            scope = read.parent(parent)
            while scope is not None and not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
                scope = read.parent(scope)
            if scope is None:
                return False
            uses = [n for n in ast.walk(scope) if isinstance(n, ast.Name) and n.id == name
                    and isinstance(n.ctx, ast.Load)]
            return bool(uses) and all(self._consumed(read, use, plan, depth + 1) for use in uses)
        return False


def _is_rebuild_call(node: Optional[ast.AST], rebuild: str, variable: Optional[str],
                     argument: Optional[ast.AST] = None) -> bool:
    """Is `node` a call of `rebuild` ("UUID(...)", "Model.model_validate(...)",
    "timedelta(seconds=...)") on `argument` (or on the name `variable`)?"""
    if not isinstance(node, ast.Call):
        return False
    callee = ast_dotted(node.func)
    if callee is None:
        return False
    name, _, rest = rebuild.partition("(")
    keyword = rest[:-len("=...)")] if rest.endswith("=...)") else None
    if not (callee == name or callee.endswith("." + name)):
        return False
    if keyword:
        values = [k.value for k in node.keywords if k.arg == keyword]
        if len(values) != 1 or node.args:
            return False
        value = values[0]
    else:
        if len(node.args) != 1 or node.keywords:
            return False
        value = node.args[0]
    if argument is not None:
        return value is argument
    return isinstance(value, ast.Name) and value.id == variable
