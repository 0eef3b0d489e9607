"""References to memory fields (stand-in)."""
from __future__ import annotations

from pydantic import BaseModel

from flink_agents.api.memory_object import MemoryType


class MemoryRef(BaseModel):
    memory_type: MemoryType
    path: str
