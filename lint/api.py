"""The Python API: lint a source text or a set of paths."""
from __future__ import annotations

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
    return deep_call(check_text, path, source, settings, Path(path))


def lint_paths(
    paths: Iterable[str | Path],
    config: Config | None = None,
    *,
    jobs: int = 1,
) -> list[Diagnostic]:
    """Diagnostics for every Python file under `paths`, sorted by path and
    position. Without `config`, each file follows the configuration nearest to
    it, as on the command line."""
    settings = Settings.from_config(config or Config())
    if config is None:
        settings = replace(settings, hierarchical=True)
    files = discover([str(p) for p in paths], config or Config())
    return check_files(files, settings, jobs=jobs)
