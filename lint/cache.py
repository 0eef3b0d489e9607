"""cache: results and module summaries on disk, so a second run over an
unchanged tree costs a few percent of the first.

Layout (Ruff's conventions): `.memlint_cache/` at the project root (or
`--cache-dir` / `MEMLINT_CACHE_DIR`), holding a `CACHEDIR.TAG` and a
`.gitignore` of `*`, then `<memlint version>/results/` and
`<memlint version>/summaries/`.

- A file's result is keyed by the effective settings (which include the
  knowledge sources: target environment, stub set, Python version), its
  display path and its content hash. The entry records every module whose
  summary the analysis used (path, size, mtime, content hash) and the
  module names it looked for and did not find: editing a model module, or
  creating one that was missing, re-checks the files that used it and
  nothing else.
- A module summary is keyed by the module's content hash, its name and the
  target Python version.

Safe with several memlint processes at once (pre-commit runs hooks in
parallel; `--jobs`): every entry is written to a temporary file and renamed
into place, a corrupt or truncated entry is ignored (and rewritten), the
number of result entries is kept under a bound, and another version's folder
that no run used for a month is removed.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
from pathlib import Path
from typing import Callable, NamedTuple, Optional, Sequence

FORMAT = 2  # bump when the pickled shapes change
MAX_RESULT_ENTRIES = 50_000
# A version folder no run has used for this long (another memlint release or
# build) is removed by the next run that prunes.
STALE_VERSION_SECONDS = 30 * 24 * 3600
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by memlint.\n"
                "# For information about cache directory tags see https://bford.info/cachedir/\n")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Dependency(NamedTuple):
    """A module file an analysis read, as it was then (a tuple: a warm run
    hashes thousands of them)."""

    path: str
    size: int
    mtime_ns: int
    sha256: str


def dependency(path: str) -> Optional[Dependency]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        status = os.stat(path)
    except OSError:
        return None
    return Dependency(path, status.st_size, status.st_mtime_ns, content_hash(data))


def unchanged(dep: Dependency) -> bool:
    try:
        status = os.stat(dep.path)
    except OSError:
        return False
    if status.st_size != dep.size:
        return False
    if status.st_mtime_ns == dep.mtime_ns:
        return True
    try:
        with open(dep.path, "rb") as handle:
            return content_hash(handle.read()) == dep.sha256
    except OSError:
        return False


def no_cache_in_environment() -> bool:
    """MEMLINT_NO_CACHE (as Ruff's RUFF_NO_CACHE): any value but empty, 0,
    false, no or off turns the cache off, as `--no-cache` does."""
    value = os.environ.get("MEMLINT_NO_CACHE", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def default_directory(root: Optional[str]) -> Path:
    configured = os.environ.get("MEMLINT_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(root or os.getcwd()) / ".memlint_cache"


class DiskCache:
    """One cache directory, for one memlint version."""

    def __init__(self, directory: Path, version: str) -> None:
        self.directory = Path(directory)
        self.base = self.directory / version
        self._base = str(self.base)
        self._prepared = False
        self._marked = False
        self.written = 0  # entries this process stored: prune() has nothing to do without

    # -- files -------------------------------------------------------------------

    def _prepare(self) -> bool:
        if self._prepared:
            return True
        try:
            self.base.mkdir(parents=True, exist_ok=True)
            for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "*\n")):
                marker = self.directory / name
                if not marker.exists():
                    _write_atomic(marker, text.encode())
        except OSError:
            return False
        self._prepared = True
        return True

    def _mark_used(self) -> None:
        """Once per process: the version folder's time says when a run last
        used it (prune removes the versions no run used for a month)."""
        if not self._marked:
            self._marked = True
            try:
                os.utime(self._base)
            except OSError:
                pass

    def _entry(self, kind: str, key: str) -> str:
        return os.path.join(self._base, kind, key[:2], key + ".pickle")

    def _load(self, kind: str, key: str):
        self._mark_used()
        try:
            with open(self._entry(kind, key), "rb") as handle:
                stored = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError, TypeError,
                IndexError, MemoryError):
            return None  # missing, corrupt or truncated: recomputed and rewritten
        if not isinstance(stored, tuple) or len(stored) != 3 or stored[0] != FORMAT or stored[1] != key:
            return None
        return stored[2]

    def _store(self, kind: str, key: str, value) -> None:
        if not self._prepare():
            return
        path = Path(self._entry(kind, key))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, pickle.dumps((FORMAT, key, value), protocol=pickle.HIGHEST_PROTOCOL))
            self.written += 1
        except (OSError, pickle.PicklingError, RecursionError):
            pass  # a cache that cannot be written only costs time

    # -- results -----------------------------------------------------------------

    def result_key(self, settings_key: str, display_path: str, data: bytes) -> str:
        return hashlib.sha256(f"{settings_key}\0{display_path}\0".encode("utf-8", "surrogatepass")
                              + hashlib.sha256(data).digest()).hexdigest()

    def get_result(self, key: str, resolved_as: Callable[[tuple[tuple[str, Optional[str]], ...]], bool],
                   checked: Optional[dict[Dependency, bool]] = None):
        """The cached diagnostics, or None when absent or stale: a module read
        has changed, or a module name now resolves to another file (a new
        module shadows the one read, or a missing one appeared). `checked`:
        the dependencies already checked in this pass (many results read the
        same modules)."""
        stored = self._load("results", key)
        if stored is None:
            return None
        diagnostics, dependencies, resolutions = stored
        for dep in dependencies:
            ok = checked.get(dep) if checked is not None else None
            if ok is None:
                ok = unchanged(dep)
                if checked is not None:
                    checked[dep] = ok
            if not ok:
                return None
        if resolutions and not resolved_as(resolutions):
            return None
        return diagnostics

    def put_result(self, key: str, diagnostics: Sequence,
                   resolutions: Sequence[tuple[str, Optional[str]]]) -> None:
        """Store a result with what it used: (module name, path or None for a
        name that did not resolve)."""
        dependencies = []
        for path in sorted({path for _, path in resolutions if path is not None}):
            dep = dependency(path)
            if dep is None:
                return  # a dependency vanished meanwhile: do not cache a result we cannot validate
            dependencies.append(dep)
        self._store("results", key, (list(diagnostics), tuple(dependencies), tuple(sorted(set(resolutions),
                                                                                       key=repr))))

    # -- summaries ---------------------------------------------------------------

    def summary_key(self, data: bytes, name: str, is_package: bool, path: str, python_version) -> str:
        text = f"{name}\0{int(is_package)}\0{path}\0{python_version[0]}.{python_version[1]}\0"
        return hashlib.sha256(text.encode("utf-8", "surrogatepass") + hashlib.sha256(data).digest()).hexdigest()

    def get_summary(self, key: str):
        return self._load("summaries", key)

    def put_summary(self, key: str, summary) -> None:
        self._store("summaries", key, summary)

    # -- size --------------------------------------------------------------------

    def prune(self, limit: int = MAX_RESULT_ENTRIES) -> None:
        """Keep at most `limit` result entries (and as many summaries), oldest
        removed first, and remove the other versions' folders no run used for
        STALE_VERSION_SECONDS."""
        if not self.written:
            return
        self._mark_used()
        self._remove_stale_versions()
        for kind in ("results", "summaries"):
            entries: list[tuple[float, str]] = []
            try:
                for folder in os.scandir(self.base / kind):
                    if folder.is_dir():
                        for entry in os.scandir(folder.path):
                            entries.append((entry.stat().st_mtime, entry.path))
            except OSError:
                continue
            if len(entries) <= limit:
                continue
            entries.sort()
            for _, path in entries[: len(entries) - int(limit * 0.8)]:
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def _remove_stale_versions(self) -> None:
        import shutil
        import time

        if not is_memlint_cache(str(self.directory)):
            return
        oldest = time.time() - STALE_VERSION_SECONDS
        try:
            for entry in os.scandir(self.directory):
                if entry.name != self.base.name and is_version_folder(entry) \
                        and entry.stat(follow_symlinks=False).st_mtime < oldest:
                    shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            pass


def is_memlint_cache(folder: str) -> bool:
    """Does `folder` hold the CACHEDIR.TAG memlint writes?"""
    try:
        with open(os.path.join(folder, "CACHEDIR.TAG"), encoding="utf-8", errors="replace") as handle:
            tag = handle.read(4096)
    except OSError:
        return False
    return tag.startswith(CACHEDIR_TAG.split("\n", 1)[0]) and "created by memlint" in tag


def find_caches(roots: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    """memlint's cache folders: every `.memlint_cache` under `roots` (without
    following symbolic links or entering `.git`, `.hg` or `node_modules`) and
    the `extra` folders, each only when it holds memlint's CACHEDIR.TAG."""
    found: list[str] = []
    for root in roots:
        for folder, directories, _ in os.walk(root):
            if ".memlint_cache" in directories:
                candidate = os.path.join(folder, ".memlint_cache")
                if not os.path.islink(candidate) and is_memlint_cache(candidate):
                    found.append(os.path.normpath(candidate))
            directories[:] = [d for d in directories if d not in (".git", ".hg", "node_modules", ".memlint_cache")]
    found += [os.path.normpath(folder) for folder in extra if os.path.isdir(folder) and is_memlint_cache(folder)]
    return sorted(set(found))


VERSION_FOLDER = re.compile(r"[0-9A-Za-z.+!_-]+-[0-9a-f]{16}")
VERSION_CONTENTS = frozenset({"results", "summaries"})


def is_version_folder(entry: os.DirEntry) -> bool:
    """Is this a folder memlint made for one version (`<version>-<fingerprint>`
    holding only `results/` and `summaries/`)? Only such folders are ever
    removed: a cache folder set to a directory that holds other things
    (`MEMLINT_CACHE_DIR=.`) loses nothing else."""
    if not entry.is_dir(follow_symlinks=False) or not VERSION_FOLDER.fullmatch(entry.name):
        return False
    try:
        return set(os.listdir(entry.path)) <= VERSION_CONTENTS
    except OSError:
        return False


def remove_cache(folder: str) -> None:
    """Remove what memlint wrote into a cache folder: its version folders,
    its CACHEDIR.TAG and its `.gitignore` of `*`; then the folder, if that
    left it empty. Another memlint may be writing into it meanwhile: what it
    adds is not an error (removed, or left for the next clean)."""
    import shutil

    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if is_version_folder(entry):
                shutil.rmtree(entry.path, ignore_errors=True)
            elif entry.name == ".gitignore" and entry.is_file(follow_symlinks=False):
                with open(entry.path, "rb") as handle:
                    if handle.read(64) == b"*\n":
                        os.unlink(entry.path)
            elif entry.name == "CACHEDIR.TAG" and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
        except OSError:
            pass
    try:
        os.rmdir(folder)
    except OSError:
        pass  # something else is in it: left alone


def _write_atomic(path: Path, data: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
