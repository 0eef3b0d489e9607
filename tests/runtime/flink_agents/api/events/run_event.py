"""Agent-run lifecycle events (stand-in; flink-agents main, not 0.3.1)."""
from __future__ import annotations

from typing import Any, ClassVar, Dict

from flink_agents.api.events.event import Event
from flink_agents.api.events.memory_event import _observation_attributes


class AgentRunBeginEvent(Event):
    """Emitted before a run's actions, with the run's short-term memory values."""

    EVENT_TYPE: ClassVar[str] = "_agent_run_begin_event"

    def __init__(self, *, key: str, value: Dict[str, Any]) -> None:
        super().__init__(type=AgentRunBeginEvent.EVENT_TYPE, attributes=_observation_attributes(key, value))

    @classmethod
    def from_event(cls, event: Event) -> "AgentRunBeginEvent":
        typed = AgentRunBeginEvent(key=event.attributes.get("key"), value=event.attributes.get("value"))
        typed.reconstruct_from(event)
        return typed

    @property
    def key(self) -> str:
        return self.get_attr("key")

    @property
    def value(self) -> Dict[str, Any]:
        """The short-term memory values as a flat map of dotted paths."""
        return self.get_attr("value")
