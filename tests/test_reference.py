"""The reference fix (flink-agents PR #828), run against the contract-enforcing runtime.

fixtures/reference/tool_call_context_unsafe.py stores ChatMessage models, a
UUID and an OutputSchema model in sensory memory; the normalized version
stores primitives and rebuilds the rich objects on read. Here both are run:
the contract must reject exactly the unsafe writes, accept every normalized
one, and a simulated checkpoint restore must give back equal rich objects.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator
from uuid import UUID

import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "reference"
UNSAFE = REFERENCE_DIR / "tool_call_context_unsafe.py"
NORMALIZED = REFERENCE_DIR / "tool_call_context_normalized.py"

MARKER = re.compile(r"#\s*expect:\s*(MEM\d{3}(?:\s*,\s*MEM\d{3})*)\s*$")

REQUEST_ID = UUID("1b4e28ba-2fa1-41d2-883f-0016d3cca427")
TOOL_REQUEST_ID = UUID("9c5b94b1-35ad-49bb-b118-8e8fc24abf80")


def marker_lines(path: Path) -> dict[int, set[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = {}
    for number, text in enumerate(lines, start=1):
        match = MARKER.search(text)
        if match:
            found[number] = {code.strip() for code in match.group(1).split(",")}
    return found


def set_call_lines(path: Path) -> set[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "set"
    }


def is_primitive(value: Any) -> bool:
    """Recursively exact primitives — written independently of memlint.contract."""
    if value is None or type(value) in (bool, int, float, str, bytes):
        return True
    if type(value) is list:
        return all(is_primitive(item) for item in value)
    if type(value) is dict:
        return all(type(k) is str and is_primitive(v) for k, v in value.items())
    return False


@pytest.fixture(scope="module")
def unsafe(import_fixture) -> Iterator[ModuleType]:
    with import_fixture(UNSAFE) as module:
        yield module


@pytest.fixture(scope="module")
def normalized(import_fixture) -> Iterator[ModuleType]:
    with import_fixture(NORMALIZED) as module:
        yield module


def _messages(module: ModuleType) -> tuple[list[Any], list[Any], list[Any]]:
    ChatMessage, MessageRole = module.ChatMessage, module.MessageRole
    initial = [
        ChatMessage(role=MessageRole.SYSTEM, content="You add numbers with tools."),
        ChatMessage(role=MessageRole.USER, content="What is 2 + 3?", extra_args={"lang": "en"}),
    ]
    added = [
        ChatMessage(
            role=MessageRole.ASSISTANT,
            tool_calls=[{"id": "call-1", "name": "add", "arguments": {"a": 2, "b": 3}}],
        )
    ]
    more = [ChatMessage(role=MessageRole.TOOL, content="5", extra_args={"external_id": "call-1"})]
    return initial, added, more


def _schema(module: ModuleType) -> Any:
    return module.OutputSchema(
        json_schema={
            "type": "object",
            "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
            "required": ["answer"],
        }
    )


# -- the unsafe version -------------------------------------------------------


def test_reference_files_have_the_expected_markers() -> None:
    markers = marker_lines(UNSAFE)
    tree = ast.parse(UNSAFE.read_text(encoding="utf-8"))
    by_function = {
        node.name: codes
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        for line, codes in markers.items()
        if node.lineno <= line <= node.end_lineno
    }
    assert by_function == {
        "_update_tool_call_context": {"MEM102"},
        "_save_tool_request_event_context": {"MEM101", "MEM102"},
    }
    assert set(markers) <= set_call_lines(UNSAFE)
    assert marker_lines(NORMALIZED) == {}


def test_contract_rejects_exactly_the_unsafe_writes(unsafe: ModuleType, runtime: ModuleType) -> None:
    ctx = runtime.FakeRunnerContext()
    unsafe.run_fixture(ctx)
    rejections = ctx.rejections
    assert all(Path(r.filename).resolve() == UNSAFE for r in rejections)
    assert {r.lineno for r in rejections} == set(marker_lines(UNSAFE))
    # Every set() call in the file ran (accepted or not).
    ran = {w.lineno for w in ctx.sensory_memory.writes + ctx.short_term_memory.writes}
    assert ran == set_call_lines(UNSAFE)
    # Nothing rejected was stored.
    assert "_TOOL_CALL_CONTEXT" not in ctx.sensory_memory.snapshot()


def test_unsafe_violations_name_the_rich_objects(unsafe: ModuleType, runtime: ModuleType) -> None:
    ctx = runtime.FakeRunnerContext()
    initial, added, _ = _messages(unsafe)
    unsafe._update_tool_call_context(ctx, REQUEST_ID, initial, added)
    unsafe._save_tool_request_event_context(
        ctx, TOOL_REQUEST_ID, REQUEST_ID, "qwen3:8b", {"temperature": 0.0}, _schema(unsafe)
    )
    first, second = ctx.sensory_memory.rejections
    key = f'["{REQUEST_ID}"]'
    assert [(v.location, v.type_name) for v in first.violations] == [
        (f"{key}[0]", "ChatMessage"),
        (f"{key}[1]", "ChatMessage"),
        (f"{key}[2]", "ChatMessage"),
    ]
    key = f'["{TOOL_REQUEST_ID}"]'
    assert [(v.location, v.type_name) for v in second.violations] == [
        (f'{key}["initial_request_id"]', "UUID"),
        (f'{key}["output_schema"]', "OutputSchema"),
    ]
    assert first.path == "_TOOL_CALL_CONTEXT"
    assert second.path == "_TOOL_REQUEST_EVENT_CONTEXT"


def test_flink_agents_031_raises_on_the_unsafe_writes(unsafe: ModuleType, runtime: ModuleType) -> None:
    memory = runtime.ContractMemory(raise_on_violation=True)
    ctx = runtime.FakeRunnerContext(sensory_memory=memory)
    initial, added, _ = _messages(unsafe)
    with pytest.raises(TypeError, match="ChatMessage"):
        unsafe._update_tool_call_context(ctx, REQUEST_ID, initial, added)
    with pytest.raises(TypeError, match="UUID"):
        unsafe._save_tool_request_event_context(ctx, TOOL_REQUEST_ID, REQUEST_ID, "m", {}, None)
    assert memory.snapshot() == {}


def test_unsafe_stored_state_cannot_be_checkpointed(unsafe: ModuleType, runtime: ModuleType) -> None:
    # flink-agents < 0.3.1 stores anything; the run works, the restore does not.
    sensory = runtime.ContractMemory(enforce=False)
    ctx = runtime.FakeRunnerContext(sensory_memory=sensory)
    unsafe.run_fixture(ctx)
    assert [type(e).__name__ for e in ctx.sent_events] == ["ToolRequestEvent", "ChatResponseEvent"]
    stored = sensory.snapshot()
    assert not is_primitive(stored)
    with pytest.raises(runtime.CheckpointError) as info:
        runtime.checkpoint_roundtrip(sensory)
    message = str(info.value)
    for type_name in ("ChatMessage", "UUID", "OutputSchema"):
        assert type_name in message
    assert isinstance(info.value, TypeError)
    # The int-only retry statistics checkpoint fine.
    restored = runtime.checkpoint_roundtrip(ctx.short_term_memory)
    assert restored.get("_CHAT_RETRY_STATS") == {"requests": 2, "retries": 1}


def test_checkpoint_refuses_objects_even_if_the_contract_missed_them(
    runtime: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The restore is an independent check: its unpickler refuses every class.
    memory = runtime.ContractMemory(enforce=False)
    memory.set("id", REQUEST_ID)
    monkeypatch.setattr(runtime, "check_value", lambda value, **kwargs: [])
    with pytest.raises(runtime.CheckpointError, match="uuid"):
        runtime.checkpoint_roundtrip(memory)


# -- the normalized version ---------------------------------------------------


def test_contract_accepts_every_normalized_write(normalized: ModuleType, runtime: ModuleType) -> None:
    ctx = runtime.FakeRunnerContext()
    normalized.run_fixture(ctx)
    assert ctx.rejections == []
    writes = ctx.sensory_memory.writes + ctx.short_term_memory.writes
    assert writes and all(w.accepted for w in writes)
    assert {w.lineno for w in writes} == set_call_lines(NORMALIZED)
    assert [type(e).__name__ for e in ctx.sent_events] == ["ToolRequestEvent", "ChatResponseEvent"]
    final = ctx.sent_events[-1]
    assert final.response.content == "The answer is 5."


def test_normalized_stored_form_is_recursively_primitive(normalized: ModuleType, runtime: ModuleType) -> None:
    ctx = runtime.FakeRunnerContext()
    normalized.run_fixture(ctx)
    initial, added, _ = _messages(normalized)
    normalized._update_tool_call_context(ctx, REQUEST_ID, initial, added)
    normalized._save_tool_request_event_context(
        ctx, TOOL_REQUEST_ID, REQUEST_ID, "qwen3:8b", {"temperature": 0.5}, _schema(normalized)
    )
    stored = {**ctx.sensory_memory.snapshot(), **ctx.short_term_memory.snapshot()}
    assert set(stored) == {"_TOOL_CALL_CONTEXT", "_TOOL_REQUEST_EVENT_CONTEXT", "_CHAT_RETRY_STATS"}
    for path, value in stored.items():
        assert is_primitive(value), (path, value)
    entry = stored["_TOOL_REQUEST_EVENT_CONTEXT"][str(TOOL_REQUEST_ID)]
    assert entry["initial_request_id"] == str(REQUEST_ID)
    assert entry["output_schema"] == _schema(normalized).model_dump()
    assert stored["_TOOL_CALL_CONTEXT"][str(REQUEST_ID)] == [
        m.model_dump(mode="json") for m in initial + added
    ]
    assert stored["_TOOL_CALL_CONTEXT"][str(REQUEST_ID)][1]["role"] == "user"


def test_why_mode_json_matters_for_chat_message_but_not_output_schema(normalized: ModuleType) -> None:
    # ChatMessage.role is a str Enum: a python-mode dump keeps the member.
    message = normalized.ChatMessage(role=normalized.MessageRole.USER, content="hi")
    assert not is_primitive(message.model_dump())
    assert is_primitive(message.model_dump(mode="json"))
    # OutputSchema's custom serializer returns primitives in python mode too.
    schema = _schema(normalized)
    assert is_primitive(schema.model_dump())
    assert normalized.OutputSchema.model_validate(schema.model_dump()) == schema


def test_round_trip_rebuilds_equal_rich_objects(normalized: ModuleType, runtime: ModuleType) -> None:
    ctx = runtime.FakeRunnerContext()
    initial, added, more = _messages(normalized)
    schema = _schema(normalized)
    prompt_args = {"temperature": 0.5, "stop": ["\n"], "seed": None}

    conversation = normalized._update_tool_call_context(ctx, REQUEST_ID, initial, added)
    assert conversation == initial + added
    normalized._save_tool_request_event_context(
        ctx, TOOL_REQUEST_ID, REQUEST_ID, "qwen3:8b", prompt_args, schema
    )
    other_id = UUID(int=42)
    normalized._save_tool_request_event_context(ctx, other_id, REQUEST_ID, "qwen3:8b", {}, None)

    restored = runtime.checkpoint_roundtrip(ctx.sensory_memory)
    assert restored is not ctx.sensory_memory
    assert restored.snapshot() == ctx.sensory_memory.snapshot()
    ctx = runtime.FakeRunnerContext(sensory_memory=restored)

    context = normalized._get_tool_request_event_context(ctx, TOOL_REQUEST_ID)
    assert context == {
        "initial_request_id": REQUEST_ID,
        "model": "qwen3:8b",
        "prompt_args": prompt_args,
        "output_schema": schema,
    }
    assert type(context["initial_request_id"]) is UUID
    assert type(context["output_schema"]) is normalized.OutputSchema
    # Taken out of memory: a second read finds nothing.
    assert normalized._get_tool_request_event_context(ctx, TOOL_REQUEST_ID) is None
    other = normalized._get_tool_request_event_context(ctx, other_id)
    assert other is not None and other["output_schema"] is None
    assert other["initial_request_id"] == REQUEST_ID

    conversation = normalized._update_tool_call_context(
        ctx, context["initial_request_id"], [], more
    )
    assert conversation == initial + added + more
    assert all(type(m) is normalized.ChatMessage for m in conversation)
    assert conversation[1].role is normalized.MessageRole.USER
    assert ctx.rejections == []

    # And once more across another restore.
    again = runtime.checkpoint_roundtrip(ctx.sensory_memory)
    ctx = runtime.FakeRunnerContext(sensory_memory=again)
    assert normalized._update_tool_call_context(ctx, REQUEST_ID, [], []) == initial + added + more


def test_action_continues_across_a_checkpoint(normalized: ModuleType, runtime: ModuleType) -> None:
    ctx = runtime.FakeRunnerContext()
    initial, _, _ = _messages(normalized)
    request = normalized.ChatRequestEvent(
        model="qwen3:8b", messages=initial, prompt_args={}, output_schema=_schema(normalized)
    )
    normalized.process_chat_request_or_tool_response(request, ctx)
    (tool_request,) = ctx.sent_events

    ctx = runtime.FakeRunnerContext(
        sensory_memory=runtime.checkpoint_roundtrip(ctx.sensory_memory),
        short_term_memory=runtime.checkpoint_roundtrip(ctx.short_term_memory),
    )
    call_id = UUID(int=7)
    response = normalized.ToolResponseEvent(
        request_id=tool_request.id, responses={call_id: 5}, external_ids={call_id: "call-1"}
    )
    normalized.process_chat_request_or_tool_response(response, ctx)
    (answer,) = ctx.sent_events
    assert answer.request_id == request.id
    assert answer.response.content == "The answer is 5."
    assert ctx.rejections == []


# -- the runtime stand-in itself ----------------------------------------------


def test_contract_memory_basics(runtime: ModuleType) -> None:
    memory = runtime.ContractMemory()
    ref = memory.set("a", {"b": [1, "x"]})
    assert ref.path == "a" and ref.memory_type is memory.memory_type
    value = memory.get("a")
    assert value == {"b": [1, "x"]}
    value["b"].append(2)  # a read is a copy, as across Pemja
    assert memory.get("a") == {"b": [1, "x"]}
    assert memory.get(ref) == {"b": [1, "x"]}
    assert memory.get("missing") is None and not memory.is_exist("missing")

    nested = memory.new_object("user")
    nested.set("name", "ada")
    assert memory.is_exist("user") and memory.is_exist("user.name")
    assert memory.get("user").get("name") == "ada"
    assert memory.get("user.name") == "ada"
    # A MemoryObject is not a value.
    assert memory.set("copy", nested) is None
    (rejection,) = memory.rejections
    assert rejection.path == "copy" and "new_object" in rejection.violations[0].reason
    assert Path(rejection.filename).resolve() == Path(__file__).resolve()
    assert not memory.is_exist("copy")


def test_rejection_records_the_caller_line(runtime: ModuleType) -> None:
    memory = runtime.ContractMemory(runtime.MemoryType.SHORT_TERM)
    line = __import__("inspect").currentframe().f_lineno + 1
    memory.set("id", REQUEST_ID)
    (rejection,) = memory.rejections
    assert rejection.lineno == line
    assert [(v.location, v.type_name) for v in rejection.violations] == [("", "UUID")]


def test_checkpoint_keeps_bytes_bools_and_nested_objects(runtime: ModuleType) -> None:
    memory = runtime.ContractMemory(runtime.MemoryType.SHORT_TERM)
    memory.set("blob", b"\x00\xff")
    memory.set("flags", [True, 1, 1.0, None])
    memory.new_object("obj").set("k", {"v": "x"})
    restored = runtime.checkpoint_roundtrip(memory)
    assert restored.memory_type is runtime.MemoryType.SHORT_TERM
    assert restored.get("blob") == b"\x00\xff"
    flags = restored.get("flags")
    assert flags == [True, 1, 1.0, None] and [type(f) for f in flags] == [bool, int, float, type(None)]
    assert restored.get("obj").get("k") == {"v": "x"}
