# memlint knowledge stub: flink_agents.api.events.context_retrieval_event.
from uuid import UUID

from flink_agents.api.events.event import Event
from flink_agents.api.vector_stores.vector_store import Document

class ContextRetrievalRequestEvent(Event):
    query: str
    vector_store: str
    max_results: int

class ContextRetrievalResponseEvent(Event):
    request_id: UUID
    query: str
    documents: list[Document]
