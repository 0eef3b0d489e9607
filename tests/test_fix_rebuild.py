"""The read side of a fix (issue 3 §2): reads of a converted path rebuild the rich value.

Each case fixes a small module with `--unsafe-fixes`, checks the text, and
runs it against the contract-enforcing runtime: what the reader gets back
after a checkpoint equals what was stored before the fix.
"""
from __future__ import annotations

import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID, uuid4

import pytest

import memlint
from memlint.fix import fix_text
from memlint.config import Config
from memlint.engine import Settings

SETTINGS = Settings.from_config(Config())

MODULE = textwrap.dedent('''\
    from typing import Optional

    from flink_agents.api.chat_message import ChatMessage
    from flink_agents.api.events.chat_event import ChatResponseEvent
    from flink_agents.api.runner_context import RunnerContext

    RESPONSE = "last.response"


    def save(event: ChatResponseEvent, ctx: RunnerContext) -> None:
        ctx.short_term_memory.set("last.request_id", event.request_id)
        ctx.short_term_memory.set(RESPONSE, event.response)
        ctx.short_term_memory.set("last.role", event.response.role)


    def load_request_id(ctx: RunnerContext) -> Optional[UUID]:
        return ctx.short_term_memory.get("last.request_id")


    def load_content(ctx: RunnerContext) -> str:
        return ctx.short_term_memory.get(RESPONSE).content


    def load_role(ctx: RunnerContext):
        role: MessageRole = ctx.short_term_memory.get("last.role")
        return role
''')

FIXED = textwrap.dedent('''\
    from typing import Optional

    from flink_agents.api.chat_message import ChatMessage, MessageRole
    from flink_agents.api.events.chat_event import ChatResponseEvent
    from flink_agents.api.runner_context import RunnerContext
    from uuid import UUID

    RESPONSE = "last.response"


    def save(event: ChatResponseEvent, ctx: RunnerContext) -> None:
        ctx.short_term_memory.set("last.request_id", str(event.request_id))
        ctx.short_term_memory.set(RESPONSE, event.response.model_dump(mode="json"))
        ctx.short_term_memory.set("last.role", event.response.role.value)


    def load_request_id(ctx: RunnerContext) -> Optional[UUID]:
        stored = ctx.short_term_memory.get("last.request_id")
        return UUID(stored) if stored is not None else None


    def load_content(ctx: RunnerContext) -> str:
        return ChatMessage.model_validate(ctx.short_term_memory.get(RESPONSE)).content


    def load_role(ctx: RunnerContext):
        role: MessageRole = MessageRole(ctx.short_term_memory.get("last.role"))
        return role
''')


def fixed(text: str, tmp_path: Path) -> str:
    path = tmp_path / "agent.py"
    return fix_text(str(path), text, SETTINGS, True, path).text


def test_reads_used_as_the_rich_type_are_rebuilt(tmp_path: Path) -> None:
    # (The module uses MessageRole and UUID in annotations without importing
    # them; the rebuild needs them at run time, so the fix imports them.)
    assert fixed(MODULE, tmp_path) == FIXED
    assert memlint.lint_source(FIXED, str(tmp_path / "agent.py")) == []


def test_each_fix_carries_the_read_it_needs(tmp_path: Path) -> None:
    found = memlint.lint_source(MODULE, str(tmp_path / "agent.py"))
    assert [d.code for d in found] == ["MEM101", "MEM102", "MEM103"]
    uuid_fix, model_fix, enum_fix = (d.fix for d in found)
    assert uuid_fix.message.endswith("and rebuild it where it is read (1 read)")
    assert [e.content for e in uuid_fix.edits][-1] == "from uuid import UUID\n"
    assert [e.content for e in model_fix.edits][1] == \
        'ChatMessage.model_validate(ctx.short_term_memory.get(RESPONSE))'
    assert [e.content for e in enum_fix.edits][-1] == ", MessageRole"
    assert all(d.fix.applicability == "unsafe" for d in found)


def test_the_fixed_readers_get_equal_rich_values_after_a_checkpoint(
    tmp_path: Path, import_fixture: Any, runtime: ModuleType
) -> None:
    path = tmp_path / "agent_fixed.py"
    path.write_text(fixed(MODULE, tmp_path), encoding="utf-8")
    from flink_agents.api.chat_message import ChatMessage, MessageRole
    from flink_agents.api.events.chat_event import ChatResponseEvent

    response = ChatMessage(role=MessageRole.ASSISTANT, content="done")
    event = ChatResponseEvent(request_id=uuid4(), response=response)
    with import_fixture(path) as module:
        ctx = runtime.FakeRunnerContext()
        assert module.load_request_id(ctx) is None  # nothing stored yet: still None
        module.save(event, ctx)
        assert ctx.rejections == []
        ctx = runtime.FakeRunnerContext(short_term_memory=runtime.checkpoint_roundtrip(ctx.short_term_memory))
        assert module.load_request_id(ctx) == event.request_id
        assert type(module.load_request_id(ctx)) is UUID
        assert module.load_content(ctx) == "done"
        assert module.load_role(ctx) is MessageRole.ASSISTANT


def test_a_read_memlint_cannot_rewrite_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    text = textwrap.dedent('''\
        from flink_agents.api.events.chat_event import ChatResponseEvent


        def save(event: ChatResponseEvent, ctx) -> None:
            ctx.short_term_memory.set("id", event.request_id)


        def show(ctx) -> None:
            print(ctx.short_term_memory.get("id"))
    ''')
    (diagnostic,) = memlint.lint_source(text, str(tmp_path / "agent.py"))
    assert diagnostic.fix is not None and len(diagnostic.fix.edits) == 1
    assert diagnostic.fix.message.endswith("rebuild it by hand where it is read: line 9")
    assert diagnostic.message.endswith("; with the fix, rebuild it by hand where it is read: line 9")

    from memlint.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "agent.py").write_text(text, encoding="utf-8")
    assert main(["check", "--diff", "--unsafe-fixes", "agent.py"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [
        "# memlint: agent.py:5: MEM101: rebuild it by hand where it is read: line 9",
        "--- agent.py",
    ]


def test_reads_that_already_rebuild_make_the_fix_safe_and_need_no_edit(tmp_path: Path) -> None:
    text = textwrap.dedent('''\
        from uuid import UUID

        from flink_agents.api.events.chat_event import ChatResponseEvent


        def save(event: ChatResponseEvent, ctx) -> None:
            ctx.short_term_memory.set("id", event.request_id)


        def load(ctx) -> UUID:
            return UUID(ctx.short_term_memory.get("id"))
    ''')
    (diagnostic,) = memlint.lint_source(text, str(tmp_path / "agent.py"))
    assert diagnostic.fix.applicability == "safe"
    assert [e.content for e in diagnostic.fix.edits] == ["str(event.request_id)"]


def test_entries_of_a_read_modify_write_dict_are_rebuilt(tmp_path: Path, import_fixture: Any,
                                                         runtime: ModuleType) -> None:
    text = textwrap.dedent('''\
        from typing import Any, Dict, List, Optional
        from uuid import UUID

        from flink_agents.api.chat_message import ChatMessage

        PENDING = "pending"
        HISTORY = "history"


        def remember(ctx, request_id: UUID, owner: UUID, message: ChatMessage) -> List[ChatMessage]:
            pending = ctx.sensory_memory.get(PENDING) or {}
            pending[str(request_id)] = {"owner": owner, "note": "open"}
            ctx.sensory_memory.set(PENDING, pending)
            history = ctx.sensory_memory.get(HISTORY) or {}
            history.setdefault("x", None)
            key = str(owner)
            if key not in history:
                history[key] = []
            history[key].append(message)
            ctx.sensory_memory.set(HISTORY, history)
            return history[key]


        def take(ctx, request_id: UUID) -> Optional[Dict[str, Any]]:
            pending = ctx.sensory_memory.get(PENDING) or {}
            entry = pending.pop(str(request_id), None)
            ctx.sensory_memory.set(PENDING, pending)
            return entry
    ''')
    result = fixed(text, tmp_path)
    assert 'pending[str(request_id)] = {"owner": str(owner), "note": "open"}' in result
    assert "return None if entry is None else {\n        **entry,\n        \"owner\": UUID(entry[\"owner\"]),\n    }" \
        in result
    # history.setdefault(...) is a use memlint does not know: that read is left to the user.
    assert 'history[key].append(message.model_dump(mode="json"))' in result
    assert "return history[key]" in result
    path = tmp_path / "entries.py"
    path.write_text(result, encoding="utf-8")
    from flink_agents.api.chat_message import ChatMessage, MessageRole

    owner, request = uuid4(), uuid4()
    with import_fixture(path) as module:
        ctx = runtime.FakeRunnerContext()
        module.remember(ctx, request, owner, ChatMessage(role=MessageRole.USER, content="hi"))
        assert ctx.rejections == []
        ctx = runtime.FakeRunnerContext(sensory_memory=runtime.checkpoint_roundtrip(ctx.sensory_memory))
        assert module.take(ctx, request) == {"owner": owner, "note": "open"}
        assert module.take(ctx, request) is None


def test_a_dict_read_with_the_same_key_is_not_a_memory_read(tmp_path: Path) -> None:
    text = textwrap.dedent('''\
        from uuid import UUID

        from flink_agents.api.events.chat_event import ChatResponseEvent
        from flink_agents.api.memory_object import MemoryObject


        def save(event: ChatResponseEvent, memory: MemoryObject) -> None:
            memory.set("id", event.request_id)


        def from_settings(settings: dict) -> UUID:
            return settings.get("id")


        def from_memory(memory: MemoryObject) -> UUID:
            return memory.get("id")
    ''')
    result = fixed(text, tmp_path)
    assert 'return settings.get("id")' in result
    assert 'return UUID(memory.get("id"))' in result
