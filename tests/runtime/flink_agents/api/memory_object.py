"""Memory objects (stand-in)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import TYPE_CHECKING, Any, Union

from pydantic import BaseModel

if TYPE_CHECKING:
    from flink_agents.api.memory_reference import MemoryRef


class MemoryType(Enum):
    SENSORY = "sensory"
    SHORT_TERM = "short_term"


class MemoryObject(BaseModel, ABC):
    """A tree of fields kept in Flink state; nested objects come from new_object()."""

    @abstractmethod
    def get(self, path_or_ref: Union[str, "MemoryRef"]) -> Any:
        """A value, a nested MemoryObject for an object field, or None."""

    @abstractmethod
    def set(self, path: str, value: Any) -> "MemoryRef":
        """Store a value; returns a MemoryRef (a pydantic model) to it."""

    @abstractmethod
    def new_object(self, path: str, *, overwrite: bool = False) -> "MemoryObject":
        """Create a nested object at path."""

    @abstractmethod
    def is_exist(self, path: str) -> bool:
        """Whether a value or object exists at path."""
