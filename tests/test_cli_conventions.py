"""The command line conventions Ruff users expect (issue 9 §2, §3, §4, §6),
run through the installed `memlint` command: stdin with --stdin-filename
(and --fix / --diff on it), paths relative to the current directory in every
format in a monorepo with per-project configurations, colour, --output-file,
`rule NAME`, no abbreviated options, --show-files, --show-settings with the
origin of every value, --exit-non-zero-on-fix, `extend` and
`required-version`.
"""
from __future__ import annotations

import codecs
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from test_cli import CLEAN, MIXED, assert_user_error, diagnostic_lines, write

MEMLINT = Path(sys.executable).with_name("memlint")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The environment a test runs memlint in: no colour variables of the caller's.
BASE_ENV = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CI_PROJECT_DIR")}


def memlint(*args: str, cwd: Path, stdin: bytes | str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    assert MEMLINT.is_file(), f"the memlint command is not installed beside {sys.executable}"
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    result = subprocess.run([str(MEMLINT), *args], cwd=str(cwd), capture_output=True, input=data,
                            env={**BASE_ENV, **(env or {})}, timeout=300)
    result.out = result.stdout.decode("utf-8")  # type: ignore[attr-defined]
    result.err = result.stderr.decode("utf-8")  # type: ignore[attr-defined]
    return result


def git_init(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True, timeout=60)


MODELS = '''\
from pydantic import BaseModel


class Ticket(BaseModel):
    title: str
'''

USES_SIBLING = '''\
from flink_agents.api.runner_context import RunnerContext

from desk.models import Ticket


def remember(ctx: RunnerContext) -> None:
    ctx.short_term_memory.set("ticket", Ticket(title="printer on fire"))
'''


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """A git repository with a project of its own configuration under services/agent."""
    git_init(tmp_path)
    write(tmp_path / "services" / "agent" / "pyproject.toml",
          '[project]\nname = "agent"\nversion = "1"\n\n[tool.memlint]\nignore = ["MEM106"]\n'
          'per-file-ignores = { "tests/" = ["MEM101"] }\nextend-exclude = ["legacy"]\n')
    write(tmp_path / "services" / "agent" / "agent.py", MIXED)
    write(tmp_path / "services" / "agent" / "desk" / "__init__.py", "")
    write(tmp_path / "services" / "agent" / "desk" / "models.py", MODELS)
    return tmp_path


# ----------------------------------------------------------------------- stdin


def test_stdin_filename_decides_config_per_file_ignores_and_imports(monorepo: Path) -> None:
    result = memlint("check", "--stdin-filename", "services/agent/desk/chat.py", "-", cwd=monorepo,
                     stdin=USES_SIBLING + '    ctx.short_term_memory.set("at", __import__("datetime").date.today())\n')
    assert result.returncode == 1, result.err
    rows = diagnostic_lines(result.out)
    # The model comes from the sibling module on disk; MEM106 is ignored by the project's config.
    assert [(row[0], row[3]) for row in rows] == [("services/agent/desk/chat.py", "MEM102")]
    # The project's per-file-ignores follow the stdin path.
    uuid = "from uuid import uuid4\n" + USES_SIBLING.replace('Ticket(title="printer on fire")', "uuid4()")
    assert diagnostic_lines(memlint("check", "--stdin-filename", "services/agent/desk/tests/t.py", "-",
                                    cwd=monorepo, stdin=uuid).out) == []
    assert [row[3] for row in diagnostic_lines(memlint("check", "--stdin-filename", "services/agent/desk/t.py",
                                                       "-", cwd=monorepo, stdin=uuid).out)] == ["MEM101"]


def test_stdin_without_a_filename_is_named_dash(tmp_path: Path) -> None:
    result = memlint("check", "-", cwd=tmp_path, stdin=MIXED)
    assert result.returncode == 1
    assert {row[0] for row in diagnostic_lines(result.out)} == {"-"}
    assert memlint("check", "-", cwd=tmp_path, stdin=CLEAN).returncode == 0
    # --stdin-filename alone reads stdin too (as Ruff); `-` among other paths is an error.
    alone = memlint("check", "--stdin-filename", "agent.py", cwd=tmp_path, stdin=MIXED)
    assert {row[0] for row in diagnostic_lines(alone.out)} == {"agent.py"}
    write(tmp_path / "other.py", CLEAN)
    assert_user_error(subprocess.run([str(MEMLINT), "check", "-", "other.py"], cwd=tmp_path, capture_output=True,
                                     text=True, input=MIXED, timeout=120), "-")


def test_stdin_fix_writes_the_fixed_source_to_stdout(monorepo: Path) -> None:
    source = MIXED.replace("\n", "\r\n").encode("utf-8")
    result = memlint("check", "--fix", "--unsafe-fixes", "--stdin-filename", "services/agent/agent.py", "-",
                     cwd=monorepo, stdin=codecs.BOM_UTF8 + source)
    fixed = result.stdout
    assert fixed.startswith(codecs.BOM_UTF8) and b"\r\n" in fixed and b"\n" not in fixed.replace(b"\r\n", b"")
    text = fixed[3:].decode("utf-8")
    assert 'set("request_id", str(uuid4()))' in text and 'set("color", Color.RED.value)' in text
    assert "Fixed 2 errors." in result.err
    assert result.returncode == 0, result.err  # nothing remains (MEM106 is ignored by the project)
    # The file on disk was not touched.
    assert (monorepo / "services" / "agent" / "agent.py").read_text(encoding="utf-8") == MIXED
    # Something that remains is reported on stderr, exit 1; the text still goes to stdout.
    partial = memlint("check", "--fix", "--stdin-filename", "agent.py", "-", cwd=monorepo, stdin=MIXED)
    assert partial.out == MIXED  # only unsafe fixes: nothing applied, the text comes back unchanged
    assert partial.returncode == 1 and "MEM101" in partial.err and "MEM101" not in partial.out
    non_zero = memlint("check", "--fix", "--unsafe-fixes", "--exit-non-zero-on-fix", "--stdin-filename",
                       "services/agent/agent.py", "-", cwd=monorepo, stdin=MIXED)
    assert non_zero.returncode == 1 and "str(uuid4())" in non_zero.out


def test_stdin_diff_and_force_exclude(monorepo: Path) -> None:
    diff = memlint("check", "--diff", "--unsafe-fixes", "--stdin-filename", "services/agent/agent.py", "-",
                   cwd=monorepo, stdin=MIXED)
    assert diff.returncode == 1
    assert diff.out.startswith("--- services/agent/agent.py\n+++ services/agent/agent.py\n")
    assert '+    ctx.short_term_memory.set("request_id", str(uuid4()))' in diff.out
    excluded = memlint("check", "--force-exclude", "--stdin-filename", "services/agent/legacy/old.py", "-",
                       cwd=monorepo, stdin=MIXED)
    assert excluded.returncode == 0 and diagnostic_lines(excluded.out) == []
    kept = memlint("check", "--stdin-filename", "services/agent/legacy/old.py", "-", cwd=monorepo, stdin=MIXED)
    assert kept.returncode == 1
    echoed = memlint("check", "--fix", "--force-exclude", "--stdin-filename", "services/agent/legacy/old.py", "-",
                     cwd=monorepo, stdin=MIXED)
    assert echoed.returncode == 0 and echoed.out == MIXED


# ------------------------------------------------------------- monorepo paths


def test_every_format_names_files_relative_to_the_current_directory(monorepo: Path) -> None:
    expected = "services/agent/agent.py"
    for target in ("services/agent", str(monorepo / "services" / "agent")):
        outputs = {fmt: memlint("check", "--output-format", fmt, target, cwd=monorepo)
                   for fmt in ("concise", "full", "grouped", "json", "json-lines", "sarif", "github", "gitlab",
                               "junit", "pylint")}
        for fmt, result in outputs.items():
            assert result.returncode == 1, (fmt, result.err)
            assert expected in result.out, (fmt, result.out)
            assert not re.search(r"(?<![/\w])agent\.py", result.out.replace(expected, "")), (fmt, result.out)
        assert {row[0] for row in diagnostic_lines(outputs["concise"].out)} == {expected}
        assert {d["path"] for d in json.loads(outputs["json"].out)} == {expected}
        assert "::error file=services/agent/agent.py,line=13," in outputs["github"].out
        assert {i["location"]["path"] for i in json.loads(outputs["gitlab"].out)} == {expected}
        suites = ElementTree.fromstring(outputs["junit"].stdout)
        assert [c.get("name") for c in suites.iter("testcase") if c.find("failure") is not None] == [expected]
        run = json.loads(outputs["sarif"].out)["runs"][0]
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == monorepo.resolve().as_uri() + "/"
        assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == {expected}


def test_from_a_subfolder_paths_follow_the_cwd_and_sarif_the_repository(monorepo: Path) -> None:
    services = monorepo / "services"
    concise = memlint("check", "agent", cwd=services)
    assert {row[0] for row in diagnostic_lines(concise.out)} == {"agent/agent.py"}
    github = memlint("check", "--output-format", "github", "agent", cwd=services)
    assert "file=agent/agent.py," in github.out
    run = json.loads(memlint("check", "--output-format", "sarif", "agent", cwd=services).out)["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == monorepo.resolve().as_uri() + "/"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"services/agent/agent.py"}


# ------------------------------------------------------ colour and output file


def test_colour_follows_the_flag_then_no_color_then_force_color(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", MIXED)

    def coloured(*args: str, **env: str) -> bool:
        result = memlint("check", *args, "agent.py", cwd=tmp_path, env=env)
        assert result.returncode == 1
        return bool(ANSI.search(result.out))

    assert not coloured()  # a pipe
    assert coloured("--color", "always")
    assert coloured(FORCE_COLOR="1")
    assert not coloured(NO_COLOR="1", FORCE_COLOR="1")
    assert not coloured("--color", "never", FORCE_COLOR="1")
    assert coloured("--color", "always", NO_COLOR="1")
    plain = memlint("check", "agent.py", cwd=tmp_path).out
    assert ANSI.sub("", memlint("check", "--color", "always", "agent.py", cwd=tmp_path).out) == plain
    assert not ANSI.search(memlint("check", "--output-format", "json", "--color", "always", "agent.py",
                                   cwd=tmp_path).out)


def test_colour_on_a_real_terminal(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", MIXED)
    for env, expect in (({}, True), ({"NO_COLOR": "1"}, False)):
        leader, follower = pty.openpty()
        try:
            process = subprocess.run([str(MEMLINT), "check", "agent.py"], cwd=tmp_path, stdout=follower,
                                     stderr=subprocess.PIPE, env={**BASE_ENV, "TERM": "xterm", **env}, timeout=300)
            os.close(follower)
            chunks = []
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(leader)
        output = b"".join(chunks).decode("utf-8")
        assert process.returncode == 1 and "MEM101" in output
        assert bool(ANSI.search(output)) is expect, (env, output)


def test_output_file(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", MIXED)
    on_stdout = memlint("check", "--output-format", "gitlab", "agent.py", cwd=tmp_path)
    to_file = memlint("check", "--output-format", "gitlab", "--output-file", "report.json", "agent.py", cwd=tmp_path)
    assert to_file.returncode == 1 and to_file.out == ""
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == on_stdout.out
    concise = memlint("check", "-o", "out.txt", "--color", "auto", "agent.py", cwd=tmp_path, env={"FORCE_COLOR": ""})
    assert concise.out == "" and (tmp_path / "out.txt").read_text(encoding="utf-8") == memlint(
        "check", "agent.py", cwd=tmp_path).out
    assert_user_error(subprocess.run([str(MEMLINT), "check", "-o", "no/such/dir/out.txt", "agent.py"], cwd=tmp_path,
                                     capture_output=True, text=True, timeout=120), "--output-file")


# ---------------------------------------------------------------- other options


def test_rule_by_name_or_code() -> None:
    by_code = memlint("rule", "MEM101", cwd=Path.cwd())
    assert by_code.returncode == 0 and "uuid-value" in by_code.out
    for name in ("uuid-value", "UUID-Value", "uuid_value"):
        assert memlint("rule", name, cwd=Path.cwd()).out == by_code.out
    as_json = json.loads(memlint("rule", "model-value", "--output-format", "json", cwd=Path.cwd()).out)
    assert as_json["code"] == "MEM102"
    assert_user_error(subprocess.run([str(MEMLINT), "rule", "uuid"], capture_output=True, text=True, timeout=120),
                      "uuid")


@pytest.mark.parametrize("args", [
    ["check", "--stat", "."],
    ["check", "--output-fo", "json", "."],
    ["check", "--exit-z", "."],
    ["check", "--no-respect", "."],
    ["rule", "--al"],
])
def test_abbreviated_long_options_are_errors(tmp_path: Path, args: list[str]) -> None:
    result = subprocess.run([str(MEMLINT), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert_user_error(result, args[1])


def test_show_files_lists_without_checking(monorepo: Path) -> None:
    write(monorepo / "services" / "agent" / "legacy" / "old.py", MIXED)
    result = memlint("check", "--show-files", cwd=monorepo)
    assert result.returncode == 0, result.err
    assert result.out.splitlines() == ["services/agent/agent.py", "services/agent/desk/__init__.py",
                                       "services/agent/desk/models.py"]


def test_show_settings_gives_each_value_and_where_it_came_from(monorepo: Path) -> None:
    write(monorepo / "pyproject.toml", '[tool.memlint]\nstrict = true\nmemory-attributes = ["agent_memory"]\n')
    agent = monorepo / "services" / "agent" / "pyproject.toml"
    agent.write_text(agent.read_text(encoding="utf-8") + 'extend = "../../pyproject.toml"\n', encoding="utf-8")
    result = memlint("check", "--show-settings", "--select", "MEM101,MEM102", "services/agent", cwd=monorepo)
    assert result.returncode == 0, result.err
    lines = result.out.splitlines()
    # The knowledge lines are still there.
    assert lines[0] == "Settings for services/agent/agent.py"
    assert any(line.startswith("  target environment: ") for line in lines)
    assert any(line.startswith("  Flink Agents API from: ") for line in lines)
    project = "services/agent/pyproject.toml"
    for expected in (
        'select = ["MEM101", "MEM102"]  # command line (--select)',
        f'ignore = ["MEM106"]  # {project}',
        f'per-file-ignores = {{"tests/" = ["MEM101"]}}  # {project}',
        f'extend-exclude = ["legacy"]  # {project}',
        f'extend = "../../pyproject.toml"  # {project}',
        "strict = true  # pyproject.toml",
        'memory-attributes = ["agent_memory"]  # pyproject.toml',
        "respect-gitignore = true  # default",
        "required-version = (not set)  # default",
    ):
        assert f"  {expected}" in lines, (expected, result.out)
    assert any(line.startswith('  exclude = [".git", ') and line.endswith("# default") for line in lines)


def test_exit_non_zero_on_fix(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.memlint]\nignore = ["MEM106"]\n')
    write(tmp_path / "agent.py", MIXED)
    fixed = memlint("check", "--fix", "--unsafe-fixes", "agent.py", cwd=tmp_path)
    assert fixed.returncode == 0 and "Fixed 2 errors." in fixed.out
    write(tmp_path / "agent.py", MIXED)
    strict = memlint("check", "--fix", "--unsafe-fixes", "--exit-non-zero-on-fix", "agent.py", cwd=tmp_path)
    assert strict.returncode == 1 and "Fixed 2 errors." in strict.out
    # Nothing to fix: exit 0 with the flag too.
    again = memlint("check", "--fix", "--unsafe-fixes", "--exit-non-zero-on-fix", "agent.py", cwd=tmp_path)
    assert again.returncode == 0, again.out
