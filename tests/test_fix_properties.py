"""Properties of fixing (hypothesis): on any fixture and on generated agent
code, `--fix --unsafe-fixes` gives code that parses, fixing it again changes
nothing, nothing fixable is left, the file keeps its newline style, and —
run against the contract-enforcing runtime — every write is accepted and no
value was converted twice (which would raise)."""
from __future__ import annotations

import ast
import codecs
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memlint
from memlint.fix import fix_file, fix_text
from memlint.config import Config
from memlint.engine import Settings
from memlint.source import DecodeProblem, decode

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_FILES = sorted(FIXTURES.rglob("*.py"))
SETTINGS = Settings.from_config(Config())


def _parses(text: str) -> bool:
    try:
        cst.parse_module(text)
        ast.parse(text)
    except Exception:  # noqa: BLE001
        return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(FIXTURE_FILES), unsafe=st.booleans())
def test_fixing_a_fixture_reparses_and_is_idempotent(path: Path, unsafe: bool) -> None:
    try:
        text = decode(path.read_bytes()).text
    except DecodeProblem:
        return
    first = fix_text(str(path), text, SETTINGS, unsafe, path)
    if _parses(text):
        assert _parses(first.text)
    assert not [d for d in first.remaining if d.fix is not None and (unsafe or d.fix.applicability == "safe")]
    second = fix_text(str(path), first.text, SETTINGS, unsafe, path)
    assert second.text == first.text
    assert second.fixed == []


# -- generated agent code ------------------------------------------------------

HEADER = '''\
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Dict, List, Optional
from uuid import UUID

from flink_agents.api.chat_message import ChatMessage, MessageRole
from flink_agents.api.events.chat_event import ChatResponseEvent
from flink_agents.api.runner_context import RunnerContext


def act(
    event: ChatResponseEvent,
    ctx: RunnerContext,
    messages: List[ChatMessage],
    ids: List[UUID],
    maybe: Optional[UUID],
    scores: Dict[int, float],
    flag: bool,
) -> None:
'''

# Unsafe values memlint can fix, and safe ones beside them.
UNSAFE_LEAVES = [
    "event.request_id",
    "event.response",
    "event.response.role",
    "MessageRole.USER",
    "datetime(2024, 1, 2, 3, 4)",
    "timedelta(seconds=90)",
    'Decimal("1.50")',
    "ids",
    "messages",
    "maybe",
    "scores",
    "event.response.model_dump()",
    "(event.retry_count, 2)",
    "{m.role for m in messages}",
    "(m.content for m in messages)",
    "range(3)",
    "{event.request_id: event.retry_count}",
    "{1: 'one', 2: 'two'}",
    "[m for m in messages]",
    "{m.content: m for m in messages}",
    "[maybe, maybe]",
    "{'a': maybe}",
    "{event.response.role: 1}",
    "list(ids)",
    "tuple(ids)",
    "zip(ids, ids)",
    "{m.role: m.content for m in messages}",
]
SAFE_LEAVES = ["event.retry_count", "event.response.content", "'text'", "None", "str(event.request_id)", "[1, 2]"]

leaves = st.sampled_from(UNSAFE_LEAVES + SAFE_LEAVES)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(inner, min_size=1, max_size=3).map(
            lambda xs: "{" + ", ".join(f"'k{i}': {x}" for i, x in enumerate(xs)) + "}"),
        st.tuples(inner, inner).map(lambda ab: f"({ab[0]}, {ab[1]})"),
    ),
    max_leaves=4,
)


@st.composite
def statements(draw: Any, index: int) -> list[str]:
    """Code that writes one value to memory at path p{index}, in one of several shapes."""
    value = draw(values)
    memory = draw(st.sampled_from(["ctx.short_term_memory", "ctx.sensory_memory"]))
    shape = draw(st.sampled_from(["direct", "alias", "alias_twice", "dict_entry", "append", "extend",
                                  "extend_messages", "setdefault", "update", "insert", "loop", "conditional"]))
    path = f'"p{index}"'
    if shape == "direct":
        return [f"{memory}.set({path}, {value})"]
    if shape == "alias":
        return [f"v{index} = {value}", f"{memory}.set({path}, v{index})"]
    if shape == "alias_twice":
        return [f"v{index} = {value}", f"{memory}.set({path}, v{index})",
                f'{memory}.set("q{index}", v{index} if flag else None)']
    if shape == "dict_entry":
        return [f"d{index} = {{}}", f'd{index}["entry"] = {value}', f"{memory}.set({path}, d{index})"]
    if shape == "append":
        return [f"l{index} = []", f"l{index}.append({value})", f"{memory}.set({path}, l{index})"]
    if shape == "extend":
        return [f"l{index} = []", f"l{index}.extend(ids)", f"{memory}.set({path}, l{index})"]
    if shape == "extend_messages":
        return [f"l{index} = [{value}]", f"l{index}.extend(messages)", f"{memory}.set({path}, l{index})"]
    if shape == "setdefault":
        return [f"d{index} = {{}}", f'd{index}.setdefault("k", []).append({value})', f"{memory}.set({path}, d{index})"]
    if shape == "update":
        return [f'd{index} = {{"n": 1}}', f'd{index}.update({{"k": {value}}})', f"{memory}.set({path}, d{index})"]
    if shape == "insert":
        return [f"l{index} = ['x']", f"l{index}.insert(0, {value})", f"{memory}.set({path}, l{index})"]
    if shape == "loop":
        return [f"l{index} = []", "for m in messages:", f"    l{index}.append(m.role)",
                f"{memory}.set({path}, l{index})"]
    return [f"{memory}.set({path}, {value} if flag else None)"]


@st.composite
def modules(draw: Any) -> tuple[str, str, bool]:
    count = draw(st.integers(min_value=1, max_value=4))
    body: list[str] = []
    for index in range(count):
        body.extend(draw(statements(index)))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = HEADER + "".join(f"    {line}\n" for line in body)
    return text.replace("\n", newline), newline, draw(st.booleans())


def _run(path: Path, import_fixture: Any, runtime: ModuleType, flag: bool, maybe: bool) -> Any:
    from flink_agents.api.chat_message import ChatMessage, MessageRole
    from flink_agents.api.events.chat_event import ChatResponseEvent

    messages = [ChatMessage(role=MessageRole.USER, content="hi"), ChatMessage(role=MessageRole.ASSISTANT, content="yo")]
    event = ChatResponseEvent(request_id=uuid4(), response=messages[1])
    ctx = runtime.FakeRunnerContext()
    with import_fixture(path) as module:
        module.act(event, ctx, messages, [uuid4(), uuid4()], uuid4() if maybe else None, {1: 0.5}, flag)
    return ctx


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=modules(), flag=st.booleans(), maybe=st.booleans())
def test_fixing_generated_agents(generated: tuple[str, str, bool], flag: bool, maybe: bool,
                                 import_fixture: Any, runtime: ModuleType) -> None:
    text, newline, bom = generated
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "agent.py"
        data = text.encode("utf-8")
        path.write_bytes(codecs.BOM_UTF8 + data if bom else data)
        outcome = fix_file(str(path), SETTINGS, unsafe=True, write=True)
        assert outcome.problem == ""
        raw = path.read_bytes()
        assert raw.startswith(codecs.BOM_UTF8) == bom
        fixed = raw.decode("utf-8-sig")
        assert _parses(fixed), fixed
        if newline == "\r\n":
            assert "\n" not in fixed.replace("\r\n", ""), "a newline of another style was written"
        # Everything was fixable: nothing is left, and fixing again changes nothing.
        assert memlint.lint_paths([path]) == [], fixed
        again = fix_file(str(path), SETTINGS, unsafe=True, write=True)
        assert again.fixed == [] and path.read_bytes() == raw
        # The runtime accepts every write, and nothing was converted twice (it would raise).
        ctx = _run(path, import_fixture, runtime, flag, maybe)
        assert ctx.rejections == [], (fixed, ctx.rejections)


def test_the_generator_covers_every_fixable_rule() -> None:
    text = HEADER + "".join(f"    ctx.sensory_memory.set('p{i}', {leaf})\n" for i, leaf in enumerate(UNSAFE_LEAVES))
    codes = {d.code for d in memlint.lint_source(text, "agent.py") if d.fix is not None}
    assert codes == {"MEM101", "MEM102", "MEM103", "MEM104", "MEM105", "MEM106", "MEM201"}


@pytest.mark.parametrize("leaf", UNSAFE_LEAVES)
def test_each_generated_leaf_is_flagged_and_fixable(leaf: str) -> None:
    text = HEADER + f"    ctx.sensory_memory.set('p', {leaf})\n"
    found = memlint.lint_source(text, "agent.py")
    assert found and all(d.fix is not None for d in found), [(d.code, d.message) for d in found]
