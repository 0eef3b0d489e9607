"""The Python API: `memlint.lint_source(text, path=...)` and `memlint.lint_paths(paths, config=...)`.

From README "Python API" and issue 2 §4: both return diagnostics (DESIGN.md
"A diagnostic"); `lint_source` reads the project around `path` from disk, and
the text given wins over the file on disk at that path.
"""
from __future__ import annotations

import dataclasses
import json
import pickle
import textwrap
from pathlib import Path

import pytest

import memlint

DIAGNOSTIC_KEYS = {"path", "line", "column", "end_line", "end_column", "code", "message", "related", "fix", "url"}


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def position(text: str, anchor: str, needle: str) -> tuple[int, int]:
    hits = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if anchor in line]
    assert len(hits) == 1
    number, line = hits[0]
    return number, line.index(needle) + 1


AGENT = src('''
    from enum import Enum
    from uuid import uuid4

    from flink_agents.api.runner_context import RunnerContext


    class Color(Enum):
        RED = "red"


    def remember(ctx: RunnerContext) -> None:
        ctx.short_term_memory.set("request_id", uuid4())
        ctx.short_term_memory.set("color", Color.RED)
''')

CLEAN = src('''
    from uuid import uuid4

    from flink_agents.api.runner_context import RunnerContext


    def remember(ctx: RunnerContext) -> None:
        ctx.short_term_memory.set("request_id", str(uuid4()))
''')


# ----------------------------------------------------------------- lint_source


def test_lint_source_returns_diagnostics() -> None:
    found = memlint.lint_source(AGENT, path="agent.py")
    assert all(isinstance(d, memlint.Diagnostic) for d in found)
    assert [(d.path, d.code, d.line, d.column) for d in found] == [
        ("agent.py", "MEM101", *position(AGENT, '"request_id"', "uuid4()")),
        ("agent.py", "MEM103", *position(AGENT, '"color"', "Color.RED")),
    ]
    assert "UUID" in found[0].message and '"request_id"' in found[0].message
    assert "Color" in found[1].message and '"color"' in found[1].message


def test_lint_source_clean_and_empty() -> None:
    assert memlint.lint_source(CLEAN, path="agent.py") == []
    assert memlint.lint_source("", path="agent.py") == []


def test_lint_source_default_path() -> None:
    found = memlint.lint_source(AGENT)
    assert [d.code for d in found] == ["MEM101", "MEM103"]


def test_lint_source_syntax_error() -> None:
    text = CLEAN.replace("def remember(ctx: RunnerContext) -> None:", "def remember(ctx: RunnerContext) -> None")
    found = memlint.lint_source(text, path="broken.py")
    assert [(d.code, d.line) for d in found] == [("MEM000", position(text, "def remember", "def")[0])]


def test_lint_source_with_config() -> None:
    by_name = memlint.Config(ignore=("MEM101",))
    assert [d.code for d in memlint.lint_source(AGENT, path="agent.py", config=by_name)] == ["MEM103"]
    by_alias = memlint.Config.model_validate({"extend-select": ["MEM900"], "select": ["MEM101"]})
    assert [d.code for d in memlint.lint_source(AGENT, path="agent.py", config=by_alias)] == ["MEM101"]


def test_lint_source_memory_attributes_config() -> None:
    text = src('''
        from uuid import uuid4


        class Assistant:
            def __init__(self, agent_memory) -> None:
                self.agent_memory = agent_memory

            def remember(self) -> None:
                self.agent_memory.set("x", uuid4())
    ''')
    assert memlint.lint_source(text, path="assistant.py") == []
    config = memlint.Config(memory_attributes=("agent_memory",))
    found = memlint.lint_source(text, path="assistant.py", config=config)
    assert [(d.code, d.line, d.column) for d in found] == [("MEM101", *position(text, ".set(", "uuid4()"))]


def test_lint_source_noqa_applied_by_default() -> None:
    text = AGENT.replace('"request_id", uuid4())', '"request_id", uuid4())  # noqa: MEM101')
    assert [d.code for d in memlint.lint_source(text, path="agent.py")] == ["MEM103"]


def test_diagnostic_is_plain_frozen_data() -> None:
    diagnostic = memlint.lint_source(AGENT, path="agent.py")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        diagnostic.line = 1  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(diagnostic)) == diagnostic
    data = diagnostic.to_dict()
    assert set(data) == DIAGNOSTIC_KEYS
    assert json.loads(json.dumps(data)) == data


# ------------------------------------------------------- the project around path


MODELS = src('''
    from pydantic import BaseModel


    class Order(BaseModel):
        sku: str
        quantity: int
''')

UNSAFE_AGENT = src('''
    from flink_agents.api.runner_context import RunnerContext

    from shop.models import Order


    def remember(ctx: RunnerContext, order: Order) -> None:
        ctx.short_term_memory.set("order", order)
''')

SAFE_AGENT = UNSAFE_AGENT.replace('set("order", order)', 'set("order", order.model_dump(mode="json"))')


def make_project(root: Path) -> Path:
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "0"\n', encoding="utf-8")
    package = root / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "models.py").write_text(MODELS, encoding="utf-8")
    return package


def test_lint_source_resolves_a_sibling_model_on_disk(tmp_path: Path) -> None:
    package = make_project(tmp_path)
    agent = package / "agent.py"
    agent.write_text(UNSAFE_AGENT, encoding="utf-8")
    found = memlint.lint_source(UNSAFE_AGENT, path=str(agent))
    assert [(d.code, d.line, d.column) for d in found] == [
        ("MEM102", *position(UNSAFE_AGENT, ".set(", "order)"))]
    assert "Order" in found[0].message and '"order"' in found[0].message
    assert found[0].path == str(agent)


def test_lint_source_text_wins_over_the_file_on_disk(tmp_path: Path) -> None:
    package = make_project(tmp_path)
    agent = package / "agent.py"
    agent.write_text(SAFE_AGENT, encoding="utf-8")  # disk: safe; buffer: unsafe
    assert [d.code for d in memlint.lint_source(UNSAFE_AGENT, path=str(agent))] == ["MEM102"]
    agent.write_text(UNSAFE_AGENT, encoding="utf-8")  # disk: unsafe; buffer: safe
    assert memlint.lint_source(SAFE_AGENT, path=str(agent)) == []


def test_lint_source_for_a_file_not_yet_on_disk(tmp_path: Path) -> None:
    package = make_project(tmp_path)
    found = memlint.lint_source(UNSAFE_AGENT, path=str(package / "new_agent.py"))
    assert [d.code for d in found] == ["MEM102"]


def test_lint_source_relative_import_from_the_buffer(tmp_path: Path) -> None:
    package = make_project(tmp_path)
    text = UNSAFE_AGENT.replace("from shop.models import Order", "from .models import Order")
    assert [d.code for d in memlint.lint_source(text, path=str(package / "agent.py"))] == ["MEM102"]


def test_lint_source_sees_a_changed_sibling(tmp_path: Path) -> None:
    """The sibling is read from disk: a model that becomes a plain class stops being MEM102."""
    package = make_project(tmp_path)
    agent = str(package / "agent.py")
    assert [d.code for d in memlint.lint_source(UNSAFE_AGENT, path=agent)] == ["MEM102"]
    (package / "models.py").write_text(src('''
        from enum import Enum


        class Order(Enum):
            NEW = "new"
    '''), encoding="utf-8")
    assert [d.code for d in memlint.lint_source(UNSAFE_AGENT, path=agent)] == ["MEM103"]


# ------------------------------------------------------------------- lint_paths


def test_lint_paths_with_config(tmp_path: Path) -> None:
    (tmp_path / "b.py").write_text(AGENT, encoding="utf-8")
    (tmp_path / "a.py").write_text(AGENT, encoding="utf-8")
    (tmp_path / "clean.py").write_text(CLEAN, encoding="utf-8")
    everything = memlint.lint_paths([tmp_path])
    assert [(Path(d.path).name, d.code) for d in everything] == [
        ("a.py", "MEM101"), ("a.py", "MEM103"), ("b.py", "MEM101"), ("b.py", "MEM103")]
    assert everything == sorted(everything, key=lambda d: (d.path, d.line, d.column))
    only_enums = memlint.lint_paths([str(tmp_path / "b.py"), str(tmp_path / "a.py")],
                                    config=memlint.Config(select=("MEM103",)))
    assert [(Path(d.path).name, d.code) for d in only_enums] == [("a.py", "MEM103"), ("b.py", "MEM103")]


def test_lint_paths_project_config(tmp_path: Path) -> None:
    package = make_project(tmp_path)
    (package / "agent.py").write_text(UNSAFE_AGENT, encoding="utf-8")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "agent.py").write_text(AGENT, encoding="utf-8")
    config = memlint.Config.model_validate({"exclude": ["generated"]})
    found = memlint.lint_paths([tmp_path], config=config)
    assert [(Path(d.path).relative_to(tmp_path).as_posix(), d.code) for d in found] == [("shop/agent.py", "MEM102")]


def test_load_config_finds_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.memlint]\nignore = ["MEM101"]\nstrict = true\n',
                                             encoding="utf-8")
    (tmp_path / "src").mkdir()
    config = memlint.load_config(start=tmp_path / "src")
    assert config.ignore == ("MEM101",) and config.strict is True
    (tmp_path / "src" / "agent.py").write_text(AGENT, encoding="utf-8")
    assert [d.code for d in memlint.lint_paths([tmp_path / "src"], config=config)] == ["MEM103"]
