"""The runtime value contract (memlint.contract), value by value."""
from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import enum
import pathlib
import uuid
from typing import Any

import pytest
from pydantic import BaseModel

from memlint.contract import Violation, assert_memory_safe, check_value, is_memory_safe


class Color(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    LOW = 1


class Plain(enum.Enum):
    A = "a"


class Message(BaseModel):
    role: str
    content: str


class MyBytes(bytes):
    pass


class MyList(list):
    pass


class MyStr(str):
    pass


class MemoryObject:  # the contract recognizes the class by name, like the real one
    pass


class SensoryMemory(MemoryObject):
    pass


@dataclasses.dataclass
class Point:
    x: int
    y: int


SAFE_VALUES = [
    pytest.param(None, id="None"),
    pytest.param(True, id="True"),
    pytest.param(False, id="False"),
    pytest.param(0, id="int"),
    pytest.param(-(2**80), id="big-int"),
    pytest.param(1.5, id="float"),
    pytest.param(float("nan"), id="nan"),
    pytest.param("", id="empty-str"),
    pytest.param("héllo", id="str"),
    pytest.param(b"\x00\xff", id="bytes"),
    pytest.param([], id="empty-list"),
    pytest.param({}, id="empty-dict"),
    pytest.param([1, "a", None, 2.0, b"x", [True]], id="list"),
    pytest.param({"a": {"b": [1, {"c": None}]}, "": "empty key"}, id="nested-dict"),
    pytest.param(
        {"messages": [{"role": "user", "content": "hi", "tool_calls": [], "extra_args": {}}]},
        id="dumped-chat-messages",
    ),
]


@pytest.mark.parametrize("value", SAFE_VALUES)
def test_safe_values_pass(value: Any) -> None:
    assert check_value(value) == []
    assert is_memory_safe(value)
    assert_memory_safe(value)


# (value, type name, a word the reason must contain)
UNSAFE_VALUES = [
    pytest.param(Color.RED, "Color", ".value", id="str-enum"),
    pytest.param(Level.LOW, "Level", ".value", id="int-enum"),
    pytest.param(Plain.A, "Plain", ".value", id="enum"),
    pytest.param(uuid.UUID(int=7), "UUID", "str(value)", id="uuid"),
    pytest.param(Message(role="user", content="hi"), "Message", 'model_dump(mode="json")', id="pydantic-model"),
    pytest.param((1, 2), "tuple", "list(", id="tuple"),
    pytest.param({1, 2}, "set", "list(", id="set"),
    pytest.param(frozenset({1}), "frozenset", "list(", id="frozenset"),
    pytest.param(collections.deque([1]), "deque", "list(", id="deque"),
    pytest.param(range(3), "range", "list(", id="range"),
    pytest.param((i for i in range(3)), "generator", "list(", id="generator"),
    pytest.param(collections.OrderedDict(a=1), "OrderedDict", "dict(", id="OrderedDict"),
    pytest.param(collections.defaultdict(list), "defaultdict", "dict(", id="defaultdict"),
    pytest.param(collections.Counter("aab"), "Counter", "dict(", id="Counter"),
    pytest.param(datetime.datetime(2025, 1, 2, 3, 4, 5), "datetime", "isoformat()", id="datetime"),
    pytest.param(datetime.date(2025, 1, 2), "date", "isoformat()", id="date"),
    pytest.param(datetime.time(3, 4), "time", "isoformat()", id="time"),
    pytest.param(datetime.timedelta(seconds=3), "timedelta", "total_seconds()", id="timedelta"),
    pytest.param(decimal.Decimal("1.10"), "Decimal", "str(value)", id="Decimal"),
    pytest.param(pathlib.Path("/tmp/x"), type(pathlib.Path("/tmp/x")).__qualname__, "str(value)", id="Path"),
    pytest.param(1 + 2j, "complex", "value.real", id="complex"),
    pytest.param(bytearray(b"x"), "bytearray", "bytes(value)", id="bytearray"),
    pytest.param(memoryview(b"x"), "memoryview", "bytes(value)", id="memoryview"),
    pytest.param(MyBytes(b"x"), "MyBytes", "bytes(value)", id="bytes-subclass"),
    pytest.param(MyList([1]), "MyList", "list(", id="list-subclass"),
    pytest.param(MyStr("x"), "MyStr", "str(value)", id="str-subclass"),
    pytest.param(Point(1, 2), "Point", "dataclasses.asdict", id="dataclass"),
    pytest.param(object(), "object", "primitives", id="object"),
    pytest.param(SensoryMemory(), "SensoryMemory", "new_object", id="memory-object-subclass"),
    pytest.param(MemoryObject(), "MemoryObject", "new_object", id="memory-object"),
]


@pytest.mark.parametrize(("value", "type_name", "hint"), UNSAFE_VALUES)
def test_unsafe_values_are_reported_at_the_root(value: Any, type_name: str, hint: str) -> None:
    violations = check_value(value)
    assert len(violations) == 1, violations
    (violation,) = violations
    assert violation.location == ""
    assert violation.type_name == type_name
    assert hint in violation.reason
    assert not is_memory_safe(value)


@pytest.mark.parametrize(("value", "type_name", "hint"), UNSAFE_VALUES)
def test_unsafe_values_are_reported_inside_containers(value: Any, type_name: str, hint: str) -> None:
    violations = check_value({"outer": [None, {"inner": value}]})
    assert [(v.location, v.type_name) for v in violations] == [('["outer"][1]["inner"]', type_name)]
    with pytest.raises(TypeError, match=r'\["outer"\]\[1\]\["inner"\]'):
        assert_memory_safe({"outer": [None, {"inner": value}]})


def test_pydantic_model_holding_only_primitives_is_still_unsafe() -> None:
    # Being a model is the problem, whatever its fields hold.
    (violation,) = check_value([Message(role="user", content="x")])
    assert violation.location == "[0]"
    assert "Message.model_validate" in violation.reason


def test_dict_with_int_key() -> None:
    assert check_value({3: "x"}) == [
        Violation("[<key 3>]", "int", check_value({3: "x"})[0].reason)
    ]
    assert "str(k)" in check_value({3: "x"})[0].reason


def test_dict_with_uuid_key_and_unsafe_value() -> None:
    key = uuid.UUID(int=1)
    violations = check_value({"responses": {key: key}})
    assert [(v.location, v.type_name) for v in violations] == [
        (f'["responses"][<key {key!r}>]', "UUID"),
        (f'["responses"][{key!r}]', "UUID"),
    ]
    assert "str(k)" in violations[0].reason
    assert "str(value)" in violations[1].reason


def test_dict_with_enum_and_bool_keys() -> None:
    violations = check_value({Color.RED: 1, True: 2, "ok": 3})
    assert [v.type_name for v in violations] == ["Color", "bool"]
    assert all(v.location.startswith("[<key ") for v in violations)


def test_deep_nested_bad_value_has_exact_location() -> None:
    value = {
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "tool", "extra_args": {"ids": ["a", uuid.UUID(int=5)]}},
        ],
        'odd "key"\n': [b"ok", Color.RED],
    }
    violations = check_value(value)
    assert [(v.location, v.type_name) for v in violations] == [
        ('["messages"][1]["extra_args"]["ids"][1]', "UUID"),
        ('["odd \\"key\\"\\n"][1]', "Color"),
    ]
    # The location is valid Python subscript syntax that finds the bad value.
    assert eval("value" + violations[0].location) == uuid.UUID(int=5)  # noqa: S307
    assert eval("value" + violations[1].location) is Color.RED  # noqa: S307


def test_violations_are_in_value_order() -> None:
    value = [uuid.UUID(int=1), {"b": (1,), 2: None}, [Plain.A]]
    locations = [v.location for v in check_value(value)]
    assert locations == ["[0]", '[1]["b"]', "[1][<key 2>]", "[2][0]"]


def test_bytes_admission() -> None:
    assert check_value(b"abc") == []
    (violation,) = check_value({"blob": b"abc"}, admit_bytes=False)
    assert violation.location == '["blob"]'
    assert violation.type_name == "bytes"
    assert "base64" in violation.reason
    assert not is_memory_safe(b"", admit_bytes=False)
    with pytest.raises(TypeError):
        assert_memory_safe([b""], admit_bytes=False)
    # bytearray stays unsafe either way.
    assert not is_memory_safe(bytearray(), admit_bytes=True)


def test_numpy_scalars_are_unsafe() -> None:
    import numpy  # a test dependency (pyproject [test]): a missing numpy fails, never skips
    for value in (numpy.float64(1.5), numpy.int64(3), numpy.bool_(True), numpy.str_("x")):
        (violation,) = check_value([value])
        assert violation.location == "[0]"
        assert violation.type_name == type(value).__qualname__
    (violation,) = check_value(numpy.float64(1.5))
    assert ".item()" in violation.reason
    (violation,) = check_value(numpy.zeros(2))
    assert ".tolist()" in violation.reason


def test_self_containing_list_is_a_violation_not_a_hang() -> None:
    value: list[Any] = [1]
    value.append(value)
    violations = check_value(value)
    assert [(v.location, v.type_name) for v in violations] == [("[1]", "list")]
    assert "cycle" in violations[0].reason
    assert not is_memory_safe(value)


def test_indirect_dict_cycle() -> None:
    a: dict[str, Any] = {}
    b: dict[str, Any] = {"a": a}
    a["b"] = b
    violations = check_value({"root": a})
    assert [(v.location, v.type_name) for v in violations] == [('["root"]["b"]["a"]', "dict")]


def test_shared_references_are_not_cycles() -> None:
    shared = [1, 2]
    assert check_value({"x": shared, "y": shared, "z": [shared, shared]}) == []
    # A shared unsafe container is reported once, where it is first met.
    bad = [uuid.UUID(int=1)]
    assert [v.location for v in check_value([bad, bad])] == ["[0][0]"]


def test_shared_references_do_not_explode() -> None:
    # 2**60 paths, 60 distinct lists: each list is walked once.
    value: list[Any] = [1]
    for _ in range(60):
        value = [value, value]
    assert is_memory_safe(value)


def test_100k_deep_list_without_recursion_error() -> None:
    depth = 100_000
    root: list[Any] = []
    current = root
    for _ in range(depth):
        child: list[Any] = []
        current.append(child)
        current = child
    assert check_value(root) == []
    assert is_memory_safe(root)
    current.append(uuid.UUID(int=9))
    (violation,) = check_value(root)
    assert violation.location == "[0]" * (depth + 1)
    assert violation.type_name == "UUID"
    with pytest.raises(TypeError, match="UUID"):
        assert_memory_safe(root)


def test_100k_deep_dict_without_recursion_error() -> None:
    root: dict[str, Any] = {}
    current = root
    for _ in range(100_000):
        current["k"] = {}
        current = current["k"]
    current[1] = None
    (violation,) = check_value(root)
    assert violation.location == '["k"]' * 100_000 + "[<key 1>]"


class _Tripwire:
    """Explodes when the contract looks at it closely (computes a reason for it)."""

    @property  # type: ignore[misc]
    def __class__(self):  # noqa: D105
        raise AssertionError("walked past the first violation")


def test_tripwire_is_noticed_by_check_value() -> None:
    with pytest.raises(AssertionError):
        check_value([_Tripwire()])


def test_is_memory_safe_stops_at_the_first_violation() -> None:
    assert not is_memory_safe([uuid.UUID(int=1), [_Tripwire()]])


def test_assert_memory_safe_names_first_violation_and_count() -> None:
    with pytest.raises(TypeError) as info:
        assert_memory_safe({"id": uuid.UUID(int=1), "role": Color.RED, "when": datetime.date(2025, 1, 1)})
    message = str(info.value)
    assert '["id"]' in message and "UUID" in message and "str(value)" in message
    assert "2 more violations" in message
    assert_memory_safe({"id": str(uuid.UUID(int=1))})


def test_broken_repr_in_a_bad_key_does_not_crash() -> None:
    class BadRepr:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

        def __hash__(self) -> int:
            return 1

    (violation,) = check_value({BadRepr(): 1, "ok": 2})
    assert violation.type_name == "BadRepr"
    assert violation.location.startswith("[<key ")


def test_violation_is_frozen_and_printable() -> None:
    violation = Violation('["a"]', "UUID", "store str(value)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        violation.location = ""  # type: ignore[misc]
    assert str(violation) == 'value["a"]: UUID is not checkpoint-safe; store str(value)'
