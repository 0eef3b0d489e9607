"""Engine cases: one small agent module per case, checked with `memlint.lint_source`.

Each case states, from DESIGN.md / issue 2 / FLINK_AGENTS.md, which `set()`
call is flagged, with which code, at which position (the unsafe part of the
value when it is written in the call, the value argument when the unsafe value
entered a container earlier), that the message names the type and the literal
memory path, and — for container entry — that `related` points at the line
where the unsafe value entered the container.

Expected positions are computed from the source text of the case (the line
holding an anchor, the column of a needle on it), never copied from memlint's
output.
"""
from __future__ import annotations

import re

import textwrap
from pathlib import Path
from typing import Iterable, Optional

import pytest

import memlint


# --------------------------------------------------------------------- helpers


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def at(source: str, anchor: str, needle: Optional[str] = None) -> tuple[int, int]:
    """(1-based line, 1-based column) of `needle` on the one line holding
    `anchor`; a `|` in the needle marks the column inside it."""
    # Python's own line breaks only (str.splitlines would also break at a form feed).
    hits = [(n, line) for n, line in enumerate(re.split(r"\r\n|\r|\n", source), start=1) if anchor in line]
    assert len(hits) == 1, f"anchor {anchor!r} must be on exactly one line, found {len(hits)}"
    number, line = hits[0]
    needle = anchor if needle is None else needle
    offset = max(needle.find("|"), 0)
    needle = needle.replace("|", "")
    assert line.count(needle) == 1, f"needle {needle!r} must occur once on line {number}: {line!r}"
    return number, line.index(needle) + offset + 1


def line_of(source: str, anchor: str) -> int:
    return at(source, anchor)[0]


def lint(source: str, path: str = "agent.py") -> list[memlint.Diagnostic]:
    return memlint.lint_source(source, path=path)


def summary(diagnostics: Iterable[memlint.Diagnostic]) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.column) for d in diagnostics]


def assert_one(
    source: str,
    code: str,
    anchor: str,
    needle: str,
    words: Iterable[str],
    *,
    related_at: Optional[str] = None,
    path: str = "agent.py",
    diagnostics: Optional[list[memlint.Diagnostic]] = None,
) -> memlint.Diagnostic:
    """Exactly one diagnostic: `code` at `needle` on the line of `anchor`,
    its message holding every word of `words`; with `related_at`, a related
    location on the line holding that anchor."""
    found = lint(source, path) if diagnostics is None else diagnostics
    line, column = at(source, anchor, needle)
    assert summary(found) == [(code, line, column)], [
        (d.code, d.line, d.column, d.message) for d in found
    ]
    diagnostic = found[0]
    for word in words:
        assert word in diagnostic.message, f"{word!r} not in message {diagnostic.message!r}"
    if related_at is not None:
        related_line = line_of(source, related_at)
        assert any(r.line == related_line for r in diagnostic.related), (
            f"no related location on line {related_line}: {diagnostic.related}"
        )
        for r in diagnostic.related:
            assert r.path == diagnostic.path
            assert r.column >= 1 and r.message
    return diagnostic


def assert_clean(source: str, path: str = "agent.py") -> None:
    found = lint(source, path)
    assert found == [], [(d.code, d.line, d.column, d.message) for d in found]


# ------------------------------------------------------- the shape of a write


def test_positional_set_uuid() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            ctx.short_term_memory.set("request_id", uuid4())
    ''')
    d = assert_one(source, "MEM101", ".set(", "uuid4()", ["UUID", '"request_id"'])
    assert d.end_line == d.line and d.end_column > d.column


@pytest.mark.parametrize("call", [
    'ctx.short_term_memory.set(path="request_id", value=uuid4())',
    'ctx.short_term_memory.set(value=uuid4(), path="request_id")',
    'ctx.short_term_memory.set("request_id", value=uuid4())',
], ids=["path-value", "value-path", "positional-path"])
def test_keyword_set_uuid(call: str) -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            CALL
    ''').replace("CALL", call)
    assert_one(source, "MEM101", ".set(", "uuid4()", ["UUID", '"request_id"'])


def test_sensory_memory_write() -> None:
    source = src('''
        from uuid import uuid4


        def remember(event, ctx):
            ctx.sensory_memory.set("request_id", uuid4())
    ''')
    assert_one(source, "MEM101", ".set(", "uuid4()", ["UUID", '"request_id"'])


def test_unsafe_item_inside_list_and_dict_literals() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            ctx.short_term_memory.set("ids", ["first", uuid4()])
            ctx.short_term_memory.set("by_name", {"name": "ana", "id": uuid4()})
    ''')
    found = lint(source)
    assert summary(found) == [
        ("MEM101", *at(source, '"ids"', "uuid4()")),
        ("MEM101", *at(source, '"by_name"', "uuid4()")),
    ]
    assert '"ids"' in found[0].message and '"by_name"' in found[1].message
    assert all("UUID" in d.message for d in found)


def test_non_str_keys_and_tuple() -> None:
    source = src('''
        from uuid import UUID

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, request_id: UUID, names: list[str]) -> None:
            ctx.short_term_memory.set("by_id", {request_id: "pending"})
            ctx.short_term_memory.set("pair", frozenset(names))
            ctx.short_term_memory.set("by_pos", {1: "a"})
    ''')
    found = lint(source)
    assert summary(found) == [
        ("MEM105", *at(source, '"by_id"', "{|request_id")),  # the unsafe part: the key
        ("MEM104", *at(source, '"pair"', "frozenset(names)")),
        ("MEM105", *at(source, '"by_pos"', "{|1:")),
    ]
    assert '"by_id"' in found[0].message and "UUID" in found[0].message
    assert '"pair"' in found[1].message and "frozenset" in found[1].message
    assert '"by_pos"' in found[2].message and "int" in found[2].message


def test_module_constant_path() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext

        REQUEST_ID_PATH = "session.request_id"


        def remember(ctx: RunnerContext) -> None:
            ctx.short_term_memory.set(REQUEST_ID_PATH, uuid4())
    ''')
    assert_one(source, "MEM101", ".set(", "uuid4()", ["UUID", '"session.request_id"'])


# --------------------------------------------------------------- annotations


@pytest.mark.parametrize("annotation, imports", [
    ("Optional[UUID]", "from typing import Optional\n"),
    ("UUID | None", ""),
    ("Union[UUID, None]", "from typing import Union\n"),
    ("None | UUID", ""),
])
def test_optional_uuid_parameter(annotation: str, imports: str) -> None:
    source = imports + src('''
        from uuid import UUID

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, request_id: ANNOTATION) -> None:
            ctx.short_term_memory.set("request_id", request_id)
    ''').replace("ANNOTATION", annotation)
    assert_one(source, "MEM101", ".set(", "request_id)", ["UUID", '"request_id"'])


@pytest.mark.parametrize("annotation, imports", [
    ("List[UUID]", "from typing import List\n"),
    ("list[UUID]", ""),
])
def test_list_of_uuid_parameter(annotation: str, imports: str) -> None:
    source = imports + src('''
        from uuid import UUID

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, seen: ANNOTATION) -> None:
            ctx.short_term_memory.set("seen_ids", seen)
    ''').replace("ANNOTATION", annotation)
    assert_one(source, "MEM101", ".set(", "seen)", ["UUID", '"seen_ids"'])


def test_future_annotations_and_string_annotation() -> None:
    source = src('''
        from __future__ import annotations

        from uuid import UUID

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: "RunnerContext", request_id: "UUID") -> None:
            ctx.short_term_memory.set("request_id", request_id)
    ''')
    assert_one(source, "MEM101", ".set(", "request_id)", ["UUID", '"request_id"'])


def test_type_checking_import() -> None:
    source = src('''
        from __future__ import annotations

        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from uuid import UUID

            from flink_agents.api.memory_object import MemoryObject


        def remember(memory: MemoryObject, request_id: UUID) -> None:
            memory.set("request_id", request_id)
    ''')
    assert_one(source, "MEM101", ".set(", "request_id)", ["UUID", '"request_id"'])


@pytest.mark.parametrize("imports, annotation", [
    ("from flink_agents.api.memory_object import MemoryObject as Memory", "Memory"),
    ("import flink_agents.api.memory_object as mo", "mo.MemoryObject"),
    ("from flink_agents.api import memory_object", "memory_object.MemoryObject"),
], ids=["from-as", "import-as", "module-attribute"])
def test_aliased_memory_object_import(imports: str, annotation: str) -> None:
    source = src('''
        from uuid import uuid4

        IMPORTS


        def remember(store: ANNOTATION) -> None:
            store.set("request_id", uuid4())
    ''').replace("IMPORTS", imports).replace("ANNOTATION", annotation)
    assert_one(source, "MEM101", ".set(", "uuid4()", ["UUID", '"request_id"'])


def test_new_object_result_is_memory() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            session = ctx.short_term_memory.new_object("session")
            session.set("request_id", uuid4())
    ''')
    assert_one(source, "MEM101", "session.set(", "uuid4()", ["UUID", '"request_id"'])


def test_new_object_of_annotated_memory_object() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.memory_object import MemoryObject


        def remember(memory: MemoryObject) -> None:
            memory.new_object("session").set("request_id", uuid4())
    ''')
    assert_one(source, "MEM101", ".set(", "uuid4()", ["UUID", '"request_id"'])


def test_memory_object_stored_in_memory_is_mem107() -> None:
    source = src('''
        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            session = ctx.short_term_memory.new_object("session")
            ctx.short_term_memory.set("alias", session)
    ''')
    assert_one(source, "MEM107", '"alias"', "session)", ['"alias"'])


# ------------------------------------------------------------------ data flow


def test_copy_deepcopy_keeps_the_kind() -> None:
    source = src('''
        import copy
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            request_id = uuid4()
            snapshot = copy.deepcopy(request_id)
            ctx.short_term_memory.set("request_id", snapshot)
    ''')
    assert_one(source, "MEM101", ".set(", "snapshot)", ["UUID", '"request_id"'])


def test_or_default_dict_then_subscript_assignment() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            pending = ctx.sensory_memory.get("pending") or {}
            pending["request_id"] = uuid4()
            ctx.sensory_memory.set("pending", pending)
    ''')
    assert_one(source, "MEM101", ".set(", "pending)", ["UUID", '"pending"'],
               related_at='pending["request_id"] = uuid4()')


def test_or_default_keeps_the_unsafe_side() -> None:
    source = src('''
        from typing import Optional
        from uuid import UUID

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, seen: Optional[list[UUID]]) -> None:
            ids = seen or []
            ctx.short_term_memory.set("seen_ids", ids)
    ''')
    assert_one(source, "MEM101", ".set(", "ids)", ["UUID", '"seen_ids"'])


def test_conditional_expression_with_one_unsafe_side() -> None:
    source = src('''
        from uuid import UUID

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, request_id: UUID, as_text: bool) -> None:
            ctx.short_term_memory.set("request_id", str(request_id) if as_text else request_id)
    ''')
    assert_one(source, "MEM101", ".set(", "else |request_id", ["UUID", '"request_id"'])


def test_conditional_expression_through_variable() -> None:
    source = src('''
        from uuid import UUID

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, request_id: UUID, as_text: bool) -> None:
            stored = str(request_id) if as_text else request_id
            ctx.short_term_memory.set("request_id", stored)
    ''')
    assert_one(source, "MEM101", ".set(", "stored)", ["UUID", '"request_id"'])


def test_conditional_expression_both_sides_safe() -> None:
    assert_clean(src('''
        from typing import Optional
        from uuid import UUID

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, request_id: Optional[UUID]) -> None:
            ctx.short_term_memory.set("request_id", str(request_id) if request_id is not None else None)
    '''))


def test_dict_update_puts_the_value_in() -> None:
    source = src('''
        from uuid import UUID

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, request_id: UUID) -> None:
            context = {"model": "qwen"}
            context.update({"request_id": request_id})
            ctx.sensory_memory.set("tool_context", context)
    ''')
    assert_one(source, "MEM101", ".set(", "context)", ["UUID", '"tool_context"'],
               related_at="context.update(")


def test_list_insert_puts_the_value_in() -> None:
    source = src('''
        from uuid import UUID

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, request_id: UUID) -> None:
            recent = ["first"]
            recent.insert(0, request_id)
            ctx.short_term_memory.set("recent", recent)
    ''')
    assert_one(source, "MEM101", ".set(", "recent)", ["UUID", '"recent"'],
               related_at="recent.insert(")


def test_list_append_puts_the_value_in() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            ids = []
            ids.append(uuid4())
            ctx.short_term_memory.set("ids", ids)
    ''')
    assert_one(source, "MEM101", ".set(", "ids)", ["UUID", '"ids"'], related_at="ids.append(")


def test_subscript_extend_with_chat_messages() -> None:
    source = src('''
        from flink_agents.api.chat_message import ChatMessage
        from flink_agents.api.runner_context import RunnerContext


        def update(ctx: RunnerContext, key: str, msgs: list[ChatMessage]) -> None:
            contexts = {key: []}
            contexts[key].extend(msgs)
            ctx.sensory_memory.set("tool_call_context", contexts)
    ''')
    assert_one(source, "MEM102", ".set(", "contexts)", ["ChatMessage", '"tool_call_context"'],
               related_at="contexts[key].extend(msgs)")


def test_setdefault_append() -> None:
    source = src('''
        from uuid import UUID

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, user: str, request_id: UUID) -> None:
            by_user: dict = {}
            by_user.setdefault(user, []).append(request_id)
            ctx.short_term_memory.set("by_user", by_user)
    ''')
    assert_one(source, "MEM101", ".set(", "by_user)", ["UUID", '"by_user"'],
               related_at=".setdefault(")


def test_branch_unsafe_on_one_path_is_unsafe() -> None:
    source = src('''
        from uuid import UUID

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, request_id: UUID, as_text: bool) -> None:
            if as_text:
                stored = str(request_id)
            else:
                stored = request_id
            ctx.short_term_memory.set("request_id", stored)
    ''')
    assert_one(source, "MEM101", ".set(", "stored)", ["UUID", '"request_id"'])


def test_memory_bound_to_a_local_name() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            memory = ctx.short_term_memory
            memory.set("request_id", uuid4())
    ''')
    assert_one(source, "MEM101", "memory.set(", "uuid4()", ["UUID", '"request_id"'])


# ---------------------------------------------------------------------- enums


ENUM_MODULE = src('''
    from enum import Enum

    from flink_agents.api.runner_context import RunnerContext


    class Priority(Enum):
        LOW = "low"
        HIGH = "high"


    def remember(ctx: RunnerContext, priority: Priority) -> None:
        WRITE
''')


@pytest.mark.parametrize("value", ["priority.value", "priority.name", "Priority.HIGH.value",
                                   "Priority.HIGH.name"])
def test_enum_value_and_name_are_safe(value: str) -> None:
    assert_clean(ENUM_MODULE.replace("WRITE", f'ctx.short_term_memory.set("priority", {value})'))


@pytest.mark.parametrize("value", ["priority", "Priority.HIGH"])
def test_enum_member_is_mem103(value: str) -> None:
    source = ENUM_MODULE.replace("WRITE", f'ctx.short_term_memory.set("priority", {value})')
    assert_one(source, "MEM103", ".set(", value + ")", ["Priority", '"priority"'])


def test_str_enum_member_is_mem103() -> None:
    source = src('''
        from flink_agents.api.chat_message import MessageRole
        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            ctx.short_term_memory.set("role", MessageRole.ASSISTANT)
            ctx.short_term_memory.set("role_value", MessageRole.ASSISTANT.value)
    ''')
    assert_one(source, "MEM103", '"role"', "MessageRole.ASSISTANT", ["MessageRole", '"role"'])


# ---------------------------------------------------------------------- MEM201


def test_chat_message_model_dump_is_mem201() -> None:
    source = src('''
        from flink_agents.api.chat_message import ChatMessage
        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, msg: ChatMessage) -> None:
            ctx.short_term_memory.set("last", msg.model_dump())
    ''')
    assert_one(source, "MEM201", ".set(", "msg.model_dump()", ["ChatMessage", '"last"'])


def test_chat_message_model_dump_json_mode_is_safe() -> None:
    assert_clean(src('''
        from flink_agents.api.chat_message import ChatMessage
        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, msg: ChatMessage, history: list[ChatMessage]) -> None:
            ctx.short_term_memory.set("last", msg.model_dump(mode="json"))
            ctx.short_term_memory.set("history", [m.model_dump(mode="json") for m in history])
    '''))


def test_primitive_model_model_dump_is_safe() -> None:
    assert_clean(src('''
        from pydantic import BaseModel

        from flink_agents.api.runner_context import RunnerContext


        class RetryStats(BaseModel):
            attempts: int
            last_error: str | None = None
            delays: list[float] = []
            labels: dict[str, str] = {}


        def remember(ctx: RunnerContext, stats: RetryStats) -> None:
            ctx.sensory_memory.set("retry", stats.model_dump())
    '''))


def test_custom_model_serializer_model_dump_is_safe() -> None:
    assert_clean(src('''
        from uuid import UUID

        from pydantic import BaseModel, model_serializer

        from flink_agents.api.agents.types import OutputSchema
        from flink_agents.api.runner_context import RunnerContext


        class Lead(BaseModel):
            id: UUID
            email: str

            @model_serializer
            def _primitives(self) -> dict[str, str]:
                return {"id": str(self.id), "email": self.email}


        def remember(ctx: RunnerContext, lead: Lead, schema: OutputSchema) -> None:
            ctx.sensory_memory.set("lead", lead.model_dump())
            ctx.sensory_memory.set("schema", schema.model_dump())
    '''))


def test_user_model_with_uuid_field_model_dump_is_mem201() -> None:
    source = src('''
        from uuid import UUID

        from pydantic import BaseModel

        from flink_agents.api.runner_context import RunnerContext


        class Lead(BaseModel):
            id: UUID
            email: str


        def remember(ctx: RunnerContext, lead: Lead) -> None:
            ctx.sensory_memory.set("lead", lead.model_dump())
    ''')
    assert_one(source, "MEM201", ".set(", "lead.model_dump()", ["Lead", '"lead"'])


def test_model_instance_is_mem102() -> None:
    source = src('''
        from flink_agents.api.chat_message import ChatMessage
        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext, msg: ChatMessage) -> None:
            ctx.short_term_memory.set("last", msg)
    ''')
    assert_one(source, "MEM102", ".set(", "msg)", ["ChatMessage", '"last"'])


def test_event_attribute_is_uuid() -> None:
    source = src('''
        from flink_agents.api.events.chat_event import ChatResponseEvent
        from flink_agents.api.runner_context import RunnerContext


        def on_response(event: ChatResponseEvent, ctx: RunnerContext) -> None:
            ctx.short_term_memory.set("request_id", event.request_id)
            ctx.short_term_memory.set("retries", event.retry_count)
    ''')
    assert_one(source, "MEM101", '"request_id"', "event.request_id", ["UUID", '"request_id"'])


# --------------------------------------------------- .set() that is not memory


def test_other_set_methods_are_never_memory_writes() -> None:
    assert_clean(src('''
        import threading
        from contextvars import ContextVar
        from uuid import UUID, uuid4

        import redis

        from flink_agents.api.runner_context import RunnerContext

        current_request: ContextVar[UUID] = ContextVar("current_request")


        class Settings:
            def __init__(self) -> None:
                self.values: dict = {}

            def set(self, key: str, value: object) -> None:
                self.values[key] = value


        def remember(ctx: RunnerContext, settings: Settings) -> None:
            client = redis.Redis()
            client.set("request_id", uuid4())
            current_request.set(uuid4())
            done = threading.Event()
            done.set()
            settings.set("request_id", uuid4())
            Settings().set("request_id", uuid4())
            ctx.short_term_memory.set("request_id", "a-string")
    '''))


def test_shadowed_ctx_is_not_memory() -> None:
    assert_clean(src('''
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext


        class Cache:
            def set(self, key: str, value: object) -> None:
                pass


        def remember(ctx: RunnerContext) -> None:
            ctx.short_term_memory.set("ok", 1)
            ctx = Cache()
            ctx.set("request_id", uuid4())
    '''))


# ----------------------------------------------------------- cross-module cases


def write_project(root: Path, files: dict[str, str]) -> None:
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "0"\n', encoding="utf-8")
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(src(text), encoding="utf-8")


AGENT_USING_ORDER = '''
    from flink_agents.api.runner_context import RunnerContext

    IMPORT


    def remember(ctx: RunnerContext, order: Order) -> None:
        ctx.short_term_memory.set("order", order)
'''


def lint_agent(root: Path, relative: str) -> tuple[str, list[memlint.Diagnostic]]:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    return text, memlint.lint_source(text, path=str(path))


def test_bases_reach_basemodel_through_two_project_classes(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "shop/__init__.py": "",
        "shop/base.py": '''
            from pydantic import BaseModel


            class Record(BaseModel):
                created: str
        ''',
        "shop/audited.py": '''
            from shop.base import Record


            class Audited(Record):
                author: str
        ''',
        "shop/agent.py": '''
            from flink_agents.api.runner_context import RunnerContext

            from shop.audited import Audited


            class Order(Audited):
                sku: str


            def remember(ctx: RunnerContext, order: Order) -> None:
                ctx.short_term_memory.set("order", order)
        ''',
    })
    text, found = lint_agent(tmp_path, "shop/agent.py")
    assert_one(text, "MEM102", ".set(", "order)", ["Order", '"order"'], diagnostics=found)


def test_enum_base_in_another_module(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "shop/__init__.py": "",
        "shop/kinds.py": '''
            from enum import Enum


            class Kind(str, Enum):
                pass
        ''',
        "shop/agent.py": '''
            from flink_agents.api.runner_context import RunnerContext

            from shop.kinds import Kind


            class Status(Kind):
                OPEN = "open"


            def remember(ctx: RunnerContext) -> None:
                ctx.short_term_memory.set("status", Status.OPEN)
        ''',
    })
    text, found = lint_agent(tmp_path, "shop/agent.py")
    assert_one(text, "MEM103", ".set(", "Status.OPEN", ["Status", '"status"'], diagnostics=found)


def test_relative_import_in_a_package(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "shop/__init__.py": "",
        "shop/models.py": '''
            from pydantic import BaseModel


            class Order(BaseModel):
                sku: str
        ''',
        "shop/agent.py": AGENT_USING_ORDER.replace("IMPORT", "from .models import Order"),
    })
    text, found = lint_agent(tmp_path, "shop/agent.py")
    assert_one(text, "MEM102", ".set(", "order)", ["Order", '"order"'], diagnostics=found)


def test_parent_relative_import(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "shop/__init__.py": "",
        "shop/models.py": '''
            from pydantic import BaseModel


            class Order(BaseModel):
                sku: str
        ''',
        "shop/actions/__init__.py": "",
        "shop/actions/agent.py": AGENT_USING_ORDER.replace("IMPORT", "from ..models import Order"),
    })
    text, found = lint_agent(tmp_path, "shop/actions/agent.py")
    assert_one(text, "MEM102", ".set(", "order)", ["Order", '"order"'], diagnostics=found)


def test_init_reexport(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "shop/__init__.py": "",
        "shop/models/__init__.py": "from .order import Order\n\n__all__ = [\"Order\"]\n",
        "shop/models/order.py": '''
            from pydantic import BaseModel


            class Order(BaseModel):
                sku: str
        ''',
        "shop/agent.py": AGENT_USING_ORDER.replace("IMPORT", "from shop.models import Order"),
    })
    text, found = lint_agent(tmp_path, "shop/agent.py")
    assert_one(text, "MEM102", ".set(", "order)", ["Order", '"order"'], diagnostics=found)


def test_project_model_field_type(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "shop/__init__.py": "",
        "shop/models.py": '''
            from uuid import UUID

            from pydantic import BaseModel


            class Order(BaseModel):
                id: UUID
                sku: str
        ''',
        "shop/agent.py": '''
            from flink_agents.api.runner_context import RunnerContext

            from shop.models import Order


            def remember(ctx: RunnerContext, order: Order) -> None:
                ctx.short_term_memory.set("order_id", order.id)
                ctx.short_term_memory.set("sku", order.sku)
        ''',
    })
    text, found = lint_agent(tmp_path, "shop/agent.py")
    assert_one(text, "MEM101", '"order_id"', "order.id", ["UUID", '"order_id"'], diagnostics=found)


def test_unrelated_project_class_is_not_a_model(tmp_path: Path) -> None:
    """A project class that reaches neither BaseModel nor Enum is a custom
    class instance: MEM106 (DESIGN.md's rules table), not MEM102/MEM103."""
    write_project(tmp_path, {
        "shop/__init__.py": "",
        "shop/models.py": '''
            class Order:
                def __init__(self, sku: str) -> None:
                    self.sku = sku
        ''',
        "shop/agent.py": AGENT_USING_ORDER.replace("IMPORT", "from shop.models import Order"),
    })
    text, found = lint_agent(tmp_path, "shop/agent.py")
    assert_one(text, "MEM106", ".set(", "order)", ["Order", '"order"'], diagnostics=found)


# ------------------------------------------------------------ odd line breaks


def test_form_feed_page_break_does_not_shift_the_message_text() -> None:
    source = "from uuid import uuid4\n\n\x0c\ndef remember(ctx):\n    ctx.short_term_memory.set(\"c\", uuid4())\n"
    d = assert_one(source, "MEM101", ".set(", "uuid4()", ["UUID", '"c"'])
    assert "str(uuid4())" in d.message, d.message


def test_crlf_and_cr_newlines_give_the_same_positions() -> None:
    source = src('''
        from uuid import uuid4


        def remember(ctx):
            ctx.short_term_memory.set("request_id", uuid4())
    ''')
    expected = [("MEM101", *at(source, ".set(", "uuid4()"))]
    for newline in ("\n", "\r\n", "\r"):
        found = lint(source.replace("\n", newline))
        assert summary(found) == expected, newline
        assert "str(uuid4())" in found[0].message


# ------------------------------------------------------- other ways to reach memory


def test_class_attribute_annotated_memory_object() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.memory_object import MemoryObject


        class Store:
            memory: MemoryObject

            def put(self) -> None:
                self.memory.set("request_id", uuid4())
    ''')
    assert_one(source, "MEM101", ".set(", "uuid4()", ["UUID", '"request_id"'])


def test_function_returning_memory_object() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.memory_object import MemoryObject
        from flink_agents.api.runner_context import RunnerContext


        def session_memory(ctx: RunnerContext) -> MemoryObject:
            return ctx.short_term_memory.new_object("session")


        def remember(ctx: RunnerContext) -> None:
            session_memory(ctx).set("request_id", uuid4())
    ''')
    assert_one(source, "MEM101", ".set(", "uuid4()", ["UUID", '"request_id"'])


def test_memory_write_in_a_lambda() -> None:
    source = src('''
        from uuid import uuid4

        from flink_agents.api.runner_context import RunnerContext


        def remember(ctx: RunnerContext) -> None:
            save = lambda: ctx.short_term_memory.set("request_id", uuid4())
            save()
    ''')
    assert_one(source, "MEM101", ".set(", "uuid4()", ["UUID", '"request_id"'])
