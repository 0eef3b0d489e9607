"""Issue 3 §5: memlint reproduces the reference fix (flink-agents PR #828) by itself.

`memlint check --fix --unsafe-fixes` on a copy of the unsafe chat-model
tool-call module must give a module that lints clean, passes the runtime
contract, and round-trips through a simulated checkpoint rebuilding equal
ChatMessage, UUID and OutputSchema objects — the same checks the
hand-written normalized version passes (tests/test_reference.py).
"""
from __future__ import annotations

import shutil
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import pytest

import memlint
import test_reference as reference
from fixed_outputs import run_fix

UNSAFE = reference.UNSAFE


@pytest.fixture(scope="module")
def fixed_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("reference")
    path = directory / "tool_call_context_fixed.py"
    shutil.copy(UNSAFE, path)
    code, out, err = run_fix([str(path)])
    assert (code, err) == (0, ""), out
    assert out == "Fixed 3 errors.\n"  # line 42: one MEM102 with both origins related (issue 10 item 5)
    return path


@pytest.fixture(scope="module")
def fixed(fixed_path: Path, import_fixture: Any) -> Iterator[ModuleType]:
    with import_fixture(fixed_path) as module:
        yield module


def test_fixed_module_lints_clean_and_keeps_every_signature(fixed_path: Path) -> None:
    import ast

    assert memlint.lint_paths([fixed_path]) == []
    signatures = {}
    for path in (UNSAFE, fixed_path):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        signatures[path] = [
            (n.name, ast.dump(n.args), ast.dump(n.returns) if n.returns else None)
            for n in tree.body if isinstance(n, ast.FunctionDef)
        ]
    assert signatures[UNSAFE] == signatures[fixed_path]


def test_fixed_module_is_what_the_reference_fix_did(fixed_path: Path) -> None:
    text = fixed_path.read_text(encoding="utf-8")
    # messages stored dumped and rebuilt with model_validate
    assert 'tool_call_context[key] = [m.model_dump(mode="json") for m in initial_messages]' in text
    assert 'tool_call_context[key].extend([m.model_dump(mode="json") for m in added_messages])' in text
    assert "return [ChatMessage.model_validate(m) for m in tool_call_context[key]]" in text
    # the request id stored as str, rebuilt with UUID(...); the schema dumped (None-guarded) and validated
    assert '"initial_request_id": str(initial_request_id),' in text
    assert '"initial_request_id": UUID(context["initial_request_id"]),' in text
    assert "OutputSchema.model_validate(context[\"output_schema\"]) if context[\"output_schema\"] is not None" in text
    # the retry statistics (ints only) are left alone, and copy is no longer needed
    assert "stats = ctx.short_term_memory.get(_CHAT_RETRY_STATS)" in text
    assert "import copy" not in text


def test_contract_accepts_every_write_of_the_fixed_module(fixed: ModuleType, runtime: ModuleType) -> None:
    ctx = runtime.FakeRunnerContext()
    fixed.run_fixture(ctx)
    assert ctx.rejections == []
    writes = ctx.sensory_memory.writes + ctx.short_term_memory.writes
    assert writes and all(w.accepted for w in writes)
    assert [type(e).__name__ for e in ctx.sent_events] == ["ToolRequestEvent", "ChatResponseEvent"]
    assert ctx.sent_events[-1].response.content == "The answer is 5."


def test_fixed_stored_form_is_recursively_primitive(fixed: ModuleType, runtime: ModuleType) -> None:
    reference.test_normalized_stored_form_is_recursively_primitive(fixed, runtime)


def test_fixed_round_trip_rebuilds_equal_rich_objects(fixed: ModuleType, runtime: ModuleType) -> None:
    reference.test_round_trip_rebuilds_equal_rich_objects(fixed, runtime)


def test_fixed_action_continues_across_a_checkpoint(fixed: ModuleType, runtime: ModuleType) -> None:
    reference.test_action_continues_across_a_checkpoint(fixed, runtime)


def test_fixing_the_fixed_module_changes_nothing(fixed_path: Path) -> None:
    before = fixed_path.read_bytes()
    assert run_fix([str(fixed_path)]) == (0, "All checks passed!\n", "")
    assert fixed_path.read_bytes() == before
