"""The `memlint` command, run for real in a subprocess (issue 2 §4 and "Bad input").

Expectations come from issue 2, DESIGN.md and README.md: exit codes 0/1/2,
`path:line:col: CODE message` lines sorted by path and position plus a summary
line, json diagnostics with exactly DESIGN.md's keys and 1-based character
columns, rule selection by code or prefix, `--statistics`, `--strict`,
`--config`, `--jobs`, `memlint rule`, and one-line errors without a traceback.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"

DIAGNOSTIC_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<code>MEM\d{3}) (?P<message>.+)$")
DIAGNOSTIC_KEYS = {"path", "line", "column", "end_line", "end_column", "code", "message", "related", "fix", "url"}
ALL_CODES = ["MEM000", "MEM100", "MEM101", "MEM102", "MEM103", "MEM104", "MEM105", "MEM106", "MEM107",
             "MEM201", "MEM900"]
RULE_SECTIONS = ["What it does", "Why is this bad?", "Example", "Use instead", "Fix safety"]


def memlint(*args: str, cwd: Path | str = ROOT, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "memlint", *args], cwd=str(cwd), capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def diagnostic_lines(stdout: str) -> list[tuple[str, int, int, str, str]]:
    found = []
    for line in stdout.splitlines():
        match = DIAGNOSTIC_LINE.match(line)
        if match:
            found.append((match["path"], int(match["line"]), int(match["column"]), match["code"], match["message"]))
    return found


def other_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.strip() and not DIAGNOSTIC_LINE.match(line)]


def assert_user_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2, exactly one non-empty line on stderr naming `words`, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    return lines[0]


def col(text: str, line: int, needle: str) -> int:
    """1-based character column of `needle` on 1-based `line` of `text`."""
    source_line = text.splitlines()[line - 1]
    assert source_line.count(needle) == 1, (needle, source_line)
    return source_line.index(needle) + 1


def line_no(text: str, anchor: str) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if anchor in line]
    assert len(hits) == 1, (anchor, hits)
    return hits[0]


# One MEM101 (the UUID), one MEM103 (the Enum member), one MEM106 (the datetime).
MIXED = '''\
import datetime
from enum import Enum
from uuid import uuid4

from flink_agents.api.runner_context import RunnerContext


class Color(Enum):
    RED = "red"


def remember(ctx: RunnerContext) -> None:
    ctx.short_term_memory.set("request_id", uuid4())
    ctx.short_term_memory.set("color", Color.RED)
    ctx.short_term_memory.set("seen_at", datetime.datetime.now())
'''

CLEAN = '''\
from uuid import uuid4

from flink_agents.api.runner_context import RunnerContext


def remember(ctx: RunnerContext) -> None:
    ctx.short_term_memory.set("request_id", str(uuid4()))
'''

UNKNOWN_VALUE = '''\
from some_vendor_sdk import make_token

from flink_agents.api.runner_context import RunnerContext


def remember(ctx: RunnerContext) -> None:
    ctx.short_term_memory.set("token", make_token())
'''


def mixed_expectations(text: str, path: str) -> list[tuple[str, int, int, str]]:
    rows = [
        ('"request_id"', "uuid4()", "MEM101"),
        ('"color"', "Color.RED", "MEM103"),
        ('"seen_at"', "datetime.datetime.now()", "MEM106"),
    ]
    return [(path, line_no(text, anchor), col(text, line_no(text, anchor), needle), code)
            for anchor, needle, code in rows]


# ------------------------------------------------------------------ exit codes


def test_clean_file_exits_0(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", CLEAN)
    result = memlint("check", "agent.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert diagnostic_lines(result.stdout) == []
    assert other_lines(result.stdout)  # the summary line
    assert result.stderr == ""


def test_findings_exit_1_text_lines_and_summary(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", MIXED)
    result = memlint("check", "agent.py", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    found = diagnostic_lines(result.stdout)
    assert [row[:4] for row in found] == mixed_expectations(MIXED, "agent.py")
    messages = [row[4] for row in found]
    assert "UUID" in messages[0] and '"request_id"' in messages[0]
    assert "Color" in messages[1] and '"color"' in messages[1]
    assert "datetime" in messages[2] and '"seen_at"' in messages[2]
    # The summary after the diagnostics: its first line counts them.
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    summary = other_lines(result.stdout)
    assert summary and lines[:3] == [line for line in lines if DIAGNOSTIC_LINE.match(line)]
    assert re.search(r"\b3\b", summary[0]), summary


def test_exit_zero_still_reports(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", MIXED)
    result = memlint("check", "--exit-zero", "agent.py", cwd=tmp_path)
    assert result.returncode == 0
    assert len(diagnostic_lines(result.stdout)) == 3


def test_output_sorted_by_path_then_position(tmp_path: Path) -> None:
    # Paths given in reverse order, and a file in a sub-folder: the output is
    # still sorted by path, then line, then column.
    write(tmp_path / "b_agent.py", MIXED)
    write(tmp_path / "a_agent.py", MIXED)
    write(tmp_path / "pkg" / "agent.py", MIXED)
    result = memlint("check", "pkg", "b_agent.py", "a_agent.py", cwd=tmp_path)
    assert result.returncode == 1
    found = [row[:4] for row in diagnostic_lines(result.stdout)]
    pkg_path = str(Path("pkg") / "agent.py")
    expected = sorted(
        mixed_expectations(MIXED, "a_agent.py") + mixed_expectations(MIXED, "b_agent.py")
        + mixed_expectations(MIXED, pkg_path)
    )
    assert found == expected
    assert found == sorted(found, key=lambda row: (row[0], row[1], row[2]))


def test_two_findings_on_one_line_sorted_by_column(tmp_path: Path) -> None:
    text = CLEAN.replace('str(uuid4()))', '[uuid4(), "x", uuid4()])')
    write(tmp_path / "agent.py", text)
    result = memlint("check", "agent.py", cwd=tmp_path)
    found = [row[:4] for row in diagnostic_lines(result.stdout)]
    line = line_no(text, "[uuid4()")
    source_line = text.splitlines()[line - 1]
    first = source_line.index("uuid4()") + 1
    second = source_line.index("uuid4()", first) + 1
    assert found == [("agent.py", line, first, "MEM101"), ("agent.py", line, second, "MEM101")]


# ------------------------------------------------------------------------ json


def test_json_output_shape_and_character_columns(tmp_path: Path) -> None:
    # Non-ASCII text before the flagged expression: columns count characters,
    # not UTF-8 bytes (each of "ü", "é", "—", "ключ" is several bytes).
    text = CLEAN.replace(
        'ctx.short_term_memory.set("request_id", str(uuid4()))',
        'ctx.short_term_memory.set("prüfé—ключ", uuid4())',
    )
    write(tmp_path / "agent.py", text)
    result = memlint("check", "--output-format", "json", "agent.py", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    payload = json.loads(result.stdout)
    assert isinstance(payload, list) and len(payload) == 1
    item = payload[0]
    assert set(item) == DIAGNOSTIC_KEYS
    line = line_no(text, "ключ")
    column = col(text, line, "uuid4()")
    assert (item["path"], item["line"], item["column"], item["code"]) == ("agent.py", line, column, "MEM101")
    assert item["end_line"] == line
    # 1-based, in characters: the end is just after `uuid4()` (exclusive) or on
    # its last character (inclusive) — either way not a byte offset.
    assert item["end_column"] in (column + len("uuid4()"), column + len("uuid4()") - 1)
    assert "UUID" in item["message"] and '"prüfé—ключ"' in item["message"]
    assert item["related"] == []
    assert item["fix"] is None or set(item["fix"]) == {"applicability", "message", "edits"}
    assert isinstance(item["url"], str) and "mem101" in item["url"].lower()


def test_json_related_for_container_entry(tmp_path: Path) -> None:
    text = '''\
from uuid import uuid4

from flink_agents.api.runner_context import RunnerContext


def remember(ctx: RunnerContext) -> None:
    pending = {}
    pending["id"] = uuid4()
    ctx.short_term_memory.set("pending", pending)
'''
    write(tmp_path / "agent.py", text)
    result = memlint("check", "--output-format", "json", "agent.py", cwd=tmp_path)
    payload = json.loads(result.stdout)
    assert [(d["code"], d["line"], d["column"]) for d in payload] == [
        ("MEM101", line_no(text, ".set("), col(text, line_no(text, ".set("), "pending)"))]
    related = payload[0]["related"]
    assert related and all(set(r) == {"path", "line", "column", "message"} for r in related)
    assert line_no(text, 'pending["id"]') in [r["line"] for r in related]


def test_json_clean_is_empty_list(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", CLEAN)
    result = memlint("check", "--output-format", "json", "agent.py", cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout) == []


# ------------------------------------------------------------------- selection


@pytest.mark.parametrize("options, expected", [
    (["--select", "MEM10", "--ignore", "MEM101"], {"MEM103", "MEM106"}),
    (["--select", "MEM101,MEM106"], {"MEM101", "MEM106"}),
    (["--ignore", "MEM10"], set()),
    (["--select", "MEM103", "--extend-select", "MEM106"], {"MEM103", "MEM106"}),
    (["--select", "MEM2"], set()),
])
def test_select_ignore_extend_select(tmp_path: Path, options: list[str], expected: set[str]) -> None:
    write(tmp_path / "agent.py", MIXED)
    result = memlint("check", *options, "agent.py", cwd=tmp_path)
    codes = {row[3] for row in diagnostic_lines(result.stdout)}
    assert codes == expected, result.stdout + result.stderr
    assert result.returncode == (1 if expected else 0)


@pytest.mark.parametrize("option, code", [
    ("--select", "MEM999"), ("--ignore", "XYZ1"), ("--extend-select", "MEM5"), ("--select", "MEM101,MEM1O1"),
])
def test_unknown_rule_code_is_a_usage_error(tmp_path: Path, option: str, code: str) -> None:
    write(tmp_path / "agent.py", MIXED)
    assert_user_error(memlint("check", option, code, "agent.py", cwd=tmp_path), code.split(",")[-1])


# ------------------------------------------------------------------ statistics


def test_statistics_counts_per_rule(tmp_path: Path) -> None:
    write(tmp_path / "a.py", MIXED)
    write(tmp_path / "b.py", MIXED.replace("Color.RED)", "str(Color.RED.value))"))
    result = memlint("check", "--statistics", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert diagnostic_lines(result.stdout) == []  # counts, not the findings
    rows = {}
    for line in result.stdout.splitlines():
        codes = re.findall(r"\bMEM\d{3}\b", line)
        if codes:
            assert len(codes) == 1, line
            numbers = re.findall(r"(?<![\w.])\d+(?![\w.])", line)
            rows[codes[0]] = [int(n) for n in numbers]
    assert set(rows) == {"MEM101", "MEM103", "MEM106"}
    assert 2 in rows["MEM101"] and 1 in rows["MEM103"] and 2 in rows["MEM106"]


# ---------------------------------------------------------------------- strict


def test_strict_reports_unknown_values_only_when_asked(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", UNKNOWN_VALUE)
    quiet = memlint("check", "agent.py", cwd=tmp_path)
    assert quiet.returncode == 0 and diagnostic_lines(quiet.stdout) == []
    strict = memlint("check", "--strict", "agent.py", cwd=tmp_path)
    assert strict.returncode == 1
    line = line_no(UNKNOWN_VALUE, ".set(")
    assert [row[:4] for row in diagnostic_lines(strict.stdout)] == [
        ("agent.py", line, col(UNKNOWN_VALUE, line, "make_token()"), "MEM900")]
    assert '"token"' in diagnostic_lines(strict.stdout)[0][4]


def test_strict_does_not_report_proven_safe_values(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", CLEAN)
    result = memlint("check", "--strict", "agent.py", cwd=tmp_path)
    assert result.returncode == 0 and diagnostic_lines(result.stdout) == []


# ---------------------------------------------------------------------- config


def test_config_file_elsewhere(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(project / "agent.py", MIXED)
    settings = write(tmp_path / "settings" / "memlint.toml", 'ignore = ["MEM101", "MEM106"]\n')
    without = memlint("check", "agent.py", cwd=project)
    assert {row[3] for row in diagnostic_lines(without.stdout)} == {"MEM101", "MEM103", "MEM106"}
    result = memlint("check", "--config", str(settings), "agent.py", cwd=project)
    assert {row[3] for row in diagnostic_lines(result.stdout)} == {"MEM103"}


def test_config_file_elsewhere_pyproject(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(project / "agent.py", MIXED)
    settings = write(tmp_path / "shared" / "pyproject.toml",
                     '[project]\nname = "x"\n\n[tool.memlint]\nselect = ["MEM106"]\n')
    result = memlint("check", "--config", str(settings), "agent.py", cwd=project)
    assert {row[3] for row in diagnostic_lines(result.stdout)} == {"MEM106"}


def test_config_option_missing_file(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", MIXED)
    assert_user_error(memlint("check", "--config", "nowhere/memlint.toml", "agent.py", cwd=tmp_path),
                      "nowhere/memlint.toml")


# ------------------------------------------------------------------------ jobs


def test_jobs_2_output_identical_to_jobs_1() -> None:
    serial = memlint("check", "--jobs", "1", "--output-format", "json", "fixtures/")
    parallel = memlint("check", "--jobs", "2", "--output-format", "json", "fixtures/")
    assert serial.returncode == parallel.returncode == 1, serial.stderr + parallel.stderr
    assert len(json.loads(serial.stdout)) > 50
    assert parallel.stdout == serial.stdout  # json holds every field the text lines show


# ------------------------------------------------------------------ memlint rule


def test_rule_shows_the_five_sections_in_order() -> None:
    result = memlint("rule", "MEM101")
    assert result.returncode == 0, result.stderr
    positions = [result.stdout.find(section) for section in RULE_SECTIONS]
    assert all(p != -1 for p in positions), positions
    assert positions == sorted(positions)
    assert "MEM101" in result.stdout


def test_rule_all_lists_every_rule() -> None:
    result = memlint("rule", "--all")
    assert result.returncode == 0, result.stderr
    for code in ALL_CODES:
        assert code in result.stdout, code
    for section in RULE_SECTIONS:
        assert result.stdout.count(section) >= len(ALL_CODES), section


def test_rule_unknown_code() -> None:
    assert_user_error(memlint("rule", "MEM999"), "MEM999")


# ------------------------------------------------------------------- bad input


def test_missing_path(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", MIXED)
    result = memlint("check", "agent.py", "no_such_dir/agent.py", cwd=tmp_path)
    assert_user_error(result, "no_such_dir/agent.py")


@pytest.mark.parametrize("args", [
    ["check", "--output-format", "xml", "."],
    ["check", "--jobs", "0", "."],
    ["check", "--jobs", "many", "."],
    ["check", "--no-such-option", "."],
    ["no-such-command"],
    ["rule"],
])
def test_usage_errors_are_one_line_exit_2(tmp_path: Path, args: list[str]) -> None:
    write(tmp_path / "agent.py", MIXED)
    result = memlint(*args, cwd=tmp_path)
    assert_user_error(result)


def test_no_command_is_exit_2_without_traceback(tmp_path: Path) -> None:
    result = memlint(cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout


SYNTAX_ERROR = '''\
from flink_agents.api.runner_context import RunnerContext


def remember(ctx: RunnerContext) -> None
    ctx.short_term_memory.set("request_id", "x")
'''


def test_syntax_error_is_one_mem000_and_the_run_goes_on(tmp_path: Path) -> None:
    write(tmp_path / "a_broken.py", SYNTAX_ERROR)
    write(tmp_path / "b_agent.py", MIXED)
    result = memlint("check", "--output-format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    payload = json.loads(result.stdout)
    broken = [d for d in payload if d["path"].endswith("a_broken.py")]
    assert [(d["code"], d["line"]) for d in broken] == [("MEM000", line_no(SYNTAX_ERROR, "def remember"))]
    others = [(d["code"]) for d in payload if d["path"].endswith("b_agent.py")]
    assert others == ["MEM101", "MEM103", "MEM106"]


@pytest.mark.parametrize("data, words", [
    # ASCII declared, a Latin-1 byte in a string.
    (b"# -*- coding: ascii -*-\n"
     b"from uuid import uuid4\n"
     b"def remember(ctx):\n"
     b"    ctx.short_term_memory.set(\"caf\xe9\", uuid4())\n", ["ascii"]),
    # No cookie: UTF-8 by default, and this is not UTF-8.
    (b"from uuid import uuid4\n"
     b"def remember(ctx):\n"
     b"    ctx.short_term_memory.set(\"caf\xe9\", uuid4())\n", ["utf-8"]),
    # A codec that does not exist.
    (b"# coding: no-such-codec\n"
     b"def remember(ctx):\n"
     b"    ctx.short_term_memory.set(\"k\", 1)\n", ["no-such-codec"]),
], ids=["ascii-cookie", "not-utf8", "unknown-codec"])
def test_undecodable_file_is_mem000_and_the_run_goes_on(tmp_path: Path, data: bytes, words: list[str]) -> None:
    (tmp_path / "a_bytes.py").write_bytes(data)
    write(tmp_path / "b_agent.py", MIXED)
    result = memlint("check", "--output-format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    payload = json.loads(result.stdout)
    broken = [d for d in payload if d["path"].endswith("a_bytes.py")]
    assert [d["code"] for d in broken] == ["MEM000"]
    for word in words:
        assert word.lower() in broken[0]["message"].lower(), broken[0]["message"]
    assert [d["code"] for d in payload if d["path"].endswith("b_agent.py")] == ["MEM101", "MEM103", "MEM106"]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n", b"\xef\xbb\xbf# nothing here\n"],
                         ids=["empty", "bom-only", "blank-lines", "bom-comment"])
def test_empty_and_bom_only_files(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "empty.py").write_bytes(data)
    result = memlint("check", "empty.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert diagnostic_lines(result.stdout) == [] and result.stderr == ""


def test_bom_file_columns_do_not_count_the_bom(tmp_path: Path) -> None:
    text = CLEAN.replace("str(uuid4())", "uuid4()")
    (tmp_path / "agent.py").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = memlint("check", "agent.py", cwd=tmp_path)
    line = line_no(text, ".set(")
    assert [row[:4] for row in diagnostic_lines(result.stdout)] == [
        ("agent.py", line, col(text, line, "uuid4()"), "MEM101")]


def test_directory_without_python_files(tmp_path: Path) -> None:
    write(tmp_path / "docs" / "README.txt", "ctx.short_term_memory.set('x', uuid4())\n")
    (tmp_path / "empty").mkdir()
    for target in ("docs", "empty"):
        result = memlint("check", target, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert diagnostic_lines(result.stdout) == [] and "Traceback" not in result.stderr


def test_default_path_is_the_current_directory(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", MIXED)
    result = memlint("check", cwd=tmp_path)
    assert result.returncode == 1
    assert {row[3] for row in diagnostic_lines(result.stdout)} == {"MEM101", "MEM103", "MEM106"}
