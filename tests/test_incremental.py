"""memlint.incremental (the language server's engine) says exactly what
`memlint check` says (engine.check_text), on every fixture and after edits,
while re-analysing only the definitions an edit touched."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from memlint.config import load_config
from memlint.engine import Settings, check_text, deep_call
from memlint.incremental import CHUNK_CACHE_SIZE, IncrementalModule, _chunks

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))

import lsp_latency  # noqa: E402  (the benchmark's module and edits)
from test_fix_rebuild import MODULE as REBUILT_READS  # noqa: E402  (fixes that add imports, rebuild reads)


def settings_for(path: Path) -> Settings:
    return Settings.from_config(load_config(start=path.parent))


def same_as_check(module: IncrementalModule, text: str) -> list:
    got = deep_call(module.check, text)
    want = deep_call(check_text, module.display_path, text, module.settings, module.fs_path)
    assert got == want
    return got


def fixture_files() -> list[Path]:
    files = []
    for path in sorted(FIXTURES.rglob("*.py")):
        try:
            path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        files.append(path)
    return files


def test_every_fixture_and_edits_of_it_match_memlint_check() -> None:
    files = fixture_files()
    assert len(files) > 100
    incremental_runs = 0
    for path in files:
        text = path.read_text("utf-8")
        module = IncrementalModule(str(path), settings_for(path), path)
        same_as_check(module, text)
        rnd = random.Random(path.name)
        lines = text.split("\n")
        for _ in range(2):
            if not lines:
                break
            i = rnd.randrange(len(lines))
            op = rnd.choice(["blank", "duplicate", "delete", "comment"])
            if op == "blank":
                lines.insert(i, "")
            elif op == "duplicate":
                lines.insert(i, lines[i])
            elif op == "delete":
                del lines[i]
            else:
                lines.insert(i, "# a comment")
            before = module.full_runs
            same_as_check(module, "\n".join(lines))
            incremental_runs += module.full_runs == before
    # most edits keep valid syntax and are answered incrementally
    assert incremental_runs > len(files) // 2


def test_the_benchmark_module_under_edits_matches_and_reanalyses_one_definition() -> None:
    path = Path("/nonexistent-memlint-project/agent.py")
    module = IncrementalModule(str(path), Settings.from_config(load_config(start=ROOT)), path)
    text = lsp_latency.agent_module()
    found = same_as_check(module, text)
    assert len(found) > 10 and module.full_runs == 0
    rnd = random.Random(11)
    for _ in range(40):
        text = lsp_latency.edit(text, rnd)
        same_as_check(module, text)
        assert module.full_runs == 0, module.fallback_reason
        assert module.last_reanalysed <= 1  # one definition at most per edit


UNPAIRED_READS = '''\
from uuid import uuid4
import datetime


def write(ctx):
    ctx.short_term_memory.set("rid", uuid4())
    ctx.short_term_memory.set("when", datetime.datetime.now())


def other(ctx):
    return 1


def read(ctx):
    rid = ctx.short_term_memory.get("rid")
    print(rid)
    when = ctx.short_term_memory.get("when")
    return when
'''

CASES = {
    "decorators, semicolons and an indented comment after a body": '''\
from flink_agents.api.runner_context import RunnerContext
from uuid import uuid4
import functools; import os


def a(ctx: RunnerContext):
    ctx.short_term_memory.set("a", uuid4())

    # an indented comment: libcst gives it to a's block
# a comment at column 0 goes to b
@functools.cache
def b(ctx: RunnerContext):
    ctx.short_term_memory.set("b", uuid4())
x = 1; y = 2
''',
    "the same definition twice": '''\
from uuid import uuid4


def f(ctx):
    ctx.short_term_memory.set("k", uuid4())


def f(ctx):
    ctx.short_term_memory.set("k", uuid4())
''',
    "a write in module-level code": '''\
from uuid import uuid4
import ctx
ctx.short_term_memory.set("k", uuid4())


def f(ctx):
    ctx.short_term_memory.set("j", uuid4())
''',
    "windows newlines": 'from uuid import uuid4\r\n\r\n\r\ndef f(ctx):\r\n    ctx.sensory_memory.set("k", uuid4())\r\n',
    "tabs in one definition, spaces in another": '''\
from uuid import uuid4


def f(ctx):
\tctx.sensory_memory.set("k", uuid4())


def g(ctx):
    ctx.sensory_memory.set("j", uuid4())
''',
    "no final newline and a noqa": 'from uuid import uuid4\n\n\ndef f(ctx):\n    ctx.sensory_memory.set("k", uuid4())  # noqa: MEM103',
    "a syntax error": 'from uuid import uuid4\n\n\ndef f(ctx:\n    ctx.sensory_memory.set("k", uuid4())\n',
    "a fix that reads another definition": '''\
from uuid import UUID, uuid4


def write(ctx):
    ctx.short_term_memory.set("rid", uuid4())


def read(ctx):
    return UUID(ctx.short_term_memory.get("rid"))
''',
    # fixes whose edits and messages name lines of other chunks: imports, reads
    "fixes that add imports and rebuild reads in other definitions": REBUILT_READS,
    "fixes naming the lines of reads they cannot rewrite": UNPAIRED_READS,
    "a dot ending a chunk and set( starting the next (one candidate across them)": '''\
from uuid import uuid4

LIMIT = 1  # a comment ending with a dot.

set(uuid4())


def f(ctx):
    ctx.sensory_memory.set("k", uuid4())
''',
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_edge_cases_and_every_single_line_edit_of_them_match(name: str, tmp_path: Path) -> None:
    path = tmp_path / "agent.py"
    text = CASES[name]
    module = IncrementalModule(str(path), Settings.from_config(load_config(start=tmp_path)), path)
    same_as_check(module, text)
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    for i in range(len(lines)):  # delete each line, then put it back
        same_as_check(module, newline.join(lines[:i] + lines[i + 1:]))
        same_as_check(module, text)
    for i in range(len(lines) + 1):  # insert a line everywhere
        for new in ("", "    pass", "z = 3"):
            same_as_check(module, newline.join(lines[:i] + [new] + lines[i:]))
    same_as_check(module, "")
    same_as_check(module, text)


def test_caches_stay_bounded_over_many_edits() -> None:
    path = Path("/nonexistent-memlint-project/agent.py")
    module = IncrementalModule(str(path), Settings.from_config(load_config(start=ROOT)), path)
    text = lsp_latency.agent_module()
    deep_call(module.check, text)
    rnd = random.Random(5)
    for _ in range(60):
        text = lsp_latency.edit(text, rnd)
        deep_call(module.check, text)
    assert len(_chunks) <= CHUNK_CACHE_SIZE
    # per document: one result per chunk of the current text, nothing of older texts
    assert len(module.results) <= len(module.placed)


def test_a_second_buffer_finds_the_parses_warm(tmp_path: Path) -> None:
    """Chunk parses are shared by documents: a copy of a module opened in a
    second buffer (or an undo) parses nothing again."""
    settings = Settings.from_config(load_config(start=tmp_path))
    text = lsp_latency.agent_module(lines=400, writes=9)
    first = IncrementalModule(str(tmp_path / "a.py"), settings, tmp_path / "a.py")
    second = IncrementalModule(str(tmp_path / "b.py"), settings, tmp_path / "b.py")
    same_as_check(first, text)
    same_as_check(second, text)
    assert [p.chunk for p in first.placed] == [p.chunk for p in second.placed]
    assert all(a.chunk is b.chunk for a, b in zip(first.placed[1:], second.placed[1:]))


def test_fixes_naming_other_lines_move_with_them_when_lines_are_added_elsewhere(tmp_path: Path) -> None:
    """A fix's message names the lines of reads in another definition: lines
    added between the two move those lines, and the diagnostics follow them
    without planning the fix again; anything else is planned again."""
    path = tmp_path / "agent.py"
    module = IncrementalModule(str(path), Settings.from_config(load_config(start=tmp_path)), path)
    found = same_as_check(module, UNPAIRED_READS)
    assert any("read: line 17" in d.message for d in found)
    lines = UNPAIRED_READS.split("\n")
    other = lines.index("def other(ctx):")
    for added in (["", ""], ["# a comment"], ["x = 1", "", ""]):
        edited = "\n".join(lines[:other] + added + lines[other:])
        found = same_as_check(module, edited)
        assert module.full_runs == 0 and module.last_replanned == 0
        assert any(f"read: line {17 + len(added)}" in d.message for d in found)
        same_as_check(module, UNPAIRED_READS)
    # the reads move above the writes: the lines change order, planned again
    write, read = lines.index("def write(ctx):"), lines.index("def read(ctx):")
    swapped = "\n".join(lines[:write] + lines[read:] + ["", ""] + lines[write:read - 2]) + "\n"
    same_as_check(module, swapped)
    assert module.last_replanned >= 1
    same_as_check(module, UNPAIRED_READS)
