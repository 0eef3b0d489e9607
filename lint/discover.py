"""discover: expand the paths given into the Python files to check."""
from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Iterable

from .config import Config

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", "__pycache__", "build", "dist",
    "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", "*.egg-info",
    "__pypackages__", ".eggs",
)
PYTHON_SUFFIXES = (".py", ".pyi")


class PathError(Exception):
    """A path given on the command line does not exist."""


def _excluded(relative: str, patterns: Iterable[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if "/" in pattern:
            if fnmatch.fnmatch(relative, pattern.lstrip("/")) or fnmatch.fnmatch(relative, pattern.lstrip("/") + "/*"):
                return True
        elif fnmatch.fnmatch(name, pattern):
            return True
    return False


def _excluded_with_folders(relative: str, patterns: Iterable[str]) -> bool:
    """Does a pattern match the path or one of its folders (below the root)?
    For --force-exclude on paths named explicitly, which no walk prunes."""
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    return any(_excluded("/".join(parts[:i]), patterns) for i in range(1, len(parts) + 1)
               if parts[i - 1] != "..")


def discover(paths: Iterable[str], config: Config, force_exclude: bool = False) -> list[str]:
    """Files to check, in a stable order. Files named explicitly are kept even
    when excluded (unless force_exclude), like Ruff."""
    patterns = (*DEFAULT_EXCLUDE, *config.exclude, *config.extend_exclude)
    base = Path(config.root) if config.root else Path.cwd()
    found: list[str] = []
    seen: set[str] = set()

    def relative_of(path: str) -> str:
        try:
            return os.path.relpath(os.path.abspath(path), base).replace(os.sep, "/")
        except ValueError:
            return path.replace(os.sep, "/")

    def add(path: str) -> None:
        key = os.path.abspath(path)
        if key not in seen:
            seen.add(key)
            found.append(os.path.normpath(path))  # `x.py`, not `./x.py`

    for raw in paths:
        path = os.path.normpath(str(raw))
        if not os.path.exists(path):
            raise PathError(f"{raw}: no such file or directory")
        if force_exclude and _excluded_with_folders(relative_of(path), patterns):
            continue
        if os.path.isfile(path):
            add(path)
            continue
        for directory, subdirs, files in os.walk(path):
            subdirs[:] = sorted(d for d in subdirs if not _excluded(relative_of(os.path.join(directory, d)), patterns))
            for filename in sorted(files):
                if not filename.endswith(PYTHON_SUFFIXES):
                    continue
                full = os.path.join(directory, filename)
                if not _excluded(relative_of(full), patterns):
                    add(full)
    return found
