"""Events (stand-in).

As in flink-agents 0.3.1 and main, an event is a pydantic model whose data
lives in `attributes`; subclasses pin an `EVENT_TYPE`, take their data as
constructor arguments, rebuild themselves from a base `Event` with the
classmethod `from_event`, and expose each attribute through a `@property`.
"""
from __future__ import annotations

from typing import Any, ClassVar, Dict
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Event(BaseModel):
    """A routed event: `type` names it, `attributes` carries its data."""

    model_config = ConfigDict(extra="allow")

    EVENT_TYPE: ClassVar[str | None] = None

    id: UUID = Field(default_factory=uuid4)
    type: str = ""
    attributes: Dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _default_type(self) -> "Event":
        if not self.type:
            self.type = type(self).EVENT_TYPE or type(self).__name__
        return self

    def get_type(self) -> str:
        return self.type

    def get_attr(self, name: str) -> Any:
        return self.attributes.get(name)

    def set_attr(self, name: str, value: Any) -> None:
        self.attributes[name] = value

    def reconstruct_from(self, source: "Event") -> "Event":
        """Keep the identity of the event this typed view was rebuilt from (main)."""
        self.id = source.id
        return self

    @classmethod
    def from_event(cls, event: "Event") -> "Event":
        """The base class returns the event unchanged; subclasses return a typed view."""
        return event


def _init_attributes(extra: Dict[str, Any] | None, **values: Any) -> Dict[str, Any]:
    """Attributes of a typed event: the stand-in also takes an `attributes=` dict
    (older fixtures pass one), merged under the typed values."""
    merged: Dict[str, Any] = dict(extra or {})
    merged.update(values)
    return merged


class InputEvent(Event):
    """The data arriving at the agent."""

    EVENT_TYPE: ClassVar[str] = "_input_event"

    def __init__(self, input: Any = None, *, attributes: Dict[str, Any] | None = None, **data: Any) -> None:
        super().__init__(type=InputEvent.EVENT_TYPE, attributes=_init_attributes(attributes, input=input), **data)

    @classmethod
    def from_event(cls, event: Event) -> "InputEvent":
        assert "input" in event.attributes
        result = InputEvent(input=event.attributes["input"])
        result.id = event.id
        return result

    @property
    def input(self) -> Any:
        return self.get_attr("input")


class OutputEvent(Event):
    """A result emitted by the agent."""

    EVENT_TYPE: ClassVar[str] = "_output_event"

    def __init__(self, output: Any = None, *, attributes: Dict[str, Any] | None = None, **data: Any) -> None:
        super().__init__(type=OutputEvent.EVENT_TYPE, attributes=_init_attributes(attributes, output=output), **data)

    @classmethod
    def from_event(cls, event: Event) -> "OutputEvent":
        assert "output" in event.attributes
        result = OutputEvent(output=event.attributes["output"])
        result.id = event.id
        return result

    @property
    def output(self) -> Any:
        return self.get_attr("output")
