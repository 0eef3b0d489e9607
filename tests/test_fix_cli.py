"""`memlint check --fix / --unsafe-fixes / --diff / --show-fixes`: the command's behaviour.

Nothing is lost: files are written atomically in their own encoding, BOM and
newlines; a file that changed on disk while it was being fixed is left alone
(and reported); --diff writes nothing and prints a diff that `patch` applies.
"""
from __future__ import annotations

import codecs
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

import memlint
from memlint.cli import main

AGENT = '''\
from uuid import UUID

from flink_agents.api.chat_message import ChatMessage
from flink_agents.api.events.chat_event import ChatResponseEvent
from flink_agents.api.runner_context import RunnerContext


def remember(event: ChatResponseEvent, ctx: RunnerContext) -> None:
    ctx.short_term_memory.set("request.id", event.request_id)
    ctx.short_term_memory.set("response", event.response)
    ctx.short_term_memory.set("role", event.response.role)


def recall(ctx: RunnerContext) -> ChatMessage:
    return ChatMessage.model_validate(ctx.short_term_memory.get("response"))
'''
FIXED_SAFE = AGENT.replace('set("response", event.response)',
                           'set("response", event.response.model_dump(mode="json"))')
FIXED_ALL = FIXED_SAFE.replace('event.request_id)', 'str(event.request_id))').replace(
    'event.response.role)', 'event.response.role.value)')


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", "--jobs", "1", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "agent.py"
    path.write_text(AGENT, encoding="utf-8")
    return path


def test_check_marks_only_the_fixes_fix_would_apply(agent: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "agent.py")
    assert code == 1
    lines = out.splitlines()
    assert [line.split(" ")[1:3] for line in lines[:3]] == [["MEM101", "UUID"], ["MEM102", "[*]"], ["MEM103", "MessageRole"]]
    assert lines[3:] == ["Found 3 errors.", "[*] 1 fixable with the --fix option.",
                         "2 hidden fixes can be enabled with the --unsafe-fixes option."]
    code, out, _ = run(capsys, "--unsafe-fixes", "agent.py")
    assert out.count("[*]") == 4 and "hidden" not in out


def test_fix_applies_safe_fixes_only(agent: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--fix", "agent.py")
    assert agent.read_text(encoding="utf-8") == FIXED_SAFE
    assert code == 1  # diagnostics remain
    assert err == ""
    lines = out.splitlines()
    assert [line.split(" ")[1] for line in lines[:2]] == ["MEM101", "MEM103"]
    assert lines[2:] == ["Found 2 errors.", "2 hidden fixes can be enabled with the --unsafe-fixes option.",
                         "Fixed 1 error."]


def test_unsafe_fixes_fix_everything_and_exit_zero(agent: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--fix", "--unsafe-fixes", "agent.py")
    assert agent.read_text(encoding="utf-8") == FIXED_ALL
    assert (code, out, err) == (0, "Fixed 3 errors.\n", "")
    assert memlint.lint_paths([agent]) == []
    # Idempotent: a second run finds nothing to do.
    assert run(capsys, "--fix", "--unsafe-fixes", "agent.py") == (0, "All checks passed!\n", "")
    assert agent.read_text(encoding="utf-8") == FIXED_ALL


def test_show_fixes_lists_them_per_file_and_rule(agent: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--fix", "--unsafe-fixes", "--show-fixes", "agent.py")
    assert code == 0
    assert out == ("Fixed 3 errors:\n"
                   "- agent.py:\n"
                   "    1 × MEM101 (uuid-value)\n"
                   "    1 × MEM102 (model-value)\n"
                   "    1 × MEM103 (enum-value)\n")


def test_json_output_after_fix_lists_what_remains(agent: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--fix", "--output-format", "json", "agent.py")
    assert code == 1
    remaining = json.loads(out)
    assert [d["code"] for d in remaining] == ["MEM101", "MEM103"]
    assert all(d["fix"]["applicability"] == "unsafe" for d in remaining)
    assert err == "Fixed 1 error.\n"


def test_diff_prints_a_patch_and_writes_nothing(agent: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    before = agent.read_bytes()
    code, out, err = run(capsys, "--diff", "--unsafe-fixes", "agent.py")
    assert code == 1
    assert agent.read_bytes() == before
    assert out.startswith("--- agent.py\n+++ agent.py\n@@ ")
    assert sum(1 for line in out.splitlines() if line.startswith("-    ctx")) == 3
    assert err == "Would fix 3 errors.\n"
    if shutil.which("patch"):
        copy = tmp_path / "copy"
        copy.mkdir()
        shutil.copy(agent, copy / "agent.py")
        subprocess.run(["patch", "-p0", "--quiet"], input=out.encode(), cwd=copy, check=True)
        assert (copy / "agent.py").read_text(encoding="utf-8") == FIXED_ALL
    else:  # pragma: no cover - apply it by hand
        assert _apply_unified_diff(before.decode(), out) == FIXED_ALL


def test_diff_of_safe_fixes_only_and_nothing_to_do(agent: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--diff", "agent.py")
    assert code == 1
    assert _apply_unified_diff(AGENT, out) == FIXED_SAFE
    agent.write_text(FIXED_ALL, encoding="utf-8")
    assert run(capsys, "--diff", "agent.py") == (0, "", "")


def _apply_unified_diff(text: str, diff: str) -> str:
    """A minimal unified-diff applier (one file), to check the diff is valid."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    position = 0
    diff_lines = diff.splitlines(keepends=True)
    assert diff_lines[0].startswith("--- ") and diff_lines[1].startswith("+++ ")
    i = 2
    while i < len(diff_lines):
        header = diff_lines[i]
        assert header.startswith("@@ -"), header
        old_start = int(header.split()[1][1:].split(",")[0])
        out.extend(lines[position: old_start - 1])
        position = old_start - 1
        i += 1
        while i < len(diff_lines) and not diff_lines[i].startswith("@@"):
            line = diff_lines[i]
            if line.startswith(" "):
                assert lines[position] == line[1:]
                out.append(line[1:])
                position += 1
            elif line.startswith("-"):
                assert lines[position] == line[1:]
                position += 1
            elif line.startswith("+"):
                out.append(line[1:])
            i += 1
    out.extend(lines[position:])
    return "".join(out)


def test_a_file_changed_while_being_fixed_is_not_written(agent: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import memlint.fix.apply as autofix

    edited = AGENT + "# edited by someone else meanwhile\n"
    real = autofix.fix_text

    def fix_then_someone_edits(*args, **kwargs):
        result = real(*args, **kwargs)
        agent.write_text(edited, encoding="utf-8")
        return result

    monkeypatch.setattr(autofix, "fix_text", fix_then_someone_edits)
    code, out, err = run(capsys, "--fix", "--unsafe-fixes", "agent.py")
    assert agent.read_text(encoding="utf-8") == edited
    assert err.splitlines() == [
        "memlint: warning: agent.py: the file changed on disk while memlint was fixing it; it was not written"]
    assert code == 1
    assert "Fixed" not in out and "Found 3 errors." in out
    assert not [p for p in agent.parent.iterdir() if p.name.startswith(".memlint-")]


def test_add_noqa_and_fix_do_not_mix(agent: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--fix", "--add-noqa", "agent.py")
    assert code == 2 and "--add-noqa cannot be combined with --fix" in err


# -- nothing lost: encoding, BOM, newlines, mode ----------------------------------

LATIN1 = ("# -*- coding: latin-1 -*-\n"
          "# Café crème: the encoding is kept.\n" + AGENT.replace("def recall", "# señal\ndef recall"))


@pytest.mark.parametrize("encoding, bom, newline, text", [
    ("utf-8", False, "\r\n", AGENT),
    ("utf-8", True, "\n", AGENT.replace("# ", "# ünïcode ")),
    ("utf-8", True, "\r\n", "# ½ of the work\n" + AGENT),
    ("latin-1", False, "\n", LATIN1),
    ("latin-1", False, "\r\n", LATIN1),
], ids=["crlf", "bom", "bom-crlf", "latin-1", "latin-1-crlf"])
def test_bytes_outside_the_edits_are_kept(encoding: str, bom: bool, newline: str, text: str,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "agent.py"

    def encoded(source: str) -> bytes:
        data = source.replace("\n", newline).encode(encoding)
        return codecs.BOM_UTF8 + data if bom else data

    path.write_bytes(encoded(text))
    os.chmod(path, 0o640)
    code, out, err = run(capsys, "--fix", "--unsafe-fixes", "agent.py")
    assert (code, err) == (0, ""), out
    expected = encoded(text.replace('set("request.id", event.request_id)', 'set("request.id", str(event.request_id))')
                       .replace('set("response", event.response)',
                                'set("response", event.response.model_dump(mode="json"))')
                       .replace("event.response.role)", "event.response.role.value)"))
    assert path.read_bytes() == expected
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_fix_on_a_directory_fixes_every_file_and_reports_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(AGENT, encoding="utf-8")
    (tmp_path / "pkg" / "b.py").write_text(AGENT, encoding="utf-8")
    (tmp_path / "pkg" / "clean.py").write_text("x = 1\n", encoding="utf-8")
    code, out, _ = run(capsys, "--fix", "--unsafe-fixes", "--show-fixes", "pkg")
    assert code == 0
    assert out.splitlines()[0] == "Fixed 6 errors:"
    assert "- pkg/a.py:" in out and "- pkg/b.py:" in out
    assert (tmp_path / "pkg" / "clean.py").read_text(encoding="utf-8") == "x = 1\n"


def test_form_feed_lines_do_not_shift_import_edits(tmp_path) -> None:
    """A form feed (a PEP 8 page break) does not end a line: the imports a fix
    adds or removes land where they would without it."""
    import subprocess
    import sys
    from pathlib import Path

    reference = Path(__file__).resolve().parent.parent / "fixtures" / "reference"
    source = (reference / "tool_call_context_unsafe.py").read_text(encoding="utf-8")
    expected = (reference / "tool_call_context_unsafe.py.fixed").read_text(encoding="utf-8")
    anchor = '"""\n'
    with_page_break = lambda text: text.replace(anchor, anchor + "\x0c\n", 1)  # noqa: E731
    assert with_page_break(source) != source
    path = tmp_path / "tool_call_context_unsafe.py"
    path.write_text(with_page_break(source), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "memlint", "check", "--fix", "--unsafe-fixes", str(path)],
                   capture_output=True, text=True, check=False)
    assert path.read_text(encoding="utf-8") == with_page_break(expected)
