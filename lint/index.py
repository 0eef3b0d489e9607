"""index: resolve names to classes, functions and constants across the
project's modules and the bundled stubs, on demand.

Summaries are cached per file path for the whole process; an Index is a view
with its own import roots (the roots of the file being checked), so two
projects that both have a `models.py` never see each other's classes.
"""
from __future__ import annotations

import builtins
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .source import DecodeProblem, read_source
from .summary import ClassSummary, FunctionSummary, ModuleSummary, TypeExpr, summarize_module
from .types import UNKNOWN, Container, DictOf, Inst, ListOf, Prim, Value, union

STUB_DIR = Path(__file__).resolve().parent / "stubs"
BUILTIN_NAMES = frozenset(dir(builtins))

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
MODEL_ROOT = "pydantic.BaseModel"
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
    """Per-process cache of module summaries, parsed on demand. An entry is
    used only while the file's size and modification time are unchanged, so
    long-lived hosts (the language server, API callers) see edits on disk."""

    def __init__(self) -> None:
        # Keyed by (path, module name): one file reached from two import roots
        # has two names, and its classes' qualified names follow the name.
        self._by_path: dict[tuple[str, str], tuple[Optional[tuple[int, int]], Optional[ModuleSummary]]] = {}

    @staticmethod
    def _stamp(path: str) -> Optional[tuple[int, int]]:
        try:
            status = os.stat(path)
        except OSError:
            return None
        return (status.st_mtime_ns, status.st_size)

    def get(self, path: str, name: str, is_package: bool) -> Optional[ModuleSummary]:
        key = (path, name)
        stamp = self._stamp(path)
        cached = self._by_path.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        summary: Optional[ModuleSummary] = None
        try:
            import libcst as cst

            module = cst.parse_module(read_source(path).text)
            summary = summarize_module(module, name, path, is_package)
        except (OSError, DecodeProblem, RecursionError, Exception):  # noqa: BLE001 - an unreadable import is unknown
            summary = None
        self._by_path[key] = (stamp, summary)
        return summary

    def put(self, summary: ModuleSummary) -> None:
        self._by_path[(summary.path, summary.name)] = (self._stamp(summary.path), summary)

    def clear(self) -> None:
        self._by_path.clear()


SHARED_CACHE = SummaryCache()


def module_name_for(path: Path) -> tuple[str, Path, bool]:
    """(dotted module name, import root, is_package) of a file, walking up
    through directories that hold an `__init__.py`."""
    path = path.resolve()
    is_package = path.stem == "__init__"
    parts: list[str] = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file() or (directory / "__init__.pyi").is_file():
        parts.insert(0, directory.name)
        if directory.parent == directory:
            break
        directory = directory.parent
    return ".".join(parts), directory, is_package


class Index:
    def __init__(
        self,
        roots: tuple[str, ...],
        cache: SummaryCache = SHARED_CACHE,
        memory_types: tuple[str, ...] = (),
    ) -> None:
        self.roots = roots
        self.cache = cache
        self.memory_types = frozenset((MEMORY_OBJECT, *memory_types))
        self._modules: dict[str, Optional[ModuleSummary]] = {}
        self._mro: dict[str, tuple[str, ...]] = {}
        self._category: dict[str, str] = {}

    # -- modules -------------------------------------------------------------

    def add_module(self, summary: ModuleSummary) -> None:
        """Make a module (e.g. the one being checked, from unsaved text) win over disk."""
        self._modules[summary.name] = summary

    def module(self, name: str) -> Optional[ModuleSummary]:
        if name in self._modules:
            return self._modules[name]
        summary = None
        relative = name.replace(".", os.sep)
        for base in (str(STUB_DIR), *self.roots):
            for candidate, is_package in (
                (os.path.join(base, relative + ".pyi"), False),
                (os.path.join(base, relative, "__init__.pyi"), True),
                (os.path.join(base, relative + ".py"), False),
                (os.path.join(base, relative, "__init__.py"), True),
            ):
                if os.path.isfile(candidate):
                    summary = self.cache.get(candidate, name, is_package)
                    break
            if summary is not None:
                break
        self._modules[name] = summary
        return summary

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

    def mro(self, qualname: str) -> tuple[str, ...]:
        """The class and its bases, depth first, as qualified names (unresolvable
        bases appear with the name they were written with)."""
        if qualname in self._mro:
            return self._mro[qualname]
        self._mro[qualname] = (qualname,)  # cycle guard
        order: list[str] = [qualname]
        found = self.class_summary(qualname)
        if found is not None:
            cls, module = found
            for base in cls.bases:
                resolved = self.resolve(module, base.name) if base.name else None
                if resolved is None:
                    continue
                if resolved.kind == "variable" and isinstance(resolved.payload, TypeExpr):
                    inner = resolved.payload
                    if inner.name == "<value>" and inner.args:
                        resolved = self.resolve(resolved.module, inner.args[0].name)
                base_name = resolved.qualname
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
        if MODEL_ROOT in names:
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
            if found is not None and found[0].has_model_serializer and name != MODEL_ROOT:
                return True
        return False

    def fields(self, qualname: str) -> list[tuple[str, Value]]:
        """Instance fields (annotated class attributes through the MRO) with their values."""
        seen: dict[str, Value] = {}
        for name in reversed(self.mro(qualname)):
            found = self.class_summary(name)
            if found is None or name == MODEL_ROOT:
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

    def value_of_type(self, expr: Optional[TypeExpr], module: Optional[ModuleSummary], depth: int = 0) -> Value:
        """The abstract value of something annotated `expr` (written in `module`)."""
        if expr is None or not expr.name or depth > MAX_DEPTH:
            return UNKNOWN
        name, args = expr.name, expr.args
        if name == "None":
            return Prim("None")
        if name == "|":
            return union(*(self.value_of_type(a, module, depth + 1) for a in args)) or UNKNOWN
        if name == "<memory>":
            return Inst(MEMORY_OBJECT)
        if name.startswith("<") and name.endswith(">") and name not in ("<value>", "<call>"):
            return Prim(name[1:-1])
        if name in ("...", "<call>"):
            return UNKNOWN
        if name == "<value>":
            return self.value_of_type(args[0], module, depth + 1) if args else UNKNOWN
        resolved = self.resolve(module, name)
        if resolved.kind == "variable" and isinstance(resolved.payload, TypeExpr):
            return self.value_of_type(resolved.payload, resolved.module, depth + 1)
        qualname = resolved.qualname
        if resolved.kind == "external" or qualname.startswith(TYPING_MODULES):
            return self._typing_value(qualname, args, module, depth)
        if resolved.kind not in ("class", "builtin"):
            return UNKNOWN
        return self.instance_of(qualname, [self.value_of_type(a, module, depth + 1) for a in args])

    def _typing_value(self, qualname: str, args: tuple[TypeExpr, ...], module, depth: int) -> Value:
        if not qualname.startswith(TYPING_MODULES):
            return UNKNOWN
        short = qualname.rsplit(".", 1)[-1]
        values = [self.value_of_type(a, module, depth + 1) for a in args if a.name != "..."]
        if short == "Optional":
            return union(*values, Prim("None")) or UNKNOWN
        if short == "Union":
            return union(*values) or UNKNOWN
        if short in ("Annotated", "Final", "ClassVar", "Required", "NotRequired", "ReadOnly"):
            return values[0] if values else UNKNOWN
        if short == "Literal":
            return union(*values) or UNKNOWN
        if short == "List":
            return ListOf(values[0] if values else UNKNOWN)
        if short == "Dict":
            return DictOf(values[0] if values else UNKNOWN, values[1] if len(values) > 1 else UNKNOWN)
        if short in TYPING_CONTAINERS:
            kind = TYPING_CONTAINERS[short]
            if kind == "tuple" and args and not any(a.name == "..." for a in args):
                return Container("tuple", union(*values), tuple(values))
            if kind in ("defaultdict", "OrderedDict", "Counter"):
                return Container(kind, values[0] if values else UNKNOWN)
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
        if any(name.rsplit(".", 1)[-1] == "Protocol" and name.startswith(TYPING_MODULES) for name in mro[1:]):
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
