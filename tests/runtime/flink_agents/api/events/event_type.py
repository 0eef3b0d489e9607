"""Built-in event-type names (stand-in; flink-agents main): `@action(EventType.InputEvent)`."""
from __future__ import annotations

from flink_agents.api.events import chat_event, context_retrieval_event, event, memory_event, run_event, tool_event


class EventType:
    InputEvent: str = event.InputEvent.EVENT_TYPE
    OutputEvent: str = event.OutputEvent.EVENT_TYPE
    ChatRequestEvent: str = chat_event.ChatRequestEvent.EVENT_TYPE
    ChatResponseEvent: str = chat_event.ChatResponseEvent.EVENT_TYPE
    ToolRequestEvent: str = tool_event.ToolRequestEvent.EVENT_TYPE
    ToolResponseEvent: str = tool_event.ToolResponseEvent.EVENT_TYPE
    ContextRetrievalRequestEvent: str = context_retrieval_event.ContextRetrievalRequestEvent.EVENT_TYPE
    ContextRetrievalResponseEvent: str = context_retrieval_event.ContextRetrievalResponseEvent.EVENT_TYPE
    ShortTermWriteEvent: str = memory_event.ShortTermWriteEvent.EVENT_TYPE
    ShortTermReadEvent: str = memory_event.ShortTermReadEvent.EVENT_TYPE
    SensoryWriteEvent: str = memory_event.SensoryWriteEvent.EVENT_TYPE
    SensoryReadEvent: str = memory_event.SensoryReadEvent.EVENT_TYPE
    LongTermUpdateEvent: str = memory_event.LongTermUpdateEvent.EVENT_TYPE
    LongTermGetEvent: str = memory_event.LongTermGetEvent.EVENT_TYPE
    LongTermSearchEvent: str = memory_event.LongTermSearchEvent.EVENT_TYPE
    AgentRunBeginEvent: str = run_event.AgentRunBeginEvent.EVENT_TYPE
