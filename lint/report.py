"""Output formats: text, json, sarif, github (and Ruff-like statistics).

Pure functions from diagnostics to text. The one exception: the SARIF
fingerprint of a finding hashes the text of its flagged line(s), which is read
from `sources` when given, else from the file on disk (and left out when the
file cannot be read).

Every non-empty result ends with a newline: write it with `sys.stdout.write`.
"""
from __future__ import annotations

import hashlib
import json
import os
import tokenize
from collections import Counter
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import quote

from .diagnostics import Diagnostic
from .source import split_lines

FORMATS = ("text", "json", "sarif", "github")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
INFORMATION_URI = "https://github.com/flink-agents-memlint/memlint"
FINGERPRINT_KEY = "memlint/v1"

# A rule's default level -> SARIF level / GitHub workflow command.
_SARIF_LEVELS = {"error": "error", "warning": "warning", "note": "note", "notice": "note",
                 "info": "note", "none": "none"}
_GITHUB_COMMANDS = {"error": "error", "warning": "warning", "note": "notice", "notice": "notice",
                    "info": "notice", "none": "notice"}


def render(
    diagnostics: Sequence[Diagnostic],
    output_format: str,
    *,
    root: str,
    show_summary: bool = True,
    sources: Mapping[str, str] | None = None,
) -> str:
    """Diagnostics in `output_format` (one of FORMATS).

    `root` is the project root: SARIF and GitHub paths are relative to it.
    `show_summary` applies to the text format only. `sources` maps a
    diagnostic's `path` to the text that was analyzed (SARIF fingerprints).
    """
    if output_format == "text":
        return _render_text(diagnostics, show_summary)
    if output_format == "json":
        return json.dumps([d.to_dict() for d in diagnostics], indent=2) + "\n"
    if output_format == "sarif":
        return json.dumps(sarif_log(diagnostics, root=root, sources=sources), indent=2) + "\n"
    if output_format == "github":
        rules = _rules()
        return "".join(_github_line(d, root, rules.get(d.code)) + "\n" for d in diagnostics)
    expected = ", ".join(FORMATS)
    raise ValueError(f"unknown output format {output_format!r} (expected one of {expected})")


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


def _render_text(diagnostics: Sequence[Diagnostic], show_summary: bool) -> str:
    lines = [
        f"{d.path}:{d.line}:{d.column}: {d.code} {'[*] ' if d.fix is not None else ''}{d.message}"
        for d in diagnostics
    ]
    if show_summary:
        count = len(diagnostics)
        if count == 0:
            lines.append("All checks passed!")
        else:
            lines.append(f"Found {count} error{'s' if count != 1 else ''}.")
            fixable = sum(1 for d in diagnostics if d.fix is not None)
            if fixable:
                lines.append(f"[*] {fixable} fixable with the --fix option.")
    return "".join(line + "\n" for line in lines)


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
    relative = _relative_path(path, root)
    return relative if relative is not None else path.replace(os.sep, "/")


def _artifact_location(path: str, root: str) -> dict[str, Any]:
    relative = _relative_path(path, root)
    if relative is None:
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}


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
