"""The flake8 plugin, run by the real flake8 in a subprocess, agrees with `memlint check`."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*(MEM\d{3}(?:\s*,\s*MEM\d{3})*)\s*$")
FLAKE8_FORMAT = "%(path)s|%(row)d|%(col)d|%(code)s"

# Findings are (path relative to ROOT, line, 1-based column, code).
Finding = tuple[str, int, int, str]


def marked_fixtures() -> list[Path]:
    """Fixture files with `# expect:` markers that flake8 and memlint treat alike:
    no `noqa` comments (memlint applies them to the whole statement, flake8 to
    the physical line) and no syntax-error cases (flake8 reports E999 and runs
    no plugin on a file that does not parse)."""
    chosen = []
    for path in sorted(FIXTURES.rglob("*.py")):
        if path.relative_to(FIXTURES).parts[0] == "mem000_syntax":
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if "noqa" in text or not any(EXPECT.search(line) for line in text.splitlines()):
            continue
        chosen.append(path)
    return chosen


def rel(path: str) -> str:
    return os.path.relpath(os.path.realpath(os.path.join(ROOT, path)), ROOT).replace(os.sep, "/")


def run(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def flake8(files: list[Path], *options: str, cwd: Path = ROOT) -> set[Finding]:
    # --isolated: not this repository's setup.cfg, which excludes fixtures/.
    result = run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "MEM", *options,
         f"--format={FLAKE8_FORMAT}", *map(str, files)],
        cwd=cwd,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    findings = set()
    for line in result.stdout.splitlines():
        path, row, col, code = line.rsplit("|", 3)
        findings.add((rel(os.path.join(cwd, path)), int(row), int(col), code))
    return findings


def memlint_check(files: list[Path]) -> set[Finding]:
    command = [sys.executable, "-m", "memlint", "check", "--output-format", "json"]
    result = run([*command, *map(str, files)])
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return {
        (rel(d["path"]), d["line"], d["column"], d["code"])
        for d in json.loads(result.stdout)
        if d["code"] != "MEM100"  # unused-noqa: flake8 applies its own noqa
    }


@pytest.fixture(scope="module")
def fixtures() -> list[Path]:
    files = marked_fixtures()
    assert len(files) >= 3, "expected several fixture files with # expect: markers"
    return files


@pytest.fixture(scope="module")
def flake8_findings(fixtures: list[Path]) -> set[Finding]:
    return flake8(fixtures)


def test_plugin_is_registered_with_flake8():
    result = run([sys.executable, "-m", "flake8", "--version"])
    assert result.returncode == 0, result.stderr
    assert "flink-agents-memlint" in result.stdout


def test_flake8_reports_what_memlint_check_reports(fixtures, flake8_findings):
    expected = memlint_check(fixtures)
    assert expected, "memlint check found nothing in fixtures that have # expect: markers"
    missing = sorted(expected - flake8_findings)
    extra = sorted(flake8_findings - expected)
    assert not missing and not extra, f"only memlint check: {missing}\nonly flake8: {extra}"
    files_with_findings = {path for path, *_ in flake8_findings}
    assert files_with_findings == {rel(str(path)) for path in fixtures}


def test_flake8_extend_ignore_drops_the_code(fixtures, flake8_findings):
    with_uuid = sorted({path for path, _, _, code in flake8_findings if code == "MEM101"})
    assert with_uuid, "no MEM101 finding among the fixtures"
    files = [ROOT / path for path in with_uuid]
    ignored = flake8(files, "--extend-ignore", "MEM101")
    before = {f for f in flake8_findings if f[0] in with_uuid}
    assert ignored == {f for f in before if f[3] != "MEM101"}


def test_noqa_comment_suppresses_in_flake8(tmp_path, fixtures, flake8_findings):
    # A single-file case (no project folder around it) with a MEM101 finding.
    path = single_file_with("MEM101", flake8_findings)
    line = min(f[1] for f in flake8_findings if f[0] == rel(str(path)) and f[3] == "MEM101")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    control = tmp_path / "control.py"
    control.write_text("".join(lines), encoding="utf-8")
    text = lines[line - 1].rstrip("\r\n")
    marked, replaced = EXPECT.subn("# noqa: MEM101", text)
    if not replaced:
        marked = text + "  # noqa: MEM101"
    lines[line - 1] = marked + "\n"
    suppressed = tmp_path / "suppressed.py"
    suppressed.write_text("".join(lines), encoding="utf-8")

    control_findings = flake8([control], cwd=tmp_path)
    suppressed_findings = flake8([suppressed], cwd=tmp_path)
    as_control = {(rel(str(control)), *rest) for _, *rest in suppressed_findings}
    dropped = control_findings - as_control
    assert dropped and {(f[1], f[3]) for f in dropped} == {(line, "MEM101")}
    assert as_control <= control_findings
    # It is flake8 that applies the comment: the plugin reports the finding.
    unsuppressed = flake8([suppressed], "--disable-noqa", cwd=tmp_path)
    assert {(rel(str(control)), *rest) for _, *rest in unsuppressed} == control_findings


def single_file_with(code: str, flake8_findings: set[Finding]) -> Path:
    paths = sorted(
        path for path, _, _, found in flake8_findings
        if found == code and not path.startswith("fixtures/projects/")
    )
    assert paths, f"no single-file fixture with {code}"
    return ROOT / paths[0]


def test_rule_selection_is_flake8s_not_tool_memlints(tmp_path, fixtures, flake8_findings):
    # [tool.memlint] ignore applies to `memlint check`, not under flake8.
    (tmp_path / "pyproject.toml").write_text('[tool.memlint]\nignore = ["MEM101"]\n')
    case = tmp_path / "case.py"
    shutil.copy(single_file_with("MEM101", flake8_findings), case)
    assert "MEM101" in {code for *_, code in flake8([case], cwd=tmp_path)}
    checked = run([sys.executable, "-m", "memlint", "check", "--output-format", "json", "case.py"],
                  cwd=tmp_path)
    assert checked.returncode in (0, 1), checked.stderr
    assert "MEM101" not in {d["code"] for d in json.loads(checked.stdout)}


def test_configuration_error_is_one_clear_line(tmp_path, fixtures, flake8_findings):
    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\nbogus-key = 1\n")
    case = tmp_path / "case.py"
    shutil.copy(single_file_with("MEM101", flake8_findings), case)
    result = run([sys.executable, "-m", "flake8", "--isolated", "--select", "MEM", "case.py"],
                 cwd=tmp_path)
    assert result.returncode != 0
    assert "unknown key 'bogus-key'" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
