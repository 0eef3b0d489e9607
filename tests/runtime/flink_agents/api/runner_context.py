"""The context an action runs in (stand-in)."""
from __future__ import annotations

from abc import ABC, abstractmethod

from flink_agents.api.events.event import Event
from flink_agents.api.memory_object import MemoryObject


class RunnerContext(ABC):
    @property
    @abstractmethod
    def sensory_memory(self) -> MemoryObject:
        """Memory cleared after each run."""

    @property
    @abstractmethod
    def short_term_memory(self) -> MemoryObject:
        """Memory kept per key."""

    @abstractmethod
    def send_event(self, event: Event) -> None:
        """Emit an event to other actions."""
