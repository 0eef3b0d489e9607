"""Prompts (stand-in): a template of text or chat messages, filled with `{name}` arguments."""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import List, Sequence

from flink_agents.api.chat_message import ChatMessage, MessageRole
from flink_agents.api.resource import ResourceType, SerializableResource

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _fill(template: str, **kwargs: str) -> str:
    """Replace `{name}` by kwargs[name]; unknown placeholders stay as written."""
    return _PLACEHOLDER.sub(lambda m: str(kwargs.get(m.group(1), m.group(0))), template)


class Prompt(SerializableResource, ABC):
    @staticmethod
    def from_messages(messages: Sequence[ChatMessage]) -> "Prompt":
        return LocalPrompt(template=list(messages))

    @staticmethod
    def from_text(text: str) -> "Prompt":
        return LocalPrompt(template=text)

    @abstractmethod
    def format_string(self, **kwargs: str) -> str:
        """The template as text, filled."""

    @abstractmethod
    def format_messages(self, role: MessageRole = MessageRole.SYSTEM, **kwargs: str) -> List[ChatMessage]:
        """The template as chat messages, filled."""

    @classmethod
    def resource_type(cls) -> ResourceType:
        return ResourceType.PROMPT


class LocalPrompt(Prompt):
    template: List[ChatMessage] | str

    def format_string(self, **kwargs: str) -> str:
        if isinstance(self.template, str):
            return _fill(self.template, **kwargs)
        return "\n".join(f"{m.role.value}: {_fill(m.content, **kwargs)}" for m in self.template)

    def format_messages(self, role: MessageRole = MessageRole.SYSTEM, **kwargs: str) -> List[ChatMessage]:
        if isinstance(self.template, str):
            return [ChatMessage(role=role, content=_fill(self.template, **kwargs))]
        return [ChatMessage(role=m.role, content=_fill(m.content, **kwargs)) for m in self.template]
