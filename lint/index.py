"""index: resolve names to classes, functions and constants across the
project's modules, the target environment's packages, the bundled stubs and
typeshed (see knowledge.py for the order), on demand.

Summaries are cached per file path for the whole process; an Index is a view
with its own import roots (the roots of the file being checked), so two
projects that both have a `models.py` never see each other's classes.
"""
from __future__ import annotations

import builtins
import os
from dataclasses import dataclass
from typing import Optional

from .knowledge import Knowledge, find_environment, flink_stub_set
from .locate import locate
from .source import DecodeProblem, decode, read_source
from .summary import ClassSummary, ModuleSummary, PythonVersion, TypeExpr, summarize_text
from .types import UNKNOWN, Awaitable, Container, DictOf, Inst, ListOf, Prim, Value, union

BUILTIN_NAMES = frozenset(dir(builtins))
PRIMITIVE_NAMES = frozenset({"str", "int", "float", "bool", "bytes", "None", "json"})

PRIMITIVE_CLASSES = {
    "builtins.str": "str",
    "builtins.int": "int",
    "builtins.float": "float",
    "builtins.bool": "bool",
    "builtins.bytes": "bytes",
    "builtins.NoneType": "None",
}
CONTAINER_CLASSES = {
    "builtins.tuple": "tuple",
    "builtins.set": "set",
    "builtins.frozenset": "frozenset",
    "builtins.range": "range",
    "collections.OrderedDict": "OrderedDict",
    "collections.defaultdict": "defaultdict",
    "collections.Counter": "Counter",
    "collections.deque": "deque",
    "collections.ChainMap": "ChainMap",
}
TYPING_CONTAINERS = {
    "Tuple": "tuple",
    "Set": "set",
    "FrozenSet": "frozenset",
    "AbstractSet": "set",
    "Deque": "deque",
    "DefaultDict": "defaultdict",
    "OrderedDict": "OrderedDict",
    "Counter": "Counter",
    "Generator": "generator",
    "AsyncGenerator": "generator",
}
TYPING_MODULES = ("typing.", "typing_extensions.", "collections.abc.")
MODEL_ROOTS = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel"})
ENUM_ROOT = "enum.Enum"
MEMORY_OBJECT = "flink_agents.api.memory_object.MemoryObject"
DATACLASS_DECORATORS = frozenset(
    {"dataclass", "dataclasses.dataclass", "pydantic.dataclasses.dataclass", "attr.s", "attr.attrs",
     "attrs.define", "attrs.frozen", "attr.define", "attr.frozen", "define", "frozen", "attrs", "s"}
)
MAX_DEPTH = 40


@dataclass(frozen=True)
class Resolved:
    """What a name stands for: kind is "module", "class", "function", "constant",
    "variable", "builtin" or "external" (a name memlint cannot see into)."""

    kind: str
    qualname: str
    module: Optional[ModuleSummary] = None
    payload: object = None


class SummaryCache:
    """Per-process cache of module summaries, read on demand. An entry is
    used only while the file's size and modification time are unchanged, so
    long-lived hosts (the language server, API callers) see edits on disk."""

    def __init__(self) -> None:
        # Keyed by (path, module name, Python version): one file reached from
        # two import roots has two names, and its classes' qualified names
        # follow the name; version branches are decided for the target.
        self._by_path: dict[tuple[str, str, PythonVersion],
                            tuple[Optional[tuple[int, int]], Optional[ModuleSummary]]] = {}
        self.disk = None  # a cache.DiskCache, when results are cached on disk

    @staticmethod
    def _stamp(path: str) -> Optional[tuple[int, int]]:
        try:
            status = os.stat(path)
        except OSError:
            return None
        return (status.st_mtime_ns, status.st_size)

    def get(self, path: str, name: str, is_package: bool, version: PythonVersion) -> Optional[ModuleSummary]:
        key = (path, name, version)
        stamp = self._stamp(path)
        cached = self._by_path.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            summary = self._summarize(path, name, is_package, version)
        except (OSError, DecodeProblem, RecursionError, MemoryError, ValueError):
            summary = None  # an unreadable import is unknown
        self._by_path[key] = (stamp, summary)
        return summary

    def _summarize(self, path: str, name: str, is_package: bool, version: PythonVersion) -> Optional[ModuleSummary]:
        if self.disk is None:
            return summarize_text(read_source(path).text, name, path, is_package, version)
        with open(path, "rb") as handle:
            data = handle.read()
        key = self.disk.summary_key(data, name, is_package, path, version)
        summary = self.disk.get_summary(key)
        if isinstance(summary, ModuleSummary):
            return summary
        summary = summarize_text(decode(data).text, name, path, is_package, version)
        if summary is not None:
            self.disk.put_summary(key, summary)
        return summary

    def clear(self) -> None:
        self._by_path.clear()


SHARED_CACHE = SummaryCache()




_DEFAULT_KNOWLEDGE: Optional[Knowledge] = None


def default_knowledge() -> Knowledge:
    """The interpreter memlint runs in and the latest release's stubs."""
    global _DEFAULT_KNOWLEDGE
    if _DEFAULT_KNOWLEDGE is None:
        _DEFAULT_KNOWLEDGE = Knowledge(find_environment(None, None, {}), flink_stub_set(None))
    return _DEFAULT_KNOWLEDGE


class Index:
    def __init__(
        self,
        roots: tuple[str, ...],
        cache: SummaryCache = SHARED_CACHE,
        memory_types: tuple[str, ...] = (),
        knowledge: Optional[Knowledge] = None,
    ) -> None:
        self.roots = roots
        self.cache = cache
        self.knowledge = knowledge or default_knowledge()
        self.version = self.knowledge.environment.python_version
        self.memory_types = frozenset((MEMORY_OBJECT, *memory_types))
        self._modules: dict[str, Optional[ModuleSummary]] = {}
        self._added: set[str] = set()
        self._mro: dict[str, tuple[str, ...]] = {}
        self._category: dict[str, str] = {}

    # -- modules -------------------------------------------------------------

    def add_module(self, summary: ModuleSummary) -> None:
        """Make a module (e.g. the one being checked, from unsaved text) win over disk."""
        self._modules[summary.name] = summary
        self._added.add(summary.name)

    def locate(self, name: str) -> Optional[tuple[str, bool]]:
        """(path, is_package) of the file a module name stands for, or None."""
        return locate(self.roots, self.knowledge, name)

    def module(self, name: str) -> Optional[ModuleSummary]:
        if name in self._modules:
            return self._modules[name]
        found = self.locate(name)
        summary = self.cache.get(found[0], name, found[1], self.version) if found is not None else None
        self._modules[name] = summary
        return summary

    def resolutions(self) -> list[tuple[str, Optional[str]]]:
        """(module name, the file it was read from, or None when not found) for
        every module this index looked for (not the ones added from text)."""
        return [(name, s.path if s is not None else None) for name, s in self._modules.items()
                if name not in self._added]

    # -- names ---------------------------------------------------------------

    def resolve(self, module: Optional[ModuleSummary], dotted: str, depth: int = 0) -> Resolved:
        """What `dotted`, written in `module`, stands for."""
        first, _, rest = dotted.partition(".")
        if module is None or depth > MAX_DEPTH:
            return Resolved("external", dotted)
        found = module.lookup(first)
        if found is None and first in BUILTIN_NAMES and not rest:
            # Checked before star imports: loading every star-imported module to
            # look for `str` would summarize whole packages for nothing.
            return Resolved("builtin", f"builtins.{first}")
        if found is None:
            for star in module.star_imports:
                target = self.module(star)
                if target is not None and target.lookup(first) is not None:
                    return self.resolve_qualname(f"{star}.{dotted}", depth + 1)
            if first in BUILTIN_NAMES:
                return Resolved("builtin", f"builtins.{dotted}") if not rest else Resolved("external", dotted)
            return Resolved("external", dotted)
        kind, payload = found
        if kind == "import":
            return self.resolve_qualname(f"{payload}.{rest}" if rest else str(payload), depth + 1)
        qualname = f"{module.name}.{first}" if module.name else first
        if kind == "class":
            if rest:
                return Resolved("attribute", f"{qualname}.{rest}", module, payload)
            return Resolved("class", qualname, module, payload)
        if rest:
            return Resolved("external", f"{qualname}.{rest}")
        return Resolved(kind, qualname, module, payload)

    def resolve_qualname(self, qualname: str, depth: int = 0) -> Resolved:
        if depth > MAX_DEPTH:
            return Resolved("external", qualname)
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            module_name = ".".join(parts[:cut])
            module = self.module(module_name)
            if module is None:
                continue
            if cut == len(parts):
                return Resolved("module", module_name, module)
            return self.resolve(module, ".".join(parts[cut:]), depth + 1)
        if parts[0] == "builtins" and len(parts) == 2 and parts[1] in BUILTIN_NAMES:
            return Resolved("builtin", qualname)
        return Resolved("external", qualname)

    def class_summary(self, qualname: str) -> Optional[tuple[ClassSummary, ModuleSummary]]:
        resolved = self.resolve_qualname(qualname)
        if resolved.kind == "class" and resolved.module is not None:
            return resolved.payload, resolved.module  # type: ignore[return-value]
        return None

    def canonical(self, resolved: Resolved) -> str:
        return resolved.qualname

    # -- classes -------------------------------------------------------------

    def bases(self, qualname: str) -> tuple[str, ...]:
        """The direct bases of a class as qualified names."""
        found = self.class_summary(qualname)
        if found is None:
            return ()
        cls, module = found
        names: list[str] = []
        for base in cls.bases:
            if not base.name:
                continue
            resolved = self.resolve(module, base.name)
            if resolved.kind == "variable" and isinstance(resolved.payload, TypeExpr):
                inner = resolved.payload
                if inner.name == "<value>" and inner.args:
                    resolved = self.resolve(resolved.module, inner.args[0].name)
            names.append(resolved.qualname)
        return tuple(names)

    def mro(self, qualname: str) -> tuple[str, ...]:
        """The class and its bases, depth first, as qualified names (unresolvable
        bases appear with the name they were written with)."""
        if qualname in self._mro:
            return self._mro[qualname]
        self._mro[qualname] = (qualname,)  # cycle guard
        order: list[str] = [qualname]
        for base_name in self.bases(qualname):
            for item in self.mro(base_name):
                if item not in order:
                    order.append(item)
        self._mro[qualname] = tuple(order)
        return self._mro[qualname]

    def category(self, qualname: str) -> str:
        """memory, uuid, enum, model, container, prim, list, dict, object, or
        unknown (a class memlint cannot see)."""
        if qualname in self._category:
            return self._category[qualname]
        result = self._compute_category(qualname)
        self._category[qualname] = result
        return result

    def _compute_category(self, qualname: str) -> str:
        if qualname in PRIMITIVE_CLASSES:
            return "prim"
        if qualname == "builtins.list":
            return "list"
        if qualname == "builtins.dict":
            return "dict"
        mro = self.mro(qualname)
        names = set(mro)
        if names & self.memory_types:
            return "memory"
        if "uuid.UUID" in names:
            return "uuid"
        if ENUM_ROOT in names:
            return "enum"
        if names & MODEL_ROOTS:
            return "model"
        if names & CONTAINER_CLASSES.keys():
            return "container"
        if qualname.startswith("builtins."):
            return "object" if qualname[9:] in BUILTIN_NAMES else "unknown"
        if self.class_summary(qualname) is None:
            return "unknown"
        return "object"

    def container_kind(self, qualname: str) -> str:
        for name in self.mro(qualname):
            if name in CONTAINER_CLASSES:
                return CONTAINER_CLASSES[name]
        return qualname.rsplit(".", 1)[-1]

    def is_dataclass(self, qualname: str) -> bool:
        found = self.class_summary(qualname)
        return found is not None and any(d in DATACLASS_DECORATORS for d in found[0].decorators)

    def has_model_serializer(self, qualname: str) -> bool:
        for name in self.mro(qualname):
            found = self.class_summary(name)
            if found is not None and found[0].has_model_serializer and name not in MODEL_ROOTS:
                return True
        return False

    def fields(self, qualname: str) -> list[tuple[str, Value]]:
        """Instance fields (annotated class attributes through the MRO) with their values."""
        seen: dict[str, Value] = {}
        for name in reversed(self.mro(qualname)):
            found = self.class_summary(name)
            if found is None or name in MODEL_ROOTS:
                continue
            cls, module = found
            for field_name, annotation in cls.fields:
                if field_name.startswith("_") or field_name == "model_config":
                    continue
                if annotation.name.rsplit(".", 1)[-1] == "ClassVar":
                    seen.pop(field_name, None)
                    continue
                seen[field_name] = self.value_of_type(annotation, module)
        return list(seen.items())

    def attribute(self, qualname: str, attr: str) -> Optional[tuple[str, object, ModuleSummary]]:
        """('field', TypeExpr, module) or ('method', FunctionSummary, module) or
        ('member', kind, module) for an attribute of a class, through the MRO."""
        for name in self.mro(qualname):
            found = self.class_summary(name)
            if found is None:
                continue
            cls, module = found
            annotation = cls.field(attr)
            if annotation is not None:
                return ("field", annotation, module)
            method = cls.method(attr)
            if method is not None:
                return ("method", method, module)
            for member, kind in cls.members:
                if member == attr:
                    return ("member", kind, module)
        return None

    def enum_value(self, qualname: str) -> Value:
        """The value of `.value` on a member of this enum."""
        mro = self.mro(qualname)
        for mixin, prim in (("builtins.str", "str"), ("builtins.int", "int"), ("builtins.float", "float")):
            if mixin in mro:
                return Prim(prim)
        kinds: set[str] = set()
        for name in mro:
            found = self.class_summary(name)
            if found is None or name.startswith("enum."):
                continue
            for member, kind in found[0].members:
                if not member.startswith("_"):
                    kinds.add("int" if kind == "auto" else kind)
        if len(kinds) == 1 and next(iter(kinds)) in ("str", "int", "float", "bool", "None", "bytes"):
            return Prim(next(iter(kinds)))
        return UNKNOWN

    # -- annotations ---------------------------------------------------------

    def value_of_type(self, expr: Optional[TypeExpr], module: Optional[ModuleSummary], depth: int = 0,
                      bindings: Optional[dict[str, Value]] = None, owner: Optional[str] = None) -> Value:
        """The abstract value of something annotated `expr` (written in `module`);
        `bindings` gives TypeVars (by the name written) their values, `owner`
        is the class `Self` stands for."""
        if expr is None or not expr.name or depth > MAX_DEPTH:
            return UNKNOWN
        name, args = expr.name, expr.args

        def inner(e: TypeExpr) -> Value:
            return self.value_of_type(e, module, depth + 1, bindings, owner)

        if name == "None":
            return Prim("None")
        if name == "|":
            return union(*(inner(a) for a in args)) or UNKNOWN
        if name == "<memory>":
            return Inst(MEMORY_OBJECT)
        if name.startswith("<") and name.endswith(">") and name not in ("<value>", "<call>"):
            return Prim(name[1:-1]) if name[1:-1] in PRIMITIVE_NAMES else UNKNOWN
        if name in ("...", "<call>"):
            return UNKNOWN
        if name == "<value>":
            return inner(args[0]) if args else UNKNOWN
        if bindings is not None and name in bindings:
            return bindings[name]
        resolved = self.resolve(module, name)
        qualname = resolved.qualname
        if resolved.kind == "typevar":
            return UNKNOWN
        if resolved.kind == "external" or qualname.startswith(TYPING_MODULES):
            if qualname.rsplit(".", 1)[-1] == "Self" and qualname.startswith(TYPING_MODULES):
                return Inst(owner) if owner is not None else UNKNOWN
            return self._typing_value(qualname, args, inner)
        if resolved.kind == "variable" and isinstance(resolved.payload, TypeExpr):
            return self.value_of_type(resolved.payload, resolved.module, depth + 1, bindings, owner)
        if resolved.kind not in ("class", "builtin"):
            return UNKNOWN
        return self.instance_of(qualname, [inner(a) for a in args])

    def _typing_value(self, qualname: str, args: tuple[TypeExpr, ...], inner) -> Value:
        if not qualname.startswith(TYPING_MODULES):
            return UNKNOWN
        short = qualname.rsplit(".", 1)[-1]
        values = [inner(a) for a in args if a.name != "..."]
        if short == "Optional":
            return union(*values, Prim("None")) or UNKNOWN
        if short == "Union":
            return union(*values) or UNKNOWN
        if short in ("Annotated", "Final", "ClassVar", "Required", "NotRequired", "ReadOnly", "TypeGuard", "TypeIs"):
            return (values[0] if values else UNKNOWN) if short not in ("TypeGuard", "TypeIs") else Prim("bool")
        if short == "Literal":
            return union(*values) or UNKNOWN
        if short == "LiteralString":
            return Prim("str")
        if short == "List":
            return ListOf(values[0] if values else UNKNOWN)
        if short == "Dict":
            return DictOf(values[0] if values else UNKNOWN, values[1] if len(values) > 1 else UNKNOWN)
        if short in ("Coroutine", "Awaitable"):
            return Awaitable(values[-1] if values else UNKNOWN)
        if short in TYPING_CONTAINERS:
            kind = TYPING_CONTAINERS[short]
            if kind == "tuple" and args and not any(a.name == "..." for a in args):
                return Container("tuple", union(*values), tuple(values))
            return Container(kind, values[0] if values else UNKNOWN)
        return UNKNOWN

    def instance_of(self, qualname: str, args: list[Value]) -> Value:
        """An instance of a class, given the values of its type arguments."""
        if qualname in PRIMITIVE_CLASSES:
            return Prim(PRIMITIVE_CLASSES[qualname])
        if qualname == "builtins.list":
            return ListOf(args[0] if args else UNKNOWN)
        if qualname == "builtins.dict":
            return DictOf(args[0] if args else UNKNOWN, args[1] if len(args) > 1 else UNKNOWN)
        if qualname in ("builtins.object", "builtins.type"):
            return UNKNOWN
        mro = self.mro(qualname)
        if any(name.rsplit(".", 1)[-1] == "TypedDict" and name.startswith(TYPING_MODULES) for name in mro[1:]):
            # A TypedDict instance is an exact dict with str keys.
            return DictOf(Prim("str"), union(*(v for _, v in self.fields(qualname))) or UNKNOWN)
        if any(name.rsplit(".", 1)[-1] == "Protocol" and name.startswith(TYPING_MODULES)
               for name in self.bases(qualname)):
            return UNKNOWN  # anything with the right methods
        if any(name.rsplit(".", 1)[-1] == "NamedTuple" and name.startswith(TYPING_MODULES) for name in mro[1:]):
            return Container("tuple", union(*(v for _, v in self.fields(qualname))) or UNKNOWN)
        category = self.category(qualname)
        if category == "unknown":
            return UNKNOWN
        if category == "container":
            kind = self.container_kind(qualname)
            if kind == "tuple" and args:
                return Container("tuple", union(*args), tuple(args))
            item = args[-1] if kind in ("defaultdict", "OrderedDict", "ChainMap") and args else (args[0] if args else UNKNOWN)
            return Container(kind, item)
        return Inst(qualname)
