"""locate: the file a module name stands for, as Python would find it for
the file being checked: the project's import roots, then (see knowledge.py)
typeshed for Python's own modules, PEP 561 stub packages, the target
environment's site folders, the bundled Flink Agents and library stubs.

Kept apart from index.py (which reads what is in those files) so that a warm
run, which only asks whether a cached result's modules still resolve to the
same files, does not import the summary and type machinery.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from .knowledge import BUNDLED_STUBS, Knowledge, typeshed_stub


# Within one pass over many files (engine.check_files), each file's Index asks
# for the same names again: the answers, found and missing, are kept until
# the pass ends. Outside a pass nothing is kept, so a long-lived host (the
# language server, an API caller) sees a module created since its last lint.
_pass_memo: Optional[dict[tuple, dict[str, Optional[tuple[str, bool]]]]] = None


@contextmanager
def one_pass() -> Iterator[None]:
    global _pass_memo
    previous, _pass_memo = _pass_memo, {}
    try:
        yield
    finally:
        _pass_memo = previous


def locate(roots: tuple[str, ...], knowledge: Knowledge, name: str) -> Optional[tuple[str, bool]]:
    """(path, is_package) of the file a module name stands for, or None."""
    memo = _pass_memo
    if memo is None:
        return _locate(roots, knowledge, name)
    known = memo.get((roots, knowledge))
    if known is None:
        known = memo[(roots, knowledge)] = {}
    if name not in known:
        known[name] = _locate(roots, knowledge, name)
    return known[name]


def _locate(roots: tuple[str, ...], knowledge: Knowledge, name: str) -> Optional[tuple[str, bool]]:
    relative = name.replace(".", os.sep)
    for base in roots:
        found = find_in(base, relative)
        if found is not None:
            return found
    return locate_library(knowledge, name)


def module_name_for(path: Path) -> tuple[str, Path, bool]:
    """(dotted module name, import root, is_package) of a file, walking up
    through directories that hold an `__init__.py`."""
    path = path.resolve()
    is_package = path.stem == "__init__"
    parts: list[str] = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file() or (directory / "__init__.pyi").is_file():
        parts.insert(0, directory.name)
        if directory.parent == directory:
            break
        directory = directory.parent
    return ".".join(parts), directory, is_package


# Where a module outside the project is found, per knowledge (the same for
# every file of a run). Misses are not kept: a long-lived host (the language
# server, API callers) sees a package installed later.
_library_locations: dict[tuple[Knowledge, str], tuple[str, bool]] = {}


def find_in(base: str, relative: str) -> Optional[tuple[str, bool]]:
    for candidate, is_package in (
        (os.path.join(base, relative + ".pyi"), False),
        (os.path.join(base, relative, "__init__.pyi"), True),
        (os.path.join(base, relative + ".py"), False),
        (os.path.join(base, relative, "__init__.py"), True),
    ):
        if os.path.isfile(candidate):
            return candidate, is_package
    return None


def stdlib_root(name: str) -> bool:
    return name.split(".", 1)[0] in sys.stdlib_module_names


def locate_library(knowledge: Knowledge, name: str) -> Optional[tuple[str, bool]]:
    """(path, is_package) of a module outside the project, or None: Python's
    own modules from typeshed (a stray `uuid.py` in site-packages does not
    hide the standard library, as it does not at run time), then PEP 561
    stub packages in any site folder, then the site folders, then the bundled
    stubs."""
    key = (knowledge, name)
    cached = _library_locations.get(key)
    if cached is not None:
        return cached
    version = knowledge.environment.python_version
    relative = name.replace(".", os.sep)
    top, _, rest = name.partition(".")
    found: Optional[tuple[str, bool]] = None
    if stdlib_root(name):
        found = typeshed_stub(name, version)
    if found is None:
        for base in knowledge.environment.site_packages:
            stubs = os.path.join(base, top + "-stubs")  # PEP 561 stub-only package
            if os.path.isdir(stubs):
                found = find_in(stubs, rest.replace(".", os.sep)) if rest else find_in(base, top + "-stubs")
                if found is not None:
                    break
    if found is None:
        for base in knowledge.environment.site_packages:
            found = find_in(base, relative)
            if found is not None:
                break
    if found is None and top == "flink_agents":
        found = find_in(knowledge.flink_stub_dir, relative)
    if found is None:
        found = find_in(str(BUNDLED_STUBS), relative)
    if found is None and not stdlib_root(name):
        found = typeshed_stub(name, version)
    if found is not None:
        _library_locations[key] = found
    return found
