"""Chat events (stand-in)."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from flink_agents.api.agents.types import OutputSchema
from flink_agents.api.chat_message import ChatMessage
from flink_agents.api.events.event import Event


class ChatRequestEvent(Event):
    model: str
    messages: list[ChatMessage]
    prompt_args: dict[str, Any] = Field(default_factory=dict)
    output_schema: OutputSchema | None = None


class ChatResponseEvent(Event):
    request_id: UUID
    response: ChatMessage
    retry_count: int = 0
