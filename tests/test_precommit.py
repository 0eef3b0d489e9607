"""The pre-commit hook, installed by the real pre-commit from a git repository
holding this checkout's working tree, run by real `git commit`s.

Slow: the first commit builds the hook's environment (pre-commit pip-installs
the repository and its dependencies); one environment serves every case.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


class Git:
    """Runs commands in one repository with a hermetic environment."""

    def __init__(self, directory: Path, env: dict[str, str]) -> None:
        self.directory = directory
        self.env = env

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=self.directory,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def check(self, *args: str, timeout: float = 120) -> str:
        result = self.run(*args, timeout=timeout)
        assert result.returncode == 0, f"{args} failed:\n{result.stdout}{result.stderr}"
        return result.stdout

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.check("git", "init", "-q", "-b", "main")
        self.check("git", "config", "user.name", "memlint tests")
        self.check("git", "config", "user.email", "memlint-tests@example.invalid")
        self.check("git", "config", "commit.gpgsign", "false")

    def write(self, relative: str, text: str) -> None:
        path = self.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")

    def commit(self, *paths: str) -> subprocess.CompletedProcess[str]:
        """Stage `paths` and commit them; the installed pre-commit hook runs."""
        self.check("git", "add", "--", *paths)
        # The first commit of the module builds the hook environment.
        return self.run("git", "commit", "-m", f"add {' '.join(paths)}", timeout=1200)

    def commit_count(self) -> int:
        result = self.run("git", "rev-list", "--count", "HEAD")
        return int(result.stdout) if result.returncode == 0 else 0


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("precommit")
    gitconfig = base / "gitconfig"
    gitconfig.write_text("", encoding="utf-8")
    # Nothing from an enclosing git hook or pre-commit run, nor the user's git config.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_", "PRE_COMMIT"))
    }
    env.update(
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(base / "pre-commit-home"),
        PRE_COMMIT_COLOR="never",
    )
    return env


@pytest.fixture(scope="module")
def hook_repository(
    tmp_path_factory: pytest.TempPathFactory, environment: dict[str, str]
) -> tuple[Path, str]:
    """A git repository holding this checkout's working tree (what users install the hook from)."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    repo = Git(tmp_path_factory.mktemp("hook-repository") / "flink-agents-memlint", environment)
    repo.init()
    for relative in filter(None, listing.split("\0")):
        source = ROOT / relative
        if source.is_file():
            target = repo.directory / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    assert (repo.directory / ".pre-commit-hooks.yaml").is_file()
    repo.check("git", "add", "-A")
    repo.check("git", "commit", "-q", "-m", "memlint working tree")
    return repo.directory, repo.check("git", "rev-parse", "HEAD").strip()


@pytest.fixture
def project(tmp_path: Path, environment: dict[str, str], hook_repository: tuple[Path, str]) -> Git:
    """A user's repository with memlint in its .pre-commit-config.yaml and the hook installed."""
    hook_path, rev = hook_repository
    repo = Git(tmp_path / "project", environment)
    repo.init()
    repo.write(
        ".pre-commit-config.yaml",
        f"""\
        repos:
          - repo: {hook_path}
            rev: {rev}
            hooks:
              - id: memlint
        """,
    )
    repo.check(sys.executable, "-m", "pre_commit", "install")
    return repo


ACTION_HEADER = """\
from flink_agents.api.agents.agent import Agent
from flink_agents.api.decorators import action
from flink_agents.api.events.event import InputEvent
from flink_agents.api.runner_context import RunnerContext


class TriageAgent(Agent):
    @action(InputEvent)
    @staticmethod
    def remember_request(event: InputEvent, ctx: RunnerContext) -> None:
"""
WRITE = '        ctx.short_term_memory.set("request.id", {value})\n'


def test_hook_fails_on_a_violation_and_passes_on_compliant_code(project: Git):
    project.write("triage.py", ACTION_HEADER + WRITE.format(value="event.id"))
    failed = project.commit(".pre-commit-config.yaml", "triage.py")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "memlint" in output and "Failed" in output, output
    assert "MEM101" in output and "triage.py" in output, output
    assert project.commit_count() == 0

    project.write("triage.py", ACTION_HEADER + WRITE.format(value="str(event.id)"))
    passed = project.commit(".pre-commit-config.yaml", "triage.py")
    output = passed.stdout + passed.stderr
    assert passed.returncode == 0, output
    assert "memlint" in output and "Passed" in output, output
    assert project.commit_count() == 1


def test_hook_resolves_models_from_files_that_were_not_passed(project: Git):
    # The model and the enum live in a module committed before; the commit that
    # adds the agent passes only the agent's file to memlint.
    project.write(
        "pyproject.toml",
        """\
        [project]
        name = "support-desk"
        version = "1.0"
        """,
    )
    project.write("support/__init__.py", "")
    project.write(
        "support/models.py",
        """\
        from enum import Enum

        from pydantic import BaseModel


        class Priority(str, Enum):
            LOW = "low"
            HIGH = "high"


        class Ticket(BaseModel):
            title: str
            priority: Priority
        """,
    )
    first = project.commit(".pre-commit-config.yaml", "pyproject.toml", "support")
    assert first.returncode == 0, first.stdout + first.stderr
    assert project.commit_count() == 1

    project.write("agents/__init__.py", "")
    project.write(
        "agents/desk.py",
        """\
        from flink_agents.api.decorators import action
        from flink_agents.api.events.event import InputEvent
        from flink_agents.api.runner_context import RunnerContext

        from support.models import Priority, Ticket


        @action(InputEvent)
        def open_ticket(event: InputEvent, ctx: RunnerContext) -> None:
            ticket = Ticket(title=str(event.input), priority=Priority.HIGH)
            ctx.short_term_memory.set("ticket", ticket)
            ctx.short_term_memory.set("ticket_priority", ticket.priority)
            ctx.short_term_memory.set("ticket_json", ticket.model_dump(mode="json"))
        """,
    )
    project.check("git", "add", "--", "agents")
    staged = project.check("git", "diff", "--cached", "--name-only").split()
    assert sorted(staged) == ["agents/__init__.py", "agents/desk.py"]
    failed = project.commit("agents")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "MEM102" in output and "MEM103" in output and "desk.py" in output, output
    assert project.commit_count() == 1


def make_project(tmp_path: Path, environment: dict[str, str], config: str) -> Git:
    """A user's repository with `config` as its .pre-commit-config.yaml, the hook installed."""
    repo = Git(tmp_path / "user-project", environment)
    repo.init()
    repo.write(".pre-commit-config.yaml", config)
    repo.check(sys.executable, "-m", "pre_commit", "install")
    return repo


def test_hook_definition_is_ruffs_shape():
    """--force-exclude (so configured excludes apply to the files pre-commit
    names), .py and .pyi files, fixing through `args: [--fix]`."""
    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "memlint"
    assert hook["entry"].split() == ["memlint", "check", "--force-exclude"]
    assert hook["types_or"] == ["python", "pyi"] and "types" not in hook
    assert hook["language"] == "python"


def test_hook_does_not_report_an_excluded_file(project: Git):
    project.write(
        "pyproject.toml",
        """\
        [project]
        name = "support-desk"
        version = "1.0"

        [tool.memlint]
        extend-exclude = ["generated"]
        """,
    )
    # A violation in an excluded folder, named explicitly by pre-commit.
    project.write("generated/triage.py", ACTION_HEADER + WRITE.format(value="event.id"))
    project.write("agent.py", ACTION_HEADER + WRITE.format(value="str(event.id)"))
    passed = project.commit(".pre-commit-config.yaml", "pyproject.toml", "generated", "agent.py")
    output = passed.stdout + passed.stderr
    assert passed.returncode == 0, output
    assert "Passed" in output and "MEM101" not in output, output
    assert project.commit_count() == 1

    # The same violation outside the excluded folder fails.
    project.write("triage.py", ACTION_HEADER + WRITE.format(value="event.id"))
    failed = project.commit("triage.py")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0 and "MEM101" in output and "triage.py" in output, output
    assert "generated" not in output, output


def test_fixing_is_the_same_hook_with_fix_args(tmp_path: Path, environment: dict[str, str],
                                               hook_repository: tuple[Path, str]):
    hook_path, rev = hook_repository
    project = make_project(tmp_path, environment, f"""\
        repos:
          - repo: {hook_path}
            rev: {rev}
            hooks:
              - id: memlint
                args: [--fix, --unsafe-fixes]
        """)
    project.write("triage.py", ACTION_HEADER + WRITE.format(value="event.id"))
    failed = project.commit(".pre-commit-config.yaml", "triage.py")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output  # pre-commit fails a hook that changed files
    assert "files were modified by this hook" in output, output
    fixed = (project.directory / "triage.py").read_text(encoding="utf-8")
    assert fixed == ACTION_HEADER + WRITE.format(value="str(event.id)")
    passed = project.commit("triage.py")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert project.commit_count() == 1


def readme_precommit_snippet() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("**pre-commit**")
    block = readme[readme.index("```yaml\n", start) + len("```yaml\n"):]
    return block[: block.index("```")]


def test_readme_snippet_pinned_as_the_readme_says(tmp_path: Path, environment: dict[str, str],
                                                  hook_repository: tuple[Path, str]):
    """The README's snippet, with the command it gives to pin a commit SHA
    (there is no release tag), installs a working hook."""
    import yaml

    hook_path, rev = hook_repository
    snippet = readme_precommit_snippet()
    (repo,) = yaml.safe_load(snippet)["repos"]
    assert repo["repo"] == "https://github.com/flink-agents-memlint/memlint"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pre-commit autoupdate --bleeding-edge --freeze" in readme
    project = make_project(tmp_path, environment, snippet.replace(repo["repo"], str(hook_path)))
    project.check(sys.executable, "-m", "pre_commit", "autoupdate", "--bleeding-edge", "--freeze", timeout=600)
    pinned = yaml.safe_load((project.directory / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert pinned["repos"][0]["rev"] == rev
    project.write("triage.py", ACTION_HEADER + WRITE.format(value="event.id"))
    failed = project.commit(".pre-commit-config.yaml", "triage.py")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0 and "MEM101" in output, output
