# memlint knowledge stub: flink_agents.api.agents.types. OutputSchema has a
# custom @model_serializer returning primitives: model_dump() is enough.
from typing import Any

from pydantic import BaseModel, model_serializer

class OutputSchema(BaseModel):
    output_schema: Any
    @model_serializer
    def _custom_serializer(self) -> dict[str, Any]: ...
