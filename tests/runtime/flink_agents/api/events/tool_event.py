"""Tool events (stand-in). `success` and `error` exist on main (not in 0.3.1)."""
from __future__ import annotations

from typing import Any, ClassVar, Dict, List
from uuid import UUID

from flink_agents.api.events.event import Event, _init_attributes


class ToolRequestEvent(Event):
    """Tool calls a chat model asked for, to run as a batch."""

    EVENT_TYPE: ClassVar[str] = "_tool_request_event"

    def __init__(
        self,
        model: str,
        tool_calls: List[Dict[str, Any]],
        *,
        attributes: Dict[str, Any] | None = None,
        **data: Any,
    ) -> None:
        super().__init__(
            type=ToolRequestEvent.EVENT_TYPE,
            attributes=_init_attributes(attributes, model=model, tool_calls=tool_calls),
            **data,
        )

    @classmethod
    def from_event(cls, event: Event) -> "ToolRequestEvent":
        assert "model" in event.attributes and "tool_calls" in event.attributes
        result = ToolRequestEvent(model=event.attributes["model"], tool_calls=event.attributes["tool_calls"])
        result.id = event.id
        return result

    @property
    def model(self) -> str:
        return self.get_attr("model")

    @property
    def tool_calls(self) -> List[Dict[str, Any]]:
        return self.get_attr("tool_calls")


class ToolResponseEvent(Event):
    """Results of tool calls, keyed by the tool call's UUID."""

    EVENT_TYPE: ClassVar[str] = "_tool_response_event"

    def __init__(
        self,
        request_id: UUID,
        responses: Dict[UUID, Any],
        external_ids: Dict[UUID, str | None] | None = None,
        success: Dict[UUID, bool] | None = None,
        error: Dict[UUID, str] | None = None,
        *,
        attributes: Dict[str, Any] | None = None,
        **data: Any,
    ) -> None:
        super().__init__(
            type=ToolResponseEvent.EVENT_TYPE,
            attributes=_init_attributes(
                attributes,
                request_id=request_id,
                responses=responses,
                success=success if success is not None else {call: True for call in responses},
                error=error if error is not None else {},
                external_ids=external_ids if external_ids is not None else {},
            ),
            **data,
        )

    @classmethod
    def from_event(cls, event: Event) -> "ToolResponseEvent":
        assert "request_id" in event.attributes and "responses" in event.attributes
        responses = event.attributes["responses"]
        result = ToolResponseEvent(
            request_id=event.attributes["request_id"],
            responses=responses,
            external_ids=event.attributes.get("external_ids", {}),
            success=event.attributes.get("success", {call: True for call in responses}),
            error=event.attributes.get("error", {}),
        )
        result.id = event.id
        return result

    @property
    def request_id(self) -> UUID:
        value = self.get_attr("request_id")
        return UUID(value) if isinstance(value, str) else value

    @property
    def responses(self) -> Dict[UUID, Any]:
        return self.get_attr("responses")

    @property
    def success(self) -> Dict[UUID, bool]:
        return self.get_attr("success")

    @property
    def error(self) -> Dict[UUID, str]:
        return self.get_attr("error")

    @property
    def external_ids(self) -> Dict[UUID, str | None]:
        return self.get_attr("external_ids")
