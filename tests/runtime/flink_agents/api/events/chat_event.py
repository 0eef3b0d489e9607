"""Chat events (stand-in): attributes-backed, typed through from_event and properties."""
from __future__ import annotations

from typing import Any, ClassVar, Dict, List
from uuid import UUID

from flink_agents.api.agents.types import OutputSchema
from flink_agents.api.chat_message import ChatMessage
from flink_agents.api.events.event import Event, _init_attributes


class ChatRequestEvent(Event):
    """A request to a chat model."""

    EVENT_TYPE: ClassVar[str] = "_chat_request_event"

    def __init__(
        self,
        model: str,
        messages: List[ChatMessage],
        prompt_args: Dict[str, Any] | None = None,
        output_schema: OutputSchema | None = None,
        *,
        attributes: Dict[str, Any] | None = None,
        **data: Any,
    ) -> None:
        super().__init__(
            type=ChatRequestEvent.EVENT_TYPE,
            attributes=_init_attributes(
                attributes,
                model=model,
                messages=messages,
                prompt_args=prompt_args if prompt_args is not None else {},
                output_schema=output_schema,
            ),
            **data,
        )

    @classmethod
    def from_event(cls, event: Event) -> "ChatRequestEvent":
        assert "model" in event.attributes and "messages" in event.attributes
        messages = [
            ChatMessage.model_validate(m) if isinstance(m, dict) else m for m in event.attributes["messages"]
        ]
        schema = event.attributes.get("output_schema")
        if isinstance(schema, dict):
            schema = OutputSchema.model_validate(schema)
        result = ChatRequestEvent(
            model=event.attributes["model"],
            messages=messages,
            prompt_args=event.attributes.get("prompt_args"),
            output_schema=schema,
        )
        result.id = event.id
        return result

    @property
    def model(self) -> str:
        return self.get_attr("model")

    @property
    def messages(self) -> List[ChatMessage]:
        return self.get_attr("messages")

    @property
    def prompt_args(self) -> Dict[str, Any]:
        args = self.get_attr("prompt_args")
        return args if args is not None else {}

    @property
    def output_schema(self) -> OutputSchema | None:
        return self.get_attr("output_schema")


class ChatResponseEvent(Event):
    """A chat model's answer to a request."""

    EVENT_TYPE: ClassVar[str] = "_chat_response_event"

    def __init__(
        self,
        request_id: UUID,
        response: ChatMessage,
        retry_count: int = 0,
        total_retry_wait_sec: int = 0,
        *,
        attributes: Dict[str, Any] | None = None,
        **data: Any,
    ) -> None:
        super().__init__(
            type=ChatResponseEvent.EVENT_TYPE,
            attributes=_init_attributes(
                attributes,
                request_id=request_id,
                response=response,
                retry_count=retry_count,
                total_retry_wait_sec=total_retry_wait_sec,
            ),
            **data,
        )

    @classmethod
    def from_event(cls, event: Event) -> "ChatResponseEvent":
        assert "request_id" in event.attributes and "response" in event.attributes
        response = event.attributes["response"]
        if isinstance(response, dict):
            response = ChatMessage.model_validate(response)
        result = ChatResponseEvent(
            request_id=event.attributes["request_id"],
            response=response,
            retry_count=event.attributes.get("retry_count", 0),
            total_retry_wait_sec=event.attributes.get("total_retry_wait_sec", 0),
        )
        result.id = event.id
        return result

    @property
    def request_id(self) -> UUID:
        value = self.get_attr("request_id")
        return UUID(value) if isinstance(value, str) else value

    @property
    def response(self) -> ChatMessage:
        return self.get_attr("response")

    @property
    def retry_count(self) -> int:
        return self.get_attr("retry_count")

    @property
    def total_retry_wait_sec(self) -> int:
        return self.get_attr("total_retry_wait_sec")
