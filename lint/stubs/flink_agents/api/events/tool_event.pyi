# memlint knowledge stub: flink_agents.api.events.tool_event.
# ToolResponseEvent's dicts are keyed by UUID: not memory-safe even dumped in
# python mode.
from typing import Any
from uuid import UUID

from flink_agents.api.events.event import Event

class ToolRequestEvent(Event):
    model: str
    tool_calls: list[dict[str, Any]]

class ToolResponseEvent(Event):
    request_id: UUID
    responses: dict[UUID, Any]
    external_ids: dict[UUID, str | None]
