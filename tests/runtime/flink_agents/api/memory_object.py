"""Memory objects (stand-in)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import Any

from pydantic import BaseModel


class MemoryType(Enum):
    SENSORY = "sensory"
    SHORT_TERM = "short_term"


class MemoryObject(BaseModel, ABC):
    """A tree of fields kept in Flink state; nested objects come from new_object()."""

    @abstractmethod
    def get(self, path_or_ref: Any) -> Any:
        """A value, a nested MemoryObject for an object field, or None."""

    @abstractmethod
    def set(self, path: str, value: Any) -> Any:
        """Store a value; returns a MemoryRef."""

    @abstractmethod
    def new_object(self, path: str, *, overwrite: bool = False) -> "MemoryObject":
        """Create a nested object at path."""

    @abstractmethod
    def is_exist(self, path: str) -> bool:
        """Whether a value or object exists at path."""
