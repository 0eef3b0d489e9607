"""check: turn the values written to memory into diagnostics.

Each unsafe leaf of a written value becomes one diagnostic that names the type
found, the memory path, where the value came from, and the conversion.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional, Sequence

from .diagnostics import Diagnostic, Related
from .index import Index
from .infer import MemoryWrite
from .rules import RULES
from .types import (Awaitable, ClassRef, Container, DictOf, Dumped, Inst, ListOf, Loc, Prim, Ref, Unknown, Value,
                    options_of)

DATETIME_FAMILY = {"datetime.datetime", "datetime.date", "datetime.time"}
DATACLASS_HOW = "asdict"


@dataclass(frozen=True)
class Finding:
    code: str
    type_name: str  # what was found, e.g. "UUID", "ChatMessage model"
    advice: str  # the conversion, with {x} standing for the expression
    origin: Optional[Loc]
    where: str  # "" (the value itself), "in a list", "in a dict value", "as a dict key"
    detail: str = ""  # MEM201: what the normalization leaves behind
    own_origin: bool = True  # False: origin is the container's (the items came with it)
    optional: bool = False  # the same value may also be None (the conversion needs a guard)
    # For fixes (lint/fix/plan.py): the unsafe option itself, and the options of the
    # written value that hold it, outermost first (a MEM105 key's last one is its dict).
    subject: Optional[Value] = field(default=None, compare=False, repr=False)
    chain: tuple[Value, ...] = field(default=(), compare=False, repr=False)


class Checker:
    def __init__(self, index: Index, admits_bytes: bool, strict: bool) -> None:
        self.index = index
        self.admits_bytes = admits_bytes
        self.strict = strict
        self._holders: list[Value] = []  # the containers around the option being walked (for fixes)

    # -- classification ------------------------------------------------------

    def findings(self, value: Value) -> list[Finding]:
        found: list[Finding] = []
        self._walk(value, "", found, depth=0, inherited=None)
        return found

    def _walk(self, value: Optional[Value], where: str, found: list[Finding], depth: int,
              inherited: Optional[Loc]) -> None:
        if value is None or depth > 30:
            return
        start = len(found)
        options = options_of(value)
        for option in options:
            self._walk_option(option, where, found, depth, option.origin or inherited)
        none_origins = {o.origin for o in options if isinstance(o, Prim) and o.name == "None" and o.origin}
        for i in range(start, len(found)):
            if found[i].origin is None and inherited is not None:
                found[i] = replace(found[i], origin=inherited, own_origin=False)
            if found[i].origin in none_origins and not found[i].optional:
                # This very expression may also be None: the conversion needs a guard.
                found[i] = replace(found[i], optional=True)

    def _walk_option(self, option: Value, where: str, found: list[Finding], depth: int,
                     inherited: Optional[Loc]) -> None:
        start = len(found)
        self._holders.append(option)
        try:
            self._classify_option(option, where, found, depth, inherited)
        finally:
            self._holders.pop()
        for i in range(start, len(found)):
            if found[i].subject is None:
                found[i] = replace(found[i], subject=option, chain=tuple(self._holders))

    def _classify_option(self, option: Value, where: str, found: list[Finding], depth: int,
                         inherited: Optional[Loc]) -> None:
        if isinstance(option, Prim):
            if option.name == "bytes" and not self.admits_bytes:
                found.append(Finding("MEM106", "bytes", "{x}.decode() or base64 text (flink-agents 0.3.x rejects bytes)",
                                     option.origin, where))
        elif isinstance(option, ListOf):
            self._walk(option.item, "in a list", found, depth + 1, inherited)
        elif isinstance(option, DictOf):
            self._keys(option.key, found, depth)
            self._walk(option.value, "in a dict value", found, depth + 1, inherited)
        elif isinstance(option, Container):
            found.append(self._container(option, where))
        elif isinstance(option, Inst):
            finding = self._instance(option, where)
            if finding is not None:
                found.append(finding)
        elif isinstance(option, Dumped):
            finding = self._dumped(option, where)
            if finding is not None:
                found.append(finding)
        elif isinstance(option, Ref) and _ref_kind(option) is not None:
            label, advice = _ref_kind(option)  # type: ignore[misc]
            found.append(Finding("MEM106", label, advice, option.origin, where))
        elif isinstance(option, (Unknown, Ref, ClassRef, Awaitable)) and self.strict:
            found.append(Finding("MEM900", "", "", None, where))

    def _keys(self, key: Optional[Value], found: list[Finding], depth: int) -> None:
        for option in options_of(key):
            start = len(found)
            self._key(option, found)
            for i in range(start, len(found)):
                found[i] = replace(found[i], subject=option, chain=tuple(self._holders))

    def _key(self, option: Value, found: list[Finding]) -> None:
        if isinstance(option, Prim):
            if option.name in ("str", "json"):
                return
            found.append(Finding("MEM105", option.name, "", option.origin, "as a dict key"))
        elif isinstance(option, Inst):
            category = self.index.category(option.qualname)
            if category == "unknown":
                if self.strict:
                    found.append(Finding("MEM900", "", "", None, "as a dict key"))
                return
            found.append(Finding("MEM105", _type_label(option.qualname, category, self.index), "",
                                 option.origin, "as a dict key"))
        elif isinstance(option, Container):
            found.append(Finding("MEM105", option.kind, "", option.origin, "as a dict key"))
        elif self.strict and isinstance(option, (Unknown, Ref, ClassRef)):
            found.append(Finding("MEM900", "", "", None, "as a dict key"))

    def _container(self, option: Container, where: str) -> Finding:
        kind = option.kind
        if kind in ("OrderedDict", "defaultdict", "Counter", "ChainMap"):
            advice = "dict({x})"
        elif kind == "generator":
            advice = "a list comprehension [...]"
        else:
            advice = "list({x})"
        label = {"generator": "generator", "range": "range", "map": "map iterator", "zip": "zip iterator",
                 "filter": "filter iterator", "enumerate": "enumerate iterator"}.get(kind, kind)
        return Finding("MEM104", label, advice, option.origin, where)

    def _instance(self, option: Inst, where: str) -> Optional[Finding]:
        qualname = option.qualname
        category = self.index.category(qualname)
        short = qualname.rsplit(".", 1)[-1]
        if category == "memory":
            return Finding("MEM107", "MemoryObject", 'new_object("{path}")', option.origin, where)
        if category == "uuid":
            return Finding("MEM101", "UUID", "str({x}), rebuild with UUID(...) on read", option.origin, where)
        if category == "model":
            return Finding("MEM102", f"{short} model",
                           f'{{x}}.model_dump(mode="json"), rebuild with {short}.model_validate(...) on read',
                           option.origin, where)
        if category == "enum":
            value = self.index.enum_value(qualname)
            if isinstance(value, Prim):
                advice = f"{{x}}.value, rebuild with {short}(...) on read"
            else:
                advice = f"{{x}}.name, rebuild with {short}[...] on read"
            return Finding("MEM103", f"{short} member", advice, option.origin, where)
        if category == "container":
            return self._container(Container(self.index.container_kind(qualname), None, None, option.origin), where)
        if category == "object":
            label, advice = self._object(qualname, short)
            return Finding("MEM106", label, advice, option.origin, where)
        if category == "unknown" and self.strict:
            return Finding("MEM900", "", "", None, where)
        return None

    def _object(self, qualname: str, short: str) -> tuple[str, str]:
        mro = self.index.mro(qualname)
        if any(name in DATETIME_FAMILY for name in mro):
            return short, f"{{x}}.isoformat(), rebuild with {short}.fromisoformat(...) on read"
        if "datetime.timedelta" in mro:
            return "timedelta", "{x}.total_seconds(), rebuild with timedelta(seconds=...) on read"
        if "decimal.Decimal" in mro or "fractions.Fraction" in mro:
            return short, f"str({{x}}), rebuild with {short}(...) on read"
        if "pathlib.PurePath" in mro:
            return short, f"str({{x}}), rebuild with {short}(...) on read"
        if qualname == "builtins.object":
            return "object() sentinel", "None or a str marker"
        if qualname == "builtins.complex":
            return "complex", "[{x}.real, {x}.imag]"
        if qualname in ("builtins.bytearray", "builtins.memoryview"):
            return short, "bytes({x})"
        if qualname.startswith("numpy."):
            if "numpy.ndarray" in mro:
                return "numpy array", "{x}.tolist()"
            return f"numpy {short}", "{x}.item()"
        if qualname.startswith("ipaddress."):
            return short, f"str({{x}}), rebuild with ipaddress.ip_address(...) on read"
        if self.index.is_dataclass(qualname):
            return f"dataclass {short}", 'dataclasses.asdict({x}) with its non-primitive fields converted'
        for name in mro[1:]:
            if name in ("builtins.str", "builtins.int", "builtins.float", "builtins.bytes", "builtins.list",
                        "builtins.dict", "builtins.bool"):
                base = name.split(".", 1)[1]
                return f"{short} ({base} subclass)", f"{base}({{x}})"
        return f"{short} instance", "a dict of primitives, rebuilt on read"

    def _dumped(self, option: Dumped, where: str) -> Optional[Finding]:
        problem = self.dump_problem(option.qualname, option.how, set(), option.fields)
        if problem is None:
            return None
        field, type_label = problem
        short = option.qualname.rsplit(".", 1)[-1]
        if option.how == "model_dump":
            advice = 'use model_dump(mode="json")'
        elif option.how == "asdict":
            advice = "convert that field to a primitive too"
        elif self.index.category(option.qualname) == "model":
            advice = 'use model_dump(mode="json")'
        else:
            advice = "build a dict of primitives instead"
        detail = f"keeps {field} as {type_label}"
        return Finding("MEM201", option.text or short, advice, option.origin, where, detail)

    def dump_problem(self, qualname: str, how: str, seen: set[str],
                     kept: Optional[tuple[tuple[str, ...], bool]] = None) -> Optional[tuple[str, str]]:
        """The first field that `how` leaves as a non-primitive, as (field path,
        type); `kept` limits the fields to an include (or drops an exclude) list."""
        if qualname in seen:
            return None
        seen = seen | {qualname}
        if how == "model_dump" and self.index.has_model_serializer(qualname):
            return None
        for name, value in self.index.fields(qualname):
            if kept is not None and (name in kept[0]) != kept[1]:
                continue
            problem = self._leaf_problem(value, how, seen)
            if problem is not None:
                path, label = problem
                return (f"{name}{path}" if path.startswith("[") or path.startswith(".") or not path else f"{name}.{path}",
                        label)
        return None

    def _leaf_problem(self, value: Optional[Value], how: str, seen: set[str]) -> Optional[tuple[str, str]]:
        for option in options_of(value):
            if isinstance(option, Prim):
                if option.name == "bytes" and not self.admits_bytes:
                    return ("", "bytes")
            elif isinstance(option, ListOf):
                problem = self._leaf_problem(option.item, how, seen)
                if problem is not None:
                    return ("[]" + problem[0], problem[1])
            elif isinstance(option, DictOf):
                for key in options_of(option.key):
                    if isinstance(key, Inst) and self.index.category(key.qualname) not in ("unknown",):
                        return ("{key}", _type_label(key.qualname, self.index.category(key.qualname), self.index))
                problem = self._leaf_problem(option.value, how, seen)
                if problem is not None:
                    return ("[]" + problem[0], problem[1])
            elif isinstance(option, Container):
                return ("", option.kind)
            elif isinstance(option, Inst):
                category = self.index.category(option.qualname)
                if category == "unknown":
                    continue
                nested_dump = (how == "model_dump" and category == "model") or (
                    how == "asdict" and self.index.is_dataclass(option.qualname))
                if nested_dump:
                    problem = self.dump_problem(option.qualname, how, seen)
                    if problem is not None:
                        return ("." + problem[0], problem[1])
                    continue
                return ("", _type_label(option.qualname, category, self.index))
        return None

    # -- diagnostics ---------------------------------------------------------

    def diagnostics(self, path: str, writes: Sequence[MemoryWrite], lines: Sequence[str],
                    enabled: frozenset[str], *, text: Optional[str] = None, module=None,
                    positions=None, partial=None) -> list[Diagnostic]:
        """The diagnostics of a file's memory writes; with the file's text, parsed
        module and positions, each carries the fix lint/fix/plan.py plans for it.
        `partial` (a partial.Partial) says which statements `module` left out."""
        result: list[Diagnostic] = []
        found: list[tuple[MemoryWrite, Finding]] = []
        groups: list[list[int]] = []  # per diagnostic: its findings (indices into found)
        for write in writes:
            seen: dict[tuple, int] = {}
            strict_reported = False
            for finding in self.findings(write.value):
                if finding.code not in enabled:
                    continue
                if finding.code == "MEM900":
                    if strict_reported:
                        continue
                    strict_reported = True
                diagnostic = self._diagnostic(path, write, finding, lines)
                # One diagnostic per write, kind and place: the same value reached
                # from several branches is one finding with every origin related.
                key = (diagnostic.code, diagnostic.line, diagnostic.column, diagnostic.end_line,
                       diagnostic.end_column)
                index = seen.get(key)
                if index is not None:
                    merged = result[index]
                    related = merged.related + tuple(r for r in diagnostic.related if r not in merged.related)
                    if related != merged.related:
                        result[index] = replace(merged, related=related)
                        groups[index].append(len(found))
                        found.append((write, finding))
                    continue
                seen[key] = len(result)
                groups.append([len(found)])
                result.append(diagnostic)
                found.append((write, finding))
        if text is not None and module is not None and positions is not None and result:
            from .fix.plan import plan_fixes

            from .partial import WholeModuleNeeded

            try:
                fixes = plan_fixes(self, text, module, positions, writes, found, groups, partial=partial)
            except WholeModuleNeeded:
                raise
            except Exception:  # noqa: BLE001 - a fix is an extra: planning one never costs the diagnostics
                fixes = []
            result = [replace(d, fix=f) if f is not None else d for d, f in zip(result, fixes)]
            # A fix whose readers memlint could not rewrite: the diagnostic says where they are.
            result = [_with_unpaired_reads(d) for d in result]
        return result

    def _diagnostic(self, path: str, write: MemoryWrite, finding: Finding, lines: Sequence[str]) -> Diagnostic:
        value_loc = write.value_loc
        origin = finding.origin
        inside = origin is not None and _contains(value_loc, origin)
        primary = origin if inside else value_loc
        assert primary is not None
        related: tuple[Related, ...] = ()
        if origin is not None and not inside:
            source = _snippet(lines, origin)
            verb = "enters the container" if finding.where else "comes from"
            label = finding.type_name or "the value"
            if finding.code == "MEM105":
                label = f"{finding.type_name} key"
            related = (Related(path, origin.line, origin.column,
                               f"{label} {verb} here" + (f": {source}" if source else "")),)
        expression = _snippet(lines, origin) if origin is not None and finding.own_origin and not origin.items else ""
        container_text = _snippet(lines, origin) if origin is not None else ""
        value_text = _snippet(lines, value_loc) or "the value"
        where = f'at memory path "{write.path}"' if write.path is not None else "in memory"
        if finding.code == "MEM105":
            message = self._key_message(finding, value_text, where, lines)
        else:
            message = self._message(finding, expression, value_text, container_text or value_text, where,
                                    write.path, inside)
        rule = RULES[finding.code]
        return Diagnostic(
            path=path,
            line=primary.line,
            column=primary.column,
            end_line=primary.end_line,
            end_column=primary.end_column,
            code=finding.code,
            message=message,
            related=related,
            fix=None,
            url=rule.url(),
            noqa_lines=(write.call_loc.line, write.call_loc.end_line),
        )

    def _key_message(self, finding: Finding, value_text: str, where: str, lines: Sequence[str]) -> str:
        """MEM105: convert the keys of the dict that has them — the stored value
        itself, or the dict inside it (not the list around it)."""
        chain = finding.chain
        if len(chain) < 2 or not isinstance(chain[-1], DictOf):
            return (f"dict with {finding.type_name} keys stored {where}; convert the keys: "
                    f"{{str(k): v for k, v in {_operand(value_text)}.items()}}")
        holder = chain[-2]
        if isinstance(holder, ListOf):
            inner = " in a list"
        elif isinstance(holder, DictOf):
            inner = " in a dict value"
        else:
            inner = f" in a {getattr(holder, 'kind', 'container')}"
        origin = chain[-1].origin
        dict_text = _snippet(lines, origin) if origin is not None else ""
        if dict_text:
            return (f"dict with {finding.type_name} keys{inner} stored {where}; convert its keys: "
                    f"{{str(k): v for k, v in {_operand(dict_text)}.items()}}")
        return (f"dict with {finding.type_name} keys{inner} stored {where}; convert its keys where it enters: "
                f"{{str(k): v for k, v in d.items()}}")

    def _message(self, finding: Finding, expression: str, value_text: str, items_text: str, where: str,
                 path: Optional[str], inside_call: bool) -> str:
        inner = f" {finding.where}" if finding.where and finding.where != "as a dict key" else ""
        if finding.code == "MEM900":
            return f"cannot prove the value `{_short_text(value_text)}` stored {where} is primitive"
        if finding.code == "MEM105":
            return (f"dict with {finding.type_name} keys stored {where}; convert the keys: "
                    f"{{str(k): v for k, v in {_operand(value_text)}.items()}}")
        if finding.code == "MEM201":
            return f"`{finding.type_name}`{inner} {finding.detail}, stored {where}; {finding.advice}"
        if finding.code == "MEM107":
            target = f'new_object("{path}")' if path is not None else "new_object(path)"
            return f"MemoryObject{inner} stored {where}; create nested objects with {target}"
        conversion, _, rebuild = finding.advice.partition(", rebuild")
        rebuild = f", rebuild{rebuild}" if rebuild else ""

        def convert(x: str) -> str:
            if finding.code == "MEM104" and finding.type_name == "tuple" and "," in x and not x.startswith("("):
                x = f"({x})"
            converted = conversion.replace("{x}", _operand(x) if "{x}." in conversion else _short_text(x))
            if finding.optional and "{x}" in conversion and x.isidentifier():
                converted = f"{converted} if {x} is not None else None"
            return converted

        if inner and not expression:
            # The items came with the container (an annotation, a field): convert each one.
            if finding.where == "in a list":
                advice = f"[{convert('item')} for item in {_short_text(items_text)}]"
            else:
                advice = f"{{key: {convert('item')} for key, item in {_operand(items_text)}.items()}}"
            return f"{finding.type_name}{inner} stored {where}; convert each item: {advice}{rebuild}"
        if inner:
            return f"{finding.type_name}{inner} stored {where}; convert it where it enters: {convert(expression)}{rebuild}"
        # The unsafe part itself when it is written inside the call (a branch of a
        # conditional, say), else the value argument as written.
        target = expression if inside_call and expression else value_text
        return f"{finding.type_name} stored {where}; store {convert(target)}{rebuild}"


def _with_unpaired_reads(diagnostic: Diagnostic) -> Diagnostic:
    from .fix.plan import UNPAIRED

    if diagnostic.fix is None or UNPAIRED not in diagnostic.fix.message:
        return diagnostic
    note = diagnostic.fix.message[diagnostic.fix.message.index(UNPAIRED):]
    return replace(diagnostic, message=f"{diagnostic.message}; with the fix, {note}")


def _ref_kind(option: Ref) -> Optional[tuple[str, str]]:
    """(type name, conversion) of a Ref that is surely not data — a module, a
    function, a lambda, a builtin function, Ellipsis — else None. Attributes
    found as methods are not flagged: a descriptor or a field memlint reads
    as a method (a NamedTuple field, `int.real`) may well be data; a name from
    a package memlint does not read may be anything."""
    import builtins

    kind, name = option.kind, option.qualname
    short = name.rsplit(".", 1)[-1]
    if kind == "module":
        return f"module {name}", "the module's name (a str), imported again on read"
    if kind == "function":
        label = "lambda" if name == "<lambda>" else f"function {short}"
        return label, "what it returns, or its name (a str) to look it up on read"
    if kind == "builtin":
        if short in ("Ellipsis", "NotImplemented"):
            return short, "None or a str marker"
        found = getattr(builtins, short, None)
        if callable(found) and not isinstance(found, type) and not short.startswith("_"):
            return f"builtin function {short}", "what it returns, or its name (a str) to look it up on read"
    return None


def _operand(text: str) -> str:
    """`text` ready to have an attribute appended (parenthesized unless it is a name chain or a call)."""
    text = _short_text(text)
    simple = text.replace(".", "").replace("_", "").isalnum() or (text.endswith(")") and text.count("(") == 1
                                                                   and text.index("(") > 0)
    return text if simple else f"({text})"


def _type_label(qualname: str, category: str, index: Index) -> str:
    short = qualname.rsplit(".", 1)[-1]
    if category == "enum":
        return f"{short} (an Enum)"
    if category == "model":
        return f"{short} (a pydantic model)"
    return short


def _contains(outer: Loc, inner: Loc) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) and (inner.end_line, inner.end_column) <= (
        outer.end_line, outer.end_column)


def _snippet(lines: Sequence[str], loc: Loc) -> str:
    if loc.line != loc.end_line or loc.line - 1 >= len(lines):
        return ""
    return lines[loc.line - 1][loc.column - 1: loc.end_column - 1]


def _short_text(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
