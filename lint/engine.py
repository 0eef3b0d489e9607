"""The pipeline for one file: read -> prefilter -> parse -> summarize -> index
-> infer -> check -> noqa, and the run over many files (serial or parallel).
"""
from __future__ import annotations

import gc
import os
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from .config import Config
from .diagnostics import Diagnostic
from .noqa import apply_noqa, find_noqa
# The byte prefilter and Settings live in prefilter.py (importable without the
# engine: a run with no candidate file stops there); kept importable from here.
from .prefilter import (CANDIDATE, CANDIDATE_BYTES, MEMORY_ATTRIBUTE_NAMES, MEMORY_HINTS,  # noqa: F401
                        Settings, is_candidate, may_hold_noqa)
from .rules import RULES
from .source import (DecodeProblem, any_line_between, decode, line_in_spans, line_starts, matching_lines, read_bytes,
                     split_lines)

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "memlint.toml", ".git")
RECURSION_LIMIT = 20000
# Starting worker processes costs about what checking this many files does.
MIN_FILES_FOR_WORKERS = 8
STACK_SIZE = 512 * 1024 * 1024
# libcst parses only the statements the analysis reads (partial.py); the
# environment variable turns it off, to compare with a whole parse.
PARTIAL_PARSING = os.environ.get("MEMLINT_WHOLE_PARSE", "") == ""


_project_roots: dict[str, Optional[Path]] = {}
_resolved_paths: dict[str, Path] = {}
_real_directories: dict[str, str] = {}


def _resolved(path: str) -> Path:
    """Path(path).resolve(), once per path in a process (like the project
    roots); a directory's real path is found once for all its files."""
    found = _resolved_paths.get(path)
    if found is None:
        if len(_resolved_paths) > 65536:
            _resolved_paths.clear()
            _real_directories.clear()
        if os.path.islink(path):
            real = os.path.realpath(path)
        else:
            directory, name = os.path.split(path)
            directory = directory or "."
            real_directory = _real_directories.get(directory)
            if real_directory is None:
                real_directory = _real_directories[directory] = os.path.realpath(directory)
            real = os.path.join(real_directory, name)
        found = _resolved_paths[path] = Path(real)
        _resolved_paths[str(found)] = found
    return found


def project_root(path: Path, config: Config) -> Optional[Path]:
    if config.root:
        return Path(config.root)
    folder = str(_resolved(str(path)).parent)
    if folder not in _project_roots:
        _project_roots[folder] = next(
            (directory for directory in Path(folder, "x").parents
             if any((directory / marker).exists() for marker in PROJECT_MARKERS)), None)
    return _project_roots[folder]


def import_roots(path: Path, config: Config) -> tuple[str, tuple[str, ...], bool]:
    """(module name, import roots, is_package) for a file."""
    from .locate import module_name_for

    name, own_root, is_package = module_name_for(path)
    roots: list[str] = [str(own_root)]
    root = project_root(path, config)
    if root is not None:
        for candidate in (root / "src", root):
            if candidate.is_dir() and str(candidate) not in roots:
                roots.append(str(candidate))
    return name, tuple(roots), is_package


_knowledge_by_key: dict[tuple, object] = {}


def knowledge_for(config: Config, path: Optional[Path] = None):
    """What memlint knows beyond the project for files under this configuration:
    the target environment (see knowledge.py) and the Flink Agents stub set."""
    from .config import ConfigError
    from .knowledge import EnvironmentProblem, Knowledge, find_environment, flink_stub_set

    root = project_root(path, config) if path is not None else (Path(config.root) if config.root else None)
    python = config.python
    if python and config.root and not os.path.isabs(os.path.expanduser(python)):
        python = os.path.join(config.root, python)
    active = os.environ.get("VIRTUAL_ENV")
    # Which of the project's .venv / venv exist is part of the key: a long-lived
    # host (language server, API caller) sees a virtualenv created after its start.
    venvs = tuple(os.path.isfile(os.path.join(root, name, "pyvenv.cfg")) for name in (".venv", "venv")) \
        if root is not None and not python and not active else ()
    key = (python, config.flink_agents_version, str(root), active, venvs)
    found = _knowledge_by_key.get(key)
    if found is None:
        try:
            found = Knowledge(find_environment(python, root), flink_stub_set(config.flink_agents_version))
        except EnvironmentProblem as exc:
            raise ConfigError(f"{_setting_source(config)}python: {exc}") from None
        _knowledge_by_key[key] = found
    return found


def _setting_source(config: Config) -> str:
    """`path: [tool.memlint]: ` (or `path: ` for a memlint.toml) of the file a
    configuration came from, for messages about one of its settings."""
    source = getattr(config, "source_of", lambda _: None)("python")  # the file that set it (extend)
    if source and os.path.isfile(source):
        found: Optional[Path] = Path(source)
    elif config.root:
        from .config import find_config_file

        found = find_config_file(Path(config.root))
        if found is None or found.parent != Path(config.root):
            return f"{config.root}: "
    else:
        return ""
    return f"{found}: " if found.name == "memlint.toml" else f"{found}: [tool.memlint]: "


def _ignored_here(display_path: str, config: Config) -> frozenset[str]:
    """Codes that per-file-ignores / extend-per-file-ignores turn off for this
    file: patterns with gitignore's semantics relative to the configuration's
    folder (a name without `/` matches at any depth); `!pattern` means every
    file the pattern does not match, as in Ruff."""
    patterns = config.all_per_file_ignores
    if not patterns:
        return frozenset()
    from .discover import gitwildmatch

    relative = _relative(display_path, config)
    if relative.startswith("../"):
        relative = relative.rsplit("/", 1)[-1]  # outside the configuration's folder: the name only
    ignored: set[str] = set()
    for pattern, codes in patterns.items():
        negated = pattern.startswith("!")
        if gitwildmatch(pattern[1:] if negated else pattern).match_file(relative) != negated:
            for code in codes:
                ignored.update(c for c in RULES if c.startswith(code) or code in ("ALL", "MEM"))
    return frozenset(ignored)


def _relative(display_path: str, config: Config) -> str:
    absolute = os.path.abspath(display_path)
    base = config.root or os.getcwd()
    try:
        return os.path.relpath(absolute, base).replace(os.sep, "/")
    except ValueError:
        return absolute.replace(os.sep, "/")


def syntax_error(path: str, line: int, column: int, message: str) -> Diagnostic:
    rule = RULES["MEM000"]
    return Diagnostic(path=path, line=max(line, 1), column=max(column, 1), end_line=max(line, 1),
                      end_column=max(column, 1), code="MEM000", message=message, url=rule.url(),
                      noqa_lines=(0, 0))


def _parse_failure(display_path: str, text: str, exc, file_line=None) -> Diagnostic:
    """MEM000 with Python's own message and position where Python rejects the
    code too (clearer than the parser's token list), else libcst's (`file_line`
    maps a line of a partial parse to the file's)."""
    import ast

    try:
        ast.parse(text)
    except SyntaxError as python_error:
        return syntax_error(display_path, python_error.lineno or 1, python_error.offset or 1,
                            f"syntax error: {python_error.msg}")
    except (ValueError, RecursionError, MemoryError):
        pass
    message = " ".join(str(exc.message).split())
    line = exc.editor_line if file_line is None else file_line(exc.editor_line)
    return syntax_error(display_path, line, exc.editor_column,
                        f"libcst cannot parse this file (Python accepts it): {message}")


def _definition_spans(module, positions) -> list[tuple[int, int]]:
    """(first, last) lines of the top-level defs and classes that have positions
    (top-level statements without positions hold no candidate), in order."""
    import libcst as cst

    spans: list[tuple[int, int]] = []
    for statement in module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            rng = positions.get(statement)
            if rng is not None:
                spans.append((rng.start.line, rng.end.line))
    return spans


def check_text(display_path: str, text: str, settings: Settings, fs_path: Optional[Path] = None,
               trace: Optional[list] = None) -> list[Diagnostic]:
    """All diagnostics of one module's text (noqa applied unless the settings say not).
    `trace`, when given, receives the index the analysis used (for the cache)."""
    enabled = settings.enabled - _ignored_here(display_path, settings.config)
    diagnostics = _analyze(display_path, text, settings, fs_path, enabled, trace)
    if settings.apply_noqa:
        diagnostics = apply_noqa(display_path, diagnostics, find_noqa(text), enabled)
    return sorted((d for d in diagnostics if d.code in enabled), key=lambda d: d.sort_key)


def _analyze(display_path: str, text: str, settings: Settings, fs_path: Optional[Path],
             enabled: frozenset[str], trace: Optional[list] = None) -> list[Diagnostic]:
    from .syntax import nfkc

    scan = nfkc(text)  # identifiers as Python reads them (same lines as text)
    if CANDIDATE.search(scan) is None or not any(h.decode() in scan for h in settings.hints):
        return []
    from .guard import python_verdict
    from .partial import WholeModuleNeeded, blank_unread
    from .summary import empty_summary, summarize_module

    path = (fs_path or Path(display_path)).resolve()
    name, roots, is_package = import_roots(path, settings.config)
    knowledge = knowledge_for(settings.config, path)
    version = knowledge.environment.python_version
    # Python first: what it refuses, or what nests far deeper than real code,
    # never reaches libcst (see guard.py); its tree is the module's summary.
    tree, rejection = python_verdict(text, version)
    if rejection is not None:
        return [syntax_error(display_path, rejection.line, rejection.column, rejection.message)]
    summary = (tree is not None and summarize_module(tree, name, str(path), is_package, version,
                                                     with_returned=not str(path).endswith(".pyi"))
               or empty_summary(name, str(path), is_package))
    starts = line_starts(scan)
    candidate_lines = matching_lines(CANDIDATE, scan, starts)
    hint_pattern = re.compile("|".join(re.escape(h.decode()) for h in settings.hints))
    hint_lines = matching_lines(hint_pattern, scan, starts)
    # libcst reads only the statements the analysis reads (see partial.py).
    partial = blank_unread(text, tree, candidate_lines, hint_lines) if PARTIAL_PARSING and tree is not None else None
    # Let the tree go before libcst allocates its millions of nodes: kept
    # alive, the garbage collector would scan it on every collection.
    tree = None
    analysis = _Analysis(display_path, text, scan, settings, enabled, trace, roots, knowledge, summary,
                         candidate_lines, hint_lines)
    try:
        return analysis.run(partial)
    except WholeModuleNeeded:
        # A fix's read side lies in a statement the partial parse left out:
        # parse the whole module (the Python verdict and summary still hold).
        if trace is not None:
            trace.clear()
        return analysis.run(None)


@dataclass
class _Analysis:
    """What _analyze found before libcst: run() parses (all of the text, or
    the statements a Partial keeps) and interprets and checks the writes."""

    display_path: str
    text: str
    scan: str
    settings: Settings
    enabled: frozenset[str]
    trace: Optional[list]
    roots: tuple[str, ...]
    knowledge: object
    summary: object
    candidate_lines: list[int]
    hint_lines: list[int]

    def run(self, partial) -> list[Diagnostic]:
        import libcst as cst

        from .check import Checker
        from .index import Index, SHARED_CACHE
        from .infer import FileContext, interpret_module
        from .positions import positions_for

        display_path, text, scan, settings = self.display_path, self.text, self.scan, self.settings
        candidate_lines, hint_lines = self.candidate_lines, self.hint_lines
        parsed_text = text if partial is None else partial.text
        try:
            module = cst.parse_module(parsed_text)
        except cst.ParserSyntaxError as exc:
            return [_parse_failure(display_path, text, exc, None if partial is None else partial.file_line)]
        except RecursionError:
            return [syntax_error(display_path, 1, 1, "the file is nested too deeply to parse")]
        index = Index(self.roots, SHARED_CACHE, settings.config.memory_types, self.knowledge)
        index.add_module(self.summary)
        if self.trace is not None:
            self.trace.append(index)

        try:
            positions = (positions_for(module, text, candidate_lines) if partial is None
                         else partial.positions(module, candidate_lines))
        except RecursionError:
            return [syntax_error(display_path, 1, 1, "the file is nested too deeply to analyze")]
        if scan is not text and scan != text:
            from .syntax import normalize_names

            normalize_names(module)  # after positions: `ﬁx` is `fix`, as for Python

        def spans(lines: list[int], node) -> bool:
            rng = positions.get(node)
            return rng is not None and any_line_between(lines, rng.start.line, rng.end.line)

        def wanted(node) -> bool:
            return spans(candidate_lines, node)

        # A top-level definition is interpreted when it holds a `.set(` candidate
        # and a memory hint (an attribute name, `MemoryObject`, `new_object`); a
        # hint at module level (a global memory object) makes every candidate count.
        definitions = _definition_spans(module, positions)
        top_hints = [line for line in hint_lines if not line_in_spans(definitions, line)]

        def wanted_top(node) -> bool:
            return wanted(node) and (bool(top_hints) or spans(hint_lines, node))

        ctx = FileContext(index=index, module=self.summary, positions=positions,
                          memory_attributes=settings.memory_attributes)
        try:
            writes = interpret_module(ctx, module, wanted_top, wanted)
        except RecursionError:
            return [syntax_error(display_path, 1, 1, "the file is nested too deeply to analyze")]
        checker = Checker(index, settings.config.admits_bytes, "MEM900" in self.enabled)
        lines = split_lines(text)  # not str.splitlines: a form feed does not end a line
        # fix: the checker plans fixes on the parsed module (libcst edits need the
        # nodes and their positions); nothing else in the pipeline changes.
        return checker.diagnostics(display_path, writes, lines, self.enabled, text=text, module=module,
                                   positions=positions, partial=partial)


def check_file(display_path: str, settings: Settings, data: Optional[bytes] = None,
               looked_up: bool = False) -> list[Diagnostic]:
    """The diagnostics of one file. `looked_up`: the on-disk cache was already
    asked for this file in this pass, and missed."""
    settings = settings.for_file(display_path)
    if data is None:
        try:
            data = read_bytes(display_path)  # never blocks on a FIFO
        except OSError as exc:
            return [syntax_error(display_path, 1, 1, f"cannot read the file: {exc.strerror or exc}")]
    candidate = is_candidate(data, settings.hints)
    if not candidate and not (settings.apply_noqa and may_hold_noqa(data)):
        return []
    try:
        source = decode(data)
    except DecodeProblem as exc:
        if not candidate:
            return []
        return [syntax_error(display_path, exc.line, 1, str(exc))] if "MEM000" in settings.enabled else []
    cache = disk_cache(settings)
    if cache is None:
        return check_text(display_path, source.text, settings)
    key, hit = _cached_result(cache, settings, display_path, data, lookup=not looked_up)
    if hit is not None:
        return hit
    from .index import SHARED_CACHE

    SHARED_CACHE.disk = cache  # the summaries of the modules it reads are cached there too
    trace: list = []
    diagnostics = check_text(display_path, source.text, settings, trace=trace)
    cache.put_result(key, diagnostics, trace[0].resolutions() if trace else ())
    return diagnostics


# -- the on-disk cache ----------------------------------------------------------

_disk_caches: dict[str, object] = {}
_settings_keys: dict[tuple, str] = {}


def disk_cache(settings: Settings):
    """The on-disk cache of these settings (also used for summaries), or None."""
    if settings.cache_dir is None:
        return None
    cache = _disk_caches.get(settings.cache_dir)
    if cache is None:
        from . import __version__
        from .cache import DiskCache

        cache = DiskCache(Path(settings.cache_dir), f"{__version__}-{code_fingerprint()}")
        _disk_caches[settings.cache_dir] = cache
    return cache


_fingerprint: Optional[str] = None


def code_fingerprint() -> str:
    """A short hash of memlint's own files (names, sizes, modification times):
    results cached by one build are never read back by another, even at the
    same version number (an editable install being worked on)."""
    global _fingerprint
    if _fingerprint is None:
        import hashlib

        package = os.path.dirname(os.path.realpath(__file__))
        lines = []
        for folder, directories, names in os.walk(package):
            directories[:] = [d for d in directories if d != "__pycache__"]
            for name in names:
                if name.endswith((".py", ".pyi")):
                    path = os.path.join(folder, name)
                    status = os.stat(path)
                    lines.append(f"{os.path.relpath(path, package)}\0{status.st_size}\0{status.st_mtime_ns}\n")
        _fingerprint = hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()[:16]
    return _fingerprint


def _cached_result(cache, settings: Settings, display_path: str, data: bytes, checked: Optional[dict] = None,
                   lookup: bool = True):
    """(the result's key, its cached diagnostics or None when absent or stale;
    always None without `lookup`). `checked`: the module files already
    validated in this pass."""
    path = _resolved(display_path)
    knowledge = knowledge_for(settings.config, path)
    key = cache.result_key(settings_key(settings, display_path, path, knowledge), display_path, data)
    if not lookup:
        return key, None
    return key, cache.get_result(key, lambda resolutions: _resolved_as(resolutions, path, settings, knowledge),
                                 checked)


def settings_key(settings: Settings, display_path: str, path: Optional[Path] = None, knowledge=None) -> str:
    """Everything besides the file's text that decides its result."""
    if knowledge is None:
        knowledge = knowledge_for(settings.config, path or _resolved(display_path))
    memo = (id(settings), knowledge)
    found = _settings_keys.get(memo)
    if found is None:
        from .knowledge import typeshed_version

        found = repr((settings.config.model_dump(mode="json"), sorted(settings.enabled), settings.hints,
                      settings.memory_attributes, settings.apply_noqa, settings.config.root, knowledge,
                      typeshed_version()))
        _settings_keys[memo] = found
    return found


# The import roots of each directory, found once per pass over the files
# (check_files); forgotten when the next pass starts, as locate.one_pass
# forgets where modules are, so that a long-lived caller (the API, a
# watcher) sees modules and packages created between passes.
_roots_by_directory: dict[tuple[str, Optional[str]], tuple[str, ...]] = {}


def _resolved_as(resolutions: tuple[tuple[str, Optional[str]], ...], path: Path, settings: Settings,
                 knowledge) -> bool:
    """Does every module name a cached result used still resolve to the same
    file (or still to none)? Each name is located once per pass and import
    roots. `path` is the file's, resolved."""
    from .locate import locate

    memo = (str(path.parent), settings.config.root)
    roots = _roots_by_directory.get(memo)
    if roots is None:
        # The import roots depend on the directory only (module_name_for walks up from it).
        roots = _roots_by_directory[memo] = import_roots(path, settings.config)[1]
    for name, expected in resolutions:
        found = locate(roots, knowledge, name)  # once per name in a pass (locate.one_pass)
        if (found[0] if found is not None else None) != expected:
            return False
    return True


# -- running with a deep stack ------------------------------------------------

_deep_executor: Optional[ThreadPoolExecutor] = None
_deep_lock = threading.Lock()


def deep_call(function, *args):
    """Run `function` in a thread with a large stack and a high recursion limit:
    libcst's recursive code generation needs it on deeply nested modules."""
    global _deep_executor
    with _deep_lock:
        if _deep_executor is None:
            previous = threading.stack_size()
            threading.stack_size(STACK_SIZE)
            try:
                _deep_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="memlint")
                _deep_executor.submit(lambda: None).result()  # start the thread with the large stack now
            finally:
                threading.stack_size(previous)
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
    return _deep_executor.submit(function, *args).result()


def _forget_deep_executor() -> None:
    """In a forked child: the executor's thread was not copied (a submit would
    wait forever, as the API did with lint_source then lint_paths(jobs=2))."""
    global _deep_executor, _deep_lock
    _deep_executor = None
    _deep_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_deep_executor)


def available_cpus() -> int:
    """The CPUs this process may use: its affinity mask, bounded by a cgroup
    v2 CPU quota (containers, CI runners), at least 1."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as handle:
            quota, period = handle.read().split()[:2]
        if quota != "max" and int(period) > 0:
            count = min(count, max(1, int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return max(1, count)


_worker_settings: Optional[Settings] = None


def _init_worker(settings: Settings, markers: Optional[str] = None) -> None:
    global _worker_settings
    from .isolation import open_marker

    _worker_settings = settings
    open_marker(markers)
    tune_gc()


def tune_gc() -> None:
    """libcst allocates millions of small objects per file and frees them all;
    with the default thresholds the cyclic collector keeps rescanning the
    long-lived ones (summaries, imported modules). Fewer, later collections.
    For the command line and its workers only: a library caller keeps its own."""
    gc.freeze()
    gc.set_threshold(20000, 20, 20)


def _check_batch(paths: list[str]) -> tuple[list[Diagnostic], list]:
    """(diagnostics, internal errors) of some files, in a worker."""
    from .isolation import guarded, mark

    assert _worker_settings is not None
    result: list[Diagnostic] = []
    errors: list = []
    for path in paths:
        mark(path)
        # Workers start after check_files asked the on-disk cache for these files.
        found, error = deep_call(guarded, check_file, path, _worker_settings, None, True)
        result.extend(found)
        if error is not None:
            errors.append(error)
    mark(None)
    return result, errors


def _cached_results(candidates: list[str], settings: Settings, contents: dict[str, bytes],
                    diagnostics: list[Diagnostic]) -> list[str]:
    """Take the candidates whose results are cached (in this process, before
    any worker starts); the others are left to check."""
    left: list[str] = []
    checked: dict = {}
    for path in candidates:
        file_settings = settings.for_file(path)
        cache = disk_cache(file_settings)
        data = contents.get(path)
        if data is None:
            try:
                data = read_bytes(path)
            except OSError:
                left.append(path)
                continue
        _, hit = _cached_result(cache, file_settings, path, data, checked)
        if hit is None:
            left.append(path)
        else:
            diagnostics.extend(hit)
            contents.pop(path, None)
    return left


def check_files(paths: Sequence[str], settings: Settings, jobs: int = 1,
                errors: Optional[list] = None) -> list[Diagnostic]:
    """Check files; the result is sorted and identical whatever `jobs` is.
    A file memlint fails on (a bug, a worker that dies) is an InternalError
    (isolation.py) appended to `errors` — or, without `errors`, a
    RuntimeWarning — and the other files are still checked."""
    from .locate import one_pass

    _roots_by_directory.clear()
    with one_pass():
        return _check_files(paths, settings, jobs, errors)


def _check_files(paths: Sequence[str], settings: Settings, jobs: int, errors: Optional[list]) -> list[Diagnostic]:
    from .isolation import guarded, run_workers

    failures: list = [] if errors is None else errors
    candidates: list[str] = []
    contents: dict[str, bytes] = {}
    for path in paths:
        try:
            data = read_bytes(path)
        except OSError:
            candidates.append(path)  # check_file reports it
            continue
        if settings.needs_analysis(data):
            candidates.append(path)
            if jobs <= 1:
                contents[path] = data
    diagnostics: list[Diagnostic] = []
    if settings.cache_dir is not None:
        candidates = _cached_results(candidates, settings, contents, diagnostics)
    if jobs <= 1 or len(candidates) < MIN_FILES_FOR_WORKERS:
        for path in candidates:
            found, error = deep_call(guarded, check_file, path, settings, contents.pop(path, None),
                                     settings.cache_dir is not None)
            diagnostics.extend(found)
            if error is not None:
                failures.append(error)
    else:
        # Contiguous batches keep a directory's files (and the sibling modules
        # they import) in one worker, so each worker summarizes them once.
        size = max(1, min(64, len(candidates) // (jobs * 4) or 1))
        run_workers(candidates, settings, jobs, size, diagnostics, failures)
    if errors is None and failures:
        import warnings

        for failure in failures:
            warnings.warn(f"memlint: {failure.line()}", RuntimeWarning, stacklevel=2)
    return sorted(diagnostics, key=lambda d: d.sort_key)
