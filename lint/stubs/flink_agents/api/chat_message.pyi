# memlint knowledge stub: flink_agents.api.chat_message. ChatMessage.role is
# an Enum: model_dump() without mode="json" keeps the MessageRole member.
from enum import Enum
from typing import Any

from pydantic import BaseModel

class MessageRole(str, Enum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"

class ChatMessage(BaseModel):
    role: MessageRole
    content: str
    tool_calls: list[dict[str, Any]]
    extra_args: dict[str, Any]
    # Newer releases keep content as typed blocks; `text` is their projection.
    @property
    def text(self) -> str: ...
