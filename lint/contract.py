"""The memory value contract, checked at runtime: the twin of memlint's static rules.

memlint's rules (MEM101-MEM107, MEM201) decide *from source* whether a value
written with ``MemoryObject.set(path, value)`` will survive a Flink checkpoint
restore. This module decides the same thing *for a live value*, with exactly
the contract flink-agents >= 0.3.1 enforces in ``set()``:

- ``None``, or a value whose type is exactly ``bool``, ``int``, ``float``,
  ``str`` or ``bytes`` (exact type: ``type(v) is str``; a ``str``/``int``
  Enum member, a numpy scalar, a ``bytes`` subclass or ``bytearray`` is not
  safe although ``isinstance`` says so);
- an exact ``list`` whose items are safe;
- an exact ``dict`` whose keys are exact ``str`` and whose values are safe.

Anything else (UUIDs, pydantic models, Enum members, datetimes, tuples, sets,
dict subclasses, ``MemoryObject`` itself, ...) is reported as a
:class:`Violation` that names where it sits inside the value, its type, and
the conversion to use. The test suite uses it as the oracle for the static
rules (a fixture's ``set()`` calls rejected here must be the ones memlint
flags); users can call :func:`assert_memory_safe` in their own tests.

The walk is iterative (no ``RecursionError`` on very deep values) and guards
against reference cycles. Pure standard library: no third-party imports.
"""
from __future__ import annotations

import collections
import collections.abc
import dataclasses
import datetime as _dt
import decimal
import enum
import json
import pathlib
import types
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

__all__ = ["Violation", "assert_memory_safe", "check_value", "is_memory_safe"]

_SCALARS = frozenset({type(None), bool, int, float, str})
_SCALARS_WITH_BYTES = _SCALARS | {bytes}

_PRIMITIVES_HINT = "None, bool, int, float, str, bytes, list, or dict with str keys"


@dataclass(frozen=True)
class Violation:
    """One part of a value that is not checkpoint-safe.

    ``location`` is the path inside the checked value in Python subscript
    syntax relative to the root: ``""`` for the value itself,
    ``["messages"][0]`` for an item, ``[<key 3>]`` for a dict key that is
    not an exact ``str``.
    """

    location: str
    type_name: str
    reason: str

    def __str__(self) -> str:
        where = f"value{self.location}" if self.location else "value"
        return f"{where}: {self.type_name} is not checkpoint-safe; {self.reason}"


# ---------------------------------------------------------------------------
# Locations are built lazily: a path is a linked list of segments, turned into
# text only for a violation (a 100k-deep value must not cost 100k strings).

def _render(path: Any) -> str:
    parts: list[str] = []
    while path is not None:
        path, segment = path
        parts.append(segment)
    parts.reverse()
    return "".join(parts)


def _safe_repr(value: Any, limit: int = 80) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not break the check
        text = f"<{type(value).__qualname__} object>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _index_segment(index: int) -> str:
    return f"[{index}]"


def _key_segment(key: Any) -> str:
    if type(key) is str:
        # json.dumps gives a double-quoted literal that is also valid Python.
        return f"[{json.dumps(key, ensure_ascii=False)}]"
    return f"[{_safe_repr(key)}]"


def _bad_key_segment(key: Any) -> str:
    return f"[<key {_safe_repr(key)}>]"


# ---------------------------------------------------------------------------
# What to do with each unsafe type.


def _type_name(tp: type) -> str:
    qualname = getattr(tp, "__qualname__", None) or getattr(tp, "__name__", repr(tp))
    return tp.__name__ if "<locals>" in qualname else qualname


def _mro_names(tp: type) -> set[str]:
    try:
        return {klass.__name__ for klass in tp.__mro__}
    except Exception:
        return {getattr(tp, "__name__", "")}


def _is_memory_object(tp: type) -> bool:
    return "MemoryObject" in _mro_names(tp)


def _is_pydantic_model(tp: type) -> bool:
    # Duck-typed so this module never imports pydantic.
    return callable(getattr(tp, "model_dump", None))


def _is_numpy(tp: type) -> bool:
    module = getattr(tp, "__module__", "") or ""
    return module == "numpy" or module.startswith("numpy.")


def _reason(value: Any, *, admit_bytes: bool) -> str:
    """The conversion to suggest for an unsafe (non-container-walked) value."""
    tp = type(value)
    name = _type_name(tp)
    if _is_memory_object(tp):
        return (
            "a MemoryObject cannot be stored as a value; create a nested object "
            "with new_object(path) and set its fields instead"
        )
    if isinstance(value, enum.Enum):
        return (
            f"store its .value (e.g. x.value, if that is primitive) and rebuild "
            f"with {name}(v) when reading"
        )
    if isinstance(value, uuid.UUID):
        return "store str(value) and rebuild with UUID(s) when reading"
    if _is_pydantic_model(tp):
        return (
            f'store value.model_dump(mode="json") and rebuild with '
            f"{name}.model_validate(d) when reading"
        )
    if _is_numpy(tp):
        if hasattr(value, "tolist") and getattr(value, "ndim", 0):
            return "store value.tolist()"
        return "store value.item() (a plain Python number)"
    if isinstance(value, _dt.datetime):
        return "store value.isoformat() and rebuild with datetime.fromisoformat(s)"
    if isinstance(value, _dt.date):
        return "store value.isoformat() and rebuild with date.fromisoformat(s)"
    if isinstance(value, _dt.time):
        return "store value.isoformat() and rebuild with time.fromisoformat(s)"
    if isinstance(value, _dt.timedelta):
        return "store value.total_seconds() and rebuild with timedelta(seconds=s)"
    if isinstance(value, decimal.Decimal):
        return "store str(value) and rebuild with Decimal(s)"
    if isinstance(value, pathlib.PurePath):
        return "store str(value) and rebuild with Path(s)"
    if isinstance(value, complex):
        return "store [value.real, value.imag] and rebuild with complex(re, im)"
    if isinstance(value, (bytes, bytearray, memoryview)):
        if not admit_bytes:
            return (
                "bytes are not admitted here; store "
                "base64.b64encode(bytes(value)).decode(\"ascii\")"
            )
        return "store bytes(value)"
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return "store dict(value._asdict()) or list(value)"
    if isinstance(value, (tuple, set, frozenset, collections.deque, range)):
        return "store list(value) and rebuild the container when reading"
    if isinstance(value, list):
        return "store list(value) (an exact list)"
    if isinstance(value, collections.Counter):
        return "store dict(value) and rebuild with Counter(d) when reading"
    if isinstance(value, dict):
        return "store dict(value) (an exact dict)"
    if isinstance(value, (types.MappingProxyType, collections.abc.Mapping)):
        return "store dict(value)"
    if isinstance(value, (types.GeneratorType, collections.abc.Iterator)):
        return "store list(...) of its items"
    if isinstance(value, bool):  # not reachable today: bool cannot be subclassed
        return "store bool(value)"
    if isinstance(value, int):
        return "store int(value)"
    if isinstance(value, float):
        return "store float(value)"
    if isinstance(value, str):
        return "store str(value)"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            "store dataclasses.asdict(value) (with its fields normalized too) "
            "and rebuild the dataclass when reading"
        )
    if isinstance(value, type):
        return "store the class's qualified name as str and look it up when reading"
    return (
        f"convert it to primitives ({_PRIMITIVES_HINT}) before storing and "
        "rebuild it when reading"
    )


def _key_reason(key: Any) -> str:
    base = "dict keys must be exact str; store {str(k): v for k, v in d.items()}"
    if isinstance(key, enum.Enum):
        return base + " (or k.value for Enum keys) and convert the keys back when reading"
    return base + " and convert the keys back when reading"


# ---------------------------------------------------------------------------
# The walk.

_ENTER = 0
_EXIT = 1
_BAD_KEY = 2


def _iter_violations(value: Any, admit_bytes: bool) -> Iterator[Violation]:
    scalars = _SCALARS_WITH_BYTES if admit_bytes else _SCALARS
    # Frames: (_ENTER, value, path), (_EXIT, id, None), (_BAD_KEY, key, path).
    stack: list[tuple[int, Any, Any]] = [(_ENTER, value, None)]
    on_path: set[int] = set()  # containers being walked (for cycles)
    done: set[int] = set()  # containers fully walked (shared, not cyclic)

    while stack:
        action, item, path = stack.pop()
        if action == _EXIT:
            on_path.discard(item)
            done.add(item)
            continue
        if action == _BAD_KEY:
            yield Violation(
                _render((path, _bad_key_segment(item))),
                _type_name(type(item)),
                _key_reason(item),
            )
            continue

        tp = type(item)
        if tp in scalars:
            continue

        if tp is list or tp is dict:
            ident = id(item)
            if ident in on_path:
                yield Violation(
                    _render(path),
                    _type_name(tp),
                    "the value contains itself (a reference cycle) and cannot be "
                    "converted to primitives; store an acyclic copy",
                )
                continue
            if ident in done:
                continue  # a shared, already-checked container
            on_path.add(ident)
            stack.append((_EXIT, ident, None))
            children: list[tuple[int, Any, Any]] = []
            if tp is list:
                for index, child in enumerate(item):
                    children.append((_ENTER, child, (path, _index_segment(index))))
            else:
                for key, child in item.items():
                    if type(key) is not str:
                        children.append((_BAD_KEY, key, path))
                    children.append((_ENTER, child, (path, _key_segment(key))))
            # Reversed so items are reported in order.
            stack.extend(reversed(children))
            continue

        yield Violation(_render(path), _type_name(tp), _reason(item, admit_bytes=admit_bytes))


def check_value(value: Any, *, admit_bytes: bool = True) -> list[Violation]:
    """Every part of ``value`` that breaks the memory value contract, in order.

    An empty list means the value is safe to ``set()`` into Flink Agents
    memory. With ``admit_bytes=False`` exact ``bytes`` are reported too (for
    stores that only take JSON-like values). Containers that are not exactly
    ``list``/``dict`` are reported as a whole, not walked into; dict keys are
    checked before their values.
    """
    return list(_iter_violations(value, admit_bytes))


def is_memory_safe(value: Any, *, admit_bytes: bool = True) -> bool:
    """True when ``value`` satisfies the memory value contract (stops at the first violation)."""
    for _ in _iter_violations(value, admit_bytes):
        return False
    return True


def assert_memory_safe(value: Any, *, admit_bytes: bool = True) -> None:
    """Raise ``TypeError`` naming the first violation when ``value`` is not memory-safe.

    Meant for users' own tests::

        assert_memory_safe(build_tool_call_context(...))
    """
    violations = _iter_violations(value, admit_bytes)
    first = next(violations, None)
    if first is None:
        return
    more = sum(1 for _ in violations)
    suffix = f" (and {more} more violation{'s' if more != 1 else ''})" if more else ""
    raise TypeError(f"not a checkpoint-safe memory value: {first}{suffix}")
