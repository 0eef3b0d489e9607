# memlint knowledge stub: flink_agents.api.memory_reference. MemoryRef (the
# result of MemoryObject.set) is a pydantic model, not memory-safe itself.
from typing import Any

from pydantic import BaseModel

from flink_agents.api.memory_object import MemoryType

class MemoryRef(BaseModel):
    memory_type: MemoryType
    path: str
    @staticmethod
    def create(*args: Any, **kwargs: Any) -> "MemoryRef": ...
    def resolve(self, ctx: Any) -> Any: ...
