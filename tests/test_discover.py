"""Which files `memlint check` checks (issue 9 §1): ignore files with git's
semantics (real git is the oracle), `exclude` replacing the defaults,
`extend-exclude` adding to them, per-project excludes in a monorepo,
`respect-gitignore`, `--force-exclude`, and per-file-ignores with the same
gitwildmatch semantics. Run through the installed `memlint` command.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_cli import CLEAN, MIXED, diagnostic_lines, write

MEMLINT = Path(sys.executable).with_name("memlint")


def memlint(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert MEMLINT.is_file(), f"the memlint command is not installed beside {sys.executable}"
    return subprocess.run([str(MEMLINT), *args], cwd=str(cwd), capture_output=True, text=True,
                          encoding="utf-8", input=stdin, timeout=300)


def git(*args: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    result = subprocess.run(["git", *args], cwd=str(cwd), capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def shown_files(root: Path, *args: str) -> set[str]:
    result = memlint("check", "--show-files", *args, cwd=root)
    assert result.returncode == 0, result.stderr
    return {Path(line).as_posix() for line in result.stdout.splitlines() if line}


def git_python_files(root: Path) -> set[str]:
    """What git itself would track: every .py/.pyi not ignored."""
    listing = git("ls-files", "--cached", "--others", "--exclude-standard", cwd=root)
    return {line for line in listing.splitlines() if line.endswith((".py", ".pyi"))}


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git work tree with ignore files at several depths, negations,
    folder-only patterns, anchored patterns and .git/info/exclude."""
    root = tmp_path / "repo"
    root.mkdir()
    git("init", "-q", cwd=root)
    files = [
        "agent.py", "stubs.pyi", "notes.txt",
        "generated/api_pb2.py", "generated/keep.py",
        "src/app/agent.py", "src/app/cache.py", "src/app/local_settings.py",
        "src/app/build/out.py", "src/build.py",
        "src/app/tmp/scratch.py", "src/app/tmp/important.py",
        "docs/conf.py", "docs/a/b/example.py",
        "vendored/lib.py", "scripts/private.py", "scripts/public.py",
    ]
    for name in files:
        write(root / name, CLEAN)
    write(root / ".gitignore", "generated/*\n!generated/keep.py\n/docs/**/example.py\nbuild/\n")
    write(root / "src" / "app" / ".gitignore", "cache.py\ntmp/\n/local_settings.py\n")
    write(root / "scripts" / ".gitignore", "*.py\n!public.py\n")
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("vendored/\n", encoding="utf-8")
    return root


def test_ignore_files_follow_git(repository: Path) -> None:
    expected = git_python_files(repository)
    # The oracle excludes what this layout is about (so a vacuous match fails).
    assert "generated/keep.py" in expected and "generated/api_pb2.py" not in expected
    assert "scripts/public.py" in expected and "scripts/private.py" not in expected
    assert "src/build.py" in expected and "src/app/build/out.py" not in expected
    assert "vendored/lib.py" not in expected and "docs/conf.py" in expected
    assert shown_files(repository) == expected


def test_ignore_files_follow_git_from_a_subfolder(repository: Path) -> None:
    below = {path.removeprefix("src/") for path in git_python_files(repository) if path.startswith("src/")}
    assert shown_files(repository / "src") == below


def test_no_respect_gitignore_checks_everything(repository: Path) -> None:
    everything = {p.relative_to(repository).as_posix() for p in repository.rglob("*.py*")
                  if ".git" not in p.parts and "build" not in p.parts}  # build: a default exclude
    assert shown_files(repository, "--no-respect-gitignore") == everything
    write(repository / "pyproject.toml", "[tool.memlint]\nrespect-gitignore = false\n")
    assert shown_files(repository) == everything
    assert shown_files(repository, "--respect-gitignore") == git_python_files(repository)


def test_dot_ignore_counts_outside_git_and_gitignore_does_not(tmp_path: Path) -> None:
    """git reads .gitignore only in a work tree; .ignore files (ripgrep's,
    Ruff's) count everywhere and override .gitignore."""
    for name in ("a.py", "b.py", "c.py"):
        write(tmp_path / name, CLEAN)
    write(tmp_path / ".gitignore", "a.py\nc.py\n")
    write(tmp_path / ".ignore", "b.py\n")
    assert shown_files(tmp_path) == {"a.py", "c.py"}
    git("init", "-q", cwd=tmp_path)
    write(tmp_path / ".ignore", "b.py\n!c.py\n")
    assert shown_files(tmp_path) == {"c.py"}


def test_gitignored_violation_is_not_reported(repository: Path) -> None:
    write(repository / "generated" / "api_pb2.py", MIXED)
    write(repository / "src" / "app" / "agent.py", MIXED)
    result = memlint("check", ".", cwd=repository)
    assert result.returncode == 1
    assert {row[0] for row in diagnostic_lines(result.stdout)} == {"src/app/agent.py"}
    # Named explicitly, an ignored file is checked (as in Ruff).
    named = memlint("check", "generated/api_pb2.py", cwd=repository)
    assert {row[0] for row in diagnostic_lines(named.stdout)} == {"generated/api_pb2.py"}


def test_exclude_replaces_the_defaults_and_extend_exclude_adds(tmp_path: Path) -> None:
    for name in ("build/out.py", ".venv/lib/site.py", "generated/a.py", "agent.py"):
        write(tmp_path / name, CLEAN)
    assert shown_files(tmp_path) == {"generated/a.py", "agent.py"}
    write(tmp_path / "pyproject.toml", '[tool.memlint]\nextend-exclude = ["generated"]\n')
    assert shown_files(tmp_path) == {"agent.py"}
    write(tmp_path / "pyproject.toml", '[tool.memlint]\nexclude = ["generated"]\n')
    assert shown_files(tmp_path) == {"build/out.py", ".venv/lib/site.py", "agent.py"}
    write(tmp_path / "pyproject.toml", "[tool.memlint]\nexclude = []\n")
    assert shown_files(tmp_path) == {"build/out.py", ".venv/lib/site.py", "generated/a.py", "agent.py"}


def test_exclude_patterns_have_gitignore_semantics(tmp_path: Path) -> None:
    for name in ("src/legacy/a.py", "legacy/b.py", "src/x_pb2.py", "deep/er/y_pb2.py", "src/keep.py",
                 "docs/a/b/c.py", "docs/top.py"):
        write(tmp_path / name, CLEAN)
    write(tmp_path / "pyproject.toml",
          '[tool.memlint]\nextend-exclude = ["/legacy", "*_pb2.py", "docs/**/c.py"]\n')
    assert shown_files(tmp_path) == {"src/legacy/a.py", "src/keep.py", "docs/top.py"}


def test_force_exclude_applies_excludes_to_named_files(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.memlint]\nextend-exclude = ["generated"]\n')
    write(tmp_path / "generated" / "agent.py", MIXED)
    assert shown_files(tmp_path, "generated/agent.py") == {"generated/agent.py"}
    assert shown_files(tmp_path, "--force-exclude", "generated/agent.py") == set()
    assert shown_files(tmp_path, "--force-exclude", str(tmp_path / "generated" / "agent.py")) == set()


def test_monorepo_projects_use_their_own_excludes(tmp_path: Path) -> None:
    git("init", "-q", cwd=tmp_path)
    write(tmp_path / "pyproject.toml", '[tool.memlint]\nextend-exclude = ["fixtures"]\n')
    write(tmp_path / "services" / "agent" / "pyproject.toml",
          '[project]\nname = "agent"\nversion = "1"\n\n[tool.memlint]\nextend-exclude = ["legacy"]\n')
    for name in ("services/agent/agent.py", "services/agent/legacy/old.py", "services/agent/fixtures/f.py",
                 "services/other/legacy/old.py", "services/other/fixtures/f.py", "fixtures/f.py"):
        write(tmp_path / name, CLEAN)
    # Below services/agent its own configuration decides (its excludes, not the root's).
    assert shown_files(tmp_path) == {"services/agent/agent.py", "services/agent/fixtures/f.py",
                                     "services/other/legacy/old.py"}
    assert shown_files(tmp_path / "services") == {"agent/agent.py", "agent/fixtures/f.py", "other/legacy/old.py"}
    # --config: one configuration for every file.
    assert shown_files(tmp_path, "--config", "pyproject.toml") == {
        "services/agent/agent.py", "services/agent/legacy/old.py", "services/other/legacy/old.py"}


def test_per_file_ignores_use_gitwildmatch(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", """\
[tool.memlint]
per-file-ignores = { "tests/" = ["MEM101"], "*_agent.py" = ["MEM103"], "/top.py" = ["MEM106"] }
extend-per-file-ignores = { "!src/**" = ["MEM103"] }
""")
    for name in ("tests/deep/er/test_a.py", "src/app/chat_agent.py", "src/top.py", "top.py"):
        write(tmp_path / name, MIXED)
    result = memlint("check", ".", cwd=tmp_path)
    found: dict[str, list[str]] = {}
    for path, _line, _column, code, _message in diagnostic_lines(result.stdout):
        found.setdefault(path, []).append(code)
    assert found == {
        # "tests/" matches the folder at any depth; "!src/**": every file outside src/.
        "tests/deep/er/test_a.py": ["MEM106"],
        "src/app/chat_agent.py": ["MEM101", "MEM106"],
        "src/top.py": ["MEM101", "MEM103", "MEM106"],  # "/top.py" is anchored to the root
        "top.py": ["MEM101"],
    }
