# memlint knowledge stub: flink_agents.api.events.event_type (newer releases):
# string constants naming the built-in event types, for @action(...).
class EventType:
    InputEvent: str
    OutputEvent: str
    ChatRequestEvent: str
    ChatResponseEvent: str
    ToolRequestEvent: str
    ToolResponseEvent: str
    ContextRetrievalRequestEvent: str
    ContextRetrievalResponseEvent: str
