"""Partial parsing (lint/partial.py): libcst reads only the top-level
statements the analysis reads, and the answer is the one a whole parse gives.

The comparisons run the same analysis both ways: in process with
`engine.PARTIAL_PARSING` switched off, and through the `memlint` command with
MEMLINT_WHOLE_PARSE=1 (diagnostics with their fixes as JSON, and `--diff`),
on the fixtures, on the benchmark's corpora (tests/benchmarks/bench.py) and
on generated programs.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import hypothesmith
import libcst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memlint import engine
from memlint.config import Config
from memlint.engine import Settings, check_text
from memlint.partial import Partial, blank_unread

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))
import bench  # noqa: E402  (the benchmark's own corpora)

SETTINGS = Settings.from_config(Config())


def both_ways(text: str, monkeypatch, path: str = "agent.py") -> tuple[list, list]:
    monkeypatch.setattr(engine, "PARTIAL_PARSING", True)
    partial = check_text(path, text, SETTINGS)
    monkeypatch.setattr(engine, "PARTIAL_PARSING", False)
    whole = check_text(path, text, SETTINGS)
    return partial, whole


def parsed_texts(monkeypatch) -> list[str]:
    """Record what libcst is asked to parse."""
    seen: list[str] = []
    real = libcst.parse_module

    def spy(source, *args, **kwargs):
        seen.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(libcst, "parse_module", spy)
    return seen


def lines_of(text: str, tree_text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), 1) if tree_text in line]


# -- what is left out ------------------------------------------------------------

AGENT = textwrap.dedent('''\
    """A module: most of it does not touch memory."""
    import threading
    from uuid import UUID, uuid4

    PATH = "request"


    class Big:
        def method(self):
            return sum(range(10))


    def unrelated(event):
        threading.Event().set()  # a `.set(` with no memory hint
        return event


    @staticmethod
    def decorated():
        return 1


    def action(event, ctx):
        ctx.short_term_memory.set(PATH, uuid4())
    ''')


def test_code_libcst_refuses_does_not_matter_when_it_is_left_out(monkeypatch) -> None:
    """The one difference from a whole parse, by design: libcst never sees what is left out."""
    text = AGENT.replace("class Big:", "class Big:\n    refused = 1")
    real = libcst.parse_module

    def refusing(source, *args, **kwargs):
        if "refused" in source:
            raise libcst.ParserSyntaxError("refused", lines=[source], raw_line=1, raw_column=0)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(libcst, "parse_module", refusing)
    partial, whole = both_ways(text, monkeypatch)
    assert [d.code for d in partial] == ["MEM101"]
    assert [d.code for d in whole] == ["MEM000"] and "libcst cannot parse" in whole[0].message


def test_only_the_action_imports_and_constants_reach_libcst(monkeypatch) -> None:
    seen = parsed_texts(monkeypatch)
    partial, whole = both_ways(AGENT, monkeypatch)
    assert partial == whole and [d.code for d in partial] == ["MEM101"]
    parsed = seen[0]
    assert "def action" in parsed and "import threading" in parsed and 'PATH = "request"' in parsed
    assert "class Big" not in parsed and "def unrelated" not in parsed and "@staticmethod" not in parsed
    assert seen[1] == AGENT  # the whole parse, for the comparison
    assert partial[0].line == lines_of(AGENT, "ctx.short_term_memory.set")[0]  # the file's line, not the parsed text's


def test_a_hint_outside_the_action_keeps_every_candidate() -> None:
    """A memory hint outside every definition with a `.set(` (a global memory
    object, a helper) makes every `.set(` count: those definitions are kept."""
    text = AGENT.replace("import threading", "import threading\nfrom flink_agents.api.memory_object import MemoryObject")
    tree = ast.parse(text)
    candidates = lines_of(text, ".set(")
    hints = lines_of(text, "MemoryObject") + lines_of(text, "short_term_memory")
    partial = blank_unread(text, tree, candidates, sorted(hints))
    assert partial is not None
    assert "def unrelated" in partial.text and "class Big" not in partial.text


def test_module_level_writes_parse_the_whole_module() -> None:
    text = "import x\nctx = x.ctx()\nctx.short_term_memory.set('a', 1)\n\ndef f():\n    return 1\n"
    tree = ast.parse(text)
    assert blank_unread(text, tree, [3], [3]) is None


def test_line_mapping_round_trips() -> None:
    partial = Partial("", ((3, 5), (8, 8), (10, 12)), frozenset())
    kept = [line for line in range(1, 20) if not partial.is_blanked(line)]
    assert kept == [1, 2, 6, 7, 9, 13, 14, 15, 16, 17, 18, 19]
    assert [partial.parsed_line(line) for line in kept] == list(range(1, len(kept) + 1))
    assert [partial.file_line(partial.parsed_line(line)) for line in kept] == kept


def test_positions_match_the_whole_parse_with_crlf_form_feeds_and_unicode(monkeypatch) -> None:
    text = AGENT.replace("def method(self):", "def method(self):  # ünïcode ✓\n\x0c").replace("\n", "\r\n")
    text = text.replace("ctx.short_term_memory.set(PATH, uuid4())",
                        "x = {'ü': [uuid4()]}\r\n    ctx.short_term_memory.set(PATH, x)")
    partial, whole = both_ways(text, monkeypatch)
    assert partial == whole and partial


READ_ELSEWHERE = textwrap.dedent('''\
    from uuid import UUID, uuid4

    from pydantic import BaseModel


    class Order(BaseModel):
        id: UUID


    def load(mem):
        return mem.get("order")


    def action(event, ctx):
        order = Order(id=uuid4())
        ctx.short_term_memory.set("order", order)
    ''')


def test_a_read_in_a_left_out_statement_falls_back_to_the_whole_parse(monkeypatch) -> None:
    """`load` reads the path the fix converts, but holds no memory hint: the
    fix's read side needs its nodes, so the file is analysed again from a whole parse."""
    seen = parsed_texts(monkeypatch)
    monkeypatch.setattr(engine, "PARTIAL_PARSING", True)
    partial = check_text("agent.py", READ_ELSEWHERE, SETTINGS)
    assert len(seen) == 2 and "def load" not in seen[0] and seen[1] == READ_ELSEWHERE
    monkeypatch.setattr(engine, "PARTIAL_PARSING", False)
    assert partial == check_text("agent.py", READ_ELSEWHERE, SETTINGS)
    assert partial[0].fix is not None and partial[0].fix.applicability == "unsafe"


def test_a_left_out_model_class_is_still_named_by_the_rebuild(monkeypatch) -> None:
    """The read side rebuilds `Order.model_validate(...)` with the class's own
    name: the class is left out of libcst's parse, the rebuild still knows it."""
    text = READ_ELSEWHERE.replace("def load(mem):\n    return mem.get(\"order\")\n",
                                  "def unrelated():\n    return 1\n")
    text += '    return ctx.short_term_memory.get("order").id\n'
    seen = parsed_texts(monkeypatch)
    partial, whole = both_ways(text, monkeypatch)
    assert "class Order" not in seen[0]
    assert partial == whole
    assert partial[0].fix is not None
    assert any("Order.model_validate" in e.content for e in partial[0].fix.edits)


# -- the same answers on the fixtures and the benchmark corpora ---------------


def memlint(*args: str, whole: bool, cwd: Path) -> str:
    env = dict(os.environ)
    env.pop("MEMLINT_WHOLE_PARSE", None)
    if whole:
        env["MEMLINT_WHOLE_PARSE"] = "1"
    result = subprocess.run([sys.executable, "-m", "memlint", "check", "--no-cache", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def assert_same_both_ways(target: Path, cwd: Path, formats=(["--output-format", "json"], ["--diff", "--unsafe-fixes"])
                          ) -> None:
    for args in formats:
        partial = memlint(*args, str(target), whole=False, cwd=cwd)
        whole = memlint(*args, str(target), whole=True, cwd=cwd)
        assert partial == whole, args
    assert '"fix"' in memlint("--output-format", "json", str(target), whole=False, cwd=cwd)


def test_the_fixtures_get_the_same_diagnostics_and_fixes() -> None:
    assert_same_both_ways(ROOT / "fixtures", ROOT)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> tuple[Path, Path]:
    return bench.make_corpora(tmp_path_factory.mktemp("corpora"), 150, False)


def test_the_dense_benchmark_corpus_gets_the_same_diagnostics_and_fixes(corpora) -> None:
    """The JSON output holds every fix, safe and unsafe, with its edits."""
    assert_same_both_ways(corpora[1], corpora[1].parent, formats=(["--output-format", "json"],))


def test_the_stdlib_benchmark_corpus_gets_the_same_answer(corpora) -> None:
    for args in (["--output-format", "json"],):
        assert memlint(*args, str(corpora[0]), whole=False, cwd=corpora[0].parent) == \
            memlint(*args, str(corpora[0]), whole=True, cwd=corpora[0].parent)


ACTION = '''

def _generated_action(event, ctx):
    value = {value}
    ctx.short_term_memory.set("generated", value)
    return ctx.short_term_memory.get("generated")
'''


@settings(max_examples=int(os.environ.get("MEMLINT_FUZZ_EXAMPLES", "10")), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(program=hypothesmith.from_node(libcst.Module),
       value=st.sampled_from(["__import__('uuid').uuid4()", "(1, 2)", "{1: 2}", "None"]),
       after=st.booleans())
def test_generated_programs_get_the_same_answer(program: str, value: str, after: bool) -> None:
    action = ACTION.format(value=value)
    text = (program.rstrip("\n") + "\n" + action) if after else (action + "\n" + program)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        with pytest.MonkeyPatch.context() as monkeypatch:
            partial, whole = both_ways(text, monkeypatch)
    if [d.message for d in whole if d.code == "MEM000"] and all(
            "libcst cannot parse" in d.message for d in whole):
        # libcst refuses code Python accepts: when that code is left out, the
        # partial parse analyses the rest (the one difference, by design).
        assert not any("libcst cannot parse" in d.message for d in partial) or partial == whole
        return
    assert partial == whole
