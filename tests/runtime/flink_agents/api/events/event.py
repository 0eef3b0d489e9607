"""Events (stand-in)."""
from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, Field, model_validator


class Event(BaseModel):
    id: UUID = Field(default_factory=uuid4)
    type: str = ""
    attributes: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _default_type(self) -> "Event":
        if not self.type:
            self.type = type(self).__name__
        return self


class InputEvent(Event):
    input: Any = None


class OutputEvent(Event):
    output: Any = None
