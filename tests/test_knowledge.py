"""Where memlint's knowledge comes from (lint/knowledge.py, README "Where
memlint's knowledge comes from"), end to end.

Every case runs the installed `memlint` command in a subprocess against
real virtual environments made with `python -m venv --without-pip` in a
temporary folder, with packages written straight into their site-packages.
Resolution order: the project's own modules -> the target environment's
installed packages (PEP 561 `-stubs` first, then `.pyi`, then `.py`; `.pth`
lines followed) -> the bundled Flink Agents stubs of `flink-agents-version`
-> the bundled pydantic/numpy stubs -> typeshed. The target environment:
`--python` / `python = "..."` -> `VIRTUAL_ENV` -> `.venv`/`venv` at the
project root -> the interpreter memlint runs in.

Agent files mark the lines that must be flagged with `# expect: MEMxxx`; a
test compares the exact set of (line, code) pairs, so a line flagged where
it should be quiet fails as surely as a miss.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

MEMLINT = shutil.which("memlint")
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>MEM\d{3}(?:\s*,\s*MEM\d{3})*)")


# -- helpers -------------------------------------------------------------------

def clean_environ(**extra: str) -> dict[str, str]:
    """The test process's environment without an active virtualenv (so that the
    developer's own `VIRTUAL_ENV` cannot decide a case), plus `extra`."""
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    environ.update(extra)
    return environ


def memlint(*args: str, cwd: Path, env: Optional[dict[str, str]] = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    assert MEMLINT is not None, "the `memlint` command is not on PATH (pip install -e .)"
    return subprocess.run([MEMLINT, *args], cwd=str(cwd), capture_output=True, text=True, encoding="utf-8",
                          env=clean_environ() if env is None else env, timeout=timeout)


def found(result: subprocess.CompletedProcess[str]) -> set[tuple[str, int, str]]:
    """(file name, line, code) of every diagnostic of a `--output-format json` run."""
    assert result.returncode in (0, 1), (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return {(Path(d["path"]).name, d["line"], d["code"]) for d in json.loads(result.stdout)}


def expected(*files: Path) -> set[tuple[str, int, str]]:
    """The `# expect: MEMxxx` markers of agent files."""
    marks: set[tuple[str, int, str]] = set()
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                for code in match["codes"].split(","):
                    marks.add((path.name, number, code.strip()))
    return marks


def check(*args: str, cwd: Path, env: Optional[dict[str, str]] = None) -> set[tuple[str, int, str]]:
    return found(memlint("check", "--output-format", "json", "--jobs", "1", *args, cwd=cwd, env=env))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True,
                   capture_output=True, env=clean_environ(), timeout=120)
    assert (path / "pyvenv.cfg").is_file()
    return path


def site_packages(venv: Path) -> Path:
    found_dirs = sorted(venv.glob("lib/python3.*/site-packages")) or sorted(venv.glob("Lib/site-packages"))
    assert len(found_dirs) == 1, found_dirs
    return found_dirs[0]


def settings_lines(result: subprocess.CompletedProcess[str]) -> dict[str, list[str]]:
    """`--show-settings` output as {label: [values]} (site-packages may repeat)."""
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    lines: dict[str, list[str]] = {}
    for line in result.stdout.splitlines()[1:]:
        label, _, value = line.strip().partition(": ")
        lines.setdefault(label, []).append(value)
    return lines


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    return lines[0]


# -- the third-party SDK written into environments --------------------------------

ACME_SDK = '''\
"""A third-party SDK: a pydantic model, an Enum, a dataclass, a UUID factory."""
from dataclasses import dataclass
from enum import Enum
from uuid import UUID, uuid4

from pydantic import BaseModel


class Reply(BaseModel):
    text: str


class Color(Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Point:
    x: int
    y: int


def new_id() -> UUID:
    return uuid4()
'''

AGENT = '''\
from acme_sdk import Color, Point, Reply, new_id


def on_event(event, ctx):
    reply = Reply(text="hi")
    ctx.sensory_memory.set("reply", reply)  # expect: MEM102
    ctx.sensory_memory.set("color", Color.RED)  # expect: MEM103
    ctx.sensory_memory.set("point", Point(x=1, y=2))  # expect: MEM106
    ctx.sensory_memory.set("id", new_id())  # expect: MEM101
    ctx.sensory_memory.set("reply_json", reply.model_dump(mode="json"))
    ctx.sensory_memory.set("color_value", Color.BLUE.value)
    ctx.sensory_memory.set("id_text", str(new_id()))
'''


def install_acme(site: Path) -> None:
    write(site / "acme_sdk" / "__init__.py", ACME_SDK)
    write(site / "acme_sdk-1.0.dist-info" / "METADATA", "Metadata-Version: 2.1\nName: acme-sdk\nVersion: 1.0\n")


@pytest.fixture(scope="module")
def sdk_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real virtualenv with `acme_sdk` installed (and no pydantic)."""
    venv = make_venv(tmp_path_factory.mktemp("sdk") / "venv")
    install_acme(site_packages(venv))
    assert not (site_packages(venv) / "pydantic").exists()
    return venv


@pytest.fixture(scope="module")
def empty_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real virtualenv with nothing installed: a decoy, and a hermetic target."""
    return make_venv(tmp_path_factory.mktemp("empty") / "venv")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project (pyproject.toml without [tool.memlint]) holding AGENT, outside any venv."""
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    write(root / "agent.py", AGENT)
    return root


def test_the_memlint_command_and_the_sdk_are_real(sdk_venv: Path) -> None:
    assert MEMLINT is not None, "the `memlint` command is not on PATH (pip install -e .)"
    assert importlib.util.find_spec("acme_sdk") is None  # only the venv has it


# -- 1. finding the target environment -------------------------------------------

def test_without_a_target_environment_the_sdk_is_unknown_and_memlint_is_quiet(project: Path) -> None:
    assert check(".", cwd=project) == set()


def test_python_option_with_the_virtualenv_folder(project: Path, sdk_venv: Path) -> None:
    assert check(".", "--python", str(sdk_venv), cwd=project) == expected(project / "agent.py")


def test_python_option_with_the_virtualenvs_interpreter(project: Path, sdk_venv: Path) -> None:
    python = sdk_venv / "bin" / "python"
    assert python.exists()
    assert check(".", "--python", str(python), cwd=project) == expected(project / "agent.py")


def test_python_option_relative_to_the_working_directory(project: Path, sdk_venv: Path) -> None:
    relative = os.path.relpath(sdk_venv, project)
    assert check(".", "--python", relative, cwd=project) == expected(project / "agent.py")


def test_active_virtual_env(project: Path, sdk_venv: Path) -> None:
    env = clean_environ(VIRTUAL_ENV=str(sdk_venv))
    assert check(".", cwd=project, env=env) == expected(project / "agent.py")


@pytest.mark.parametrize("name", [".venv", "venv"])
def test_virtualenv_at_the_project_root(tmp_path: Path, name: str) -> None:
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    agent = write(root / "agents" / "agent.py", AGENT)
    install_acme(site_packages(make_venv(root / name)))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    want = expected(agent)
    assert check(".", cwd=root) == want
    assert check(str(agent), cwd=elsewhere) == want  # found from the file's project, not the cwd
    # The venv is not checked as part of the project (default excludes).
    assert {name for name, _, _ in check(".", cwd=root)} == {"agent.py"}


def test_a_folder_named_venv_without_pyvenv_cfg_is_not_an_environment(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    write(root / "agent.py", AGENT)
    install_acme(root / ".venv" / "lib" / "python3.11" / "site-packages")
    assert check(".", cwd=root) == set()


def test_python_setting_in_tool_memlint_relative_to_the_config(tmp_path: Path, sdk_venv: Path,
                                                               empty_venv: Path) -> None:
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[tool.memlint]\npython = ".venv"\n')
    agent = write(root / "agent.py", AGENT)
    install_acme(site_packages(make_venv(root / ".venv")))
    # An active VIRTUAL_ENV (empty) ranks below the setting: the setting must win.
    decoy = clean_environ(VIRTUAL_ENV=str(empty_venv))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert check(str(agent), cwd=elsewhere, env=decoy) == expected(agent)
    # A path that is not a .venv at the root: only the setting can find it.
    other = tmp_path / "other"
    write(other / "memlint.toml", f'python = "{os.path.relpath(sdk_venv, other)}"\n')
    other_agent = write(other / "agent.py", AGENT)
    assert check(str(other_agent), cwd=elsewhere, env=decoy) == expected(other_agent)


def test_precedence_python_option_over_setting_over_virtual_env_over_project_venv(
        tmp_path: Path, sdk_venv: Path, empty_venv: Path) -> None:
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    agent = write(root / "agent.py", AGENT)
    make_venv(root / ".venv")  # empty
    want = expected(agent)
    # VIRTUAL_ENV beats the project's .venv
    assert check(".", cwd=root, env=clean_environ(VIRTUAL_ENV=str(sdk_venv))) == want
    # --python beats VIRTUAL_ENV
    assert check(".", "--python", str(empty_venv), cwd=root, env=clean_environ(VIRTUAL_ENV=str(sdk_venv))) == set()
    # the python setting beats VIRTUAL_ENV; --python beats the setting
    write(root / "pyproject.toml", f'[tool.memlint]\npython = "{sdk_venv}"\n')
    assert check(".", cwd=root, env=clean_environ(VIRTUAL_ENV=str(empty_venv))) == want
    assert check(".", "--python", str(empty_venv), cwd=root) == set()


def test_parallel_workers_read_the_same_environment(tmp_path: Path, sdk_venv: Path) -> None:
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    agents = [write(root / f"agent_{i}.py", AGENT) for i in range(6)]
    result = memlint("check", "--output-format", "json", "--jobs", "2", "--python", str(sdk_venv), ".", cwd=root)
    assert found(result) == expected(*agents)


def test_the_target_python_version_decides_typeshed(tmp_path: Path) -> None:
    """`version = 3.8` in pyvenv.cfg: the environment's Python, not memlint's, is
    reported and its lib/python3.8 site-packages is the one read."""
    venv = tmp_path / "py38"
    write(venv / "pyvenv.cfg", "home = /nonexistent/bin\ninclude-system-site-packages = false\nversion = 3.8.18\n")
    install_acme(venv / "lib" / "python3.8" / "site-packages")
    write(venv / "lib" / "python3.9" / "site-packages" / "stray.py", "")
    root = tmp_path / "project"
    write(root / "agent.py", AGENT)
    lines = settings_lines(memlint("check", "--show-settings", "--python", str(venv), ".", cwd=root))
    assert lines["Python version"] == ["3.8"]
    assert lines["site-packages"] == [str((venv / "lib" / "python3.8" / "site-packages").resolve())]
    assert check(".", "--python", str(venv), cwd=root) == expected(root / "agent.py")


def test_include_system_site_packages_adds_the_base_interpreters(tmp_path: Path) -> None:
    base = tmp_path / "base"
    install_acme(base / "lib" / "python3.11" / "site-packages")
    (base / "bin").mkdir()
    venv = tmp_path / "venv"
    write(venv / "pyvenv.cfg", f"home = {base / 'bin'}\ninclude-system-site-packages = true\nversion = 3.11.4\n")
    (venv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    root = tmp_path / "project"
    write(root / "agent.py", AGENT)
    assert check(".", "--python", str(venv), cwd=root) == expected(root / "agent.py")
    write(venv / "pyvenv.cfg", f"home = {base / 'bin'}\ninclude-system-site-packages = false\nversion = 3.11.4\n")
    assert check(".", "--python", str(venv), cwd=root) == set()


# -- an interpreter outside a virtualenv --------------------------------------------

def fake_installation(prefix: Path, versions: tuple[str, ...], binary: str, link: Optional[str] = None) -> Path:
    """A Python installation prefix (bin/, lib/pythonX.Y/site-packages) with
    acme_sdk installed for the *last* of `versions` only."""
    for version in versions:
        (prefix / "lib" / f"python{version}" / "site-packages").mkdir(parents=True, exist_ok=True)
    install_acme(prefix / "lib" / f"python{versions[-1]}" / "site-packages")
    (prefix / "bin").mkdir(parents=True, exist_ok=True)
    executable = prefix / "bin" / binary
    executable.write_text("#!/bin/sh\n", encoding="utf-8")
    executable.chmod(0o755)
    if link:
        (prefix / "bin" / link).symlink_to(binary)
        return prefix / "bin" / link
    return executable


def test_interpreter_outside_a_virtualenv(tmp_path: Path) -> None:
    python = fake_installation(tmp_path / "prefix", ("3.11",), "python3.11")
    root = tmp_path / "project"
    write(root / "agent.py", AGENT)
    assert check(".", "--python", str(python), cwd=root) == expected(root / "agent.py")
    # the installation's folder names it too
    assert check(".", "--python", str(tmp_path / "prefix"), cwd=root) == expected(root / "agent.py")


def test_interpreter_symlink_decides_the_version_among_several(tmp_path: Path) -> None:
    """`bin/python3 -> python3.10` in a prefix holding lib/python3.9 and
    lib/python3.10: the version is the one the link names (3.10), not the
    alphabetically last (3.9), and 3.9's packages are not read."""
    python = fake_installation(tmp_path / "prefix", ("3.9", "3.10"), "python3.10", link="python3")
    stray = tmp_path / "prefix" / "lib" / "python3.9" / "site-packages" / "acme_sdk"
    write(stray / "__init__.py", "def new_id() -> str: ...\n")
    root = tmp_path / "project"
    write(root / "agent.py", AGENT)
    lines = settings_lines(memlint("check", "--show-settings", "--python", str(python), ".", cwd=root))
    assert lines["Python version"] == ["3.10"]
    assert lines["site-packages"] == [str((tmp_path / "prefix" / "lib" / "python3.10" / "site-packages").resolve())]
    assert check(".", "--python", str(python), cwd=root) == expected(root / "agent.py")


def test_debian_layout_dist_packages(tmp_path: Path) -> None:
    """Debian/Ubuntu's system Python: /usr/bin/python3 -> python3.11, the
    standard library in /usr/lib/python3.11 (no site-packages), packages in
    /usr/lib/python3/dist-packages and /usr/local/lib/python3.11/dist-packages."""
    usr = tmp_path / "usr"
    (usr / "lib" / "python3.11").mkdir(parents=True)
    write(usr / "lib" / "python3.11" / "os.py", "")
    install_acme(usr / "lib" / "python3" / "dist-packages")
    write(usr / "local" / "lib" / "python3.11" / "dist-packages" / "local_pkg.py",
          "from uuid import UUID\ndef local_id() -> UUID: ...\n")
    (usr / "bin").mkdir()
    (usr / "bin" / "python3.11").write_text("#!/bin/sh\n", encoding="utf-8")
    (usr / "bin" / "python3.11").chmod(0o755)
    (usr / "bin" / "python3").symlink_to("python3.11")
    root = tmp_path / "project"
    agent = write(root / "agent.py", AGENT + '''

from local_pkg import local_id


def on_local(event, ctx):
    ctx.sensory_memory.set("local", local_id())  # expect: MEM101
''')
    lines = settings_lines(memlint("check", "--show-settings", "--python", str(usr / "bin" / "python3"), ".", cwd=root))
    assert lines["Python version"] == ["3.11"]
    assert lines["site-packages"] == [str((usr / "local" / "lib" / "python3.11" / "dist-packages").resolve()),
                                      str((usr / "lib" / "python3" / "dist-packages").resolve())]
    assert check(".", "--python", str(usr / "bin" / "python3"), cwd=root) == expected(agent)


# -- 2. an installed flink_agents wins over the bundled stubs -----------------------

FLINK_AGENT = '''\
from flink_agents.api.events.chat_event import ChatResponseEvent
from flink_agents.api.events.event import Event


def on_response(event: Event, ctx):
    response = ChatResponseEvent.from_event(event)
    ctx.sensory_memory.set("request_id", response.request_id)  # bundled: MEM101
    ctx.sensory_memory.set("trace_id", response.trace_id)  # installed: MEM101
'''

FAKE_EVENT = '''\
from uuid import UUID

from pydantic import BaseModel


class Event(BaseModel):
    id: UUID

    @classmethod
    def from_event(cls, event: "Event") -> "Event":
        return event
'''

FAKE_CHAT_EVENT = '''\
"""Not the real API: request_id is a str here, and there is a trace_id UUID."""
from uuid import UUID

from flink_agents.api.events.event import Event


class ChatResponseEvent(Event):
    @classmethod
    def from_event(cls, event: Event) -> "ChatResponseEvent":
        return cls.model_validate(event.model_dump())

    @property
    def request_id(self) -> str:
        return ""

    @property
    def trace_id(self) -> UUID:
        return self.id
'''


def write_fake_flink_agents(base: Path) -> None:
    for package in ("flink_agents", "flink_agents/api", "flink_agents/api/events"):
        write(base / package / "__init__.py", "")
    write(base / "flink_agents" / "api" / "events" / "event.py", FAKE_EVENT)
    write(base / "flink_agents" / "api" / "events" / "chat_event.py", FAKE_CHAT_EVENT)


def lines_marked(path: Path, marker: str) -> set[tuple[str, int, str]]:
    return {(path.name, number, "MEM101") for number, line in
            enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if marker in line}


def test_bundled_flink_stubs_without_an_installed_flink_agents(tmp_path: Path, empty_venv: Path) -> None:
    root = tmp_path / "project"
    agent = write(root / "agent.py", FLINK_AGENT)
    assert check(".", "--python", str(empty_venv), cwd=root) == lines_marked(agent, "bundled: MEM101")
    lines = settings_lines(memlint("check", "--show-settings", "--python", str(empty_venv), ".", cwd=root))
    assert lines["Flink Agents API from"][0].startswith("bundled stubs 0.3")


def test_installed_flink_agents_wins_over_the_bundled_stubs(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    site = site_packages(venv)
    write_fake_flink_agents(site)
    write(site / "flink_agents-9.9.1.dist-info" / "METADATA",
          "Metadata-Version: 2.1\nName: flink-agents\nVersion: 9.9.1\n")
    root = tmp_path / "project"
    agent = write(root / "agent.py", FLINK_AGENT)
    assert check(".", "--python", str(venv), cwd=root) == lines_marked(agent, "installed: MEM101")
    lines = settings_lines(memlint("check", "--show-settings", "--python", str(venv), ".", cwd=root))
    assert lines["Flink Agents API from"] == [f"flink-agents 9.9.1 installed in {site.resolve()}"]
    # flink-agents-version chooses among the bundled stubs only: the installed package still wins.
    write(root / "memlint.toml", 'flink-agents-version = "0.2"\n')
    assert check(".", "--python", str(venv), cwd=root) == lines_marked(agent, "installed: MEM101")
    lines = settings_lines(memlint("check", "--show-settings", "--python", str(venv), ".", cwd=root))
    assert lines["Flink Agents API from"] == [f"flink-agents 9.9.1 installed in {site.resolve()}"]


def test_installed_flink_agents_without_metadata_has_an_unknown_version(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    write_fake_flink_agents(site_packages(venv))
    root = tmp_path / "project"
    write(root / "agent.py", FLINK_AGENT)
    lines = settings_lines(memlint("check", "--show-settings", "--python", str(venv), ".", cwd=root))
    assert lines["Flink Agents API from"] == [
        f"flink-agents (unknown version) installed in {site_packages(venv).resolve()}"]


def test_editable_flink_agents_reports_the_version_of_its_metadata(tmp_path: Path) -> None:
    """`pip install -e flink-agents/python`: the source is elsewhere (a .pth line),
    the dist-info is in site-packages."""
    venv = make_venv(tmp_path / "venv")
    site = site_packages(venv)
    checkout = tmp_path / "flink-agents" / "python"
    write_fake_flink_agents(checkout)
    write(site / "__editable__.flink_agents-0.4.0.dev0.pth", f"{checkout}\n")
    write(site / "flink_agents-0.4.0.dev0.dist-info" / "METADATA",
          "Metadata-Version: 2.1\nName: flink-agents\nVersion: 0.4.0.dev0\n")
    root = tmp_path / "project"
    agent = write(root / "agent.py", FLINK_AGENT)
    assert check(".", "--python", str(venv), cwd=root) == lines_marked(agent, "installed: MEM101")
    lines = settings_lines(memlint("check", "--show-settings", "--python", str(venv), ".", cwd=root))
    assert lines["Flink Agents API from"] == [f"flink-agents 0.4.0.dev0 installed in {checkout.resolve()}"]


# -- 3. PEP 561 stub packages, .pyi beside .py, .pth files -----------------------------

def test_stub_only_package_wins_over_the_source_package(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    site = site_packages(venv)
    # The source says str; the PEP 561 stub package says UUID: the stubs are what a type checker reads.
    write(site / "acme_sdk" / "__init__.py", "def new_id():\n    return 'x'\n")
    write(site / "acme_sdk" / "models.py", "class Reply:\n    pass\n")
    write(site / "acme_sdk-stubs" / "__init__.pyi", "from uuid import UUID\ndef new_id() -> UUID: ...\n")
    write(site / "acme_sdk-stubs" / "models.pyi",
          "from pydantic import BaseModel\nclass Reply(BaseModel):\n    text: str\n")
    root = tmp_path / "project"
    agent = write(root / "agent.py", '''\
from acme_sdk import new_id
from acme_sdk.models import Reply


def on_event(event, ctx):
    ctx.sensory_memory.set("id", new_id())  # expect: MEM101
    ctx.sensory_memory.set("reply", Reply(text="x"))  # expect: MEM102
''')
    assert check(".", "--python", str(venv), cwd=root) == expected(agent)


def test_a_stub_package_wins_over_the_source_in_an_earlier_folder(tmp_path: Path) -> None:
    """PEP 561: stub-only packages come before inline packages across the whole
    search path, not folder by folder (here the stubs are in a folder a .pth adds)."""
    venv = make_venv(tmp_path / "venv")
    site = site_packages(venv)
    write(site / "acme_sdk" / "__init__.py", "def new_id() -> str:\n    return 'x'\n")
    stubs = tmp_path / "stubs_checkout"
    write(stubs / "acme_sdk-stubs" / "__init__.pyi", "from uuid import UUID\ndef new_id() -> UUID: ...\n")
    write(site / "stubs_checkout.pth", f"{stubs}\n")
    root = tmp_path / "project"
    agent = _new_id_agent(root)
    assert check(".", "--python", str(venv), cwd=root) == {(agent.name, 5, "MEM101")}


def test_pyi_beside_the_source_wins_over_the_source(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    site = site_packages(venv)
    write(site / "inline" / "__init__.py", "def new_id() -> str:\n    return 'x'\n")
    write(site / "inline" / "__init__.pyi", "from uuid import UUID\ndef new_id() -> UUID: ...\n")
    write(site / "inline" / "py.typed", "")
    write(site / "single.py", "def make():\n    return 1\n")
    write(site / "single.pyi", "from enum import Enum\nclass Mode(Enum):\n    A = 1\ndef make() -> Mode: ...\n")
    root = tmp_path / "project"
    agent = write(root / "agent.py", '''\
from inline import new_id
from single import make


def on_event(event, ctx):
    ctx.sensory_memory.set("id", new_id())  # expect: MEM101
    ctx.sensory_memory.set("mode", make())  # expect: MEM103
''')
    assert check(".", "--python", str(venv), cwd=root) == expected(agent)


def test_pth_lines_are_followed_and_import_lines_are_not_run(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    site = site_packages(venv)
    outside = tmp_path / "checkouts" / "acme" / "src"
    install_acme(outside)
    relative = tmp_path / "relative_checkout"
    write(relative / "rel_pkg.py", "from uuid import UUID\ndef rel_id() -> UUID: ...\n")
    marker = tmp_path / "pth_import_ran"
    write(site / "__editable__.acme_sdk-1.0.pth", f"# an editable install\n{outside}\n\n")
    write(site / "zz_relative.pth", os.path.relpath(relative, site) + "\n")
    write(site / "side_effect.pth", f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\n")
    root = tmp_path / "project"
    agent = write(root / "agent.py", AGENT + '''

from rel_pkg import rel_id


def on_relative(event, ctx):
    ctx.sensory_memory.set("rel", rel_id())  # expect: MEM101
''')
    assert check(".", "--python", str(venv), cwd=root) == expected(agent)
    assert not marker.exists()


def test_the_projects_own_module_wins_over_an_installed_one(tmp_path: Path, sdk_venv: Path) -> None:
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    write(root / "acme_sdk.py", "def new_id() -> str:\n    return 'x'\n")
    write(root / "agent.py", '''\
from acme_sdk import new_id


def on_event(event, ctx):
    ctx.sensory_memory.set("id", new_id())
''')
    assert check(".", "--python", str(sdk_venv), cwd=root) == set()


def test_bundled_pydantic_stubs_serve_an_environment_without_pydantic(project: Path, sdk_venv: Path) -> None:
    lines = settings_lines(memlint("check", "--show-settings", "--python", str(sdk_venv), ".", cwd=project))
    assert lines["site-packages"] == [str(site_packages(sdk_venv).resolve())]
    assert not any((Path(p) / "pydantic").exists() for p in lines["site-packages"])
    assert ("agent.py", 6, "MEM102") in check(".", "--python", str(sdk_venv), cwd=project)


# -- 4. flink-agents-version chooses the bundled stub set -------------------------------

VERSIONED_AGENT = '''\
from flink_agents.api.core_options import ShortTermMemoryTtlUpdate
from flink_agents.api.events.chat_event import ChatResponseEvent
from flink_agents.api.events.event import Event
from flink_agents.api.events.memory_event import ShortTermWriteEvent


def on_typed(event: ChatResponseEvent, ctx):
    ctx.sensory_memory.set("a", event.request_id)  # 0.2 0.3 main


def on_event(event: Event, ctx):
    ctx.sensory_memory.set("b", ChatResponseEvent.from_event(event).request_id)  # 0.3 main
    ctx.sensory_memory.set("c", ShortTermMemoryTtlUpdate.ON_CREATE_AND_WRITE)  # 0.3 main
    ctx.sensory_memory.set("d", ShortTermWriteEvent(key="k", value={}))  # main
'''
VERSIONED_CODES = {"a": "MEM101", "b": "MEM101", "c": "MEM103", "d": "MEM102"}


@pytest.mark.parametrize("setting, stub_set", [
    (None, "0.3"), ("0.2", "0.2"), ("0.2.1", "0.2"), ("0.3", "0.3"), ("0.3.1", "0.3"), ("main", "main"),
    ("0.4", "main"),
])
def test_flink_agents_version_chooses_the_stub_set(tmp_path: Path, empty_venv: Path, setting: Optional[str],
                                                   stub_set: str) -> None:
    root = tmp_path / "project"
    if setting is not None:
        write(root / "pyproject.toml", f'[tool.memlint]\nflink-agents-version = "{setting}"\n')
    agent = write(root / "agent.py", VERSIONED_AGENT)
    want = set()
    for number, line in enumerate(VERSIONED_AGENT.splitlines(), start=1):
        match = re.search(r'set\("(\w)".*#(.*)$', line)
        if match and stub_set in match[2].split():
            want.add((agent.name, number, VERSIONED_CODES[match[1]]))
    assert check(".", "--python", str(empty_venv), cwd=root) == want
    lines = settings_lines(memlint("check", "--show-settings", "--python", str(empty_venv), ".", cwd=root))
    assert lines["Flink Agents API from"][0].startswith(f"bundled stubs {stub_set} ")
    assert lines["flink-agents-version"][0].startswith(setting or "0.3 (default")


# -- 5. --show-settings, -v and bad environments --------------------------------------

def test_show_settings_names_environment_python_site_packages_and_flink_source(project: Path,
                                                                             sdk_venv: Path) -> None:
    result = memlint("check", "--show-settings", "--python", str(sdk_venv), ".", cwd=project)
    lines = settings_lines(result)
    assert result.stdout.splitlines()[0].startswith("Settings for ")
    assert lines["target environment"] == [f"virtual environment {sdk_venv} (--python / python setting)"]
    version = re.search(r"version = (\d+\.\d+)", (sdk_venv / "pyvenv.cfg").read_text())[1]
    assert lines["Python version"] == [version]
    assert lines["site-packages"] == [str(site_packages(sdk_venv).resolve())]
    assert lines["Flink Agents API from"] == ["bundled stubs 0.3 (generated from the flink-agents source)"]
    assert lines["flink-agents-version"] == ["0.3 (default: the latest release)"]
    assert lines["Python's own modules from"][0].startswith("typeshed (typeshed_client ")
    assert result.stderr == ""


def test_show_settings_names_why_the_environment_was_chosen(tmp_path: Path, sdk_venv: Path) -> None:
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    write(root / "agent.py", AGENT)
    make_venv(root / ".venv")
    lines = settings_lines(memlint("check", "--show-settings", ".", cwd=root))
    assert lines["target environment"] == [f"virtual environment {root / '.venv'} (.venv at the project root)"]
    lines = settings_lines(memlint("check", "--show-settings", ".", cwd=root,
                                   env=clean_environ(VIRTUAL_ENV=str(sdk_venv))))
    assert lines["target environment"] == [f"virtual environment {sdk_venv} (VIRTUAL_ENV)"]
    shutil.rmtree(root / ".venv")
    lines = settings_lines(memlint("check", "--show-settings", ".", cwd=root))
    assert lines["target environment"][0].startswith("the interpreter memlint runs in")
    assert lines["Python version"] == [f"{sys.version_info[0]}.{sys.version_info[1]}"]


def test_verbose_prints_the_settings_on_stderr_and_still_checks(project: Path, sdk_venv: Path) -> None:
    shown = memlint("check", "--show-settings", "--python", str(sdk_venv), ".", cwd=project)
    verbose = memlint("check", "-v", "--output-format", "json", "--python", str(sdk_venv), ".", cwd=project)
    assert verbose.returncode == 1, verbose.stderr
    assert {(Path(d["path"]).name, d["line"], d["code"]) for d in json.loads(verbose.stdout)} == \
        expected(project / "agent.py")
    # -v prints the knowledge part of --show-settings (which goes on with the configuration's values)
    stderr = verbose.stderr.splitlines()
    assert stderr == [f"memlint: {line.strip()}" for line in shown.stdout.splitlines()[:len(stderr)]]
    labels = {line.removeprefix("memlint: ").partition(": ")[0] for line in stderr}
    assert {"target environment", "Python version", "site-packages", "Flink Agents API from"} <= labels
    assert f"memlint: site-packages: {site_packages(sdk_venv).resolve()}" in stderr


@pytest.mark.parametrize("contents", ["x = 1\n", AGENT])
def test_python_option_that_does_not_exist_is_a_one_line_error(tmp_path: Path, contents: str) -> None:
    """Also when no file holds a memory write (the environment is checked up front)."""
    root = tmp_path / "project"
    write(root / "agent.py", contents)
    for extra in ((), ("--show-settings",), ("-v",), ("--jobs", "2")):
        result = memlint("check", "--python", "/does/not/exist", *extra, ".", cwd=root)
        assert_one_line_error(result, "--python", "/does/not/exist", "does not exist")


def test_python_option_that_is_not_an_environment(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root / "agent.py", AGENT)
    (tmp_path / "nothing").mkdir()
    assert_one_line_error(memlint("check", "--python", str(tmp_path / "nothing"), ".", cwd=root),
                          "--python", str(tmp_path / "nothing"))
    assert_one_line_error(memlint("check", "--python", str(root / "agent.py"), ".", cwd=root),
                          "--python", "agent.py")


@pytest.mark.parametrize("contents", ["x = 1\n", AGENT])
def test_bad_python_setting_is_a_one_line_error_naming_the_config(tmp_path: Path, contents: str) -> None:
    root = tmp_path / "project"
    config = write(root / "pyproject.toml", '[tool.memlint]\npython = "no-such-venv"\n')
    write(root / "agent.py", contents)
    for extra in ((), ("--show-settings",), ("-v",)):
        line = assert_one_line_error(memlint("check", *extra, ".", cwd=root), str(config), "python",
                                     "no-such-venv", "does not exist")
        assert "--python" not in line
    # --python on the command line replaces the setting
    make_venv(root / "env")
    assert memlint("check", "--python", str(root / "env"), ".", cwd=root).returncode in (0, 1)


def test_python_setting_of_the_wrong_type_is_a_config_error(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root / "pyproject.toml", "[tool.memlint]\npython = 3\n")
    write(root / "agent.py", AGENT)
    assert_one_line_error(memlint("check", ".", cwd=root), "python")


# -- 6. a real third-party SDK from PyPI: openai ------------------------------------------

def test_openai_models_from_the_running_interpreters_site_packages(tmp_path: Path) -> None:
    # A declared test dependency (the `test` extra): fail, never skip, when it is missing.
    assert importlib.util.find_spec("openai") is not None, "pip install openai (in the `test` extra)"
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    agent = write(root / "agent.py", '''\
from openai.types.chat import ChatCompletion


def on_completion(event, ctx, completion: ChatCompletion):
    ctx.sensory_memory.set("raw", completion)  # expect: MEM102
    ctx.sensory_memory.set("json", completion.model_dump(mode="json"))
    ctx.sensory_memory.set("message", completion.choices[0].message)  # expect: MEM102
    ctx.sensory_memory.set("content", completion.choices[0].message.content)
    ctx.sensory_memory.set("model", completion.model)
''')
    assert check(".", cwd=root) == expected(agent)
    result = memlint("check", ".", cwd=root)
    assert "ChatCompletion model" in result.stdout and "ChatCompletionMessage model" in result.stdout


def test_openai_unknown_when_the_target_environment_lacks_it(tmp_path: Path, empty_venv: Path) -> None:
    root = tmp_path / "project"
    write(root / "agent.py", '''\
from openai.types.chat import ChatCompletion


def on_completion(event, ctx, completion: ChatCompletion):
    ctx.sensory_memory.set("raw", completion)
''')
    assert check(".", "--python", str(empty_venv), cwd=root) == set()


# -- 7. never importing ---------------------------------------------------------------------

def test_installed_modules_are_read_never_imported(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    site = site_packages(venv)
    marker = tmp_path / "imported"
    write(site / "boom" / "__init__.py", f'''\
import pathlib
from uuid import UUID

from .models import Order


def new_id() -> UUID:
    return UUID(int=0)


pathlib.Path({str(marker)!r}).write_text("boom was imported")
raise SystemExit("boom must never be imported")
''')
    write(site / "boom" / "models.py", f'''\
import pathlib
from pydantic import BaseModel

pathlib.Path({str(marker)!r} + ".models").write_text("boom.models was imported")


class Order(BaseModel):
    id: int
''')
    root = tmp_path / "project"
    agent = write(root / "agent.py", '''\
from boom import Order, new_id


def on_event(event, ctx):
    ctx.sensory_memory.set("id", new_id())  # expect: MEM101
    ctx.sensory_memory.set("order", Order(id=1))  # expect: MEM102
''')
    assert check(".", "--python", str(venv), cwd=root) == expected(agent)
    assert check(".", "--python", str(venv), "--jobs", "2", cwd=root) == expected(agent)
    assert not marker.exists() and not Path(str(marker) + ".models").exists()


# -- the standard library comes before site-packages ------------------------------------

def test_a_stray_stdlib_named_module_in_site_packages_does_not_shadow_the_standard_library(tmp_path: Path) -> None:
    """`pip install uuid` puts PyPI's uuid 1.30 (Python 2 code) into site-packages
    as `uuid.py`; Python still imports the standard library's uuid (it comes
    first on sys.path), and so must memlint (typeshed's stub, not the stray file)."""
    venv = make_venv(tmp_path / "venv")
    write(site_packages(venv) / "uuid.py", '''\
class UUID(object):
    def __init__(self, hex=None):
        if hex is None:
            raise TypeError, "need one of hex, bytes, fields or int"


def uuid4():
    return UUID("0" * 32)
''')
    write(site_packages(venv) / "uuid-1.30.dist-info" / "METADATA", "Metadata-Version: 2.1\nName: uuid\nVersion: 1.30\n")
    root = tmp_path / "project"
    agent = write(root / "agent.py", '''\
import uuid


def on_event(event, ctx):
    ctx.sensory_memory.set("id", uuid.uuid4())  # expect: MEM101
''')
    assert check(".", "--python", str(venv), cwd=root) == expected(agent)


# -- the on-disk cache and a changing environment ------------------------------------------

def test_cached_results_follow_changes_in_the_environment(tmp_path: Path) -> None:
    """A second run reuses cached results; what was installed, removed or added
    in between must still decide the result, as in a run without the cache."""
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    agent = write(root / "agent.py", AGENT)
    want = expected(agent)
    assert check(".", cwd=root) == set()  # no environment yet
    venv = make_venv(root / ".venv")
    site = site_packages(venv)
    assert check(".", cwd=root) == set()  # an empty .venv: still unknown
    install_acme(site)
    assert check(".", cwd=root) == want  # installed since the last run
    assert check(".", cwd=root) == want
    assert check(".", "--no-cache", cwd=root) == want


def _new_id_agent(root: Path) -> Path:
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    return write(root / "agent.py", '''\
from acme_sdk import new_id


def on_event(event, ctx):
    ctx.sensory_memory.set("id", new_id())
''')


@pytest.mark.parametrize("shadow", ["stub package", "pyi beside", "project module"])
def test_cached_results_follow_a_new_module_that_shadows_the_one_read(tmp_path: Path, shadow: str) -> None:
    """Run 1 reads acme_sdk/__init__.py (new_id -> UUID: MEM101). Then a file that
    comes earlier in the resolution order appears, saying new_id -> str: run 2
    must read it, as `--no-cache` does."""
    root = tmp_path / "project"
    agent = _new_id_agent(root)
    venv = make_venv(root / ".venv")
    site = site_packages(venv)
    write(site / "acme_sdk" / "__init__.py", "from uuid import UUID\ndef new_id() -> UUID: ...\n")
    assert check(".", cwd=root) == {(agent.name, 5, "MEM101")}
    shadowing = {
        "stub package": site / "acme_sdk-stubs" / "__init__.pyi",
        "pyi beside": site / "acme_sdk" / "__init__.pyi",
        "project module": root / "acme_sdk.py",
    }[shadow]
    write(shadowing, "def new_id() -> str: ...\n")
    assert check(".", "--no-cache", cwd=root) == set()
    assert check(".", cwd=root) == set()


# -- pre-commit: the hook's own environment is the active one -------------------------------

def test_a_hooks_own_virtual_env_hides_the_project_venv_unless_pointed_at_it(tmp_path: Path,
                                                                            empty_venv: Path) -> None:
    """pre-commit runs a `language: python` hook with VIRTUAL_ENV set to the hook's
    isolated environment (memlint and its dependencies only), from the
    repository root: the project's .venv is reached with `args: [--python, .venv]`."""
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    agent = write(root / "agent.py", AGENT)
    install_acme(site_packages(make_venv(root / ".venv")))
    hook = clean_environ(VIRTUAL_ENV=str(empty_venv))
    assert check("agent.py", cwd=root, env=hook) == set()
    assert check("--python", ".venv", "agent.py", cwd=root, env=hook) == expected(agent)


# -- a long-lived host (language server, API caller) sees the environment change -------------

def _codes_in_process(agent: Path) -> set[tuple[str, int, str]]:
    import memlint

    return {(Path(d.path).name, d.line, d.code) for d in memlint.lint_source(agent.read_text(), str(agent))}


def test_a_long_lived_host_sees_a_project_venv_created_after_its_first_check(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    agent = write(root / "agent.py", AGENT)
    assert _codes_in_process(agent) == set()
    install_acme(site_packages(make_venv(root / ".venv")))
    assert _codes_in_process(agent) == expected(agent)


def test_a_long_lived_host_sees_a_package_installed_after_its_first_check(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0"\n')
    agent = write(root / "agent.py", AGENT)
    venv = make_venv(root / ".venv")
    assert _codes_in_process(agent) == set()
    install_acme(site_packages(venv))  # `pip install acme-sdk` while the editor is open
    assert _codes_in_process(agent) == expected(agent)
