# memlint knowledge stub: pydantic.dataclasses. Instances are never
# memory-safe (like stdlib dataclasses).
from typing import Any

def dataclass(_cls: Any = None, /, **kwargs: Any) -> Any: ...
