"""Resources an agent declares (stand-in)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import Any, Dict

from pydantic import BaseModel, ConfigDict


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


class Resource(BaseModel, ABC):
    """Base of chat models, tools, prompts, ... (a pydantic model for declaration only)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @classmethod
    @abstractmethod
    def resource_type(cls) -> ResourceType:
        """The kind of resource."""


class SerializableResource(Resource, ABC):
    """A resource whose fields are JSON-serializable."""


class ResourceDescriptor(BaseModel):
    """Names a resource class and the arguments to build it with."""

    target_module: str
    target_clazz: str
    arguments: Dict[str, Any]

    def __init__(self, /, *, clazz: str | None = None, target_module: str | None = None,
                 target_clazz: str | None = None, arguments: Dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        if clazz is not None:
            target_module, _, target_clazz = clazz.rpartition(".")
        if not target_module or not target_clazz:
            raise ValueError("the fully qualified name of the resource must be given")
        super().__init__(
            target_module=target_module,
            target_clazz=target_clazz,
            arguments={**(arguments or {}), **kwargs},
        )
