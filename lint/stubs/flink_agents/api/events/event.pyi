# memlint knowledge stub: flink_agents.api.events.event. Events are pydantic
# models: never memory-safe (store event.model_dump(mode="json")).
from typing import Any
from uuid import UUID

from pydantic import BaseModel

class Event(BaseModel):
    id: UUID
    type: str
    attributes: dict[str, Any]
    def get_attr(self, name: str) -> Any: ...
    @classmethod
    def from_event(cls, event: "Event") -> "Event": ...

class InputEvent(Event):
    input: Any

class OutputEvent(Event):
    output: Any
