"""A memory object that enforces the value contract, for running fixtures in tests.

`ContractMemory.set()` checks each value with `memlint.contract.check_value`
(the same contract flink-agents >= 0.3.1 enforces). A rejected write is
recorded as a `Rejection` (file and line of the caller, memory path,
violations) and neither stored nor raised, so a fixture's `run_fixture`
goes on and every `set()` call gets a verdict; `raise_on_violation=True`
raises `TypeError` instead, like flink-agents >= 0.3.1, and `enforce=False`
stores anything silently, like flink-agents < 0.3.1.

Values cross a simulated boundary: stored and returned values are copies,
as they are when Pemja converts them to JVM values.

`checkpoint_roundtrip(memory)` simulates a checkpoint and restore: it
serializes the stored state to bytes (after verifying it is primitive) and
restores it into a fresh memory object with an unpickler that refuses every
class, so an object that slipped through cannot be restored either.
"""
from __future__ import annotations

import copy
import io
import pickle
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from pydantic import PrivateAttr

from flink_agents.api.events.event import Event
from flink_agents.api.memory_object import MemoryObject, MemoryType
from flink_agents.api.memory_reference import MemoryRef
from flink_agents.api.resource import Resource, ResourceType
from flink_agents.api.runner_context import AsyncExecutionResult, RunnerContext
from memlint.contract import Violation, check_value

__all__ = [
    "CheckpointError",
    "ContractMemory",
    "FakeRunnerContext",
    "Rejection",
    "Write",
    "checkpoint_roundtrip",
]


class Rejection(NamedTuple):
    """A `set()` call the contract refused."""

    filename: str
    lineno: int
    path: str
    violations: tuple[Violation, ...]


class Write(NamedTuple):
    """Any `set()` call, accepted or not (to see which calls a fixture drove)."""

    filename: str
    lineno: int
    path: str
    accepted: bool


class CheckpointError(TypeError):
    """The stored state holds values that would not survive a restore."""


@dataclass
class _State:
    """Shared by a root memory object and the nested objects made from it."""

    memory_type: MemoryType
    raise_on_violation: bool
    enforce: bool
    admit_bytes: bool
    values: dict[str, Any] = field(default_factory=dict)
    objects: set[str] = field(default_factory=set)
    rejections: list[Rejection] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)


def _boundary_copy(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:  # only reachable with enforce=False
        return value


class ContractMemory(MemoryObject):
    """An in-memory MemoryObject whose `set()` enforces the value contract.

    Paths are flat keys ("a.b" is the key "a.b"); a nested object made with
    `new_object("a")` writes its field "b" at "a.b".
    """

    _state: Any = PrivateAttr(default=None)
    _prefix: str = PrivateAttr(default="")

    def __init__(
        self,
        memory_type: MemoryType = MemoryType.SENSORY,
        *,
        raise_on_violation: bool = False,
        enforce: bool = True,
        admit_bytes: bool = True,
    ) -> None:
        super().__init__()
        self._state = _State(memory_type, raise_on_violation, enforce, admit_bytes)

    @classmethod
    def _view(cls, state: _State, prefix: str) -> "ContractMemory":
        view = cls.__new__(cls)
        super(ContractMemory, view).__init__()
        view._state = state
        view._prefix = prefix
        return view

    # -- what the tests read ------------------------------------------------

    @property
    def rejections(self) -> list[Rejection]:
        return self._state.rejections

    @property
    def writes(self) -> list[Write]:
        return self._state.writes

    @property
    def memory_type(self) -> MemoryType:
        return self._state.memory_type

    def snapshot(self) -> dict[str, Any]:
        """The stored values by full path (copies)."""
        return copy.deepcopy(self._state.values)

    @property
    def object_paths(self) -> frozenset[str]:
        return frozenset(self._state.objects)

    # -- MemoryObject ---------------------------------------------------------

    def _full(self, path: str) -> str:
        if not isinstance(path, str) or not path:
            raise ValueError(f"memory path must be a non-empty str, got {path!r}")
        return f"{self._prefix}.{path}" if self._prefix else path

    def set(self, path: str, value: Any) -> MemoryRef | None:
        caller = sys._getframe(1)
        full = self._full(path)
        state = self._state
        violations = tuple(check_value(value, admit_bytes=state.admit_bytes)) if state.enforce else ()
        if violations:
            rejection = Rejection(caller.f_code.co_filename, caller.f_lineno, full, violations)
            state.writes.append(Write(rejection.filename, rejection.lineno, full, False))
            if state.raise_on_violation:
                details = "; ".join(str(v) for v in violations)
                raise TypeError(
                    f"Value written to memory path {full!r} is not checkpoint-safe: {details}"
                )
            state.rejections.append(rejection)
            return None
        state.writes.append(Write(caller.f_code.co_filename, caller.f_lineno, full, True))
        self._drop_subtree(full)
        state.values[full] = _boundary_copy(value)
        return MemoryRef(memory_type=state.memory_type, path=full)

    def _drop_subtree(self, full: str) -> None:
        state = self._state
        state.objects.discard(full)
        nested = full + "."
        for key in [k for k in state.values if k.startswith(nested)]:
            del state.values[key]
        state.objects = {p for p in state.objects if not p.startswith(nested)}

    def get(self, path_or_ref: Any) -> Any:
        if isinstance(path_or_ref, MemoryRef):
            full = path_or_ref.path
        else:
            full = self._full(path_or_ref)
        state = self._state
        if full in state.objects:
            return self._view(state, full)
        if full in state.values:
            return _boundary_copy(state.values[full])
        return None

    def new_object(self, path: str, *, overwrite: bool = False) -> "ContractMemory":
        full = self._full(path)
        state = self._state
        if full in state.values or full in state.objects:
            if not overwrite and full in state.objects:
                return self._view(state, full)
            if not overwrite:
                raise ValueError(f"memory path {full!r} already holds a value")
            state.values.pop(full, None)
            self._drop_subtree(full)
        state.objects.add(full)
        return self._view(state, full)

    def is_exist(self, path: str) -> bool:
        full = self._full(path)
        return full in self._state.values or full in self._state.objects


class FakeRunnerContext(RunnerContext):
    """A RunnerContext whose memories enforce the contract and whose sent events are kept."""

    def __init__(
        self,
        sensory_memory: ContractMemory | None = None,
        short_term_memory: ContractMemory | None = None,
    ) -> None:
        self._sensory = sensory_memory if sensory_memory is not None else ContractMemory(MemoryType.SENSORY)
        self._short_term = (
            short_term_memory if short_term_memory is not None else ContractMemory(MemoryType.SHORT_TERM)
        )
        self.sent_events: list[Event] = []
        self.resources: dict[str, Resource] = {}
        self.durable_calls: list[str] = []
        self._action_config: dict[str, Any] = {}

    @property
    def sensory_memory(self) -> ContractMemory:
        return self._sensory

    @property
    def short_term_memory(self) -> ContractMemory:
        return self._short_term

    def send_event(self, event: Event) -> None:
        self.sent_events.append(event)

    def get_resource(self, name: str, type: ResourceType, metric_group: Any = None) -> Resource:
        """The resource registered under `name` with `add_resource` (KeyError if none)."""
        return self.resources[name]

    def add_resource(self, name: str, resource: Resource) -> None:
        """Register a resource for `get_resource` (what an agent's declarations do)."""
        self.resources[name] = resource

    @property
    def action_config(self) -> dict[str, Any]:
        return self._action_config

    def durable_execute(
        self,
        func: Callable[..., Any],
        *args: Any,
        reconciler: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Runs func(*args, **kwargs) and returns what it returns (no recovery here)."""
        self.durable_calls.append(getattr(func, "__qualname__", repr(func)))
        return func(*args, **kwargs)

    def durable_execute_async(
        self,
        func: Callable[..., Any],
        *args: Any,
        reconciler: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> AsyncExecutionResult:
        """An awaitable that runs func(*args, **kwargs) when awaited and gives its result."""
        self.durable_calls.append(getattr(func, "__qualname__", repr(func)))
        return AsyncExecutionResult(None, func, args, kwargs)

    @property
    def rejections(self) -> list[Rejection]:
        """Rejections from both memories."""
        return [*self._sensory.rejections, *self._short_term.rejections]


class _PrimitiveUnpickler(pickle.Unpickler):
    """Restores only data made of built-in primitives: every class lookup fails."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(
            f"checkpoint holds an object of {module}.{name}; only primitives can be restored"
        )


def checkpoint_roundtrip(memory: ContractMemory) -> ContractMemory:
    """Checkpoint the whole memory `memory` belongs to and restore it into a fresh one.

    Raises `CheckpointError` (a `TypeError`) if any stored value breaks the
    contract — what would crash a real restore.
    """
    state: _State = memory._state
    problems = [
        f"{path}{violation.location}: {violation.type_name} ({violation.reason})"
        for path, value in state.values.items()
        for violation in check_value(value, admit_bytes=state.admit_bytes)
    ]
    if problems:
        raise CheckpointError("stored state cannot be checkpointed: " + "; ".join(problems))
    payload = {
        "memory_type": state.memory_type.value,
        "values": state.values,
        "objects": sorted(state.objects),
    }
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        restored = _PrimitiveUnpickler(io.BytesIO(data)).load()
    except pickle.UnpicklingError as exc:  # the contract let an object through
        raise CheckpointError(str(exc)) from exc
    fresh = ContractMemory(
        MemoryType(restored["memory_type"]),
        raise_on_violation=state.raise_on_violation,
        enforce=state.enforce,
        admit_bytes=state.admit_bytes,
    )
    fresh._state.values = restored["values"]
    fresh._state.objects = set(restored["objects"])
    return fresh
