# memlint knowledge stub: flink_agents.api.agents.agent. Agent subclasses
# hold actions decorated @action(...), each (event, ctx: RunnerContext).
from typing import Any

class Agent:
    def add_action(self, name: str, *args: Any, **kwargs: Any) -> Any: ...
    def add_resource(self, name: str, *args: Any, **kwargs: Any) -> Any: ...
