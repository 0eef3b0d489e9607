"""Decorators (stand-in).

flink-agents 0.3.1 and main take event-type strings (`@action(InputEvent.EVENT_TYPE)`,
on main also `@action(EventType.InputEvent)` or a condition expression); older
fixtures pass event classes, which this stand-in accepts too.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def action(*listen_events: Any, target: Any = None) -> Callable[[F], F]:
    """Mark a function as an action for the given event types (returned unchanged)."""
    assert listen_events, "action must have at least one event type to listen to"

    def decorate(func: F) -> F:
        try:
            func._listen_events = listen_events  # type: ignore[attr-defined]
        except AttributeError:
            pass
        return func

    return decorate
