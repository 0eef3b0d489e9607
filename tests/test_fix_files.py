"""`--fix` / `--add-noqa` keep the file's identity, and `--diff` prints patches
that the real tools apply (issue 10, items 3 and 4).

Real symlinks, hard links, chown/chmod (the suite runs as root in CI; the
ownership tests need it and say so), and the real `patch` and `git apply`.
"""
from __future__ import annotations

import codecs
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from memlint.cli import main

AGENT = '''\
from uuid import uuid4


def act(ctx):
    ctx.short_term_memory.set("k", uuid4())
'''
FIXED = AGENT.replace("uuid4())", "str(uuid4()))")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", "--jobs", "1", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- item 3: identity --------------------------------------------------------------


def test_fix_through_a_symlink_fixes_the_target_and_keeps_the_link(here: Path, capsys) -> None:
    (here / "real").mkdir()
    target = here / "real" / "agent.py"
    target.write_text(AGENT, encoding="utf-8")
    link = here / "agent.py"
    link.symlink_to(Path("real") / "agent.py")
    code, _, err = run(capsys, "--fix", "--unsafe-fixes", "agent.py")
    assert err == ""
    assert code == 0
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "agent.py")
    assert target.read_text(encoding="utf-8") == FIXED


def test_add_noqa_through_a_symlink_keeps_the_link(here: Path, capsys) -> None:
    target = here / "target.py"
    target.write_text(AGENT, encoding="utf-8")
    link = here / "agent.py"
    link.symlink_to("target.py")
    code, out, _ = run(capsys, "--add-noqa", "agent.py")
    assert code == 0 and "Added 1 noqa directive." in out
    assert link.is_symlink()
    assert "# noqa: MEM101" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize("option", ["--fix", "--add-noqa"])
def test_hard_links_stay_linked(here: Path, capsys, option: str) -> None:
    path = here / "agent.py"
    path.write_text(AGENT, encoding="utf-8")
    other = here / "other_name.txt"  # not a .py: only agent.py is checked
    os.link(path, other)
    run(capsys, option, "--unsafe-fixes", "agent.py") if option == "--fix" else run(capsys, option, "agent.py")
    assert os.stat(path).st_ino == os.stat(other).st_ino and os.stat(path).st_nlink == 2
    assert other.read_text(encoding="utf-8") == path.read_text(encoding="utf-8") != AGENT


@pytest.mark.parametrize("option", ["--fix", "--add-noqa"])
def test_owner_group_and_mode_are_kept_setuid_never_becomes_root(here: Path, capsys, option: str) -> None:
    path = here / "agent.py"
    path.write_text(AGENT, encoding="utf-8")
    assert os.geteuid() == 0, "chown to another user needs root (CI runs as root)"
    os.chown(path, 1234, 5678)
    os.chmod(path, 0o4755)
    run(capsys, option, "--unsafe-fixes", "agent.py") if option == "--fix" else run(capsys, option, "agent.py")
    info = os.stat(path)
    assert path.read_text(encoding="utf-8") != AGENT  # it was written
    assert (info.st_uid, info.st_gid) == (1234, 5678)
    assert stat.S_IMODE(info.st_mode) == 0o4755


def test_mode_is_kept(here: Path, capsys) -> None:
    path = here / "agent.py"
    path.write_text(AGENT, encoding="utf-8")
    os.chmod(path, 0o640)
    run(capsys, "--fix", "--unsafe-fixes", "agent.py")
    assert path.read_text(encoding="utf-8") == FIXED
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


@pytest.mark.parametrize("option", ["--fix", "--add-noqa"])
def test_a_read_only_file_is_reported_not_written(here: Path, capsys, option: str) -> None:
    path = here / "agent.py"
    path.write_text(AGENT, encoding="utf-8")
    os.chmod(path, 0o444)
    if option == "--fix":
        code, out, err = run(capsys, "--fix", "--unsafe-fixes", "agent.py")
        assert code == 1 and "MEM101" in out  # what was found stands
    else:
        code, out, err = run(capsys, "--add-noqa", "agent.py")
        assert "Added 0 noqa directives." in out
    assert path.read_text(encoding="utf-8") == AGENT
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    assert err.splitlines() == ["memlint: warning: agent.py: the file is read-only (mode 0444); it was not written"]


def test_a_bom_added_meanwhile_is_a_change(here: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    import memlint.fix.apply as apply

    path = here / "agent.py"
    path.write_text(AGENT, encoding="utf-8")
    real = apply.fix_text

    def fix_then_someone_adds_a_bom(*args, **kwargs):
        result = real(*args, **kwargs)
        path.write_bytes(codecs.BOM_UTF8 + AGENT.encode("utf-8"))
        return result

    monkeypatch.setattr(apply, "fix_text", fix_then_someone_adds_a_bom)
    code, _, err = run(capsys, "--fix", "--unsafe-fixes", "agent.py")
    assert path.read_bytes() == codecs.BOM_UTF8 + AGENT.encode("utf-8")
    assert "changed on disk" in err and code == 1


def test_no_temporary_file_is_left_behind(here: Path, capsys) -> None:
    (here / "agent.py").write_text(AGENT, encoding="utf-8")
    run(capsys, "--fix", "--unsafe-fixes", "agent.py")
    assert [p.name for p in here.iterdir() if p.name != ".memlint_cache"] == ["agent.py"]


# -- item 4: --diff applies with patch -p0 and git apply ----------------------------------

WEIRD = ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def _cases() -> dict[str, str]:
    cases = {"plain": AGENT, "no_final_newline": AGENT.rstrip("\n"), "crlf": AGENT.replace("\n", "\r\n"),
             "crlf_no_final_newline": AGENT.replace("\n", "\r\n").rstrip("\r\n")}
    for n, char in enumerate(WEIRD):
        cases[f"in_comment_{n}"] = AGENT.replace("def act(ctx):", f"# a{char}b\ndef act(ctx):  # c{char}d")
        cases[f"in_string_{n}"] = AGENT.replace(
            "    ctx.short_term_memory.set", f'    NOTE = "x{char}y"\n    ctx.short_term_memory.set') + \
            f'\nTAIL = "t{char}u"'  # and no final newline
    cases["form_feed_line"] = AGENT.replace("\n\n\ndef", "\n\f\n\ndef")
    cases["edit_on_last_line_no_newline"] = AGENT.rstrip("\n")
    cases["cr_only"] = AGENT.replace("\n", "\r")
    # A BOM stays in the file; the hunk's context reaches line 1.
    cases["bom_first_lines"] = "\ufeff" + AGENT.replace("\n\n\n", "\n")
    return cases


CASES = _cases()


def _tools() -> None:
    missing = [tool for tool in ("patch", "git") if shutil.which(tool) is None]
    assert not missing, f"install {', '.join(missing)} (the CI image needs them: apt-get install patch git)"


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_diff_applies_with_patch_and_git_apply(here: Path, capsys, name: str) -> None:
    _tools()
    text = CASES[name]
    path = here / "agent.py"
    path.write_bytes(text.encode("utf-8"))
    code, diff, err = run(capsys, "--diff", "--unsafe-fixes", "agent.py")
    assert code == 1 and "Would fix" in err, err
    expected = path.read_bytes()
    # what --fix writes is what the diff must produce
    fixed_dir = here / "fixed"
    fixed_dir.mkdir()
    shutil.copy(path, fixed_dir / "agent.py")
    os.chdir(fixed_dir)
    run(capsys, "--fix", "--unsafe-fixes", "agent.py")
    wanted = (fixed_dir / "agent.py").read_bytes()
    os.chdir(here)
    assert wanted != expected
    diff_file = here / "fix.diff"
    diff_file.write_bytes(diff.encode("utf-8"))

    for tool in (["patch", "-p0", "--batch", "--no-backup-if-mismatch", "-i", str(diff_file)],
                 ["git", "apply", "--unsafe-paths", "--whitespace=nowarn", str(diff_file)]):
        work = here / tool[0]
        work.mkdir()
        (work / "agent.py").write_bytes(expected)
        done = subprocess.run(tool, cwd=work, capture_output=True, text=True)
        assert done.returncode == 0, (tool[0], done.stdout, done.stderr, diff)
        assert (work / "agent.py").read_bytes() == wanted, (tool[0], diff)
        assert sorted(p.name for p in work.iterdir()) == ["agent.py"], tool[0]


LATIN_1_AGENT = (b"# -*- coding: latin-1 -*-\n"
                 b"from uuid import uuid4\n\n\n"
                 b"def act(ctx):\n"
                 b"    note = \"caf\xe9\"  # \xe9t\xe9\n"
                 b"    ctx.short_term_memory.set(\"k\xe9\", uuid4())  # \xe0 la carte\n")


@pytest.mark.parametrize("stdin", [False, True], ids=["file", "stdin"])
def test_the_diff_of_a_latin_1_file_is_in_latin_1(tmp_path: Path, stdin: bool) -> None:
    """`patch` compares bytes: a latin-1 file's diff must hold latin-1 lines
    (printed as UTF-8, its context would not match and its added lines would
    put UTF-8 into a latin-1 file)."""
    _tools()
    (tmp_path / "agent.py").write_bytes(LATIN_1_AGENT)
    command = [sys.executable, "-m", "memlint", "check", "--no-cache", "--unsafe-fixes"]
    if stdin:
        diff = subprocess.run(command + ["--diff", "--stdin-filename", "agent.py", "-"], input=LATIN_1_AGENT,
                              cwd=tmp_path, capture_output=True)
    else:
        diff = subprocess.run(command + ["--diff", "agent.py"], cwd=tmp_path, capture_output=True)
    assert diff.returncode == 1, diff.stderr
    assert b"caf\xe9" in diff.stdout and "café".encode("utf-8") not in diff.stdout
    fixed = subprocess.run(command + ["--fix", "agent.py"], cwd=tmp_path, capture_output=True)
    assert fixed.returncode == 0, fixed.stderr
    wanted = (tmp_path / "agent.py").read_bytes()
    assert wanted != LATIN_1_AGENT and b"str(uuid4())" in wanted and b"\xe0 la carte" in wanted
    (tmp_path / "fix.diff").write_bytes(diff.stdout)
    for tool in (["patch", "-p0", "--batch", "--no-backup-if-mismatch", "-i", "../fix.diff"],
                 ["git", "apply", "--unsafe-paths", "--whitespace=nowarn", "../fix.diff"]):
        work = tmp_path / tool[0]
        work.mkdir()
        (work / "agent.py").write_bytes(LATIN_1_AGENT)
        done = subprocess.run(tool, cwd=work, capture_output=True, text=True)
        assert done.returncode == 0, (tool[0], done.stdout, done.stderr)
        assert (work / "agent.py").read_bytes() == wanted, tool[0]


def test_diff_marks_a_last_line_without_newline() -> None:
    from memlint.fix import unified_diff

    diff = unified_diff("a.py", "x = 1\ny = 2", "x = 1\ny = 3")
    assert diff.endswith("-y = 2\n\\ No newline at end of file\n+y = 3\n\\ No newline at end of file\n")
    diff = unified_diff("a.py", "x = 1\fz\ny = 2\n", "x = 2\fz\ny = 2\n")
    assert "-x = 1\fz\n+x = 2\fz\n" in diff


# -- the package: memlint.fix has no import cycle -------------------------------------


def test_the_fix_package_imports_point_one_way() -> None:
    """plan -> rebuild -> convert, plan -> readside, apply -> fileio: no module of
    memlint.fix imports (at the top or inside a function) one that imports it back."""
    import ast

    import memlint.fix as package

    folder = Path(package.__file__).parent
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in modules:
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    targets.add(node.module.split(".")[0])
                else:
                    targets.update(alias.name for alias in node.names)
        graph[name] = targets & modules
    assert graph["rebuild"] == {"convert", "readside"} or graph["rebuild"] <= {"convert", "readside"}
    assert "plan" not in set().union(*(graph[m] for m in modules if m != "plan"))

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph[start])

    assert [m for m in sorted(modules) if reaches(m, m, set())] == []
    import memlint.fix.plan  # noqa: F401 - and it imports
    assert {"plan_fixes", "fix_text", "fix_file", "unified_diff", "write_if_unchanged", "applicable",
            "select_fixes", "apply_edits", "UNPAIRED"} <= set(package.__all__)
