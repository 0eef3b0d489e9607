"""Context retrieval events (stand-in)."""
from __future__ import annotations

from uuid import UUID

from flink_agents.api.events.event import Event
from flink_agents.api.vector_stores.vector_store import Document


class ContextRetrievalResponseEvent(Event):
    request_id: UUID
    query: str
    documents: list[Document]
