"""Memory observation events (stand-in; these exist on flink-agents main, not in 0.3.1).

Each concrete subclass pins an EVENT_TYPE; `key` is the Flink key (a str) and
`value` the operation's JSON map, normalized to plain JSON data at construction.
"""
from __future__ import annotations

import base64
import json
from typing import Any, ClassVar, Dict, List

from flink_agents.api.events.event import Event


def _to_json(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _observation_attributes(key: Any, value: Any) -> Dict[str, Any]:
    """{"key": key, "value": value as plain JSON data}; shared with the run events."""
    if not isinstance(key, str):
        raise TypeError("memory observation 'key' must be a str")
    if not isinstance(value, dict):
        raise TypeError("memory observation 'value' must be a dict")
    try:
        plain = json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False, default=_to_json))
    except (TypeError, ValueError) as error:
        raise ValueError("memory observation value must be JSON serializable") from error
    return {"key": key, "value": plain}


class MemoryEvent(Event):
    """Base of the memory observation events; instantiate a subclass."""

    EVENT_TYPE: ClassVar[str | None] = None

    def __init__(self, *, key: str, value: Dict[str, Any]) -> None:
        event_type = type(self).EVENT_TYPE
        if event_type is None:
            raise TypeError("MemoryEvent is abstract; instantiate one of its subclasses")
        super().__init__(type=event_type, attributes=_observation_attributes(key, value))

    @classmethod
    def is_memory_type(cls, type: str | None) -> bool:
        return type in _BY_TYPE

    @classmethod
    def from_event(cls, event: Event) -> "MemoryEvent":
        subclass = _BY_TYPE.get(event.type)
        if subclass is None:
            raise ValueError(f"not a memory event type: {event.type}")
        if subclass is LongTermUpdateEvent:
            typed: MemoryEvent = LongTermUpdateEvent(
                key=event.attributes.get("key"),
                value=event.attributes.get("value"),
                cleared_sets=event.attributes.get("cleared_sets", []),
            )
        else:
            typed = subclass(key=event.attributes.get("key"), value=event.attributes.get("value"))
        typed.reconstruct_from(event)
        return typed

    @property
    def key(self) -> str:
        return self.get_attr("key")

    @property
    def value(self) -> Dict[str, Any]:
        return self.get_attr("value")


class ShortTermWriteEvent(MemoryEvent):
    EVENT_TYPE: ClassVar[str] = "_short_term_write_event"


class ShortTermReadEvent(MemoryEvent):
    EVENT_TYPE: ClassVar[str] = "_short_term_read_event"


class SensoryWriteEvent(MemoryEvent):
    EVENT_TYPE: ClassVar[str] = "_sensory_write_event"


class SensoryReadEvent(MemoryEvent):
    EVENT_TYPE: ClassVar[str] = "_sensory_read_event"


class LongTermUpdateEvent(MemoryEvent):
    EVENT_TYPE: ClassVar[str] = "_long_term_update_event"

    def __init__(self, *, key: str, value: Dict[str, Any], cleared_sets: List[str] | None = None) -> None:
        if cleared_sets is not None and (
            not isinstance(cleared_sets, list) or not all(isinstance(s, str) for s in cleared_sets)
        ):
            raise TypeError("'cleared_sets' must be a list of str")
        super().__init__(key=key, value=value)
        self.attributes = {**self.attributes, "cleared_sets": list(cleared_sets or [])}

    @property
    def cleared_sets(self) -> List[str]:
        return self.get_attr("cleared_sets")


class LongTermGetEvent(MemoryEvent):
    EVENT_TYPE: ClassVar[str] = "_long_term_get_event"


class LongTermSearchEvent(MemoryEvent):
    EVENT_TYPE: ClassVar[str] = "_long_term_search_event"

    @property
    def results(self) -> Dict[str, Dict[str, List[Dict[str, Any]]]]:
        """memory set -> query -> ordered hits."""
        return self.get_attr("value")


_BY_TYPE: Dict[str, type[MemoryEvent]] = {
    sub.EVENT_TYPE: sub
    for sub in (
        ShortTermWriteEvent,
        ShortTermReadEvent,
        SensoryWriteEvent,
        SensoryReadEvent,
        LongTermUpdateEvent,
        LongTermGetEvent,
        LongTermSearchEvent,
    )
}
