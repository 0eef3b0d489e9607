"""memlint.fix: the fixing side of memlint.

- plan.py     plan the edit that normalizes an unsafe memory value (Diagnostic.fix)
- convert.py  the pieces a fix is made of: conversions, expression text, the source map, Plan
- readside.py what the module's reads of a memory path do with the value (fix safety)
- rebuild.py  the read side of an unsafe fix: rebuild the rich value where it is read
- apply.py    `memlint check --fix / --diff`: apply fixes round after round, unified diffs
- fileio.py   write a file back keeping its identity (links, owner, mode) and content model

Imports point one way (plan -> rebuild -> convert; plan -> readside;
apply -> fileio), never back. Names are loaded on first use, so importing
memlint.fix costs nothing until a fix is planned (libcst).
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # plan.py
    "plan_fixes": "plan", "Planner": "plan", "UNPAIRED": "plan", "unpaired_note": "plan",
    # convert.py
    "FIXABLE": "convert", "PAIRED": "convert", "Conv": "convert", "Plan": "convert", "Candidate": "convert",
    "SourceMap": "convert", "Renderer": "convert", "Text": "convert", "merge": "convert",
    # readside.py
    "Reads": "readside", "may_read": "readside", "related_paths": "readside",
    # rebuild.py
    "pair_reads": "rebuild", "Pairing": "rebuild", "Rebuilder": "rebuild",
    # apply.py
    "MAX_ROUNDS": "apply", "applicable": "apply", "select_fixes": "apply", "apply_edits": "apply",
    "parses": "apply", "fix_text": "apply", "fix_file": "apply", "TextFix": "apply", "FileFix": "apply",
    "Selection": "apply", "unified_diff": "apply", "drop_unused_imports": "apply",
    # fileio.py
    "write_if_unchanged": "fileio", "WriteRefused": "fileio", "read_for_fix": "fileio",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
