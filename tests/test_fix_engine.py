"""Fix generation (lint/fix/plan.py) and fix safety (lint/fix/readside.py), one case at a time.

Each case lints a small agent, checks the fix memlint attaches to the
diagnostic (its edit, its applicability), and applies it.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import memlint
from memlint.fix import apply_edits, fix_text, select_fixes
from memlint.config import Config
from memlint.engine import Settings

HEADER = '''\
import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Dict, List, Optional
from uuid import UUID

from pydantic import BaseModel

from flink_agents.api.chat_message import ChatMessage, MessageRole
from flink_agents.api.events.chat_event import ChatRequestEvent, ChatResponseEvent
from flink_agents.api.memory_object import MemoryObject
from flink_agents.api.runner_context import RunnerContext

REQUEST_PATH = "request.id"
SNAPSHOT = copy.deepcopy


class Color(Enum):
    RED = (255, 0, 0)


class Ticket(BaseModel):
    id: UUID
    subject: str


@dataclass
class Slot:
    at: datetime

'''


def lint(body: str, tmp_path: Path) -> list[memlint.Diagnostic]:
    return memlint.lint_source(HEADER + body, str(tmp_path / "agent.py"))


def only(body: str, tmp_path: Path) -> memlint.Diagnostic:
    (diagnostic,) = lint(body, tmp_path)
    return diagnostic


def applied(body: str, tmp_path: Path, unsafe: bool = True) -> str:
    """The body after `--fix` (with `--unsafe-fixes` unless told otherwise)."""
    settings = Settings.from_config(Config())
    path = tmp_path / "agent.py"
    result = fix_text(str(path), HEADER + body, settings, unsafe, path)
    assert result.text.startswith(HEADER)
    return result.text[len(HEADER):]


def edit_of(diagnostic: memlint.Diagnostic) -> str:
    assert diagnostic.fix is not None, diagnostic.message
    (edit,) = diagnostic.fix.edits
    return edit.content


# -- conversions ---------------------------------------------------------------

CONVERSIONS = [
    ("event.id", "ChatRequestEvent", "str(event.id)"),
    ("event.messages[0]", "ChatRequestEvent", 'event.messages[0].model_dump(mode="json")'),
    ("event.response.role", "ChatResponseEvent", "event.response.role.value"),
    ("MessageRole.USER", "ChatResponseEvent", "MessageRole.USER.value"),
    ("datetime(2024, 1, 2)", "ChatResponseEvent", "datetime(2024, 1, 2).isoformat()"),
    ("timedelta(seconds=3)", "ChatResponseEvent", "timedelta(seconds=3).total_seconds()"),
    ('Decimal("1.5")', "ChatResponseEvent", 'str(Decimal("1.5"))'),
    ('Path("/tmp")', "ChatResponseEvent", 'str(Path("/tmp"))'),
    ("(event.retry_count, 1)", "ChatResponseEvent", "[event.retry_count, 1]"),
    ("{event.retry_count, 1}", "ChatResponseEvent", "list({event.retry_count, 1})"),
    ("tuple(event.messages)", "ChatResponseEvent", "list(event.messages)"),
    ("(m.content for m in event.messages)", "ChatRequestEvent", "[m.content for m in event.messages]"),
    ("range(3)", "ChatResponseEvent", "list(range(3))"),
    ("event.messages", "ChatRequestEvent", '[m.model_dump(mode="json") for m in event.messages]'),
    ("event.responses", "ToolResponseEvent", "{str(k): v for k, v in event.responses.items()}"),
    ("{1: 'a', 2: 'b'}", "ChatResponseEvent", None),  # several edits: see below
    ("event.response.model_dump()", "ChatResponseEvent", 'event.response.model_dump(mode="json")'),
    ("event.response.model_dump(exclude={'content'})", "ChatResponseEvent",
     "event.response.model_dump(exclude={'content'}, mode=\"json\")"),
    ("event.response.model_dump(mode='python')", "ChatResponseEvent", 'event.response.model_dump(mode="json")'),
    ("event.response.dict()", "ChatResponseEvent", 'event.response.model_dump(mode="json")'),
    ("dict(event.response)", "ChatResponseEvent", 'event.response.model_dump(mode="json")'),
    ("copy.deepcopy(event.response)", "ChatResponseEvent", 'event.response.model_dump(mode="json")'),
    ("1j", "ChatResponseEvent", "[0.0, 1.0]"),
]


@pytest.mark.parametrize("value, event, expected", CONVERSIONS, ids=[c[0] for c in CONVERSIONS])
def test_conversion(value: str, event: str, expected: str | None, tmp_path: Path) -> None:
    imports = "from flink_agents.api.events.tool_event import ToolResponseEvent\n" if event == "ToolResponseEvent" else ""
    body = imports + f"\n\ndef act(event: {event}, ctx: RunnerContext) -> None:\n    ctx.sensory_memory.set('k', {value})\n"
    diagnostic = only(body, tmp_path)
    assert diagnostic.fix is not None, diagnostic.message
    if expected is not None:
        assert edit_of(diagnostic) == expected
    fixed = applied(body, tmp_path)
    assert memlint.lint_source(HEADER + fixed, str(tmp_path / "agent.py")) == [], fixed


def test_int_keys_of_a_literal_are_quoted(tmp_path: Path) -> None:
    body = "def act(ctx):\n    ctx.sensory_memory.set('plan', {1: 'a', 2: 'b', 'c': 3})\n"
    assert applied(body, tmp_path) == "def act(ctx):\n    ctx.sensory_memory.set('plan', {\"1\": 'a', \"2\": 'b', 'c': 3})\n"


def test_enum_keys_use_their_value(tmp_path: Path) -> None:
    body = "def act(ctx, counts: Dict[MessageRole, int]):\n    ctx.sensory_memory.set('c', counts)\n"
    assert "{k.value: v for k, v in counts.items()}" in applied(body, tmp_path)


def test_precedence_is_kept(tmp_path: Path) -> None:
    body = ("def act(ctx, seen: Optional[Dict[int, str]]):\n"
            "    ctx.sensory_memory.set('seen', seen or {})\n")
    assert edit_of(only(body, tmp_path)) == "{str(k): v for k, v in (seen or {}).items()}"


def test_optional_name_is_guarded(tmp_path: Path) -> None:
    body = "def act(ctx, parent: Optional[UUID]):\n    ctx.sensory_memory.set('parent', parent)\n"
    assert edit_of(only(body, tmp_path)) == "str(parent) if parent is not None else None"


def test_optional_attribute_has_no_fix(tmp_path: Path) -> None:
    body = "def act(ctx, event: ChatRequestEvent):\n    ctx.sensory_memory.set('schema', event.output_schema)\n"
    assert only(body, tmp_path).fix is None


def test_guard_inside_a_literal(tmp_path: Path) -> None:
    body = ("def act(ctx, parent: Optional[UUID]):\n"
            "    ctx.sensory_memory.set('parent', {'p': parent})\n")
    assert edit_of(only(body, tmp_path)) == "str(parent) if parent is not None else None"


def test_guard_in_the_body_of_a_conditional_is_parenthesized(tmp_path: Path) -> None:
    body = ("def act(ctx, parent: Optional[UUID], flag: bool):\n"
            "    ctx.sensory_memory.set('parent', parent if flag else None)\n")
    assert edit_of(only(body, tmp_path)) == "(str(parent) if parent is not None else None)"
    assert "set('parent', (str(parent) if parent is not None else None) if flag else None)" in applied(body, tmp_path)


def test_nested_literal_is_fixed_in_place(tmp_path: Path) -> None:
    body = ("def act(ctx, event: ChatResponseEvent):\n"
            "    ctx.sensory_memory.set('k', {'a': [event.request_id], 'b': {'c': event.response.role}})\n")
    assert applied(body, tmp_path) == (
        "def act(ctx, event: ChatResponseEvent):\n"
        "    ctx.sensory_memory.set('k', {'a': [str(event.request_id)], 'b': {'c': event.response.role.value}})\n")


def test_annotated_container_is_converted_by_a_comprehension_at_the_entry(tmp_path: Path) -> None:
    body = ("def act(ctx, key: str, added: List[ChatMessage]):\n"
            "    contexts = {key: []}\n"
            "    contexts[key].extend(added)\n"
            "    ctx.sensory_memory.set('contexts', contexts)\n")
    diagnostic = only(body, tmp_path)
    assert edit_of(diagnostic) == '[m.model_dump(mode="json") for m in added]'
    assert diagnostic.fix.applicability == "unsafe"  # other code sees what `contexts` holds
    assert "contexts[key].extend([m.model_dump(mode=\"json\") for m in added])" in applied(body, tmp_path)


def test_value_built_outside_the_call_is_converted_in_the_call(tmp_path: Path) -> None:
    body = ("def act(ctx, event: ChatRequestEvent):\n"
            "    first = event.messages[0]\n"
            "    ctx.sensory_memory.set('first', first)\n"
            "    return first.content\n")
    assert applied(body, tmp_path) == (
        "def act(ctx, event: ChatRequestEvent):\n"
        "    first = event.messages[0]\n"
        "    ctx.sensory_memory.set('first', first.model_dump(mode=\"json\"))\n"
        "    return first.content\n")


def test_a_value_is_never_converted_twice(tmp_path: Path) -> None:
    # "b" cannot be converted in its call (a dict or the messages), so the
    # messages are converted where they are made, and "a" is left as it is.
    body = ("def act(ctx, event: ChatRequestEvent):\n"
            "    msgs = list(event.messages)\n"
            "    ctx.sensory_memory.set('a', msgs)\n"
            "    ctx.sensory_memory.set('b', msgs or {'n': 1})\n")
    assert applied(body, tmp_path) == (
        "def act(ctx, event: ChatRequestEvent):\n"
        "    msgs = [m.model_dump(mode=\"json\") for m in event.messages]\n"
        "    ctx.sensory_memory.set('a', msgs)\n"
        "    ctx.sensory_memory.set('b', msgs or {'n': 1})\n")


def test_items_from_two_places_are_converted_once_in_the_call(tmp_path: Path) -> None:
    # One diagnostic (both origins related), one conversion in the set() call
    # (issue 10 item 5: the call is preferred to the places the values enter).
    body = ("def act(ctx, event: ChatResponseEvent, history: List[ChatMessage]):\n"
            "    msgs = list(history)\n"
            "    msgs.append(event.response)\n"
            "    ctx.sensory_memory.set('msgs', msgs)\n")
    assert applied(body, tmp_path) == (
        "def act(ctx, event: ChatResponseEvent, history: List[ChatMessage]):\n"
        "    msgs = list(history)\n"
        "    msgs.append(event.response)\n"
        "    ctx.sensory_memory.set('msgs', [m.model_dump(mode=\"json\") for m in msgs])\n")


def test_unused_copy_import_is_removed_with_the_copy(tmp_path: Path) -> None:
    text = ("import copy\nfrom typing import List\n\nfrom flink_agents.api.chat_message import ChatMessage\n\n\n"
            "def act(ctx, msgs: List[ChatMessage]):\n"
            "    ctx.sensory_memory.set('m', copy.deepcopy(msgs))\n")
    settings = Settings.from_config(Config())
    result = fix_text(str(tmp_path / "a.py"), text, settings, True, tmp_path / "a.py")
    assert result.text == ("from typing import List\n\nfrom flink_agents.api.chat_message import ChatMessage\n\n\n"
                           "def act(ctx, msgs: List[ChatMessage]):\n"
                           "    ctx.sensory_memory.set('m', [m.model_dump(mode=\"json\") for m in msgs])\n")


@pytest.mark.parametrize("value", [
    "Slot(at=datetime(2024, 1, 1))",  # a dataclass: which fields, converted how?
    "Color.RED",  # an enum whose values are not primitive
    "ctx.short_term_memory",  # MEM107
])
def test_no_mechanical_rewrite_means_no_fix(value: str, tmp_path: Path) -> None:
    body = f"def act(ctx):\n    ctx.sensory_memory.set('k', {value})\n"
    assert only(body, tmp_path).fix is None


def test_syntax_error_and_strict_findings_have_no_fix(tmp_path: Path) -> None:
    assert [d.fix for d in memlint.lint_source("def f(:\n    ctx.sensory_memory.set('a', 1)\n")] == [None]
    config = Config(strict=True)
    found = memlint.lint_source("def act(ctx, x):\n    ctx.sensory_memory.set('a', x)\n", "a.py", config)
    assert [(d.code, d.fix) for d in found] == [("MEM900", None)]


def test_class_attributes_are_not_rewritten(tmp_path: Path) -> None:
    body = ("class Defaults:\n    role: MessageRole = MessageRole.SYSTEM\n\n\n"
            "def act(ctx):\n    ctx.sensory_memory.set('role', Defaults.role)\n")
    assert edit_of(only(body, tmp_path)) == "Defaults.role.value"


# -- safety --------------------------------------------------------------------


def safety(body: str, tmp_path: Path) -> list[str]:
    return [d.fix.applicability if d.fix else "none" for d in lint(body, tmp_path)]


def test_safe_when_every_read_rebuilds(tmp_path: Path) -> None:
    body = ("def save(ctx, event: ChatRequestEvent):\n"
            "    ctx.short_term_memory.set(REQUEST_PATH, event.id)\n\n\n"
            "def load(ctx) -> UUID:\n"
            "    return UUID(ctx.short_term_memory.get(REQUEST_PATH))\n")
    assert safety(body, tmp_path) == ["safe"]


def test_safe_through_a_name_and_a_default(tmp_path: Path) -> None:
    body = ("def save(ctx, ticket: Ticket):\n"
            "    ctx.short_term_memory.set('ticket', ticket)\n\n\n"
            "def load(ctx) -> Optional[Ticket]:\n"
            "    raw = ctx.short_term_memory.get('ticket') or {}\n"
            "    if raw is None:\n"
            "        return None\n"
            "    return Ticket.model_validate(raw)\n")
    assert safety(body, tmp_path) == ["safe"]


def test_safe_list_rebuilt_item_by_item(tmp_path: Path) -> None:
    body = ("def save(ctx, event: ChatRequestEvent):\n"
            "    ctx.short_term_memory.set('history', event.messages)\n\n\n"
            "def load(ctx):\n"
            "    return [ChatMessage.model_validate(m) for m in ctx.short_term_memory.get('history')]\n")
    assert safety(body, tmp_path) == ["safe"]


def test_mode_json_is_safe_when_the_reader_validates(tmp_path: Path) -> None:
    body = ("def save(ctx, ticket: Ticket):\n"
            "    ctx.short_term_memory.set('ticket', ticket.model_dump())\n\n\n"
            "def load(ctx):\n"
            "    return Ticket.model_validate(ctx.short_term_memory.get('ticket'))\n")
    assert safety(body, tmp_path) == ["safe"]


@pytest.mark.parametrize("reader", [
    "    return ctx.short_term_memory.get(REQUEST_PATH)\n",  # used as it is
    "    return ctx.short_term_memory.get('request')\n",  # the object above the path
    "    return ctx.short_term_memory.get_fields()\n",  # everything
    "    return ctx.short_term_memory.get(ctx.path)\n",  # a path memlint cannot tell
    "    return UUID(ctx.short_term_memory.get(REQUEST_PATH)), ctx.short_term_memory.get(REQUEST_PATH).hex\n",
])
def test_unsafe_when_a_read_may_see_the_new_type(reader: str, tmp_path: Path) -> None:
    body = ("def save(ctx, event: ChatRequestEvent):\n"
            "    ctx.short_term_memory.set(REQUEST_PATH, event.id)\n\n\n"
            "def load(ctx):\n" + reader)
    assert safety(body, tmp_path) == ["unsafe"]


def test_unsafe_when_nothing_in_the_module_reads_the_path(tmp_path: Path) -> None:
    body = "def save(ctx, event: ChatRequestEvent):\n    ctx.short_term_memory.set('id', event.id)\n"
    assert safety(body, tmp_path) == ["unsafe"]


def test_unsafe_when_the_edit_is_outside_the_call(tmp_path: Path) -> None:
    body = ("def save(ctx, event: ChatRequestEvent):\n"
            "    state = {'id': event.id}\n"
            "    ctx.short_term_memory.set('state', state)\n\n\n"
            "def load(ctx):\n"
            "    return ctx.short_term_memory.get('state')\n")
    assert safety(body, tmp_path) == ["unsafe"]


def test_unsafe_when_only_part_of_the_value_is_converted(tmp_path: Path) -> None:
    body = ("def save(ctx, event: ChatRequestEvent):\n"
            "    ctx.short_term_memory.set('state', {'id': event.id})\n\n\n"
            "def load(ctx):\n"
            "    return UUID(ctx.short_term_memory.get('state'))\n")
    assert safety(body, tmp_path) == ["unsafe"]


# -- applying ------------------------------------------------------------------


def _diagnostic(start: tuple[int, int], end: tuple[int, int], content: str, line: int = 1) -> memlint.Diagnostic:
    from memlint.diagnostics import Diagnostic, Edit, Fix

    return Diagnostic("a.py", line, start[1], line, end[1], "MEM101", content,
                      fix=Fix("unsafe", content, (Edit(start[0], start[1], end[0], end[1], content),)))


def test_overlapping_fixes_wait_for_the_next_round() -> None:
    text = "abcdef\n"
    outer = _diagnostic((1, 1), (1, 5), "[abcd]")
    inner = _diagnostic((1, 2), (1, 3), "<b>")
    later = _diagnostic((1, 6), (1, 7), "F")
    for order in ([outer, inner, later], [later, inner, outer]):
        selection = select_fixes(text, order, unsafe=True)
        assert selection.fixed == [outer, later]
        assert apply_edits(text, selection.edits) == "[abcd]eF\n"
    assert select_fixes(text, [outer], unsafe=False).fixed == []


def test_identical_edits_of_two_diagnostics_apply_once() -> None:
    one, two = _diagnostic((1, 1), (1, 2), "X"), _diagnostic((1, 1), (1, 2), "X")
    selection = select_fixes("ab\n", [one, two], unsafe=True)
    assert selection.fixed == [one, two]
    assert apply_edits("ab\n", selection.edits) == "Xb\n"


def test_a_fix_that_breaks_the_syntax_is_not_applied(tmp_path: Path) -> None:
    text = "x = 1\n"
    broken = _diagnostic((1, 1), (1, 2), "x y")
    settings = Settings.from_config(Config())
    result = fix_text(str(tmp_path / "a.py"), text, settings, True, tmp_path / "a.py", diagnostics=[broken])
    assert result.text == text and result.fixed == []


def test_rounds_are_bounded_and_repeat_until_nothing_applies(tmp_path: Path) -> None:
    body = "def act(ctx, event: ChatResponseEvent):\n    ctx.sensory_memory.set('k', (event.request_id, 1))\n"
    settings = Settings.from_config(Config())
    path = tmp_path / "agent.py"
    one = fix_text(str(path), HEADER + body, settings, True, path, max_rounds=1)
    assert one.text.endswith("set('k', [event.request_id, 1])\n") and one.rounds == 1
    full = fix_text(str(path), HEADER + body, settings, True, path)
    assert full.text.endswith("set('k', [str(event.request_id), 1])\n")
    assert [d.code for d in full.fixed] == ["MEM104", "MEM101"] and full.remaining == []
