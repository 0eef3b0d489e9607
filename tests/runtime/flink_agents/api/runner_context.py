"""The context an action runs in (stand-in)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Callable, Dict, Generator

from flink_agents.api.events.event import Event
from flink_agents.api.resource import Resource, ResourceType

if TYPE_CHECKING:
    from flink_agents.api.memory_object import MemoryObject

__all__ = ["AsyncExecutionResult", "RunnerContext"]


class AsyncExecutionResult:
    """What `durable_execute_async` returns: awaiting it runs the function and gives its result.

    The real runtime hands the call to a thread pool when awaited; this stand-in
    runs it in place (an `executor` with a `submit` method is used if given).
    """

    def __init__(self, executor: Any, func: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        self._executor = executor
        self._func = func
        self._args = args
        self._kwargs = kwargs

    def __await__(self) -> Generator[None, None, Any]:
        if self._executor is None:
            return self._func(*self._args, **self._kwargs)
        future = self._executor.submit(self._func, *self._args, **self._kwargs)
        while not future.done():
            yield
        return future.result()


class RunnerContext(ABC):
    @abstractmethod
    def send_event(self, event: Event) -> None:
        """Emit an event to other actions."""

    @abstractmethod
    def get_resource(self, name: str, type: ResourceType, metric_group: Any = None) -> Resource:
        """A resource declared by the agent (chat model, tool, prompt, ...)."""

    @property
    @abstractmethod
    def action_config(self) -> Dict[str, Any]:
        """Configuration of the running action."""

    @property
    @abstractmethod
    def sensory_memory(self) -> "MemoryObject":
        """Memory cleared after each run."""

    @property
    @abstractmethod
    def short_term_memory(self) -> "MemoryObject":
        """Memory kept per key."""

    @abstractmethod
    def durable_execute(
        self,
        func: Callable[..., Any],
        *args: Any,
        reconciler: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run func(*args, **kwargs) and return its result (persisted for recovery)."""

    @abstractmethod
    def durable_execute_async(
        self,
        func: Callable[..., Any],
        *args: Any,
        reconciler: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> AsyncExecutionResult:
        """An awaitable of func(*args, **kwargs): `await ctx.durable_execute_async(f, x)`."""
