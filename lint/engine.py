"""The pipeline for one file: read -> prefilter -> parse -> summarize -> index
-> infer -> check -> noqa, and the run over many files (serial or parallel).
"""
from __future__ import annotations

import bisect
import fnmatch
import gc
import os
import re
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Sequence

from .config import Config
from .diagnostics import Diagnostic
from .noqa import apply_noqa, find_noqa
from .rules import RULES, select_codes
from .source import DecodeProblem, decode, line_starts, split_lines

CANDIDATE = re.compile(r"\.\s*set\s*\(")
CANDIDATE_BYTES = re.compile(rb"\.\s*set\s*\(")
MEMORY_HINTS = (b"sensory_memory", b"short_term_memory", b"MemoryObject", b"new_object")
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "memlint.toml", ".git")
RECURSION_LIMIT = 20000
STACK_SIZE = 512 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """What a worker needs to check files: derived once from the Config."""

    config: Config
    enabled: frozenset[str]
    hints: tuple[bytes, ...]
    memory_attributes: tuple[str, ...]
    apply_noqa: bool = True
    # When true, a file under a directory with its own memlint.toml /
    # [tool.memlint] uses that configuration (with `overrides`, the
    # command line's --select/--ignore/--extend-select/--strict, on top).
    hierarchical: bool = False
    overrides: tuple[tuple[str, object], ...] = ()

    @classmethod
    def from_config(cls, config: Config, *, apply_noqa: bool = True,
                    enabled: Optional[frozenset[str]] = None) -> "Settings":
        if enabled is None:
            enabled = select_codes(config.select, config.ignore, config.extend_select, strict=config.strict)
        hints = MEMORY_HINTS + tuple(a.encode() for a in config.memory_attributes) + tuple(
            t.rsplit(".", 1)[-1].encode() for t in config.memory_types)
        from .infer import MEMORY_ATTRIBUTES

        return cls(config, enabled, hints, MEMORY_ATTRIBUTES + tuple(config.memory_attributes), apply_noqa)

    def for_file(self, path: str) -> "Settings":
        """The settings of the nearest configuration above `path` (hierarchical mode)."""
        if not self.hierarchical:
            return self
        from .config import find_config_file

        directory = os.path.dirname(os.path.abspath(path))
        found = _config_by_directory.get(directory, _MISSING)
        if found is _MISSING:
            found = find_config_file(Path(directory))
            _config_by_directory[directory] = found
        if found is None or (self.config.root and Path(found).parent == Path(self.config.root)):
            return self
        key = (str(found), self.overrides, self.apply_noqa)
        cached = _settings_by_config.get(key)
        if cached is None:
            from .config import load_config

            config = load_config(Path(found))
            if self.overrides:
                config = config.model_copy(update=dict(self.overrides))
            cached = Settings.from_config(config, apply_noqa=self.apply_noqa)
            cached = replace(cached, hierarchical=False)
            _settings_by_config[key] = cached
        return cached


_MISSING = object()
_config_by_directory: dict[str, object] = {}
_settings_by_config: dict[tuple, "Settings"] = {}


def is_candidate(data: bytes, hints: Sequence[bytes]) -> bool:
    """Can this file hold a memory write? (No parse: bytes only.)"""
    return CANDIDATE_BYTES.search(data) is not None and any(hint in data for hint in hints)


def may_hold_noqa(data: bytes) -> bool:
    return b"noqa" in data.lower() and b"MEM" in data.upper()


def project_root(path: Path, config: Config) -> Optional[Path]:
    if config.root:
        return Path(config.root)
    for directory in path.resolve().parents:
        if any((directory / marker).exists() for marker in PROJECT_MARKERS):
            return directory
    return None


def import_roots(path: Path, config: Config) -> tuple[str, tuple[str, ...], bool]:
    """(module name, import roots, is_package) for a file."""
    from .index import module_name_for

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
    key = (python, config.flink_agents_version, str(root), os.environ.get("VIRTUAL_ENV"))
    found = _knowledge_by_key.get(key)
    if found is None:
        try:
            found = Knowledge(find_environment(python, root), flink_stub_set(config.flink_agents_version))
        except EnvironmentProblem as exc:
            where = f" (in {config.root})" if config.root else ""
            raise ConfigError(f"{exc}{where}") from None
        _knowledge_by_key[key] = found
    return found


def _ignored_here(display_path: str, config: Config) -> frozenset[str]:
    if not config.per_file_ignores:
        return frozenset()
    relative = _relative(display_path, config)
    ignored: set[str] = set()
    for pattern, codes in config.per_file_ignores.items():
        if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(os.path.basename(relative), pattern):
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


def _parse_failure(display_path: str, text: str, exc) -> Diagnostic:
    """MEM000 with Python's own message and position where Python rejects the
    code too (clearer than the parser's token list), else libcst's."""
    import ast

    try:
        ast.parse(text)
    except SyntaxError as python_error:
        return syntax_error(display_path, python_error.lineno or 1, python_error.offset or 1,
                            f"syntax error: {python_error.msg}")
    except (ValueError, RecursionError, MemoryError):
        pass
    message = " ".join(str(exc.message).split())
    return syntax_error(display_path, exc.editor_line, exc.editor_column,
                        f"libcst cannot parse this file (Python accepts it): {message}")


def _inside_definition(module, positions, line: int) -> bool:
    """Is `line` inside a top-level def or class? (Top-level statements without
    positions are ones that hold no candidate: a hint there counts as global.)"""
    import libcst as cst

    for statement in module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            rng = positions.get(statement)
            if rng is not None and rng.start.line <= line <= rng.end.line:
                return True
    return False


def check_text(display_path: str, text: str, settings: Settings, fs_path: Optional[Path] = None) -> list[Diagnostic]:
    """All diagnostics of one module's text (noqa applied unless the settings say not)."""
    enabled = settings.enabled - _ignored_here(display_path, settings.config)
    diagnostics = _analyze(display_path, text, settings, fs_path, enabled)
    if settings.apply_noqa:
        diagnostics = apply_noqa(display_path, diagnostics, find_noqa(text), enabled)
    return sorted((d for d in diagnostics if d.code in enabled), key=lambda d: d.sort_key)


def _analyze(display_path: str, text: str, settings: Settings, fs_path: Optional[Path],
             enabled: frozenset[str]) -> list[Diagnostic]:
    if CANDIDATE.search(text) is None or not any(h.decode() in text for h in settings.hints):
        return []
    import libcst as cst

    from .check import Checker
    from .index import Index, SHARED_CACHE
    from .infer import FileContext, interpret_module
    from .positions import positions_for
    from .summary import empty_summary, summarize_text

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return [_parse_failure(display_path, text, exc)]
    except RecursionError:
        return [syntax_error(display_path, 1, 1, "the file is nested too deeply to parse")]

    path = (fs_path or Path(display_path)).resolve()
    name, roots, is_package = import_roots(path, settings.config)
    knowledge = knowledge_for(settings.config, path)
    version = knowledge.environment.python_version
    summary = (summarize_text(text, name, str(path), is_package, version)
               or empty_summary(name, str(path), is_package))
    index = Index(roots, SHARED_CACHE, settings.config.memory_types, knowledge)
    index.add_module(summary)

    starts = line_starts(text)
    candidate_lines = sorted({bisect.bisect_right(starts, m.start()) for m in CANDIDATE.finditer(text)})
    try:
        positions = positions_for(module, text, candidate_lines)
    except RecursionError:
        return [syntax_error(display_path, 1, 1, "the file is nested too deeply to analyze")]

    hint_pattern = re.compile("|".join(re.escape(h.decode()) for h in settings.hints))
    hint_lines = sorted({bisect.bisect_right(starts, m.start()) for m in hint_pattern.finditer(text)})

    def spans(lines: list[int], node) -> bool:
        rng = positions.get(node)
        if rng is None:
            return False
        i = bisect.bisect_left(lines, rng.start.line)
        return i < len(lines) and lines[i] <= rng.end.line

    def wanted(node) -> bool:
        return spans(candidate_lines, node)

    # A top-level definition is interpreted when it holds a `.set(` candidate
    # and a memory hint (an attribute name, `MemoryObject`, `new_object`); a
    # hint at module level (a global memory object) makes every candidate count.
    top_hints = [line for line in hint_lines if not _inside_definition(module, positions, line)]

    def wanted_top(node) -> bool:
        return wanted(node) and (bool(top_hints) or spans(hint_lines, node))

    ctx = FileContext(index=index, module=summary, positions=positions,
                      memory_attributes=settings.memory_attributes)
    try:
        writes = interpret_module(ctx, module, wanted_top, wanted)
    except RecursionError:
        return [syntax_error(display_path, 1, 1, "the file is nested too deeply to analyze")]
    checker = Checker(index, settings.config.admits_bytes, "MEM900" in enabled)
    lines = split_lines(text)  # not str.splitlines: a form feed does not end a line
    # fix: the checker plans fixes on the parsed module (libcst edits need the
    # nodes and their positions); nothing else in the pipeline changes.
    return checker.diagnostics(display_path, writes, lines, enabled, text=text, module=module, positions=positions)


def check_file(display_path: str, settings: Settings, data: Optional[bytes] = None) -> list[Diagnostic]:
    settings = settings.for_file(display_path)
    if data is None:
        try:
            with open(display_path, "rb") as handle:
                data = handle.read()
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
    return check_text(display_path, source.text, settings)


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


_worker_settings: Optional[Settings] = None


def _init_worker(settings: Settings) -> None:
    global _worker_settings
    _worker_settings = settings
    tune_gc()


def tune_gc() -> None:
    """libcst allocates millions of small objects per file and frees them all;
    with the default thresholds the cyclic collector keeps rescanning the
    long-lived ones (summaries, imported modules). Fewer, later collections.
    For the command line and its workers only: a library caller keeps its own."""
    gc.freeze()
    gc.set_threshold(20000, 20, 20)


def _check_batch(paths: list[str]) -> list[Diagnostic]:
    assert _worker_settings is not None
    result: list[Diagnostic] = []
    for path in paths:
        result.extend(deep_call(check_file, path, _worker_settings))
    return result


def check_files(paths: Sequence[str], settings: Settings, jobs: int = 1) -> list[Diagnostic]:
    """Check files; the result is sorted and identical whatever `jobs` is."""
    candidates: list[str] = []
    contents: dict[str, bytes] = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            candidates.append(path)  # check_file reports it
            continue
        if is_candidate(data, settings.hints) or (settings.apply_noqa and may_hold_noqa(data)):
            candidates.append(path)
            if jobs <= 1:
                contents[path] = data
    diagnostics: list[Diagnostic] = []
    if jobs <= 1 or len(candidates) < 4:
        for path in candidates:
            diagnostics.extend(deep_call(check_file, path, settings, contents.pop(path, None)))
    else:
        # Contiguous batches keep a directory's files (and the sibling modules
        # they import) in one worker, so each worker summarizes them once.
        size = max(1, min(64, len(candidates) // (jobs * 4) or 1))
        batches = [candidates[i: i + size] for i in range(0, len(candidates), size)]
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(settings,)) as pool:
            for part in pool.map(_check_batch, batches):
                diagnostics.extend(part)
    return sorted(diagnostics, key=lambda d: d.sort_key)
