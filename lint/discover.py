"""discover: expand the paths given into the Python files to check.

A folder is walked top-down, and a file or folder in it is skipped when

- an exclude pattern of the configuration that applies there matches it:
  `exclude` (which replaces DEFAULT_EXCLUDE) and `extend-exclude` (which adds
  to it), with gitignore's pattern semantics, relative to the configuration's
  folder; without `--config`, a folder holding its own configuration uses
  that configuration's patterns below it (a monorepo's projects);
- `respect-gitignore` is on (the default) and git would ignore it:
  `.gitignore` files and `.git/info/exclude` inside a git work tree, and
  `.ignore` files anywhere, in the folder and its parents — a deeper file
  overrides a shallower one, `!pattern` re-includes, `pattern/` matches
  folders only (the `pathspec` package's GitIgnoreSpec implements git's
  rules).

Files and folders named explicitly are checked even when excluded, unless
force_exclude: then the exclude patterns (not the ignore files) apply to them
and their folders too, like Ruff.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

import pathspec

from .config import Config, config_file_in, find_config_file, load_config

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", "__pycache__", "build", "dist",
    "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".memlint_cache", "site-packages", "*.egg-info",
    "__pypackages__", ".eggs",
)
PYTHON_SUFFIXES = (".py", ".pyi")
# Per folder, in order of precedence (a later file wins), as in ripgrep and Ruff.
IGNORE_FILES = (".gitignore", ".ignore")


class PathError(Exception):
    """A path given on the command line does not exist."""


@dataclass(frozen=True)
class Patterns:
    """gitignore-style patterns anchored at a folder (absolute)."""

    folder: str
    spec: pathspec.GitIgnoreSpec
    # Also match paths outside `folder`, by what follows their `../` steps
    # (configuration excludes: `memlint check ../other` still skips its .venv).
    loose: bool = False

    def relative(self, path: str) -> Optional[str]:
        relative = _relative_to(path, self.folder)
        if relative is None and self.loose:
            try:
                parts = os.path.relpath(path, self.folder).replace(os.sep, "/").split("/")
            except ValueError:
                parts = path.replace(os.sep, "/").split("/")
            while parts and parts[0] in ("..", ".", ""):
                parts.pop(0)
            relative = "/".join(parts) or None
        return relative

    def verdict(self, path: str, is_dir: bool) -> Optional[bool]:
        """True: ignored, False: re-included (`!`), None: no pattern matches."""
        relative = self.relative(path)
        if relative is None:
            return None
        return self.spec.check_file(relative + "/" if is_dir else relative).include


@dataclass(frozen=True)
class Rules:
    """What decides, in one folder, whether a path is skipped."""

    excludes: Patterns  # the applying configuration's exclude + extend-exclude
    ignores: tuple[Patterns, ...]  # ignore files, lowest precedence first
    respect_gitignore: bool
    in_git: bool  # inside a git work tree: .gitignore files count

    def skips(self, path: str, is_dir: bool) -> bool:
        if self.excludes.verdict(path, is_dir):
            return True
        if not self.respect_gitignore:
            return False
        verdict = None
        for patterns in self.ignores:
            found = patterns.verdict(path, is_dir)
            if found is not None:
                verdict = found
        return bool(verdict)


def exclude_patterns(config: Config) -> tuple[str, ...]:
    """The effective exclude patterns: `exclude` (or the defaults) and `extend-exclude`."""
    base = DEFAULT_EXCLUDE if config.exclude is None else config.exclude
    return (*base, *config.extend_exclude)


def _relative_to(path: str, folder: str) -> Optional[str]:
    """`path` (absolute) relative to `folder` with forward slashes; None when
    outside it (or `folder` itself)."""
    try:
        relative = os.path.relpath(path, folder)
    except ValueError:  # another drive
        return None
    if relative == os.curdir or relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative.replace(os.sep, "/")


@lru_cache(maxsize=256)
def _spec(lines: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(lines)


def gitwildmatch(pattern: str) -> pathspec.GitIgnoreSpec:
    """One pattern with gitignore's semantics (per-file-ignores use it too)."""
    return _spec((pattern,))


def exclude_rules(config: Config, folder: Optional[str] = None) -> Patterns:
    """The configuration's exclude patterns, anchored at its folder (or `folder`, or the cwd)."""
    anchor = config.root or folder or os.getcwd()
    return Patterns(os.path.abspath(anchor), _spec(exclude_patterns(config)), loose=True)


@lru_cache(maxsize=4096)
def _ignore_file(folder: str, name: str) -> Optional[Patterns]:
    path = os.path.join(folder, name)
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = tuple(handle.read().splitlines())
    except OSError:  # absent (the common case), a folder, unreadable
        return None
    anchor = folder
    if name == "exclude":  # .git/info/exclude: anchored at the work tree
        anchor = str(Path(folder).parent.parent)
    return Patterns(anchor, _spec(lines)) if lines else None


@lru_cache(maxsize=1024)
def git_work_tree(folder: str) -> Optional[str]:
    """The root of the git work tree holding `folder` (absolute), or None."""
    for directory in (Path(folder), *Path(folder).parents):
        if (directory / ".git").exists():
            return str(directory)
    return None


def _git_dir(work_tree: str) -> Optional[str]:
    """The repository folder of a work tree (`.git`, or where a `.git` file points)."""
    dot_git = os.path.join(work_tree, ".git")
    if os.path.isdir(dot_git):
        return dot_git
    try:
        with open(dot_git, encoding="utf-8") as handle:
            first = handle.readline().strip()
    except OSError:
        return None
    if first.startswith("gitdir:"):
        target = first[len("gitdir:"):].strip()
        return target if os.path.isabs(target) else os.path.normpath(os.path.join(work_tree, target))
    return None


def _own_ignores(folder: str, in_git: bool) -> tuple[Patterns, ...]:
    """The ignore files of `folder` itself, lowest precedence first."""
    found = []
    for name in IGNORE_FILES:
        if name == ".gitignore" and not in_git:
            continue  # git reads .gitignore only inside a work tree
        patterns = _ignore_file(folder, name)
        if patterns is not None:
            found.append(patterns)
    return tuple(found)


def _inherited_ignores(folder: str) -> tuple[Patterns, ...]:
    """The ignore files that apply in `folder`: .git/info/exclude, then those
    of every folder from the outermost down to `folder` itself."""
    work_tree = git_work_tree(folder)
    found: list[Patterns] = []
    if work_tree is not None:
        git_dir = _git_dir(work_tree)
        exclude = _ignore_file(os.path.join(git_dir, "info"), "exclude") if git_dir else None
        if exclude is not None:
            found.append(Patterns(work_tree, exclude.spec))
    chain = [Path(folder), *Path(folder).parents]
    for directory in reversed(chain):
        in_git = work_tree is not None and (str(directory) == work_tree or str(directory).startswith(
            work_tree.rstrip(os.sep) + os.sep))
        found.extend(_own_ignores(str(directory), in_git))
    return tuple(found)


class _Configurations:
    """The configuration that applies in a folder: the one given (`--config`,
    an API caller's), or the nearest one above it (hierarchical)."""

    def __init__(self, config: Config, hierarchical: bool, respect_gitignore: Optional[bool] = None) -> None:
        self.config = config
        self.hierarchical = hierarchical
        self.respect_gitignore = respect_gitignore
        self._loaded: dict[str, Config] = {}

    def _load(self, path: Path) -> Config:
        key = str(path)
        if key not in self._loaded:
            if self.config.root and Path(self.config.root) == path.parent.resolve():
                self._loaded[key] = self.config
            else:
                self._loaded[key] = load_config(path)
        return self._loaded[key]

    def respects_gitignore(self, config: Config) -> bool:
        return config.respect_gitignore if self.respect_gitignore is None else self.respect_gitignore

    def nearest(self, folder: str) -> Config:
        if not self.hierarchical:
            return self.config
        found = find_config_file(Path(folder))
        return self.config if found is None else self._load(found)

    def own(self, folder: str) -> Optional[Config]:
        """The configuration held by `folder` itself (hierarchical mode only)."""
        if not self.hierarchical:
            return None
        found = config_file_in(Path(folder))
        return None if found is None else self._load(found)


def force_excluded(path: str, config: Config, hierarchical: bool = False) -> bool:
    """Would --force-exclude drop this path (which need not exist: stdin's --stdin-filename)?"""
    return _force_excluded(os.path.abspath(path), _Configurations(config, hierarchical))


def discover(paths: Iterable[str], config: Config, force_exclude: bool = False,
             hierarchical: bool = False, respect_gitignore: Optional[bool] = None) -> list[str]:
    """Files to check, in a stable order (as given, each folder's files sorted).
    With hierarchical=True, a folder with its own configuration uses its
    excludes and respect-gitignore below it; `respect_gitignore` (the command
    line's) overrides every configuration's."""
    configurations = _Configurations(config, hierarchical, respect_gitignore)
    found: list[str] = []
    seen: set[str] = set()

    def add(path: str) -> None:
        key = os.path.abspath(path)
        if key not in seen and os.path.isfile(path):  # a FIFO, socket or device found by the walk: skipped
            seen.add(key)
            found.append(os.path.normpath(path))  # `x.py`, not `./x.py`

    for raw in paths:
        path = os.path.normpath(str(raw))
        if not os.path.exists(path):
            raise PathError(f"{raw}: no such file or directory")
        absolute = os.path.abspath(path)
        if force_exclude and _force_excluded(absolute, configurations):
            continue
        if os.path.isfile(path):
            add(path)
            continue
        if not os.path.isdir(path):  # reading a FIFO would block: named, it is an error
            raise PathError(f"{raw}: not a regular file or directory")
        _walk(path, absolute, configurations, add)
    return found


def _force_excluded(absolute: str, configurations: _Configurations) -> bool:
    """Does an exclude pattern match this path or one of its folders (below
    the configuration's folder)? For paths named explicitly, which no walk prunes."""
    is_dir = os.path.isdir(absolute)
    excludes = exclude_rules(configurations.nearest(absolute if is_dir else os.path.dirname(absolute)))
    relative = excludes.relative(absolute)
    if relative is None:
        return False
    parts = relative.split("/")
    return any(excludes.spec.check_file("/".join(parts[:i]) + ("/" if i < len(parts) or is_dir else "")).include
               for i in range(1, len(parts) + 1))


def _walk(path: str, absolute: str, configurations: _Configurations, add) -> None:
    """Walk one folder named on the command line."""
    start_config = configurations.nearest(absolute)
    rules_of: dict[str, Rules] = {
        absolute: Rules(exclude_rules(start_config), _inherited_ignores(absolute),
                        configurations.respects_gitignore(start_config),
                        in_git=git_work_tree(absolute) is not None)
    }
    for directory, subdirs, files in os.walk(path):
        here = os.path.abspath(directory)
        rules = rules_of.pop(here)
        for name in sorted(subdirs):
            child = os.path.join(here, name)
            if rules.skips(child, is_dir=True):
                continue
            rules_of[child] = _descend(rules, child, configurations)
        subdirs[:] = sorted(name for name in subdirs if os.path.join(here, name) in rules_of)
        for filename in sorted(files):
            if not filename.endswith(PYTHON_SUFFIXES):
                continue
            if not rules.skips(os.path.join(here, filename), is_dir=False):
                add(os.path.join(directory, filename))


def _descend(parent: Rules, folder: str, configurations: _Configurations) -> Rules:
    """The rules inside `folder`: its parent's, its own ignore files, and its own configuration's excludes."""
    in_git = parent.in_git or os.path.exists(os.path.join(folder, ".git"))
    own = _own_ignores(folder, in_git)
    config = configurations.own(folder)
    if config is None and not own and in_git == parent.in_git:
        return parent
    excludes = parent.excludes if config is None else exclude_rules(config)
    respect = parent.respect_gitignore if config is None else configurations.respects_gitignore(config)
    return Rules(excludes, parent.ignores + own, respect, in_git)
