"""Tool events (stand-in)."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from flink_agents.api.events.event import Event


class ToolRequestEvent(Event):
    model: str
    tool_calls: list[dict[str, Any]]


class ToolResponseEvent(Event):
    request_id: UUID
    responses: dict[UUID, Any]
    external_ids: dict[UUID, str | None] = Field(default_factory=dict)
