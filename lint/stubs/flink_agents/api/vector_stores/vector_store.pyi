# memlint knowledge stub: flink_agents.api.vector_stores.vector_store.
from typing import Any

from pydantic import BaseModel

class Document(BaseModel):
    content: str
    metadata: dict[str, Any]
    id: str | None
    embedding: list[float] | None
    score: float | None
