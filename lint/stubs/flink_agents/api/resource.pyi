# memlint knowledge stub: flink_agents.api.resource.
from enum import Enum
from typing import Any

from pydantic import BaseModel

class ResourceType(Enum):
    CHAT_MODEL = "chat_model"
    CHAT_MODEL_CONNECTION = "chat_model_connection"
    TOOL = "tool"
    EMBEDDING_MODEL = "embedding_model"
    EMBEDDING_MODEL_CONNECTION = "embedding_model_connection"
    VECTOR_STORE = "vector_store"
    PROMPT = "prompt"
    MCP_SERVER = "mcp_server"
    SKILLS = "skills"
    MODEL_ROUTER = "model_router"
    AGENT = "agent"

class Resource(BaseModel):
    @classmethod
    def resource_type(cls) -> ResourceType: ...
    def open(self) -> None: ...
    def close(self) -> None: ...

class SerializableResource(Resource): ...

class ResourceDescriptor(BaseModel):
    target_module: str
    target_clazz: str
    arguments: dict[str, Any]
    def __init__(self, *, clazz: str | None = None, **kwargs: Any) -> None: ...
    @property
    def clazz(self) -> Any: ...
