"""Decorators (stand-in)."""
from __future__ import annotations

from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def action(*listen_events: Any, **options: Any) -> Callable[[F], F]:
    """Mark a function as an action for the given event types (returned unchanged)."""

    def decorate(func: F) -> F:
        return func

    return decorate
