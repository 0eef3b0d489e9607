"""Context retrieval events (stand-in)."""
from __future__ import annotations

from typing import Any, ClassVar, Dict, List
from uuid import UUID

from flink_agents.api.events.event import Event, _init_attributes
from flink_agents.api.vector_stores.vector_store import Document


class ContextRetrievalRequestEvent(Event):
    """A search for context in a vector store."""

    EVENT_TYPE: ClassVar[str] = "_context_retrieval_request_event"

    def __init__(
        self,
        query: str,
        vector_store: str,
        max_results: int = 3,
        *,
        attributes: Dict[str, Any] | None = None,
        **data: Any,
    ) -> None:
        super().__init__(
            type=ContextRetrievalRequestEvent.EVENT_TYPE,
            attributes=_init_attributes(attributes, query=query, vector_store=vector_store, max_results=max_results),
            **data,
        )

    @classmethod
    def from_event(cls, event: Event) -> "ContextRetrievalRequestEvent":
        assert "query" in event.attributes and "vector_store" in event.attributes
        result = ContextRetrievalRequestEvent(
            query=event.attributes["query"],
            vector_store=event.attributes["vector_store"],
            max_results=event.attributes.get("max_results", 3),
        )
        result.id = event.id
        return result

    @property
    def query(self) -> str:
        return self.get_attr("query")

    @property
    def vector_store(self) -> str:
        return self.get_attr("vector_store")

    @property
    def max_results(self) -> int:
        return self.get_attr("max_results")


class ContextRetrievalResponseEvent(Event):
    """Documents found for a retrieval request."""

    EVENT_TYPE: ClassVar[str] = "_context_retrieval_response_event"

    def __init__(
        self,
        request_id: UUID,
        query: str,
        documents: List[Document],
        *,
        attributes: Dict[str, Any] | None = None,
        **data: Any,
    ) -> None:
        super().__init__(
            type=ContextRetrievalResponseEvent.EVENT_TYPE,
            attributes=_init_attributes(attributes, request_id=request_id, query=query, documents=documents),
            **data,
        )

    @classmethod
    def from_event(cls, event: Event) -> "ContextRetrievalResponseEvent":
        assert all(k in event.attributes for k in ("request_id", "query", "documents"))
        documents = [
            Document.model_validate(d) if isinstance(d, dict) else d for d in event.attributes["documents"]
        ]
        result = ContextRetrievalResponseEvent(
            request_id=event.attributes["request_id"], query=event.attributes["query"], documents=documents
        )
        result.id = event.id
        return result

    @property
    def request_id(self) -> UUID:
        value = self.get_attr("request_id")
        return UUID(value) if isinstance(value, str) else value

    @property
    def query(self) -> str:
        return self.get_attr("query")

    @property
    def documents(self) -> List[Document]:
        return self.get_attr("documents")
