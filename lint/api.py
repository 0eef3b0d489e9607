"""The Python API: lint a source text or a set of paths."""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from .config import Config
from .diagnostics import Diagnostic
from .discover import discover
from .engine import Settings, check_files, check_text, deep_call


def lint_source(
    source: str,
    path: str = "<string>",
    config: Config | None = None,
    *,
    apply_noqa: bool = True,
) -> list[Diagnostic]:
    """Diagnostics for one module's text. `path` (if it exists on disk) anchors
    the project around it, whose models and enums are read from disk; the text
    given here wins over the file on disk. With apply_noqa=False, `# noqa`
    comments are not applied and MEM100 is not reported (hosts such as flake8
    apply their own)."""
    settings = Settings.from_config(config or Config(), apply_noqa=apply_noqa)
    try:
        os.fsencode(path)
        fs_path = Path(path)
    except UnicodeError:  # a lone surrogate: no file on disk can have this name
        fs_path = Path("<string>")
    return deep_call(check_text, path, source, settings, fs_path)


def lint_paths(
    paths: Iterable[str | Path],
    config: Config | None = None,
    *,
    jobs: int = 1,
    errors: list | None = None,
) -> list[Diagnostic]:
    """Diagnostics for every Python file under `paths`, sorted by path and
    position. Without `config`, each file follows the configuration nearest to
    it, as on the command line. A file memlint fails on (a bug in memlint, a
    worker process that dies) costs no other file its results: it is appended
    to `errors` as a `memlint.isolation.InternalError` (path, one-line
    message, traceback), or, without `errors`, reported as a RuntimeWarning."""
    settings = Settings.from_config(config or Config())
    if config is None:
        settings = replace(settings, hierarchical=True)
    files = discover([str(p) for p in paths], config or Config(), hierarchical=config is None)
    return check_files(files, settings, jobs=jobs, errors=errors)
