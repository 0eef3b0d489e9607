"""References to memory fields (stand-in)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from flink_agents.api.memory_object import MemoryType

if TYPE_CHECKING:
    from flink_agents.api.runner_context import RunnerContext


class MemoryRef(BaseModel):
    """A reference to a value in memory; what `MemoryObject.set` returns."""

    model_config = ConfigDict(frozen=True)

    memory_type: MemoryType = MemoryType.SHORT_TERM
    path: str

    @staticmethod
    def create(memory_type: MemoryType, path: str) -> "MemoryRef":
        return MemoryRef(memory_type=memory_type, path=path)

    def resolve(self, ctx: "RunnerContext") -> Any:
        memory = ctx.sensory_memory if self.memory_type == MemoryType.SENSORY else ctx.short_term_memory
        return memory.get(self)
