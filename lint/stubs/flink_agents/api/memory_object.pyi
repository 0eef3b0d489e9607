# memlint knowledge stub: flink_agents.api.memory_object. MemoryObject.set is
# THE memory write checked by memlint.
from enum import Enum
from typing import Any

from pydantic import BaseModel

from flink_agents.api.memory_reference import MemoryRef

class MemoryType(Enum):
    SENSORY = "sensory"
    SHORT_TERM = "short_term"

class MemoryObject(BaseModel):
    def get(self, path_or_ref: str | MemoryRef) -> Any: ...
    def set(self, path: str, value: Any) -> MemoryRef: ...
    def new_object(self, path: str, overwrite: bool = False) -> "MemoryObject": ...
    def is_exist(self, path: str) -> bool: ...
    def get_field_names(self) -> list[str]: ...
    def get_fields(self) -> dict[str, Any]: ...
