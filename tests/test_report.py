"""Output formats (lint/report.py) on hand-made diagnostics."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import memlint
from memlint import Diagnostic, Edit, Fix, Related
from memlint.report import FORMATS, render, render_statistics
from memlint.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "tests" / "data" / "sarif-2.1.0.json"

UUID_MESSAGE = 'UUID stored at memory path "ctx.initial_request_id"'


def diag(
    path: str = "agents/chat.py",
    line: int = 3,
    column: int = 41,
    code: str = "MEM101",
    message: str = UUID_MESSAGE,
    *,
    end_line: int | None = None,
    end_column: int | None = None,
    related: tuple[Related, ...] = (),
    fix: Fix | None = None,
) -> Diagnostic:
    return Diagnostic(
        path=path,
        line=line,
        column=column,
        end_line=line if end_line is None else end_line,
        end_column=column + 10 if end_column is None else end_column,
        code=code,
        message=message,
        related=related,
        fix=fix,
        url=f"https://example.invalid/rules/{code}",
    )


def str_fix(line: int, column: int) -> Fix:
    return Fix(
        applicability="safe",
        message="Convert to `str`",
        edits=(
            Edit(line, column, line, column, "str("),
            Edit(line, column + 10, line, column + 10, ")"),
        ),
    )


# ---------------------------------------------------------------------- text


def test_formats_are_the_documented_ones():
    assert FORMATS == ("concise", "text", "full", "grouped", "json", "json-lines", "sarif", "github", "gitlab",
                       "junit", "pylint")


def test_text_lines_and_summary():
    diagnostics = [
        diag(fix=str_fix(3, 41)),
        diag(path="agents/tools.py", line=12, column=5, code="MEM104", message="tuple stored"),
    ]
    out = render(diagnostics, "text", root=".")
    assert out.splitlines() == [
        f"agents/chat.py:3:41: MEM101 [*] {UUID_MESSAGE}",
        "agents/tools.py:12:5: MEM104 tuple stored",
        "Found 2 errors.",
        "[*] 1 fixable with the --fix option.",
    ]
    assert out.endswith("\n")


def test_text_summary_singular_without_fixable_line():
    out = render([diag()], "text", root=".")
    assert out.splitlines() == [f"agents/chat.py:3:41: MEM101 {UUID_MESSAGE}", "Found 1 error."]


def test_text_all_checks_passed_and_no_summary():
    assert render([], "text", root=".") == "All checks passed!\n"
    assert render([], "text", root=".", show_summary=False) == ""
    out = render([diag(fix=str_fix(3, 41))], "text", root=".", show_summary=False)
    assert out == f"agents/chat.py:3:41: MEM101 [*] {UUID_MESSAGE}\n"


def test_unknown_format_is_an_error():
    with pytest.raises(ValueError, match="xml"):
        render([diag()], "xml", root=".")


# ---------------------------------------------------------------------- json


def test_json_round_trips_to_the_diagnostic_dicts():
    diagnostics = [
        diag(
            related=(Related("agents/chat.py", 2, 9, "UUID entered the dict here"),),
            fix=str_fix(3, 41),
        ),
        diag(path="agents/x.py", line=1, column=1, code="MEM000", message="Syntax error: bad"),
    ]
    out = render(diagnostics, "json", root=".")
    assert json.loads(out) == [d.to_dict() for d in diagnostics]
    assert json.loads(render([], "json", root=".")) == []


# --------------------------------------------------------------------- sarif


def sarif_schema() -> dict:
    # A missing schema file is a failure, never a skip.
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert "sarif-schema-2.1.0" in schema["id"], f"{SCHEMA_FILE} is not the OASIS schema"
    return schema


def validate_sarif(text: str) -> dict:
    log = json.loads(text)
    schema = sarif_schema()
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return log


def sarif(diagnostics: list[Diagnostic], root: Path, **kwargs) -> dict:
    """The SARIF log of `diagnostics`, validated against the schema."""
    return validate_sarif(render(diagnostics, "sarif", root=str(root), **kwargs))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


AGENT_SOURCE = """\
from uuid import uuid4


def action(event, ctx):
    request_id = uuid4()
    ctx.sensory_memory.set("ctx.initial_request_id", request_id)
"""


def test_the_schema_validator_rejects_broken_sarif():
    # The validation below must be able to fail.
    bad_run = {"tool": {"driver": {}}, "results": [{"level": "loud"}]}
    bad = json.dumps({"version": "2.1.0", "runs": [bad_run]})
    with pytest.raises(AssertionError):
        validate_sarif(bad)


def test_sarif_validates_and_describes_the_tool(tmp_path):
    source = write(tmp_path / "pkg" / "sub" / "agent.py", AGENT_SOURCE)
    diagnostics = [
        diag(path=str(source), line=6, column=54, end_column=64),
        diag(path=str(source), line=6, column=5, code="MEM000", message="Syntax error"),
    ]
    log = sarif(diagnostics, tmp_path)
    assert log["version"] == "2.1.0"
    assert log["$schema"].startswith("https://")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "memlint"
    assert driver["version"] == memlint.__version__
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    for descriptor in driver["rules"]:
        rule = RULES[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["markdown"] == rule.documentation()
        assert descriptor["help"]["markdown"] == rule.documentation()
        assert descriptor["helpUri"] == rule.url()
        assert descriptor["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.resolve().as_uri() + "/"}}

    first, second = run["results"]
    assert first["ruleId"] == "MEM101"
    assert driver["rules"][first["ruleIndex"]]["id"] == "MEM101"
    assert driver["rules"][second["ruleIndex"]]["id"] == "MEM000"
    assert first["level"] == driver["rules"][first["ruleIndex"]]["defaultConfiguration"]["level"]
    assert first["message"] == {"text": UUID_MESSAGE}
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "pkg/sub/agent.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 6, "startColumn": 54, "endLine": 6, "endColumn": 64}
    assert "relatedLocations" not in first and "fixes" not in first


def test_sarif_uri_is_relative_with_forward_slashes_from_a_relative_path(tmp_path, monkeypatch):
    write(tmp_path / "src" / "my agents" / "chat.py", AGENT_SOURCE)
    monkeypatch.chdir(tmp_path / "src")
    log = sarif([diag(path="my agents/chat.py", line=6)], tmp_path)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "src/my%20agents/chat.py", "uriBaseId": "%SRCROOT%"}
    # A file outside the root keeps an absolute URI.
    outside = tmp_path.parent / "elsewhere.py"
    log = sarif([diag(path=str(outside))], tmp_path / "src")
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": outside.resolve().as_uri()}


def fingerprints(log: dict) -> list[dict]:
    return [result["partialFingerprints"] for result in log["runs"][0]["results"]]


def test_sarif_fingerprints_survive_a_shift_of_three_lines(tmp_path):
    before = tmp_path / "before"
    after = tmp_path / "after"
    write(before / "agent.py", AGENT_SOURCE)
    shifted = "import logging\nimport os\n\n" + AGENT_SOURCE
    write(after / "agent.py", shifted)
    assert shifted.splitlines()[8] == AGENT_SOURCE.splitlines()[5]

    log_before = sarif([diag(path=str(before / "agent.py"), line=6)], before)
    log_after = sarif([diag(path=str(after / "agent.py"), line=9)], after)
    (print_before,) = fingerprints(log_before)
    (print_after,) = fingerprints(log_after)
    assert print_before and print_before == print_after
    # Stable across runs too.
    again = sarif([diag(path=str(before / "agent.py"), line=6)], before)
    assert fingerprints(again) == [print_before]


def test_sarif_fingerprints_tell_findings_apart(tmp_path):
    source = AGENT_SOURCE + '    ctx.sensory_memory.set("ctx.other_id", request_id)\n'
    path = str(write(tmp_path / "agent.py", source))
    log = validate_sarif(
        render(
            [
                diag(path=path, line=6),
                diag(path=path, line=7),
                diag(path=path, line=7, code="MEM102", message="a model"),
            ],
            "sarif",
            root=str(tmp_path),
        )
    )
    prints = [json.dumps(p, sort_keys=True) for p in fingerprints(log)]
    assert len(set(prints)) == 3


def test_sarif_fingerprints_of_identical_lines_differ_and_use_given_sources(tmp_path):
    line = '    ctx.sensory_memory.set("ctx.initial_request_id", request_id)\n'
    source = AGENT_SOURCE + line
    # The file is not on disk: the text comes from `sources`.
    path = str(tmp_path / "unsaved.py")
    diagnostics = [diag(path=path, line=6), diag(path=path, line=7)]
    log = validate_sarif(render(diagnostics, "sarif", root=str(tmp_path), sources={path: source}))
    first, second = fingerprints(log)
    assert first != second
    # The same finding with different line text (from `sources`) gets another print.
    other_source = source.replace("uuid4()", "make()")
    other = sarif([diag(path=path, line=6)], tmp_path, sources={path: other_source})
    changed_source = source.replace("request_id)", "rid)")
    changed = sarif([diag(path=path, line=6)], tmp_path, sources={path: changed_source})
    assert fingerprints(other) == [first]
    assert fingerprints(changed) != [first]


def test_sarif_related_locations_and_fixes(tmp_path):
    path = str(write(tmp_path / "agents" / "chat.py", AGENT_SOURCE))
    related = (
        Related(path, 5, 5, "UUID assigned to `request_id` here"),
        Related(str(tmp_path / "agents" / "ids.py"), 2, 1, "defined here"),
    )
    fix = str_fix(6, 54)
    log = sarif([diag(path=path, line=6, column=54, related=related, fix=fix)], tmp_path)
    (result,) = log["runs"][0]["results"]
    assert result["relatedLocations"] == [
        {
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "agents/chat.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 5, "startColumn": 5},
            },
            "message": {"text": "UUID assigned to `request_id` here"},
        },
        {
            "id": 2,
            "physicalLocation": {
                "artifactLocation": {"uri": "agents/ids.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 2, "startColumn": 1},
            },
            "message": {"text": "defined here"},
        },
    ]
    (sarif_fix,) = result["fixes"]
    assert sarif_fix["description"] == {"text": "Convert to `str`"}
    (change,) = sarif_fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "agents/chat.py", "uriBaseId": "%SRCROOT%"}
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 6, "startColumn": 54, "endLine": 6, "endColumn": 54},
            "insertedContent": {"text": "str("},
        },
        {
            "deletedRegion": {"startLine": 6, "startColumn": 64, "endLine": 6, "endColumn": 64},
            "insertedContent": {"text": ")"},
        },
    ]


def test_sarif_of_no_findings_is_valid(tmp_path):
    log = validate_sarif(render([], "sarif", root=str(tmp_path)))
    assert log["runs"][0]["results"] == []
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == len(RULES)


# -------------------------------------------------------------------- github

GITHUB_COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}


def github_command(code: str) -> str:
    level = RULES[code].default_level
    return GITHUB_COMMANDS[str(getattr(level, "value", level)).lower()]


def test_github_workflow_command(tmp_path):
    path = str(tmp_path / "agents" / "chat.py")
    d = diag(path=path, line=6, column=54, end_line=6, end_column=64)
    out = render([d], "github", root=str(tmp_path))
    command = github_command("MEM101")
    assert out == (
        f"::{command} file=agents/chat.py,line=6,col=54,endLine=6,endColumn=64,title=MEM101"
        f"::{UUID_MESSAGE}\n"
    )
    assert render([], "github", root=str(tmp_path)) == ""


def test_github_escaping_is_exact(tmp_path):
    message = "100% of 'a,b: c'\r\nsecond line\nthird"
    path = tmp_path / "odd,dir" / "a:b%c.py"
    d = diag(path=str(path), line=2, column=3, end_line=4, end_column=5, message=message)
    out = render([d], "github", root=str(tmp_path))
    command = github_command("MEM101")
    assert out == (
        f"::{command} file=odd%2Cdir/a%3Ab%25c.py,line=2,col=3,endLine=4,endColumn=5,title=MEM101"
        "::100%25 of 'a,b: c'%0D%0Asecond line%0Athird\n"
    )
    assert out.count("\n") == 1


# ---------------------------------------------------------------- statistics


def test_statistics_rows_sorted_by_count_then_code():
    fixed = str_fix(1, 1)
    diagnostics = [
        *[diag(code="MEM103", fix=fixed)] * 3,
        diag(code="MEM102"),
        diag(code="MEM102", line=9),
        diag(code="MEM101", fix=fixed),
        diag(code="MEM101", line=9),
        diag(code="MEM000"),
        diag(code="MEM104", fix=fixed),
        diag(code="MEM104", line=8, fix=fixed),
    ]
    assert render_statistics(diagnostics).splitlines() == [
        "3  MEM103  [*]  enum-value",
        "2  MEM101  [-]  uuid-value",
        "2  MEM102       model-value",
        "2  MEM104  [*]  container-type",
        "1  MEM000       syntax-error",
    ]
    assert render_statistics([]) == ""


def test_statistics_align_counts():
    diagnostics = [diag(code="MEM101", line=n) for n in range(1, 13)] + [diag(code="MEM106")]
    assert render_statistics(diagnostics).splitlines() == [
        "12  MEM101       uuid-value",
        " 1  MEM106       object-value",
    ]


# ------------------------------------------------ the CLI on the fixtures


def memlint_check(output_format: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "memlint", "check", "--output-format", output_format, "fixtures"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def fixture_diagnostics() -> list[dict]:
    diagnostics = json.loads(memlint_check("json"))
    assert diagnostics
    return diagnostics


def test_cli_sarif_of_the_fixtures_validates(fixture_diagnostics):
    log = validate_sarif(memlint_check("sarif"))
    (run,) = log["runs"]
    results = run["results"]
    assert len(results) == len(fixture_diagnostics)
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"
    for result, d in zip(results, fixture_diagnostics):
        assert result["ruleId"] == d["code"] and result["message"]["text"] == d["message"]
        location = result["locations"][0]["physicalLocation"]
        relative = (ROOT / d["path"]).resolve().relative_to(ROOT).as_posix()
        assert location["artifactLocation"] == {"uri": relative, "uriBaseId": "%SRCROOT%"}
        assert location["region"]["startLine"] == d["line"]
        assert len(result.get("relatedLocations", [])) == len(d["related"])
        assert ("fixes" in result) == (d["fix"] is not None)
    assert len({json.dumps(r["partialFingerprints"]) for r in results}) == len(results)


def test_cli_github_of_the_fixtures(fixture_diagnostics):
    lines = memlint_check("github").splitlines()
    assert len(lines) == len(fixture_diagnostics)
    for line, d in zip(lines, fixture_diagnostics):
        assert line.startswith(f"::{github_command(d['code'])} file=")
        assert f",line={d['line']},col={d['column']}," in line and f",title={d['code']}::" in line


# ------------------------------------------------------ issue 9: more formats


def test_text_is_an_alias_of_concise():
    diagnostics = [diag(fix=str_fix(3, 41)), diag(path="agents/tools.py", line=12, column=5, code="MEM104",
                                                  message="tuple stored")]
    for show_summary in (True, False):
        assert render(diagnostics, "text", root=".", show_summary=show_summary) == render(
            diagnostics, "concise", root=".", show_summary=show_summary)


def test_absolute_paths_below_the_root_are_shown_relative_in_every_format(tmp_path):
    path = write(tmp_path / "services" / "agent" / "agent.py", AGENT_SOURCE)
    related = (Related(str(path), 5, 5, "came from here"),)
    d = diag(path=str(path), line=6, column=54, related=related)
    for output_format in ("concise", "grouped", "full", "pylint"):
        out = render([d], output_format, root=str(tmp_path))
        assert "services/agent/agent.py" in out and str(tmp_path) not in out, (output_format, out)
    (shown,) = json.loads(render([d], "json", root=str(tmp_path)))
    assert shown["path"] == "services/agent/agent.py"
    assert shown["related"][0]["path"] == "services/agent/agent.py"
    (line,) = render([d], "json-lines", root=str(tmp_path)).splitlines()
    assert json.loads(line) == shown
    # A path outside the root, and a relative one, are shown as given.
    outside = str(tmp_path.parent / "elsewhere.py")
    assert render([diag(path=outside)], "concise", root=str(tmp_path), show_summary=False).startswith(outside + ":")
    assert render([diag(path="../x.py")], "pylint", root=str(tmp_path)).startswith("../x.py:3: [MEM101] ")


def test_json_lines_is_one_json_object_per_diagnostic():
    diagnostics = [diag(fix=str_fix(3, 41)), diag(path="agents/x.py", line=1, column=1, code="MEM000",
                                                  message="Syntax error: bad")]
    out = render(diagnostics, "json-lines", root=".")
    assert [json.loads(line) for line in out.splitlines()] == [d.to_dict() for d in diagnostics]
    assert render([], "json-lines", root=".") == ""


def test_pylint_format():
    out = render([diag(), diag(line=7, code="MEM103", message="enum stored")], "pylint", root=".")
    assert out == (f"agents/chat.py:3: [MEM101] {UUID_MESSAGE}\n"
                   "agents/chat.py:7: [MEM103] enum stored\n")


def test_grouped_format_groups_by_file_and_aligns_positions():
    diagnostics = [
        diag(line=3, column=41, fix=str_fix(3, 41)),
        diag(line=12, column=5, code="MEM104", message="tuple stored"),
        diag(path="agents/tools.py", line=1, column=1, code="MEM000", message="Syntax error: bad"),
    ]
    assert render(diagnostics, "grouped", root=".").splitlines() == [
        "agents/chat.py:",
        f"   3:41 MEM101 [*] {UUID_MESSAGE}",
        "  12:5  MEM104 tuple stored",
        "",
        "agents/tools.py:",
        "  1:1 MEM000 Syntax error: bad",
        "",
        "Found 3 errors.",
        "[*] 1 fixable with the --fix option.",
    ]


def test_full_format_shows_source_caret_related_and_fix(tmp_path):
    path = write(tmp_path / "agent.py", AGENT_SOURCE)
    line = AGENT_SOURCE.splitlines()[5]
    column = line.index("request_id)") + 1
    fix = Fix("safe", "Convert to `str`", (Edit(6, column, 6, column + 10, "str(request_id)"),))
    d = diag(path=str(path), line=6, column=column, end_column=column + 10, fix=fix,
             related=(Related(str(path), 5, 5, "the UUID was made here"),))
    out = render([d], "full", root=str(tmp_path))
    lines = out.splitlines()
    assert lines[0] == f"agent.py:6:{column}: MEM101 [*] {UUID_MESSAGE}"
    assert lines[1] == "  |"
    assert lines[2] == "5 |     request_id = uuid4()"
    assert lines[3] == f"6 | {line}"
    caret_line = lines[4]
    assert caret_line.index("^") - len("  | ") == column - 1
    assert caret_line.endswith("^" * 10 + " MEM101")
    assert lines[5] == "  |"
    assert "   = note: agent.py:5:5: the UUID was made here" in lines
    assert "   = help: Convert to `str` (safe fix)" in lines
    assert f"     - {line}" in lines
    assert f"     + {line.replace('request_id)', 'str(request_id))')}" in lines
    assert lines[-2:] == ["Found 1 error.", "[*] 1 fixable with the --fix option."]
    # Unreadable source: the diagnostic line stays, nothing is made up.
    gone = diag(path=str(tmp_path / "gone.py"))
    assert render([gone], "full", root=str(tmp_path), show_summary=False) == f"gone.py:3:41: MEM101 {UUID_MESSAGE}\n\n"


def test_colour_only_when_asked_and_plain_text_underneath():
    import re

    diagnostics = [diag(fix=str_fix(3, 41))]
    for output_format in ("concise", "grouped", "full"):
        plain = render(diagnostics, output_format, root=".")
        coloured = render(diagnostics, output_format, root=".", color=True)
        assert "\x1b[" not in plain
        assert "\x1b[" in coloured
        assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain, output_format
    # Machine formats never carry colour.
    for output_format in ("json", "json-lines", "pylint", "github", "gitlab", "junit"):
        assert "\x1b[" not in render(diagnostics, output_format, root=".", color=True)


def gitlab(diagnostics, root, **kwargs) -> list[dict]:
    return json.loads(render(diagnostics, "gitlab", root=str(root), **kwargs))


def test_gitlab_code_quality_fields(tmp_path, monkeypatch):
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)
    path = write(tmp_path / "services" / "agent" / "agent.py", AGENT_SOURCE)
    (issue,) = gitlab([diag(path=str(path), line=6, end_line=7)], tmp_path)
    assert issue["description"] == f"MEM101: {UUID_MESSAGE}"
    assert issue["check_name"] == "MEM101"
    assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
    assert issue["location"] == {"path": "services/agent/agent.py", "lines": {"begin": 6, "end": 7}}
    assert len(issue["fingerprint"]) == 32 and int(issue["fingerprint"], 16) >= 0
    assert gitlab([], tmp_path) == []
    # In GitLab CI, paths are relative to the project directory (as Ruff).
    monkeypatch.setenv("CI_PROJECT_DIR", str(tmp_path / "services"))
    (issue,) = gitlab([diag(path=str(path), line=6)], tmp_path)
    assert issue["location"]["path"] == "agent/agent.py"


def test_gitlab_fingerprints_survive_a_line_shift_and_tell_findings_apart(tmp_path, monkeypatch):
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)
    before, after = tmp_path / "before", tmp_path / "after"
    write(before / "agent.py", AGENT_SOURCE)
    write(after / "agent.py", "import logging\nimport os\n\n" + AGENT_SOURCE)
    (first,) = gitlab([diag(path=str(before / "agent.py"), line=6)], before)
    (moved,) = gitlab([diag(path=str(after / "agent.py"), line=9)], after)
    assert first["fingerprint"] == moved["fingerprint"]
    assert first["location"]["lines"]["begin"] != moved["location"]["lines"]["begin"]
    twice = gitlab([diag(path=str(before / "agent.py"), line=6), diag(path=str(before / "agent.py"), line=6),
                    diag(path=str(before / "agent.py"), line=6, code="MEM103", message="enum")], before)
    assert len({issue["fingerprint"] for issue in twice}) == 3


def test_junit_is_xml_with_a_testcase_per_file_and_a_failure_per_diagnostic():
    from xml.etree import ElementTree

    diagnostics = [
        diag(),
        diag(line=7, code="MEM103", message='enum <Color.RED: "red"> & more'),
        diag(path="agents/tools.py", line=1, column=1, code="MEM000", message="Syntax error:\x0c bad"),
    ]
    out = render(diagnostics, "junit", root=".", files=["agents/chat.py", "agents/clean.py", "agents/tools.py"])
    suites = ElementTree.fromstring(out.encode("utf-8"))
    assert suites.tag == "testsuites"
    (suite,) = suites.findall("testsuite")
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == ["agents/chat.py", "agents/clean.py", "agents/tools.py"]
    assert suite.get("tests") == "3" and suite.get("failures") == "2"
    failures = {case.get("name"): case.findall("failure") for case in cases}
    assert failures["agents/clean.py"] == []
    chat = failures["agents/chat.py"]
    assert [f.get("type") for f in chat] == ["MEM101", "MEM103"]
    assert chat[1].get("message") == 'MEM103 enum <Color.RED: "red"> & more'
    assert chat[1].text == 'agents/chat.py:7:41: MEM103 enum <Color.RED: "red"> & more'
    assert failures["agents/tools.py"][0].text == "agents/tools.py:1:1: MEM000 Syntax error: bad"
    empty = ElementTree.fromstring(render([], "junit", root=".").encode("utf-8"))
    assert empty.find("testsuite").get("tests") == "0"


def test_cli_text_and_concise_are_byte_identical_on_the_fixtures():
    assert memlint_check("text") == memlint_check("concise")


def test_cli_junit_of_the_fixtures(fixture_diagnostics):
    from xml.etree import ElementTree

    suites = ElementTree.fromstring(memlint_check("junit").encode("utf-8"))
    failures = suites.findall("./testsuite/testcase/failure")
    assert len(failures) == len(fixture_diagnostics)
    cases = {case.get("name") for case in suites.findall("./testsuite/testcase")}
    assert {d["path"] for d in fixture_diagnostics} <= cases
