"""Python's own semantics from typeshed, summaries read with `ast`, and the
return kinds of unannotated functions: the engine pieces behind the
fixtures in fixtures/python/, tested on small sources with exact messages."""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

import memlint
from memlint.summary import summarize_module

HEADER = """\
from flink_agents.api.runner_context import RunnerContext
"""


def lint(body: str, tmp_path: Path) -> list[tuple[int, str, str]]:
    source = HEADER + textwrap.dedent(body)
    path = tmp_path / "agent.py"
    path.write_text(source)
    return [(d.line, d.code, d.message) for d in memlint.lint_source(source, str(path))]


def codes(body: str, tmp_path: Path) -> list[tuple[int, str]]:
    return [(line, code) for line, code, _ in lint(body, tmp_path)]


# -- summaries -----------------------------------------------------------------

VERSIONED = textwrap.dedent("""\
    import sys
    if sys.version_info >= (3, 11):
        class Token:
            value: int
    else:
        class Token:
            value: str
    if sys.version_info < (3, 9):
        def gone() -> int: ...
""")


@pytest.mark.parametrize("version, expected", [((3, 10), "str"), ((3, 11), "int"), ((3, 12), "int")])
def test_version_branches_are_decided_for_the_target(version: tuple[int, int], expected: str) -> None:
    summary = summarize_module(ast.parse(VERSIONED), "m", "m.pyi", False, version)
    (token,) = summary.classes
    assert token.field("value").name == expected
    assert summary.lookup("gone") is None


def test_overloads_are_one_function_with_every_signature() -> None:
    text = textwrap.dedent("""\
        from typing import overload
        @overload
        def f(x: int) -> int: ...
        @overload
        def f(x: str) -> bytes: ...
    """)
    summary = summarize_module(ast.parse(text), "m", "m.pyi", False)
    (f,) = summary.functions
    assert [s.returns.name for s in f.overloads] == ["int", "bytes"]
    assert f.returns.name == "|"


def test_unannotated_function_records_the_shapes_it_returns() -> None:
    text = textwrap.dedent("""\
        import uuid
        def new_id(prefix):
            value = uuid.uuid4()
            if prefix:
                return str(value)
            return value
    """)
    summary = summarize_module(ast.parse(text), "m", "m.py", False)
    (f,) = summary.functions
    assert [s.name for s in f.returned] == ["<call>", "<call>"]
    assert f.returned[0].args[0].name == "str"


# -- operators and overloads -----------------------------------------------------

def test_datetime_subtraction_picks_the_overload_by_the_argument(tmp_path: Path) -> None:
    found = lint("""\
        from datetime import datetime, timedelta
        def act(ctx: RunnerContext, start: datetime) -> None:
            ctx.sensory_memory.set("elapsed", datetime.now() - start)
            ctx.sensory_memory.set("earlier", datetime.now() - timedelta(days=1))
            ctx.sensory_memory.set("seconds", (datetime.now() - start).total_seconds())
    """, tmp_path)
    assert [(line, code) for line, code, _ in found] == [(4, "MEM106"), (5, "MEM106")]
    assert "timedelta stored" in found[0][2] and "total_seconds()" in found[0][2]
    assert "datetime stored" in found[1][2] and "isoformat()" in found[1][2]


def test_reflected_operator_when_the_left_operand_does_not_fit(tmp_path: Path) -> None:
    found = codes("""\
        from decimal import Decimal
        from pathlib import Path
        def act(ctx: RunnerContext) -> None:
            ctx.sensory_memory.set("price", 2 * Decimal("1.5"))
            ctx.sensory_memory.set("path", "root" / Path("x"))
            ctx.sensory_memory.set("n", 2 * 3)
    """, tmp_path)
    assert found == [(5, "MEM106"), (6, "MEM106")]


def test_typevar_bound_from_the_arguments(tmp_path: Path) -> None:
    found = codes("""\
        from uuid import UUID, uuid4
        def act(ctx: RunnerContext, ids: list[UUID], names: list[str]) -> None:
            ctx.sensory_memory.set("first", max(ids))
            ctx.sensory_memory.set("name", max(names))
            ctx.sensory_memory.set("pick", min(ids, default=None))
            ctx.sensory_memory.set("copy", sorted(names))
    """, tmp_path)
    assert found == [(4, "MEM101"), (6, "MEM101")]


def test_exceptions_bound_by_except(tmp_path: Path) -> None:
    found = lint("""\
        def act(ctx: RunnerContext, raw: dict) -> None:
            try:
                raw["k"]
            except (KeyError, IndexError) as exc:
                ctx.sensory_memory.set("error", exc)
                ctx.sensory_memory.set("args", exc.args)
                ctx.sensory_memory.set("text", str(exc))
            try:
                raw["k"]
            except* ValueError as group:
                ctx.sensory_memory.set("group", group)
    """, tmp_path)
    # One diagnostic per write and rule: the first class of the tuple names it.
    assert [(line, code) for line, code, _ in found] == [(6, "MEM106"), (7, "MEM104"), (12, "MEM106")]
    assert "KeyError instance" in found[0][2]
    assert "ExceptionGroup" in found[2][2]


def test_builtins_from_typeshed_and_protocol_builtins(tmp_path: Path) -> None:
    found = codes("""\
        from decimal import Decimal
        def act(ctx: RunnerContext, d: Decimal) -> None:
            ctx.sensory_memory.set("pair", divmod(7, 2))
            ctx.sensory_memory.set("rounded", round(d, 2))
            ctx.sensory_memory.set("whole", round(d))
            ctx.sensory_memory.set("absolute", abs(d))
            ctx.sensory_memory.set("slice", slice(1, 2))
    """, tmp_path)
    assert found == [(4, "MEM104"), (5, "MEM106"), (7, "MEM106"), (8, "MEM106")]


def test_a_str_enum_is_an_enum_and_a_protocol_is_unknown(tmp_path: Path) -> None:
    found = codes("""\
        from enum import Enum
        from typing import Protocol
        class Color(str, Enum):
            RED = "red"
        class HasName(Protocol):
            name: str
        def act(ctx: RunnerContext, thing: HasName) -> None:
            ctx.sensory_memory.set("color", Color.RED)
            ctx.sensory_memory.set("thing", thing)
            ctx.sensory_memory.set("colors", list(Color))
    """, tmp_path)
    assert found == [(9, "MEM103"), (11, "MEM103")]


# -- unannotated functions ---------------------------------------------------------

def test_unannotated_helpers_are_followed_and_recursion_terminates(tmp_path: Path) -> None:
    found = codes("""\
        import uuid
        def new_id():
            return uuid.uuid4()
        def wrapped():
            return new_id()
        def ping(n):
            return pong(n - 1) if n else 0
        def pong(n):
            return ping(n)
        def forever():
            return forever()
        def act(ctx: RunnerContext) -> None:
            ctx.sensory_memory.set("id", wrapped())
            ctx.sensory_memory.set("ping", ping(3))
            ctx.sensory_memory.set("forever", forever())
            ctx.sensory_memory.set("text", str(wrapped()))
    """, tmp_path)
    assert found == [(14, "MEM101")]


def test_async_functions_and_await(tmp_path: Path) -> None:
    found = codes("""\
        import uuid
        async def fetch():
            return uuid.uuid4()
        async def act(ctx: RunnerContext) -> None:
            ctx.sensory_memory.set("id", await fetch())
            ctx.sensory_memory.set("ref", await ctx.durable_execute_async(fetch))
    """, tmp_path)
    assert found == [(6, "MEM101"), (7, "MEM101")]


# -- serializers -------------------------------------------------------------------

def test_a_wrap_serializer_keeps_the_fields(tmp_path: Path) -> None:
    found = codes("""\
        from uuid import UUID
        from pydantic import BaseModel, model_serializer
        class Wrapped(BaseModel):
            id: UUID
            @model_serializer(mode="wrap")
            def _dump(self, handler):
                return handler(self)
        class Plain(BaseModel):
            id: UUID
            @model_serializer
            def _dump(self):
                return {"id": str(self.id)}
        def act(ctx: RunnerContext, w: Wrapped, p: Plain) -> None:
            ctx.sensory_memory.set("w", w.model_dump())
            ctx.sensory_memory.set("p", p.model_dump())
    """, tmp_path)
    assert found == [(15, "MEM201")]
