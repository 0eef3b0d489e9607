"""rebuild: the read side of a fix (issue 3 §2) — store primitives, rebuild on read.

When a fix converts what a memory path stores, the code that reads the path
in the same module gets the primitive form. This module finds those reads
(`<memory>.get(PATH)`, PATH a string literal or a module constant) and, where
the read value is used as the rich type, adds the rebuild to the fix, as the
reference fix (flink-agents PR #828) did by hand:

- the whole stored value converted (`set(P, str(x))`): a read returned from
  a function annotated with the rich type, assigned to a name annotated with
  it, or whose attributes are used, becomes `UUID(mem.get(P))`,
  `Model.model_validate(mem.get(P))`, `MyEnum(...)`, ...;
- a dict of entries read, changed and written back (`d = mem.get(P) or {}`,
  `d[k] = ...`, `d[k].extend(...)`, `mem.set(P, d)`), whose entries the fix
  converts where they enter: an entry returned as the rich type is rebuilt
  (`return [ChatMessage.model_validate(m) for m in d[k]]`), and an entry
  taken out and returned (`e = d.pop(k, None)` ... `return e`) gets back the
  fields the fix converted (`{**e, "id": UUID(e["id"]), ...}`).

A read memlint cannot pair is listed (its line) in the fix's message and in
`--diff`: it must rebuild the value by hand. The class a rebuild needs is
imported when the module does not bind it yet, in the module's style.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

import libcst as cst

from ..diagnostics import Edit
from ..source import physical_lines
from ..syntax import dotted_name
from .convert import Conv, Plan, SourceMap, _fresh

ENTRY_TAKERS = ("pop", "get")


@dataclass
class Shape:
    """Where a path's fixes put converted values inside the stored value."""

    whole: Optional[Conv] = None  # the whole value
    entry: Optional[Conv] = None  # each entry of a stored dict, as a whole
    fields: dict[str, tuple[str, Conv]] = field(default_factory=dict)  # key -> (key code, conv) of each entry
    broken: bool = False

    def merge_whole(self, conv: Conv) -> None:
        if self.whole is not None and self.whole != conv or self.entry is not None or self.fields:
            self.broken = True
        self.whole = conv

    def merge_entry(self, conv: Conv) -> None:
        if self.entry is not None and self.entry != conv or self.whole is not None or self.fields:
            self.broken = True
        self.entry = conv

    def merge_field(self, key: str, code: str, conv: Conv) -> None:
        old = self.fields.get(key)
        if old is not None and old[1] != conv or self.whole is not None or self.entry is not None:
            self.broken = True
        self.fields[key] = (code, conv)


@dataclass
class Pairing:
    """What the fixes of one path add: the read edits, and the reads left to the user."""

    edits: list[Edit] = field(default_factory=list)
    unpaired: list[int] = field(default_factory=list)  # lines
    rebuilt: int = 0  # reads the edits rebuild


def _string(node: cst.BaseExpression, constants: dict[str, str]) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.Name):
        return constants.get(node.value)
    return None


def _dotted(node: cst.BaseExpression) -> str:
    return dotted_name(node) or ""


def _unwrap_or(node: cst.BaseExpression) -> cst.BaseExpression:
    """`x or default` -> x."""
    while isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
        node = node.left
    return node


class Rebuilder:
    def __init__(self, planner, text: str, module: cst.Module, paths: Sequence[str] = ()) -> None:
        self.planner = planner
        self.paths = tuple(paths)
        self._read_nodes: list[cst.Call] = []
        self.index = planner.index
        self.text = text
        self.module = module
        self.constants: dict[str, str] = {}
        for statement in module.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign) and isinstance(small.value, cst.SimpleString):
                        value = small.value.evaluated_value
                        for target in small.targets:
                            if isinstance(target.target, cst.Name) and isinstance(value, str):
                                self.constants[target.target.value] = value
        self._source: Optional[SourceMap] = None
        self._imports: list[tuple[str, str]] = []  # (local name, qualified name) bound by top-level imports
        self._import_style_from = True
        self._added: dict[str, str] = {}  # qualname -> local name of an import the fix adds
        self._used: set[str] = set()  # the added imports the current pairing needs
        self._scan_imports()

    # -- the module ----------------------------------------------------------

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        if self._source is None and node in self.planner.source.positions:
            return self.planner.source.parent(node)  # a write's statement: no need for the reads yet
        return self.source.parent(node)

    def function_of(self, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
        current = self.parent(node)
        while current is not None and not isinstance(current, cst.FunctionDef):
            current = self.parent(current)
        return current

    @property
    def source(self) -> SourceMap:
        """The engine's positions, plus those of the statements that may read
        one of the paths (the engine computed positions only where memory is written)."""
        if self._source is None:
            from ..positions import positions_for
            from .readside import READ_CALL, related_paths

            lines = []
            for match in READ_CALL.finditer(self.text):
                value = match.group("literal")
                if value is None:
                    value = self.constants.get(match.group("name") or "")
                if value is not None and any(related_paths(value, p) for p in self.paths):
                    lines.append(self.text.count("\n", 0, match.start()) + 1)
            known = self.planner.source.positions
            covered = [(r.start.line, r.end.line) for r in (known.get(st) for st in self.module.body) if r is not None]
            missing = [n for n in lines if not any(a <= n <= b for a, b in covered)]
            partial = self.planner.partial
            if partial is not None and any(partial.is_blanked(n) for n in missing):
                from ..partial import WholeModuleNeeded

                raise WholeModuleNeeded(f"a read of {', '.join(self.paths)} outside the parsed statements")
            if missing:
                merged = dict(known)
                merged.update(positions_for(self.module, self.text, missing) if partial is None
                              else partial.positions(self.module, missing))
                self._source = SourceMap(self.text, self.module, merged)
            else:
                self._source = self.planner.source
            wanted = set(lines)
            self._read_nodes = [n for n, r in self._source.positions.items()
                                if type(n) is cst.Call and isinstance(n.func, cst.Attribute)
                                and n.func.attr.value == "get" and r.start.line in wanted] if lines else []
        return self._source

    def _scan_imports(self) -> None:
        froms = plain = 0
        for statement in self.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar) \
                        and not small.relative and small.module is not None:
                    froms += 1
                    base = _dotted(small.module)  # type: ignore[arg-type]
                    for alias in small.names:
                        name = _dotted(alias.name)  # type: ignore[arg-type]
                        local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) \
                            else name
                        self._imports.append((local, f"{base}.{name}"))
                elif isinstance(small, cst.Import):
                    plain += 1
                    for alias in small.names:
                        name = _dotted(alias.name)  # type: ignore[arg-type]
                        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                            self._imports.append((alias.asname.name.value, name))
                        else:
                            self._imports.append((name, name))
        self._import_style_from = froms > 0 or plain == 0

    def _canonical(self, qualname: str) -> str:
        try:
            resolved = self.index.resolve_qualname(qualname)
        except Exception:  # noqa: BLE001 - cannot tell: keep the name
            return qualname
        return resolved.qualname if resolved.kind == "class" else qualname

    def class_name(self, qualname: str) -> Optional[str]:
        """The expression that names class `qualname` in this module (an import is added if needed)."""
        if qualname.startswith("builtins."):
            return qualname.split(".", 1)[1]
        short = qualname.rsplit(".", 1)[-1]
        partial = self.planner.partial
        if partial is not None:
            if short in partial.class_names:
                return short
        elif any(isinstance(s, cst.ClassDef) and s.name.value == short for s in self.module.body):
            return short
        for local, imported in self._imports:
            if imported == qualname or self._canonical(imported) == qualname:
                return local
            if qualname.startswith(imported + "."):
                return local + qualname[len(imported):]
        if qualname not in self._added:
            if any(local == short for local, _ in self._imports):
                return None  # the short name is taken by something else
            self._added[qualname] = short if self._import_style_from else qualname
        self._used.add(qualname)
        return self._added[qualname]

    def import_edits(self, qualnames: Sequence[str]) -> list[Edit]:
        """The imports of `qualnames` the rebuilds need: a name added to the
        module's `from M import ...` line when there is one, else a new
        statement after the module's last top-level import."""
        if not qualnames:
            return []
        try:
            tree = ast.parse(self.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return []
        lines = physical_lines(self.text)  # ast's line numbers: a form feed does not end a line
        newline = self.planner.source.newline
        last = 0
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                last = node.end_lineno or node.lineno
            elif last:
                break
        if not last and tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(
                getattr(tree.body[0], "value", None), ast.Constant):
            last = tree.body[0].end_lineno or 1
        edits: list[Edit] = []
        new_statements: list[str] = []
        for qualname in sorted(set(qualnames)):
            local = self._added[qualname]
            module, _, name = qualname.rpartition(".")
            if local != name:
                new_statements.append(f"import {module}")
                continue
            target = next((n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == module
                           and not n.level and n.lineno == n.end_lineno and all(a.name != "*" for a in n.names)),
                          None)
            line_text = lines[target.lineno - 1] if target is not None else ""
            if target is not None and line_text.isascii() and "(" not in line_text and ";" not in line_text:
                column = (target.end_col_offset or 0) + 1
                edits.append(Edit(target.lineno, column, target.lineno, column, f", {name}"))
            else:
                new_statements.append(f"from {module} import {name}")
        if new_statements:
            edits.append(Edit(last + 1, 1, last + 1, 1, "".join(s + newline for s in new_statements)))
        return edits

    # -- what the fixes of a path store ---------------------------------------

    def shape(self, write, plan: Plan, shape: Shape) -> bool:
        """Add what `plan` converts to the shape of its path; False if memlint cannot tell."""
        conv, node = plan.conv, plan.node
        if conv is None or node is None:
            return False
        if plan.whole:
            shape.merge_whole(conv)
            return True
        container = write.value_node.value if isinstance(write.value_node, cst.Name) else None
        if container is None or not self.reads_into(write, container):
            return False
        parent = self.parent(node)
        if isinstance(parent, cst.Arg):
            call = self.parent(parent)
            if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                    and call.func.attr.value in ("extend", "append") and self._entry_of(call.func.value, container)):
                if call.func.attr.value == "extend":
                    shape.merge_entry(conv)
                else:
                    shape.merge_entry(Conv("listcomp", item=conv, var="x"))
                return True
            return False
        if isinstance(parent, cst.Assign) and parent.value is node and self._assigns_entry(parent, container):
            shape.merge_entry(conv)
            return True
        if isinstance(parent, cst.DictElement) and parent.value is node and isinstance(parent.key, cst.SimpleString):
            display = self.parent(parent)
            assign = self.parent(display) if isinstance(display, cst.Dict) else None
            key = parent.key.evaluated_value
            if isinstance(assign, cst.Assign) and assign.value is display and isinstance(key, str) \
                    and self._assigns_entry(assign, container):
                shape.merge_field(key, parent.key.value, conv)
                return True
        return False

    @staticmethod
    def _entry_of(node: cst.BaseExpression, container: str) -> bool:
        return isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name) and node.value.value == container

    def _assigns_entry(self, assign: cst.Assign, container: str) -> bool:
        return len(assign.targets) == 1 and self._entry_of(assign.targets[0].target, container)

    def reads_into(self, write, container: str) -> bool:
        """Is `container` bound, in the write's function, to a read of the write's path?"""
        function = self.function_of(write.call)
        if function is None:
            return False
        for node in self._walk(function):
            if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) \
                    and node.targets[0].target.value == container:
                read = _unwrap_or(node.value)
                if self.read_path(read) == write.path:
                    return True
        return False

    def read_path(self, node: cst.BaseExpression) -> Optional[str]:
        """P if `node` is `<memory>.get(P)`."""
        if (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get"
                and node.args and not node.args[0].keyword and self._memory_like(node.func.value)):
            return _string(node.args[0].value, self.constants)
        return None

    def _memory_like(self, node: cst.BaseExpression) -> bool:
        """`ctx.sensory_memory`, `x.short_term_memory`, or a name bound to a memory
        object in its function (an alias, `new_object(...)`, a `MemoryObject` parameter)."""
        dotted = _dotted(node)
        if dotted and dotted.rsplit(".", 1)[-1] in self.planner.memory_attributes:
            return True
        if not isinstance(node, cst.Name):
            return False
        function = self.function_of(node)
        if function is None:
            return False
        for param in (*function.params.params, *function.params.kwonly_params, *function.params.posonly_params):
            if param.name.value == node.value and param.annotation is not None and any(
                    isinstance(n, (cst.Name, cst.Attribute)) and _dotted(n).endswith("MemoryObject")
                    for n in self._walk(param.annotation.annotation)):
                return True
        for candidate in self._walk(function.body):
            if isinstance(candidate, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == node.value for t in candidate.targets):
                value = candidate.value
                if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                        and value.func.attr.value == "new_object":
                    return True
                if _dotted(value).rsplit(".", 1)[-1] in self.planner.memory_attributes:
                    return True
        return False

    def _walk(self, root: cst.CSTNode):
        """The nodes inside `root` (by position: libcst's `children` is slow on big blocks)."""
        source = self.source if self._source is not None else self.planner.source
        outer = source.positions.get(root)
        if outer is None:
            stack = [root]
            while stack:
                node = stack.pop()
                yield node
                stack.extend(reversed(node.children))
            return
        first = (outer.start.line, outer.start.column)
        last = (outer.end.line, outer.end.column)
        for node, rng in source.positions.items():
            if first <= (rng.start.line, rng.start.column) and (rng.end.line, rng.end.column) <= last:
                yield node

    # -- the reads ---------------------------------------------------------------

    def pair(self, path: str, shape: Shape) -> Pairing:
        pairing = Pairing()
        self._used = set()
        for read in self.reads_of(path):
            edits = self.rebuild_read(read, shape)
            if edits is None:
                pairing.unpaired.append(self._line(read))
            else:
                pairing.edits.extend(edits)
                pairing.rebuilt += 1 if edits else 0
        if pairing.edits:
            pairing.edits.extend(self.import_edits(sorted(self._used)))
        return pairing

    def reads_of(self, path: str) -> list[cst.Call]:
        """The reads of `path`, in source order (only statements that may read it are looked at)."""
        source = self.source
        found = [node for node in self._read_nodes if self.read_path(node) == path]
        found.sort(key=lambda n: source.span(n) or (0, 0))
        return found

    def unpaired_reads(self, path: str) -> list[int]:
        return [self._line(read) for read in self.reads_of(path)]

    def _line(self, node: cst.CSTNode) -> int:
        loc = self.source.loc(node)
        return loc.line if loc is not None else 0

    def rebuild_read(self, read: cst.Call, shape: Shape) -> Optional[list[Edit]]:
        """The edits that make this read rebuild the rich value (none needed: []), or None."""
        if shape.whole is not None:
            return self._rebuild_whole(read, shape.whole)
        function = self.function_of(read)
        parent = self.parent(read)
        while isinstance(parent, cst.BooleanOperation) and isinstance(parent.operator, cst.Or):
            parent = self.parent(parent)
        if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, cst.Name) and function is not None):
            return None
        container = parent.targets[0].target.value
        edits: list[Edit] = []
        for use in self._uses(function, container):
            if use is parent.targets[0].target:
                continue
            result = self._container_use(function, use, shape)
            if result is None:
                return None
            edits.extend(result)
        return edits

    def _uses(self, function: cst.FunctionDef, name: str) -> list[cst.Name]:
        return [n for n in self._walk(function.body) if type(n) is cst.Name and n.value == name]

    def _container_use(self, function: cst.FunctionDef, use: cst.Name, shape: Shape) -> Optional[list[Edit]]:
        parent = self.parent(use)
        if isinstance(parent, cst.ComparisonTarget) and isinstance(parent.operator, (cst.In, cst.NotIn)):
            return []
        if isinstance(parent, cst.Arg):
            call = self.parent(parent)
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "set":
                return []  # written back
            return None
        if isinstance(parent, cst.Subscript) and parent.value is use:
            holder = self.parent(parent)
            if isinstance(holder, cst.AssignTarget):
                return []  # an entry written (converted by the fix where it enters)
            if isinstance(holder, cst.Attribute) and holder.attr.value in ("extend", "append"):
                return []
            if isinstance(holder, cst.Return):
                return self._rebuild_entry_at(function, parent, shape, maybe_none=False)
            if isinstance(holder, cst.Assign) and holder.value is parent:
                return self._entry_variable(function, holder, shape, maybe_none=False)
            return None
        if isinstance(parent, cst.Attribute) and parent.value is use and parent.attr.value in ENTRY_TAKERS:
            call = self.parent(parent)
            if not isinstance(call, cst.Call):
                return None
            maybe_none = parent.attr.value == "get" or (len(call.args) > 1 and isinstance(call.args[1].value, cst.Name)
                                                        and call.args[1].value.value == "None")
            if len(call.args) > 1 and not (isinstance(call.args[1].value, cst.Name) and call.args[1].value.value == "None"):
                return None  # a default other than None would need rebuilding too
            holder = self.parent(call)
            if isinstance(holder, cst.Return):
                return self._rebuild_entry_at(function, call, shape, maybe_none)
            if isinstance(holder, cst.Assign) and holder.value is call:
                return self._entry_variable(function, holder, shape, maybe_none)
            return None
        return None

    def _entry_variable(self, function: cst.FunctionDef, assign: cst.Assign, shape: Shape,
                        maybe_none: bool) -> Optional[list[Edit]]:
        if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
            return None
        name = assign.targets[0].target.value
        edits: list[Edit] = []
        for use in self._uses(function, name):
            if use is assign.targets[0].target:
                continue
            parent = self.parent(use)
            if isinstance(parent, cst.Return):
                result = self._rebuild_entry_at(function, use, shape, maybe_none)
                if result is None:
                    return None
                edits.extend(result)
            elif isinstance(parent, cst.Comparison) and all(
                    isinstance(t.operator, (cst.Is, cst.IsNot)) and isinstance(t.comparator, cst.Name)
                    and t.comparator.value == "None" for t in parent.comparisons):
                continue
            else:
                return None
        return edits

    def _rebuild_entry_at(self, function: cst.FunctionDef, node: cst.BaseExpression, shape: Shape,
                          maybe_none: bool) -> Optional[list[Edit]]:
        """Replace `node` (an entry of the stored dict, returned) by its rebuilt form."""
        source = self.source
        span = source.span(node)
        if span is None:
            return None
        code = source.code(*span)
        if shape.entry is not None:
            if not self._returns_rich(function, shape.entry):
                return None
            rebuilt = self.inverse(shape.entry, code, frozenset(re.findall(r"[A-Za-z_]\w*", code)))
            if rebuilt is None:
                return None
            if maybe_none:
                if not isinstance(node, cst.Name):
                    return None
                rebuilt = f"{rebuilt} if {code} is not None else None"
            return [source.edit(span[0], span[1], rebuilt)]
        if shape.fields:
            if not isinstance(node, cst.Name):
                return None  # the entry is used several times: only a plain name
            newline = self.planner.source.newline
            indent = self._indent_of(node)
            parts = [f"**{code},"]
            for key, (key_code, conv) in shape.fields.items():
                rebuilt = self.inverse(conv, f"{code}[{key_code}]", frozenset({code}))
                if rebuilt is None:
                    return None
                if len(indent) + 4 + len(key_code) + len(rebuilt) + 3 > 99:
                    rebuilt = f"({newline}{indent}        {rebuilt}{newline}{indent}    )"
                parts.append(f"{key_code}: {rebuilt},")
            body = "".join(f"{newline}{indent}    {p}" for p in parts)
            content = f"{{{body}{newline}{indent}}}"
            if maybe_none:
                content = f"None if {code} is None else {content}"
            return [source.edit(span[0], span[1], content)]
        return None

    def _indent_of(self, node: cst.CSTNode) -> str:
        loc = self.source.loc(node)
        if loc is None:
            return ""
        start = self.source.starts[loc.line - 1]
        line = self.text[start:]
        return line[: len(line) - len(line.lstrip(" \t"))]

    def _returns_rich(self, function: cst.FunctionDef, conv: Conv) -> bool:
        """Is the function annotated to return the rich form of `conv`'s values?"""
        if function.returns is None:
            return False
        leaf = conv
        while leaf.kind == "listcomp" and leaf.item is not None:
            leaf = leaf.item
        if not leaf.cls:
            return False
        names = {n.value for n in self._walk(function.returns.annotation) if isinstance(n, cst.Name)}
        short = leaf.cls.rsplit(".", 1)[-1]
        return short in names

    def _rebuild_whole(self, read: cst.Call, conv: Conv) -> Optional[list[Edit]]:
        parent = self.parent(read)
        # Already rebuilt, or only compared with None: nothing to do.
        if isinstance(parent, cst.Arg):
            call = self.parent(parent)
            if isinstance(call, cst.Call) and conv.cls and _dotted(call.func).endswith(conv.cls.rsplit(".", 1)[-1]):
                return []
        function = self.function_of(read)
        rich = False
        if isinstance(parent, cst.Return) and function is not None:
            rich = self._returns_rich(function, conv)
        elif isinstance(parent, cst.AnnAssign) and parent.value is read:
            short = (conv.cls or "").rsplit(".", 1)[-1]
            rich = bool(short) and short in {n.value for n in self._walk(parent.annotation.annotation)
                                             if isinstance(n, cst.Name)}
        elif isinstance(parent, cst.Attribute) and parent.value is read:
            rich = True
        if not rich:
            return None
        span = self.source.span(read)
        if span is None:
            return None
        code = self.source.code(*span)
        rebuilt = self.inverse(conv, code, frozenset())
        if rebuilt is None:
            return None
        if conv.guard or (isinstance(parent, cst.Return) and function is not None and self._optional(function)):
            if isinstance(parent, cst.Attribute):
                return None
            if isinstance(parent, cst.Return) and function is not None:
                # value = mem.get(P)
                # return Rich(value) if value is not None else None
                statement = self.parent(parent)
                names = frozenset(n.value for n in self._walk(function) if isinstance(n, cst.Name))
                var = _fresh("stored", names)
                statement_span = self.source.span(parent)
                rebuilt_var = self.inverse(conv, var, names | {var})
                if statement_span is None or rebuilt_var is None or not isinstance(statement, cst.SimpleStatementLine) \
                        or len(statement.body) != 1:
                    return None
                newline, indent = self.planner.source.newline, self._indent_of(parent)
                content = (f"{var} = {code}{newline}{indent}"
                           f"return {rebuilt_var} if {var} is not None else None")
                return [self.source.edit(statement_span[0], statement_span[1], content)]
            rebuilt = f"{rebuilt} if {code} is not None else None"
        if isinstance(parent, cst.Attribute):
            rebuilt = f"({rebuilt})" if " " in rebuilt else rebuilt
        return [self.source.edit(span[0], span[1], rebuilt)]

    def _optional(self, function: cst.FunctionDef) -> bool:
        if function.returns is None:
            return False
        annotation = function.returns.annotation
        names = {n.value for n in self._walk(annotation) if isinstance(n, cst.Name)}
        return "Optional" in names or "None" in names

    # -- the inverse of a conversion ---------------------------------------------

    def inverse(self, conv: Conv, code: str, taken: frozenset[str]) -> Optional[str]:
        if conv.kind == "listcomp" and conv.item is not None:
            var = _fresh(conv.item.var, taken)
            inner = self.inverse(conv.item, var, taken | {var})
            return None if inner is None else f"[{inner} for {var} in {code}]"
        if not conv.inverse:
            return None
        name = self.class_name(conv.cls) if conv.cls else ""
        if name is None:
            return None
        rebuilt = conv.inverse.replace("{C}", name).replace("{x}", code)
        if conv.guard:
            rebuilt = f"{rebuilt} if {code} is not None else None"
        return rebuilt


def pair_reads(planner, text: str, module: cst.Module, chosen: Sequence[tuple[object, Optional[Plan]]]
               ) -> dict[str, Pairing]:
    """For each memory path whose every finding has a fix: the read edits and
    the reads left to rebuild by hand."""
    rebuilder = Rebuilder(planner, text, module, sorted({w.path for w, _ in chosen if getattr(w, "path", None)}))
    shapes: dict[str, Shape] = {}
    unknown: set[str] = set()
    for write, plan in chosen:
        path = getattr(write, "path", None)
        if path is None:
            continue
        shape = shapes.setdefault(path, Shape())
        if plan is None or not rebuilder.shape(write, plan, shape):
            unknown.add(path)
    result: dict[str, Pairing] = {}
    for path, shape in shapes.items():
        if path in unknown or shape.broken:
            result[path] = Pairing([], rebuilder.unpaired_reads(path))
        else:
            result[path] = rebuilder.pair(path, shape)
    return result
