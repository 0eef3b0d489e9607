# memlint knowledge stub: enum (standard library). Enum members are never
# memory-safe, including str/int mixins; `.value` of a member is.
from typing import Any

class Enum:
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> Any: ...

class IntEnum(int, Enum):
    @property
    def value(self) -> int: ...

class StrEnum(str, Enum):
    @property
    def value(self) -> str: ...

class Flag(Enum):
    @property
    def name(self) -> str | None: ...

class IntFlag(int, Flag):
    @property
    def value(self) -> int: ...

class auto:
    value: Any
    def __init__(self) -> None: ...

def unique(enumeration: Any) -> Any: ...
