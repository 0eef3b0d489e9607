"""Light start-up (issue 8): a run that finds no memory write imports neither
the analysis (libcst, the summaries, typeshed) nor pydantic (configuration),
nor the tools only some settings need (packaging for required-version).

Each check runs a fresh interpreter and lists the modules it imported, so
that modules the test process already holds do not hide an import.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Modules a file without a memory write must not cost.
HEAVY = ("pydantic", "pydantic_core", "libcst", "typeshed_client", "packaging", "memlint.infer",
         "memlint.check", "memlint.index", "memlint.fix")

CLEAN = "def add(x, y):\n    return x + y\n"
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


def heavy_among(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


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


def test_required_version_loads_packaging_only_when_set(tmp_path: Path) -> None:
    code = "from memlint.config import load_config\nprint(load_config(start=__import__('pathlib').Path('.')))\n"
    (tmp_path / "memlint.toml").write_text('strict = true\n', encoding="utf-8")
    assert "packaging" not in imported(code, tmp_path)
    (tmp_path / "memlint.toml").write_text('required-version = ">=0.1"\n', encoding="utf-8")
    assert "packaging" in imported(code, tmp_path)
