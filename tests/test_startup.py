"""Light start-up (issue 8): a run that finds no memory write imports neither
the analysis (libcst, the summaries, typeshed) nor pydantic (configuration),
nor the tools only some settings need (packaging for required-version), nor
the engine itself (memlint.engine and what it pulls in: noqa, the summaries,
knowledge, isolation, concurrent.futures): reading the configuration,
discovering the files and the byte prefilter (memlint.prefilter) decide it.

Each check runs a fresh interpreter and lists the modules it imported, so
that modules the test process already holds do not hide an import.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Modules a file without a memory write must not cost.
HEAVY = ("pydantic", "pydantic_core", "libcst", "typeshed_client", "packaging", "memlint.infer",
         "memlint.check", "memlint.index", "memlint.fix")

# The engine and what it alone pulls in (rules, report and source are the output's).
ENGINE = ("memlint.engine", "memlint.noqa", "memlint.summary", "memlint.knowledge", "memlint.isolation",
          "memlint.cache", "concurrent.futures")

CLEAN = "def add(x, y):\n    return x + y\n"
# A `.set(` that is not a memory write: no memory hint (the prefilter skips it).
EVENT = "import threading\n\ndef stop(done: threading.Event):\n    done.set()\n    threading.Event().set()\n"
WRITE = 'def act(ctx, order_id: str):\n    ctx.short_term_memory.set("order", order_id)\n'

REPORT_MODULES = """
import json, sys
print(json.dumps(sorted(sys.modules)))
"""


def imported(code: str, cwd: Path) -> set[str]:
    """The modules a fresh interpreter holds after running `code` (which may
    print to stdout first: the module list is its last line)."""
    result = subprocess.run([sys.executable, "-c", code + REPORT_MODULES], cwd=cwd, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def heavy_among(modules: set[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in heavy))


def test_import_memlint_and_the_command_line_module_are_light(tmp_path: Path) -> None:
    modules = imported("import memlint, memlint.cli, memlint.config", tmp_path)
    assert heavy_among(modules) == []
    assert "memlint.engine" not in modules and "memlint.discover" not in modules


@pytest.mark.parametrize("settings", [
    "",
    '[tool.memlint]\nignore = ["MEM101"]\nmemory-attributes = ["agent_memory"]\nflink-agents-version = "0.3"\n',
])
def test_check_of_a_clean_file_imports_no_analysis_nor_pydantic(tmp_path: Path, settings: str) -> None:
    if settings:
        (tmp_path / "pyproject.toml").write_text(settings, encoding="utf-8")
    (tmp_path / "clean.py").write_text(CLEAN, encoding="utf-8")
    modules = imported("from memlint.cli import main\n"
                       "assert main(['check', '--no-cache', 'clean.py']) == 0\n", tmp_path)
    assert heavy_among(modules) == []
    assert heavy_among(modules, ENGINE) == []


@pytest.mark.parametrize("options", [
    [],  # with the cache (not created: nothing is analyzed)
    ["--no-cache", "--statistics"],
    ["--no-cache", "--output-format", "json"],
    ["--no-cache", "--output-format", "sarif"],
    ["--no-cache", "--fix"],
    ["--no-cache", "--diff"],
    ["--no-cache", "--add-noqa"],
    ["--no-cache", "--exit-zero", "-q"],
])
def test_check_of_files_without_a_memory_write_does_not_import_the_engine(tmp_path: Path,
                                                                            options: list[str]) -> None:
    """Nothing passes the prefilter (a `.set(` without a memory hint does not
    either): the run finishes before the engine is imported, whatever the
    output options."""
    (tmp_path / "pyproject.toml").write_text('[tool.memlint]\nmemory-attributes = ["agent_memory"]\n',
                                             encoding="utf-8")
    (tmp_path / "clean.py").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "event.py").write_text(EVENT, encoding="utf-8")
    modules = imported("from memlint.cli import main\n"
                       f"assert main(['check', *{options!r}, 'clean.py', 'event.py']) == 0\n", tmp_path)
    assert heavy_among(modules, HEAVY + ENGINE) == []
    assert not (tmp_path / ".memlint_cache").exists()


@pytest.mark.parametrize("text", [WRITE.replace("short_term_memory", "agent_memory"), "x = 1  # noqa: MEM101\n"])
def test_a_configured_hint_or_a_noqa_comment_still_goes_to_the_engine(tmp_path: Path, text: str) -> None:
    """The counterparts: the prefilter uses the configured memory attributes,
    and a `# noqa: MEM...` is checked by the engine (MEM100, unused)."""
    (tmp_path / "pyproject.toml").write_text('[tool.memlint]\nmemory-attributes = ["agent_memory"]\n',
                                             encoding="utf-8")
    (tmp_path / "agent.py").write_text(text, encoding="utf-8")
    modules = imported("from memlint.cli import main\n"
                       "main(['check', '--no-cache', 'agent.py'])\n", tmp_path)
    assert "memlint.engine" in modules


def test_a_file_with_a_memory_write_is_still_analyzed(tmp_path: Path) -> None:
    """The counterpart: the prefilter lets a memory write through to the analysis."""
    (tmp_path / "agent.py").write_text(WRITE, encoding="utf-8")
    modules = imported("from memlint.cli import main\n"
                       "main(['check', '--no-cache', 'agent.py'])\n", tmp_path)
    assert "libcst" in modules and "memlint.summary" in modules


def test_flake8_plugin_on_a_clean_file_imports_neither_engine_nor_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.memlint]\nstrict = true\n', encoding="utf-8")
    code = ("from memlint.plugin.flake8 import MemlintChecker\n"
            f"lines = {CLEAN.splitlines(keepends=True)!r}\n"
            "assert list(MemlintChecker(None, 'clean.py', lines).run()) == []\n")
    modules = imported(code, tmp_path)
    assert heavy_among(modules) == []
    assert "memlint.engine" not in modules and "memlint.config" not in modules


def test_flake8_plugin_skips_a_set_without_a_memory_hint_without_the_engine(tmp_path: Path) -> None:
    """`threading.Event().set()`: the configuration is read (it may name memory
    attributes), then the byte prefilter says no; the engine is not imported."""
    (tmp_path / "pyproject.toml").write_text('[tool.memlint]\nstrict = true\n', encoding="utf-8")
    code = ("from memlint.plugin.flake8 import MemlintChecker\n"
            f"lines = {EVENT.splitlines(keepends=True)!r}\n"
            "assert list(MemlintChecker(None, 'event.py', lines).run()) == []\n")
    modules = imported(code, tmp_path)
    assert heavy_among(modules, HEAVY + ENGINE) == []


def test_flake8_plugin_analyzes_a_write_to_a_configured_memory_attribute(tmp_path: Path) -> None:
    """The counterpart: the prefilter uses the configuration's hints."""
    (tmp_path / "pyproject.toml").write_text('[tool.memlint]\nmemory-attributes = ["agent_memory"]\n',
                                             encoding="utf-8")
    text = 'import uuid\n\ndef act(ctx):\n    ctx.agent_memory.set("id", uuid.uuid4())\n'
    code = ("from memlint.plugin.flake8 import MemlintChecker\n"
            f"lines = {text.splitlines(keepends=True)!r}\n"
            "print([m[2].split()[0] for m in MemlintChecker(None, 'agent.py', lines).run()])\n")
    result = subprocess.run([sys.executable, "-c", code + REPORT_MODULES], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0].replace("'", '"')) == ["MEM101"]
    assert "memlint.engine" in json.loads(result.stdout.splitlines()[-1])


def test_flake8_on_files_without_a_memory_write_does_not_import_the_engine(tmp_path: Path) -> None:
    """The real flake8 (its plugin loading included), through -X importtime."""
    pytest.importorskip("flake8")
    (tmp_path / "clean.py").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "event.py").write_text(EVENT, encoding="utf-8")
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    result = subprocess.run([sys.executable, "-m", "flake8", "--jobs", "1", "--select", "MEM",
                             "clean.py", "event.py"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    modules = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    # (importlib.import_module's imports, such as flake8's of the plugin, are not
    # listed; the plugin's own import statements are.) The configuration was
    # read for event.py: the plugin did run on it.
    assert "memlint.config" in modules
    assert heavy_among(modules, HEAVY + ENGINE) == []


def test_the_prefilter_hints_cover_the_memory_attributes_every_stage_reads() -> None:
    from memlint import infer, prefilter, summary
    from memlint.fix import readside

    assert prefilter.MEMORY_ATTRIBUTE_NAMES == ("sensory_memory", "short_term_memory")
    assert all(name.encode() in prefilter.MEMORY_HINTS for name in prefilter.MEMORY_ATTRIBUTE_NAMES)
    for stage in (summary, infer, readside):  # every stage reads the prefilter's names, not a copy
        assert stage.MEMORY_ATTRIBUTE_NAMES is prefilter.MEMORY_ATTRIBUTE_NAMES


def test_required_version_loads_packaging_only_when_set(tmp_path: Path) -> None:
    code = "from memlint.config import load_config\nprint(load_config(start=__import__('pathlib').Path('.')))\n"
    (tmp_path / "memlint.toml").write_text('strict = true\n', encoding="utf-8")
    assert "packaging" not in imported(code, tmp_path)
    (tmp_path / "memlint.toml").write_text('required-version = ">=0.1"\n', encoding="utf-8")
    assert "packaging" in imported(code, tmp_path)
