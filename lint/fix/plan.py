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

Safety (Ruff's convention) is decided in readside.py: "safe" only when
every edit lies inside the `set()` call and every read of the memory path in
the module already rebuilds the rich type.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Optional, Sequence

import libcst as cst

from ..diagnostics import Fix
from ..syntax import child_nodes
from ..types import Container, DictOf, Dumped, Inst, ListOf, Loc, Prim, Value, options_of
from .convert import (DICT_KINDS, FAIL, FIXABLE, IDENTITY, LIST_KINDS, MAX_SHOWN, OPAQUE, PAIRED, SAFE_PRIMS, TEST,
                      Candidate, Conv, Plan, Renderer, Result, SourceMap, _contains, _same_range, _short, accepts_test,
                      as_operand, copy_call_argument, merge, value_position, ENTRY_METHODS)
from .readside import ReadPaths, Reads
from .rebuild import pair_reads


class Planner:
    def __init__(self, checker, text: str, module: cst.Module, positions, writes, partial=None) -> None:
        self.checker = checker
        self.index = checker.index
        self.partial = partial  # a partial.Partial: the statements `module` left out, or None
        self.source = SourceMap(text, module, positions)
        self.renderer = Renderer(self.source)
        self.writes = writes
        from ..prefilter import MEMORY_ATTRIBUTE_NAMES

        self.memory_attributes = MEMORY_ATTRIBUTE_NAMES
        self._uses_cache: dict[int, dict[str, _Uses]] = {}
        self._keep: list[cst.CSTNode] = []  # ids in the caches stay valid

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
            ours = _owned(effective, owner)
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
        ours_dict = _owned(effective, owner)
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
        from ..types import union

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
                    from ..types import union

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
                    f"{model}.model_validate(...)", node=node)

    def root_all_plan(self, write, owners: tuple[Loc, ...]) -> Optional[Plan]:
        """Convert at the value argument everything the owners produced, wherever
        it sits in the value (`str(v)` for a v assigned on two branches,
        `[str(x) for x in items]` for items appended): the edit stays inside
        the call, so nothing else sees a different value."""
        node = write.value_node
        if node is None or self.source.span(node) is None:
            return None
        conv = self.convert(write.value, owners if len(owners) > 1 else owners[0], "root", None)
        if not isinstance(conv, Conv):
            return None
        return self.replace(write, node, self.source.parent(node), conv)

    # -- who reads a value where it enters --------------------------------------

    def _offsets(self, loc: Loc) -> tuple[int, int]:
        return (self.source.offset(loc.line, loc.column - 1), self.source.offset(loc.end_line, loc.end_column - 1))

    def entry_is_private(self, node: cst.CSTNode, values: Sequence[Loc],
                         flagged: tuple[list[int], list[tuple[int, int]]] = ([], [])) -> bool:
        """Do only the memory writes read the value produced at `node`? The value
        enters a local name (`v = ...`) or a local container (`l.append(...)`,
        `d[k] = ...`, `d.setdefault(k, []).append(...)`), possibly inside
        displays; every other use of that name in the function must be a
        binding, another entry into it, or lie inside the value argument of a
        write the conversion fixes (`values`, and `flagged`: the sorted value
        spans of the writes flagged for the same kind). A parameter, a global,
        a closure, an attribute, a return: not private."""
        function = self.enclosing_function(node)
        if not isinstance(function, cst.FunctionDef):
            return False
        name = self._entry_name(node)
        if name is None:
            return False
        uses = self._name_uses(function).get(name)
        if uses is None or name in uses.declared:
            return False
        if not uses.bound:
            return False  # not a local of this function
        if any(self._memory_read(value) for value in uses.values):
            # A container read from memory, changed and written back: its other
            # uses read memory state, which the read side of the fix rebuilds
            # (rebuild.py) or names for the user.
            return True
        own = [self._offsets(v) for v in values]
        starts, ranges = flagged
        for use in uses.reads:
            span = self.source.span(use)
            if span is None:
                return False
            if any(start <= span[0] and span[1] <= end for start, end in own):
                continue
            index = bisect.bisect_right(starts, span[0]) - 1  # value arguments of distinct calls do not overlap
            if index < 0 or span[1] > ranges[index][1]:
                return False
        return True

    def _entry_name(self, node: cst.CSTNode) -> Optional[str]:
        """The local name whose value (or container) the expression at `node` enters."""
        current = node
        parent = self.source.parent(current)
        for _ in range(200):
            if parent is None:
                return None
            if isinstance(parent, (cst.Element, cst.DictElement, cst.StarredElement, cst.List, cst.Tuple, cst.Set,
                                   cst.Dict, cst.IfExp)) or (
                    isinstance(parent, (cst.ListComp, cst.SetComp, cst.GeneratorExp)) and parent.elt is current) or (
                    isinstance(parent, cst.DictComp) and current in (parent.key, parent.value)):
                current, parent = parent, self.source.parent(parent)
                continue
            if isinstance(parent, cst.Arg) and not parent.keyword and not parent.star:
                call = self.source.parent(parent)
                if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in COPIES:
                    current, parent = call, self.source.parent(call)  # `list(x)`: x's items enter a new container
                    continue
            break
        else:
            return None
        if isinstance(parent, cst.Assign):
            if parent.value is not current or len(parent.targets) != 1:
                return None
            return _base_name(parent.targets[0].target, store=True)
        if isinstance(parent, cst.AnnAssign):
            return _base_name(parent.target, store=True) if parent.value is current else None
        if isinstance(parent, cst.AugAssign):
            return _base_name(parent.target, store=True) if parent.value is current else None
        if isinstance(parent, cst.NamedExpr):
            return None  # the expression's value is used where it stands too
        if isinstance(parent, cst.Arg):
            call = self.source.parent(parent)
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                    and call.func.attr.value in ENTRY_METHODS and call.func.attr.value != "set":
                return _base_name(call.func.value, store=False)
        return None

    def _memory_read(self, node: cst.BaseExpression) -> bool:
        """`<memory>.get(...)` (or `<memory>.get(...) or default`)."""
        while isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            node = node.left
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get"):
            return False
        receiver = node.func.value
        return isinstance(receiver, cst.Attribute) and receiver.attr.value in self.memory_attributes

    def _name_uses(self, function: cst.FunctionDef) -> dict[str, "_Uses"]:
        key = id(function)
        cached = self._uses_cache.get(key)
        if cached is None:
            collector = _UseCollector()
            collector.collect(function.body)
            for param in _parameters(function):
                collector.uses.setdefault(param, _Uses()).declared.add(param)
            cached = collector.uses
            self._uses_cache[key] = cached
            self._keep.append(function)
        return cached

    # -- the file ---------------------------------------------------------------

    def plan(self, found: Sequence[tuple[object, object]],
             diagnostics: Optional[Sequence[Sequence[int]]] = None) -> list[Optional[Plan]]:
        """One plan (or None) per finding of `found`. `diagnostics` groups the
        findings one diagnostic reports (the same write reached from several
        origins); such a group is converted in the call when it can be."""
        candidates: list[Optional[Candidate]] = []
        for write, finding in found:
            try:
                candidates.append(self.candidate(write, finding))
            except (RecursionError, ValueError, IndexError, KeyError):
                candidates.append(None)
        # Several origins of one diagnostic, outside the call: convert them all
        # in the call (root) — each alone cannot be, the others stand beside it.
        shared: dict[int, Plan] = {}
        sharing: dict[int, list[int]] = {}  # id(plan) -> the findings sharing it
        for members in diagnostics or ():
            group = [candidates[i] for i in members]
            if len(group) < 2 or any(c is None or c.inside is not None or c.owner is None for c in group):
                continue
            write = group[0].write  # type: ignore[union-attr]
            owners = tuple(c.owner for c in group)  # type: ignore[union-attr]
            try:
                plan = self.root_all_plan(write, owners)  # type: ignore[arg-type]
            except (RecursionError, ValueError, IndexError, KeyError):
                plan = None
            if plan is not None:
                sharing[id(plan)] = list(members)
                for i, c in zip(members, group):
                    c.root = plan  # type: ignore[union-attr]
                    shared[i] = plan
        # An owner outside the calls: converted in every call that stores it
        # unchanged (root), or where it is produced (site) — never both, or a
        # value would be converted twice.
        groups: dict[tuple, list[int]] = {}
        for i, c in enumerate(candidates):
            if c is not None and c.inside is None and c.owner is not None:
                groups.setdefault((c.owner.line, c.owner.column, c.owner.end_line, c.owner.end_column,
                                   c.owner.items), []).append(i)
        plans: list[Optional[Plan]] = [c.inside if c is not None else None for c in candidates]
        flagged: dict[str, list[Loc]] = {}
        for write, finding in found:
            flagged.setdefault(getattr(finding, "code", ""), []).append(write.value_loc)  # type: ignore[attr-defined]
        spans_by_code: dict[str, tuple[list[int], list[tuple[int, int]]]] = {}

        def flagged_spans(code: str) -> tuple[list[int], list[tuple[int, int]]]:
            if code not in spans_by_code:
                ranges = sorted({self._offsets(v) for v in flagged.get(code, [])})
                spans_by_code[code] = ([start for start, _ in ranges], ranges)
            return spans_by_code[code]
        for members in groups.values():
            group = [candidates[i] for i in members]
            # Converting where the value enters changes it for whatever else reads
            # it there: only when nothing but the writes it fixes reads it.
            sites = [c for c in group if c.site is not None]  # type: ignore[union-attr]
            if sites:
                # The writes the conversion fixes: those of this owner, and any
                # other write flagged for the same kind (its value is this one's).
                code = getattr(sites[0].finding, "code", "")
                values = [c.write.value_loc for c in group]  # type: ignore[union-attr]
                node = sites[0].site.node  # type: ignore[union-attr]
                if node is None or not self.entry_is_private(node, values, flagged_spans(code)):
                    for c in sites:
                        c.site = None  # type: ignore[union-attr]
            # Where the value is produced when some call cannot convert it on its
            # own; in the calls otherwise (also when it cannot be converted where
            # it is produced: then nothing converts it twice either).
            use_site = any(c.root is None for c in group) and any(c.site is not None for c in group)  # type: ignore
            for i, c in zip(members, group):
                assert c is not None
                plans[i] = c.site if use_site else c.root
            if use_site:
                # converted where it is produced: a conversion of it in a call would convert it twice
                for i in members:
                    if i in shared:
                        for j in sharing[id(shared[i])]:
                            plans[j] = None
        # An owner converted in no call and at no site, alone: the whole value in the call.
        sites = sorted((loc.line, loc.column, loc.end_line, loc.end_column) for loc in (
            self.source.loc(p.node) for p in plans if p is not None and not p.inside and p.node is not None)
            if loc is not None)
        site_starts = [s[:2] for s in sites]
        for i, c in enumerate(candidates):
            if plans[i] is None and c is not None and c.inside is None and c.owner is not None \
                    and c.root is None and c.site is None and i not in shared and c.finding is not None \
                    and getattr(c.finding, "code", "") != "MEM201" \
                    and not _within_any(c.owner, sites, site_starts):
                try:
                    plans[i] = self.root_all_plan(c.write, (c.owner,))
                except (RecursionError, ValueError, IndexError, KeyError):
                    plans[i] = None
        return plans


def _within_any(owner: Loc, sites: list[tuple[int, int, int, int]], starts: list[tuple[int, int]]) -> bool:
    """Does a site conversion (ranges sorted by start) hold `owner`? Sites seldom
    nest: a few ranges before the owner's start are enough to look at."""
    index = bisect.bisect_right(starts, (owner.line, owner.column)) - 1
    for site in sites[max(0, index - 16): index + 1][::-1]:
        if (site[2], site[3]) >= (owner.end_line, owner.end_column):
            return True
    return False


# Builtins that make a new container of their argument's items.
COPIES = frozenset({"list", "tuple", "set", "frozenset", "sorted", "dict", "reversed"})


def _owned(effective: Optional[Loc], owner) -> bool:
    """Did the expression at `owner` (a Loc, or a tuple of them) produce a value from `effective`?"""
    if isinstance(owner, tuple):
        return any(_owned(effective, o) for o in owner)
    return effective is not None and _same_range(effective, owner) and effective.items == owner.items


def _base_name(node: cst.BaseExpression, store: bool) -> Optional[str]:
    """The local name an entry goes into: `v` (a binding, store=True), `d[k]`
    (store), `d`, `d[k]`, `d.setdefault(k, [])` (receivers of an entry method)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Subscript):
        return _base_name(node.value, store=False)
    if not store and isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
            and node.func.attr.value in ("setdefault",):
        return _base_name(node.func.value, store=False)
    return None


def _parameters(function: cst.FunctionDef) -> list[str]:
    params = function.params
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.append(star.name.value)
    return names


@dataclass
class _Uses:
    reads: list = field(default_factory=list)  # Name nodes that read the name's value
    bound: bool = False  # bound in the function (an assignment, a for target, ...)
    declared: set = field(default_factory=set)  # global / nonlocal / a parameter
    values: list = field(default_factory=list)  # the expressions assigned to the name (`name = value`)


class _UseCollector:
    """Every use of every name in a function body, in one pass: bindings, entries
    into a container held by the name, and reads (everything else)."""

    def __init__(self) -> None:
        self.uses: dict[str, _Uses] = {}
        self.stack: list[cst.CSTNode] = []  # the ancestors of the node being read

    def collect(self, node: cst.CSTNode) -> None:
        kind = type(node)  # exact types: isinstance with libcst's ABCs runs Python code on every node
        if kind is cst.Name:
            self._name(node)
        elif kind is cst.Global or kind is cst.Nonlocal:
            for item in node.names:
                self.uses.setdefault(item.name.value, _Uses()).declared.add(item.name.value)
        self.stack.append(node)
        for child in child_nodes(node):
            self.collect(child)
        self.stack.pop()

    def _name(self, node: cst.Name) -> None:
        uses = self.uses.setdefault(node.value, _Uses())
        stack = self.stack
        parent = stack[-1] if stack else None
        if isinstance(parent, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For,
                               cst.CompFor, cst.AsName, cst.WithItem)) and _is_target(parent, node):
            uses.bound = True
            if isinstance(parent, cst.AssignTarget) and len(stack) > 1 and isinstance(stack[-2], cst.Assign):
                uses.values.append(stack[-2].value)
            return  # `v += x` reads v only to bind it again: an entry, like `v.extend(x)`
        if isinstance(parent, (cst.Attribute,)) and parent.value is node and parent.attr is not node:
            # `x.attr`: an entry `x.append(...)` when it is called with an entry method
            grand = stack[-2] if len(stack) > 1 else None
            if isinstance(grand, cst.Call) and grand.func is parent and parent.attr.value in ENTRY_METHODS \
                    and parent.attr.value != "set":
                return
        elif isinstance(parent, cst.Attribute) and parent.attr is node:
            return  # the attribute's name, not a use of the variable
        elif isinstance(parent, cst.Subscript) and parent.value is node and _entry_subscript(stack, parent):
            return
        if isinstance(parent, (cst.Arg,)) and parent.keyword is node:
            return
        if isinstance(parent, (cst.FunctionDef, cst.ClassDef)) and parent.name is node:
            uses.bound = True
            return
        if isinstance(parent, (cst.ImportAlias,)):
            uses.bound = True
            return
        if isinstance(parent, cst.Param):
            uses.bound = True
            return
        uses.reads.append(node)


def _is_target(parent: cst.CSTNode, node: cst.Name) -> bool:
    if isinstance(parent, cst.AssignTarget):
        return parent.target is node
    if isinstance(parent, (cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor)):
        return parent.target is node
    if isinstance(parent, cst.NamedExpr):
        return parent.target is node
    if isinstance(parent, cst.AsName):
        return parent.name is node
    return False


def _entry_subscript(stack: list[cst.CSTNode], subscript: cst.Subscript) -> bool:
    """`d[k] = v` (a store into d) or `d[k].append(v)` (an entry into an item of d)."""
    index = len(stack) - 1  # stack[-1] is the subscript
    outer = stack[index - 1] if index >= 1 else None
    if isinstance(outer, cst.AssignTarget) and outer.target is subscript:
        return True
    if isinstance(outer, cst.Attribute) and outer.value is subscript and outer.attr.value in ENTRY_METHODS \
            and outer.attr.value != "set":
        call = stack[index - 2] if index >= 2 else None
        return isinstance(call, cst.Call) and call.func is outer
    return False


def plan_fixes(checker, text: str, module: cst.Module, positions, writes, found,
               diagnostics: Optional[Sequence[Sequence[int]]] = None, partial=None) -> list[Optional[Fix]]:
    """One Fix (or None) per diagnostic: `diagnostics` lists the findings of
    `found` (write, finding) each one reports (default: one each). `partial`:
    the statements `module` left out (see lint/partial.py)."""
    if diagnostics is None:
        diagnostics = [[i] for i in range(len(found))]
    fixes = _plan_findings(checker, text, module, positions, writes, found, diagnostics, partial)
    out: list[Optional[Fix]] = []
    for members in diagnostics:
        parts = [fixes[i] for i in members]
        if any(p is None for p in parts):
            out.append(None)
            continue
        if len(parts) == 1:
            out.append(parts[0])
            continue
        edits: list = []
        for part in parts:
            edits.extend(e for e in part.edits if e not in edits)  # type: ignore[union-attr]
        spans = sorted(((e.start_line, e.start_column), (e.end_line, e.end_column)) for e in edits)
        if any(b[0] < a[1] for a, b in zip(spans, spans[1:])):
            out.append(None)  # the parts' edits overlap
            continue
        safe = all(p.applicability == "safe" for p in parts)  # type: ignore[union-attr]
        messages = []
        for part in parts:
            if part.message not in messages:  # type: ignore[union-attr]
                messages.append(part.message)  # type: ignore[union-attr]
        out.append(Fix("safe" if safe else "unsafe", "; ".join(messages), tuple(edits)))
    return out


def _plan_findings(checker, text: str, module: cst.Module, positions, writes, found,
                   diagnostics: Sequence[Sequence[int]], partial=None) -> list[Optional[Fix]]:
    """One Fix (or None) per (write, finding) of `found`."""

    planner = Planner(checker, text, module, positions, writes, partial)
    plans = planner.plan(found, diagnostics)
    reads: Optional[Reads] = None
    read_paths: Optional[ReadPaths] = None
    safe: list[bool] = []
    for plan, (write, finding) in zip(plans, found):
        ok = False
        if plan is not None and plan.inside and plan.whole and write.path is not None and plan.rebuild:
            if read_paths is None:
                read_paths = ReadPaths(text)
            ok = read_paths.may_read(write.path)
        if ok:
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
    """The read side of the unsafe fixes, per memory path (rebuild.py)."""
    if ".get" not in text:
        return {}
    paths = {write.path for plan, ok, (write, _) in zip(plans, safe, found)
             if plan is not None and not ok and write.path is not None}
    if not paths:
        return {}

    chosen = [(write, plan) for plan, (write, finding) in zip(plans, found)
              if write.path in paths and finding.code in PAIRED]
    return pair_reads(planner, text, module, chosen)


__all__ = ["plan_fixes", "FIXABLE", "UNPAIRED", "unpaired_note"]

