"""Agent helper types (stand-in)."""
from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, model_serializer, model_validator


class OutputSchema(BaseModel):
    """The schema a chat model's answer must follow.

    Holds a JSON schema; a model class can be given with `from_model`. Its
    custom serializer returns primitives only, so a python-mode
    `model_dump()` is already checkpoint-safe, and `model_validate` accepts
    that dumped form back.
    """

    json_schema: dict[str, Any]

    @classmethod
    def from_model(cls, model_type: type[BaseModel]) -> "OutputSchema":
        return cls(json_schema=model_type.model_json_schema())

    @model_validator(mode="before")
    @classmethod
    def _from_dumped(cls, data: Any) -> Any:
        if isinstance(data, dict) and "schema" in data and "json_schema" not in data:
            return {"json_schema": data["schema"]}
        return data

    @model_serializer(mode="plain")
    def _serialize(self) -> dict[str, Any]:
        return {"kind": "json_schema", "schema": copy.deepcopy(self.json_schema)}
