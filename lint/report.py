"""Output formats (Ruff's names): concise (alias text), full, grouped, json,
json-lines, sarif, github, gitlab, junit, pylint (and Ruff-like statistics).

Pure functions from diagnostics to text. Paths are shown relative to `root`
(the command line passes the current directory) when a file lies below it,
else as given; SARIF URIs are relative to `srcroot` (`%SRCROOT%`, the git work
tree's root on the command line), GitLab paths to $CI_PROJECT_DIR when set
(as Ruff does). The exceptions to purity: the full format's source lines and
the SARIF / GitLab fingerprints read a file's text from `sources` when given,
else from disk (and do without when it cannot be read).

Every non-empty result ends with a newline: write it with `sys.stdout.write`.
"""
from __future__ import annotations

import hashlib
import json
import os
import tokenize
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import quote

from .diagnostics import Diagnostic
from .source import line_starts, split_lines

FORMATS = ("concise", "text", "full", "grouped", "json", "json-lines", "sarif", "github", "gitlab", "junit",
           "pylint")
# Formats for people: a summary line, `[*]` for the fixes --fix applies, colour.
TEXT_FORMATS = ("concise", "text", "full", "grouped")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
INFORMATION_URI = "https://github.com/flink-agents-memlint/memlint"
FINGERPRINT_KEY = "memlint/v1"

# A rule's default level -> SARIF level / GitHub workflow command / GitLab severity.
_SARIF_LEVELS = {"error": "error", "warning": "warning", "note": "note", "notice": "note",
                 "info": "note", "none": "none"}
_GITHUB_COMMANDS = {"error": "error", "warning": "warning", "note": "notice", "notice": "notice",
                    "info": "notice", "none": "notice"}
_GITLAB_SEVERITIES = {"error": "major", "warning": "minor", "note": "info", "notice": "info",
                      "info": "info", "none": "info"}


class Style:
    """ANSI colours for the text formats (Ruff's palette); all no-ops when off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and text else text

    def path(self, text: str) -> str:
        return self._wrap("1", text)

    def separator(self, text: str) -> str:
        return self._wrap("36", text)

    def code(self, text: str) -> str:
        return self._wrap("1;31", text)

    def fixable(self, text: str) -> str:
        return self._wrap("36", text)

    def caret(self, text: str) -> str:
        return self._wrap("1;31", text)

    def gutter(self, text: str) -> str:
        return self._wrap("1;34", text)

    def bold(self, text: str) -> str:
        return self._wrap("1", text)


def render(
    diagnostics: Sequence[Diagnostic],
    output_format: str,
    *,
    root: str,
    show_summary: bool = True,
    sources: Mapping[str, str] | None = None,
    srcroot: str | None = None,
    color: bool = False,
    files: Sequence[str] = (),
) -> str:
    """Diagnostics in `output_format` (one of FORMATS).

    `root`: paths are shown relative to it (the current directory). `srcroot`:
    the SARIF `%SRCROOT%` (default: `root`). `show_summary` and `color` apply
    to the text formats only. `sources` maps a diagnostic's `path` to the
    text that was analyzed. `files`: every file checked (junit gives each a
    test case, passed or failed).
    """
    if output_format not in FORMATS:
        expected = ", ".join(FORMATS)
        raise ValueError(f"unknown output format {output_format!r} (expected one of {expected})")
    if output_format == "sarif":
        return json.dumps(sarif_log(diagnostics, root=srcroot or root, sources=sources), indent=2) + "\n"
    if output_format == "github":
        rules = _rules()
        return "".join(_github_line(d, root, rules.get(d.code)) + "\n" for d in diagnostics)
    if output_format == "gitlab":
        base = os.environ.get("CI_PROJECT_DIR") or root
        return json.dumps(gitlab_report(diagnostics, root=base, sources=sources), indent=2) + "\n"
    shown = [displayed(d, root) for d in diagnostics]
    style = Style(color)
    if output_format in ("concise", "text"):
        return _render_concise(shown, show_summary, style)
    if output_format == "full":
        return _render_full(shown, diagnostics, show_summary, style, sources)
    if output_format == "grouped":
        return _render_grouped(shown, show_summary, style)
    if output_format == "json":
        return json.dumps([d.to_dict() for d in shown], indent=2) + "\n"
    if output_format == "json-lines":
        return "".join(json.dumps(d.to_dict()) + "\n" for d in shown)
    if output_format == "pylint":
        return "".join(f"{d.path}:{d.line}: [{d.code}] {d.message}\n" for d in shown)
    return junit_report(shown, [display_path(f, root) for f in files])


def displayed(d: Diagnostic, root: str) -> Diagnostic:
    """The diagnostic with its paths (and its related locations') as shown."""
    path = display_path(d.path, root)
    related = tuple(replace(r, path=display_path(r.path, root)) for r in d.related)
    if path == d.path and related == d.related:
        return d
    return replace(d, path=path, related=related)


def display_path(path: str, root: str) -> str:
    """A path as every format shows it: an absolute path below `root` becomes
    relative to it; a relative path (already relative to the current
    directory) and a path outside `root` stay as given."""
    if not os.path.isabs(path):
        return path
    relative = _relative_path(path, root)
    return relative if relative is not None else path


# --------------------------------------------------------------------- rules


def _rules() -> dict[str, Any]:
    """code -> rule object, in the order of `memlint.rules.RULES`."""
    from .rules import RULES

    if isinstance(RULES, Mapping):
        return dict(RULES)
    return {rule.code: rule for rule in RULES}


def _rule_level(rule: Any) -> str:
    level = getattr(rule, "default_level", "error") if rule is not None else "error"
    return str(getattr(level, "value", level)).lower()


def _rule_url(rule: Any, diagnostic: Diagnostic | None = None) -> str:
    if diagnostic is not None and diagnostic.url:
        return diagnostic.url
    if rule is None:
        return ""
    url = rule.url
    return url() if callable(url) else url


def _rule_documentation(rule: Any) -> str:
    doc = rule.documentation
    return doc() if callable(doc) else doc


# ---------------------------------------------------------------------- text


def _summary_lines(diagnostics: Sequence[Diagnostic]) -> list[str]:
    count = len(diagnostics)
    if count == 0:
        return ["All checks passed!"]
    lines = [f"Found {count} error{'s' if count != 1 else ''}."]
    fixable = sum(1 for d in diagnostics if d.fix is not None)
    if fixable:
        lines.append(f"[*] {fixable} fixable with the --fix option.")
    return lines


def _concise_line(d: Diagnostic, style: Style) -> str:
    colon = style.separator(":")
    mark = style.fixable("[*]") + " " if d.fix is not None else ""
    return (f"{style.path(d.path)}{colon}{d.line}{colon}{d.column}{colon} "
            f"{style.code(d.code)} {mark}{d.message}")


def _render_concise(diagnostics: Sequence[Diagnostic], show_summary: bool, style: Style) -> str:
    lines = [_concise_line(d, style) for d in diagnostics]
    if show_summary:
        lines.extend(_summary_lines(diagnostics))
    return "".join(line + "\n" for line in lines)


def _render_grouped(diagnostics: Sequence[Diagnostic], show_summary: bool, style: Style) -> str:
    """Ruff's grouped format: a header per file, then `line:column CODE message`
    rows aligned on the colon, a blank line after each file."""
    out: list[str] = []
    by_path: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        by_path.setdefault(d.path, []).append(d)
    for path, found in by_path.items():
        line_width = max(len(str(d.line)) for d in found)
        column_width = max(len(str(d.column)) for d in found)
        out.append(f"{style.path(path)}{style.separator(':')}")
        for d in found:
            mark = style.fixable("[*]") + " " if d.fix is not None else ""
            position = f"{d.line:>{line_width}}{style.separator(':')}{d.column:<{column_width}}"
            out.append(f"  {position} {style.code(d.code)} {mark}{d.message}")
        out.append("")
    if show_summary:
        out.extend(_summary_lines(diagnostics))
    return "".join(line + "\n" for line in out)


def _render_full(shown: Sequence[Diagnostic], originals: Sequence[Diagnostic], show_summary: bool,
                 style: Style, sources: Mapping[str, str] | None) -> str:
    """The concise line, then the flagged source with carets under the
    flagged characters, the related locations, and the fix (what it does and
    the lines it changes), separated by blank lines."""
    cache: dict[str, list[str] | None] = {}
    out: list[str] = []
    for d, original in zip(shown, originals):
        out.append(_concise_line(d, style))
        lines = _lines(original.path, sources, cache)
        out.extend(_snippet(d, lines, style))
        for r in d.related:
            out.append(f"   = note: {r.path}:{r.line}:{r.column}: {r.message}")
        if d.fix is not None:
            out.append(f"   = help: {d.fix.message} ({d.fix.applicability} fix)")
            out.extend(_fix_preview(d, original, sources, cache))
        out.append("")
    if show_summary:
        out.extend(_summary_lines(shown))
    return "".join(line + "\n" for line in out)


# At most this many flagged lines are shown in the full format.
_SNIPPET_LINES = 6


def _snippet(d: Diagnostic, lines: list[str] | None, style: Style) -> list[str]:
    if lines is None or not 1 <= d.line <= len(lines):
        return []
    last = min(max(d.line, d.end_line), len(lines), d.line + _SNIPPET_LINES - 1)
    first = max(1, d.line - 1)
    # The line after the flagged ones, for context (not the empty "line" after a final newline).
    following = last == max(d.line, d.end_line) and last < len(lines) and (last + 1 < len(lines) or lines[last])
    width = len(str(last + 1 if following else last))
    bar = style.gutter(" " * width + " |")
    out = [bar]
    for number in range(first, last + 1):
        text = lines[number - 1].expandtabs(1)
        out.append(f"{style.gutter(f'{number:>{width}} |')} {text}".rstrip())
        if number == d.line:
            start = d.column - 1
            end = d.end_column - 1 if d.end_line == d.line else len(text)
            carets = "^" * max(1, end - start)
            out.append(f"{bar} {' ' * start}{style.caret(carets)} {style.code(d.code)}")
    if following:
        out.append(f"{style.gutter(f'{last + 1:>{width}} |')} {lines[last].expandtabs(1)}".rstrip())
    out.append(bar)
    return out


def _fix_preview(d: Diagnostic, original: Diagnostic, sources: Mapping[str, str] | None,
                 cache: dict[str, list[str] | None]) -> list[str]:
    """The lines the fix changes, as `- old` / `+ new` rows."""
    assert d.fix is not None
    lines = _lines(original.path, sources, cache)
    if lines is None or not d.fix.edits:
        return []
    text = "\n".join(lines)
    starts = line_starts(text)
    spans = []
    for e in d.fix.edits:
        if not (1 <= e.start_line <= len(starts) and 1 <= e.end_line <= len(starts)):
            return []
        start = starts[e.start_line - 1] + e.start_column - 1
        end = starts[e.end_line - 1] + e.end_column - 1
        if not 0 <= start <= end <= len(text):
            return []
        spans.append((start, end, e.content))
    spans.sort()
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
        return []
    first = min(e.start_line for e in d.fix.edits)
    last = max(e.end_line for e in d.fix.edits)
    block_start, block_end = starts[first - 1], starts[last] - 1 if last < len(starts) else len(text)
    new_parts, position = [], block_start
    for start, end, content in spans:
        if start < block_start or end > block_end:
            return []
        new_parts.append(text[position:start] + content)
        position = end
    new_parts.append(text[position:block_end])
    old_block = text[block_start:block_end].split("\n")
    new_block = "".join(new_parts).split("\n")
    return ["   = fix:"] + [f"     - {line}" for line in old_block] + [f"     + {line}" for line in new_block]


def render_statistics(diagnostics: Sequence[Diagnostic]) -> str:
    """One row per code, most frequent first: `count  CODE  [*]  name`.

    `[*]` when every finding of the code has a fix, `[-]` when some do.
    """
    if not diagnostics:
        return ""
    counts = Counter(d.code for d in diagnostics)
    fixable = Counter(d.code for d in diagnostics if d.fix is not None)
    rules = _rules()
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    count_width = max(len(str(n)) for _, n in rows)
    code_width = max(len(code) for code, _ in rows)
    out = []
    for code, n in rows:
        mark = "[*]" if fixable[code] == n else "[-]" if fixable[code] else "   "
        rule = rules.get(code)
        name = rule.name if rule is not None else ""
        out.append(f"{n:>{count_width}}  {code:<{code_width}}  {mark}  {name}".rstrip() + "\n")
    return "".join(out)


# --------------------------------------------------------------------- paths


def _relative_path(path: str, root: str) -> str | None:
    """`path` relative to `root` with forward slashes, or None when outside root."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, os.path.abspath(root))
    except ValueError:  # another drive on Windows
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative.replace(os.sep, "/")


def _display_path(path: str, root: str) -> str:
    """A path relative to `root` with forward slashes (GitHub, GitLab, fingerprints)."""
    relative = _relative_path(path, root)
    return relative if relative is not None else path.replace(os.sep, "/")


def _artifact_location(path: str, root: str) -> dict[str, Any]:
    relative = _relative_path(path, root)
    if relative is None:
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    # The file name's own bytes, percent-encoded (a non-UTF-8 name holds surrogate escapes).
    return {"uri": quote(relative.encode("utf-8", "surrogateescape"), safe="/"), "uriBaseId": SRCROOT}


def _root_uri(root: str) -> str:
    uri = Path(os.path.abspath(root)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


# --------------------------------------------------------------------- sarif


def sarif_log(
    diagnostics: Sequence[Diagnostic],
    *,
    root: str,
    sources: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The SARIF 2.1.0 log (as a JSON-ready dict) for one memlint run."""
    from . import __version__

    rules = _rules()
    rule_index = {code: i for i, code in enumerate(rules)}
    line_cache: dict[str, list[str] | None] = {}
    seen: Counter[str] = Counter()
    results = []
    for d in diagnostics:
        rule = rules.get(d.code)
        location = _artifact_location(d.path, root)
        result: dict[str, Any] = {"ruleId": d.code}
        if d.code in rule_index:
            result["ruleIndex"] = rule_index[d.code]
        result["level"] = _SARIF_LEVELS.get(_rule_level(rule), "error")
        result["message"] = {"text": d.message}
        result["locations"] = [
            {"physicalLocation": {"artifactLocation": location, "region": _region(d)}}
        ]
        base = _fingerprint_base(d, root, _lines(d.path, sources, line_cache))
        seen[base] += 1
        result["partialFingerprints"] = {FINGERPRINT_KEY: f"{base}:{seen[base]}"}
        if d.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "physicalLocation": {
                        "artifactLocation": _artifact_location(r.path, root),
                        "region": {"startLine": r.line, "startColumn": r.column},
                    },
                    "message": {"text": r.message},
                }
                for i, r in enumerate(d.related, start=1)
            ]
        if d.fix is not None:
            result["fixes"] = [
                {
                    "description": {"text": d.fix.message},
                    "artifactChanges": [
                        {
                            "artifactLocation": location,
                            "replacements": [
                                {
                                    "deletedRegion": {
                                        "startLine": e.start_line,
                                        "startColumn": e.start_column,
                                        "endLine": e.end_line,
                                        "endColumn": e.end_column,
                                    },
                                    "insertedContent": {"text": e.content},
                                }
                                for e in d.fix.edits
                            ],
                        }
                    ],
                    "properties": {"applicability": d.fix.applicability},
                }
            ]
        results.append(result)

    driver: dict[str, Any] = {
        "name": "memlint",
        "fullName": "flink-agents-memlint",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_sarif_rule(code, rule) for code, rule in rules.items()],
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(root)}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _sarif_rule(code: str, rule: Any) -> dict[str, Any]:
    documentation = _rule_documentation(rule)
    descriptor: dict[str, Any] = {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": documentation, "markdown": documentation},
        "help": {"text": documentation, "markdown": documentation},
        "defaultConfiguration": {"level": _SARIF_LEVELS.get(_rule_level(rule), "error")},
        "properties": {"tags": ["flink-agents", "checkpoint-safety"]},
    }
    url = _rule_url(rule)
    if url:
        descriptor["helpUri"] = url
    return descriptor


def _region(d: Diagnostic) -> dict[str, int]:
    return {
        "startLine": d.line,
        "startColumn": d.column,
        "endLine": d.end_line,
        "endColumn": d.end_column,
    }


def _lines(
    path: str, sources: Mapping[str, str] | None, cache: dict[str, list[str] | None]
) -> list[str] | None:
    if path not in cache:
        text = sources.get(path) if sources is not None else None
        if text is None:
            try:
                with tokenize.open(path) as handle:  # honours coding cookies and BOMs
                    text = handle.read()
            except (OSError, SyntaxError, UnicodeDecodeError):
                text = None
        cache[path] = split_lines(text) if text is not None else None  # Python's line breaks only
    return cache[path]


def _fingerprint_base(d: Diagnostic, root: str, lines: list[str] | None) -> str:
    """A hash of where and what, without line numbers: path, code, message and
    the whitespace-normalized text of the flagged lines (when readable)."""
    flagged = ""
    if lines is not None and 1 <= d.line <= len(lines):
        flagged_lines = lines[d.line - 1 : max(d.line, d.end_line)]
        flagged = "\n".join(" ".join(line.split()) for line in flagged_lines)
    material = "\0".join((_display_path(d.path, root), d.code, d.message, flagged))
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# -------------------------------------------------------------------- github


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _github_line(d: Diagnostic, root: str, rule: Any) -> str:
    command = _GITHUB_COMMANDS.get(_rule_level(rule), "error")
    properties = (
        ("file", _display_path(d.path, root)),
        ("line", str(d.line)),
        ("col", str(d.column)),
        ("endLine", str(d.end_line)),
        ("endColumn", str(d.end_column)),
        ("title", d.code),
    )
    joined = ",".join(f"{key}={_escape_property(value)}" for key, value in properties)
    return f"::{command} {joined}::{_escape_data(d.message)}"


# -------------------------------------------------------------------- gitlab


def gitlab_report(
    diagnostics: Sequence[Diagnostic],
    *,
    root: str,
    sources: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """A GitLab Code Quality report: `description`, `check_name`,
    `fingerprint` (the SARIF one: no line numbers, so stable when lines
    shift), `severity`, `location.path` (relative to `root`) and
    `location.lines.begin`/`end`."""
    rules = _rules()
    cache: dict[str, list[str] | None] = {}
    seen: Counter[str] = Counter()
    report = []
    for d in diagnostics:
        base = _fingerprint_base(d, root, _lines(d.path, sources, cache))
        seen[base] += 1
        fingerprint = hashlib.md5(f"{base}:{seen[base]}".encode(), usedforsecurity=False).hexdigest()
        report.append({
            "description": f"{d.code}: {d.message}",
            "check_name": d.code,
            "fingerprint": fingerprint,
            "severity": _GITLAB_SEVERITIES.get(_rule_level(rules.get(d.code)), "major"),
            "location": {
                "path": _display_path(d.path, root),
                "lines": {"begin": d.line, "end": max(d.line, d.end_line)},
            },
        })
    return report


# --------------------------------------------------------------------- junit


def junit_report(diagnostics: Sequence[Diagnostic], files: Sequence[str] = ()) -> str:
    """JUnit XML: one test suite, one test case per file (every checked file
    in `files`, and every file with a diagnostic), one failure per diagnostic."""
    from xml.etree import ElementTree as ET

    by_path: dict[str, list[Diagnostic]] = {path: [] for path in files}
    for d in diagnostics:
        by_path.setdefault(d.path, []).append(d)
    by_path = dict(sorted(by_path.items()))
    failures = sum(1 for found in by_path.values() if found)
    suites = ET.Element("testsuites", name="memlint", tests=str(len(by_path)), failures=str(failures),
                        errors="0")
    suite = ET.SubElement(suites, "testsuite", name="memlint", tests=str(len(by_path)),
                          failures=str(failures), errors="0", skipped="0")
    for path, found in by_path.items():
        case = ET.SubElement(suite, "testcase", name=path, classname=_junit_classname(path), file=path)
        for d in found:
            failure = ET.SubElement(case, "failure", message=f"{d.code} {d.message}", type=d.code)
            failure.text = f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _xml_text(ET.tostring(suites, encoding="unicode")) + "\n"


def _junit_classname(path: str) -> str:
    """`services/agent/agent.py` -> `services.agent.agent` (how JUnit viewers group cases)."""
    stem = path[:-len(Path(path).suffix)] if Path(path).suffix else path
    return stem.replace("\\", "/").strip("/").replace("/", ".")


def _xml_text(text: str) -> str:
    """Drop the characters XML 1.0 cannot hold (control characters in a message)."""
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20 and not 0xD800 <= ord(c) <= 0xDFFF
                   and c not in "\ufffe\uffff")
