# memlint knowledge stub: flink_agents.api.events.chat_event.
from typing import Any
from uuid import UUID

from flink_agents.api.agents.types import OutputSchema
from flink_agents.api.chat_message import ChatMessage
from flink_agents.api.events.event import Event

class ChatRequestEvent(Event):
    model: str
    messages: list[ChatMessage]
    prompt_args: dict[str, Any]
    output_schema: OutputSchema | None

class ChatResponseEvent(Event):
    request_id: UUID
    response: ChatMessage
    retry_count: int
