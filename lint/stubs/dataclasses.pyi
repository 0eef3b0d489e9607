# memlint knowledge stub: dataclasses (standard library). Dataclass instances
# are never memory-safe; asdict() is, when every field value is.
from typing import Any

class Field:
    name: str
    type: Any
    default: Any
    default_factory: Any
    init: bool
    repr: bool
    compare: bool
    kw_only: Any
    metadata: Any

class InitVar:
    type: Any

class FrozenInstanceError(AttributeError): ...

MISSING: Any
KW_ONLY: Any

def dataclass(cls: Any = ..., /, **kwargs: Any) -> Any: ...
def field(**kwargs: Any) -> Any: ...
def fields(class_or_instance: Any) -> tuple[Field, ...]: ...
def asdict(obj: Any, *, dict_factory: Any = ...) -> dict[str, Any]: ...
def astuple(obj: Any, *, tuple_factory: Any = ...) -> tuple[Any, ...]: ...
def replace(obj: Any, /, **changes: Any) -> Any: ...
def is_dataclass(obj: Any) -> bool: ...
def make_dataclass(cls_name: str, fields: Any, **kwargs: Any) -> Any: ...
