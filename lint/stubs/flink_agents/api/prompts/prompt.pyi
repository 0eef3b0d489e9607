# memlint knowledge stub: flink_agents.api.prompts.prompt. Prompts are
# pydantic models (resources).
from typing import Any

from flink_agents.api.chat_message import ChatMessage
from flink_agents.api.resource import Resource, SerializableResource

class Prompt(Resource):
    @staticmethod
    def from_messages(messages: Any) -> "Prompt": ...
    @staticmethod
    def from_text(text: str) -> "Prompt": ...
    def format_string(self, **kwargs: Any) -> str: ...
    def format_messages(self, *args: Any, **kwargs: Any) -> list[ChatMessage]: ...

class LocalPrompt(Prompt, SerializableResource):
    template: Any
