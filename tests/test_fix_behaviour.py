"""A fix never changes behaviour outside the flagged call (issue 10, item 5).

- A value is converted where it enters (`v = str(...)`, `l.append(str(...))`)
  only when nothing but the writes that conversion fixes reads it there;
  otherwise it is converted in the `set()` call.
- The same write reached from several branches is one diagnostic per kind,
  every origin related, with one fix.

The fixed modules are run: what the function returns is unchanged, and what it
stores is primitive.
"""
from __future__ import annotations

import textwrap
import types
import uuid
from pathlib import Path

import memlint
from memlint.config import Config
from memlint.engine import Settings
from memlint.fix import fix_text


class Memory:
    def __init__(self) -> None:
        self.stored: dict = {}

    def set(self, path, value) -> None:
        self.stored[path] = value


class Ctx:
    def __init__(self) -> None:
        self.short_term_memory = Memory()


def fixed(text: str, tmp_path: Path) -> str:
    path = tmp_path / "agent.py"
    return fix_text(str(path), text, Settings.from_config(Config()), True, path).text


def run(text: str, function: str, *args):
    module = types.ModuleType("agent_under_test")
    exec(compile(text, "agent.py", "exec"), module.__dict__)
    ctx = Ctx()
    return getattr(module, function)(ctx, *args), ctx.short_term_memory.stored


BRANCHES = textwrap.dedent('''\
    from uuid import uuid4


    def act(ctx, c):
        if c:
            v = uuid4()
        else:
            v = uuid4()
        ctx.short_term_memory.set("k", v)
        return v.hex
''')


def test_a_value_read_after_the_write_is_converted_in_the_call(tmp_path: Path) -> None:
    text = fixed(BRANCHES, tmp_path)
    assert text == BRANCHES.replace('set("k", v)', 'set("k", str(v))')
    for c in (True, False):
        returned, stored = run(text, "act", c)
        assert isinstance(returned, str) and len(returned) == 32  # v.hex still works
        assert stored["k"] == str(uuid.UUID(hex=returned))


def test_the_same_write_from_two_branches_is_one_diagnostic(tmp_path: Path) -> None:
    (diagnostic,) = memlint.lint_source(BRANCHES, "agent.py")
    assert diagnostic.code == "MEM101"
    assert [(r.line, r.column) for r in diagnostic.related] == [(6, 13), (8, 13)]
    assert diagnostic.fix is not None and len(diagnostic.fix.edits) == 1


def test_an_elif_chain_is_one_diagnostic_per_kind() -> None:
    text = textwrap.dedent('''\
        from enum import Enum
        from uuid import uuid4


        class Color(Enum):
            RED = "red"


        def act(ctx, c):
            if c == 1:
                v = uuid4()
            elif c == 2:
                v = uuid4()
            elif c == 3:
                v = Color.RED
            elif c == 4:
                v = uuid4()
            else:
                v = Color.RED
            ctx.short_term_memory.set("k", v)
    ''')
    found = memlint.lint_source(text, "agent.py")
    assert sorted((d.code, len(d.related)) for d in found) == [("MEM101", 3), ("MEM103", 2)]


def test_items_read_elsewhere_are_converted_in_the_call(tmp_path: Path) -> None:
    source = textwrap.dedent('''\
        from uuid import uuid4


        def act(ctx):
            items = []
            items.append(uuid4())
            ctx.short_term_memory.set("k", items)
            return items[0].hex
    ''')
    text = fixed(source, tmp_path)
    assert 'items.append(uuid4())' in text
    assert 'set("k", [str(u) for u in items])' in text
    returned, stored = run(text, "act")
    assert stored["k"] == [str(uuid.UUID(hex=returned))]


def test_a_value_only_the_write_reads_is_still_converted_where_it_enters(tmp_path: Path) -> None:
    source = textwrap.dedent('''\
        from uuid import uuid4


        def act(ctx):
            items = []
            items.append(uuid4())
            ctx.short_term_memory.set("k", items)
    ''')
    text = fixed(source, tmp_path)
    assert 'items.append(str(uuid4()))' in text and 'set("k", items)' in text
    _, stored = run(text, "act")
    assert isinstance(stored["k"][0], str)


def test_a_dump_read_elsewhere_is_not_changed_where_it_is_made(tmp_path: Path) -> None:
    source = textwrap.dedent('''\
        from flink_agents.api.chat_message import ChatMessage


        def act(ctx, message: ChatMessage):
            data = message.model_dump()
            ctx.short_term_memory.set("m", data)
            return data["role"]
    ''')
    text = fixed(source, tmp_path)
    assert "data = message.model_dump()\n" in text  # `return data["role"]` still gets the Enum member
