"""Shared test utilities: the runtime stand-in and importing fixture files by path.

Runnable fixtures import `flink_agents`; flink-agents is not installed, so the
test-only stand-in in `tests/runtime/` is put on `sys.path` by the `runtime`
fixture (which also returns the `tests/runtime/memory.py` module). The
`import_fixture` fixture imports a fixture file by path as a uniquely named
module (project folders get their own folder on `sys.path`), and forgets the
project's modules afterwards so that two projects may both have, say, a
`models.py`.
"""
from __future__ import annotations

import importlib
import importlib.util
import itertools
import sys
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Callable, ContextManager, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS_DIR = ROOT / "tests"
RUNTIME_DIR = TESTS_DIR / "runtime"
FIXTURES_DIR = ROOT / "fixtures"

RUNTIME_MODULE_NAME = "memlint_test_runtime_memory"

_counter = itertools.count()


def ensure_runtime_on_path() -> None:
    """Make `import flink_agents` resolve to the test-only stand-in."""
    entry = str(RUNTIME_DIR)
    if entry not in sys.path:
        sys.path.insert(0, entry)


def load_runtime() -> ModuleType:
    """`tests/runtime/memory.py` (ContractMemory, FakeRunnerContext, checkpoint_roundtrip)."""
    ensure_runtime_on_path()
    module = sys.modules.get(RUNTIME_MODULE_NAME)
    if module is None:
        spec = importlib.util.spec_from_file_location(RUNTIME_MODULE_NAME, RUNTIME_DIR / "memory.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[RUNTIME_MODULE_NAME] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(RUNTIME_MODULE_NAME, None)
            raise
    return module


def _import_root(path: Path) -> Path:
    """The first folder above `path` that is not a package (`__init__.py`-less)."""
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


_KEEP_PREFIXES = ("flink_agents", "memlint", RUNTIME_MODULE_NAME)


def _is_under(file: str | None, folder: Path) -> bool:
    if not file:
        return False
    try:
        Path(file).resolve().relative_to(folder)
    except (ValueError, OSError):
        return False
    return True


@contextmanager
def fixture_module(path: str | Path) -> Iterator[ModuleType]:
    """Import the fixture file at `path` for the duration of the block.

    A plain module gets a fresh, unique name. A module inside a package
    (a project folder with `__init__.py` files) is imported by its dotted
    name so relative imports work. The fixture's own folder and its import
    root are on `sys.path` meanwhile; modules loaded from that root are
    forgotten afterwards.
    """
    ensure_runtime_on_path()
    path = Path(path).resolve()
    root = _import_root(path)
    added = [str(p) for p in dict.fromkeys([path.parent, root]) if str(p) not in sys.path]
    for entry in reversed(added):
        sys.path.insert(0, entry)
    before = set(sys.modules)
    name = None
    try:
        if root == path.parent or path.name == "__init__.py":
            if path.name == "__init__.py" and root != path.parent:
                parts = path.parent.relative_to(root).parts
                module = importlib.import_module(".".join(parts))
            else:
                name = f"_memlint_fixture_{next(_counter)}_{path.stem}"
                spec = importlib.util.spec_from_file_location(name, path)
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
        else:
            parts = path.with_suffix("").relative_to(root).parts
            module = importlib.import_module(".".join(parts))
        yield module
    finally:
        for entry in added:
            try:
                sys.path.remove(entry)
            except ValueError:
                pass
        for key in set(sys.modules) - before:
            if key.split(".")[0] in _KEEP_PREFIXES:
                continue
            if key == name or _is_under(getattr(sys.modules.get(key), "__file__", None), root):
                sys.modules.pop(key, None)
        importlib.invalidate_caches()


@pytest.fixture(scope="session")
def runtime() -> ModuleType:
    """The runtime stand-in module (`ContractMemory`, `FakeRunnerContext`, ...)."""
    return load_runtime()


@pytest.fixture(scope="session")
def import_fixture() -> Callable[[str | Path], ContextManager[ModuleType]]:
    """`with import_fixture(path) as module: ...` — see `fixture_module`."""
    load_runtime()
    return fixture_module
