"""The memlint language server: `memlint lsp` (LSP over stdio, built on pygls 2).

- Publishes diagnostics for open Python documents on didOpen, didSave and
  didChange, linting the unsaved buffer; clears them on didClose. There is no
  debounce: a change is linted at once, and work for a version that a newer
  one replaced is dropped (stopped between definitions when it is already
  running), so the latest text wins. Each open document keeps a
  `memlint.incremental.IncrementalModule`: an edit re-analyses only the
  top-level definitions it touched, with results identical to `memlint check`.
- Never wedged by its input: it reads the LSP framing itself and recovers
  from a bad header or a body without one (a ParseError answer for a body
  that is not JSON); malformed params answer -32602, a request before
  `initialize` -32002, after `shutdown` -32600; `exit` without `shutdown`
  exits 1. A document too large to check gets one diagnostic saying so; lone
  surrogates in a buffer are checked as U+FFFD.
- Offers code actions: "Fix: ..." for every diagnostic that has a fix and
  "Suppress MEMxxx with # noqa" for every diagnostic.
- Reads `[tool.memlint]` (or `memlint.toml`) from the workspace; a
  configuration error is shown once (window/showMessage) and the server goes
  on with the defaults. The configuration is read again when a configuration
  file is saved or reported changed (workspace/didChangeWatchedFiles).
- Caches the summaries of the modules that open documents import on disk,
  where `memlint check` does (`$MEMLINT_CACHE_DIR`, else `.memlint_cache` at
  the configuration's root, else at the workspace folder: one cache per
  workspace folder), so a restarted server does not read every model module
  again. The results of open documents are not cached (buffers are edited).
  `{"cache": false}` in initializationOptions or `MEMLINT_NO_CACHE=1` turns
  it off, as `--no-cache` does.
- Never dies on a bad buffer or an engine failure: a file that does not parse
  gives the engine's MEM000 diagnostic, any exception is logged
  (window/logMessage) and the request is answered.

Positions: the engine reports 1-based lines and 1-based columns counted in
characters (code points); LSP positions are 0-based and count code units of
the negotiated position encoding (UTF-16 unless the client offers UTF-8 or
UTF-32, negotiated by pygls from `general.positionEncodings`).

Everything that needs pygls is built in `create_server()`, so importing this
module without the `lsp` extra installed fails only when the server is started,
with a message saying what to install.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import logging
import re
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

from memlint.config import CONFIG_FILES, Config, ConfigError, load_config
from memlint.diagnostics import Diagnostic
from memlint.noqa import add_noqa
from memlint.source import line_starts, split_lines

try:  # the `lsp` extra
    from lsprotocol import types
    from pygls.uris import from_fs_path, to_fs_path
except ImportError as _exc:  # pragma: no cover - depends on the installation
    _IMPORT_ERROR: ImportError | None = _exc
else:
    _IMPORT_ERROR = None

__all__ = ["create_server", "main", "serve", "split_lines"]

SERVER_NAME = "memlint"
SOURCE = "memlint"
# What the server checks at most (larger documents get one diagnostic saying so):
# libcst's native parser aborts the process on some huge inputs.
MAX_DOCUMENT_CHARS = 2_000_000
MAX_LINE_CHARS = 20_000
TOO_LARGE_CODE = "memlint"
SYNTAX_ERROR_CODE = "MEM000"

logger = logging.getLogger("memlint.lsp")

# ---------------------------------------------------------------------------
# Positions (the line model is memlint.source's: lines end at \r\n, \r or \n only)


def code_units(text: str, encoding: str | None) -> int:
    """How many code units of the LSP position `encoding` the string `text` takes."""
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)  # utf-16: astral chars take two


def lsp_position(
    lines: Sequence[str], line: int, column: int, encoding: str | None
) -> types.Position:
    """A 1-based (line, character column) → a 0-based LSP position in `encoding` units.

    A line past the end clamps to the end of the text; a column past the end of
    its line clamps to the end of the line."""
    row = max(line - 1, 0)
    if not lines:
        return types.Position(line=0, character=0)
    if row >= len(lines):
        row = len(lines) - 1
        return types.Position(line=row, character=code_units(lines[row], encoding))
    text = lines[row]
    return types.Position(line=row, character=code_units(text[: max(column - 1, 0)], encoding))


def lsp_range(
    lines: Sequence[str],
    line: int,
    column: int,
    end_line: int,
    end_column: int,
    encoding: str | None,
) -> types.Range:
    start = lsp_position(lines, line, column, encoding)
    end = lsp_position(lines, end_line, end_column, encoding)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start=start, end=end)


def _ranges_overlap(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a position (touching counts: a cursor at either end)."""
    a_start, a_end = (a.start.line, a.start.character), (a.end.line, a.end.character)
    b_start, b_end = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return a_start <= b_end and b_start <= a_end


# ---------------------------------------------------------------------------
# Severity


_LEVELS = {"error": "Error", "warning": "Warning", "note": "Information", "info": "Information"}


def severity_for(code: str) -> types.DiagnosticSeverity:
    """The LSP severity of a rule from its `default_level` (error, warning, note)."""
    level = None
    try:
        from memlint.rules import RULES

        rule = RULES.get(code)
        level = getattr(rule, "default_level", None)
    except Exception:  # the rule registry is optional here; fall back below
        level = None
    if level is None:
        level = "error" if code == SYNTAX_ERROR_CODE else "warning"
    return getattr(types.DiagnosticSeverity, _LEVELS.get(str(level).lower(), "Warning"))


# ---------------------------------------------------------------------------
# `# noqa` suppression edits


def noqa_edit(
    text: str, code: str, lines_to_try: Iterable[int]
) -> tuple[int, int, int, str] | None:
    """Where and what to write so that `# noqa: code` covers a diagnostic, exactly
    as `memlint check --add-noqa` writes it (memlint.noqa.add_noqa).

    `lines_to_try` are the 1-based lines on which a noqa suppresses the
    diagnostic, the flagged line first. Returns (line, start column, end
    column, new text) with 1-based character columns, or None when nothing
    needs to change (a noqa there already covers the code)."""
    candidates = [n for n in lines_to_try]
    if not candidates:
        return None
    first = candidates[0]
    span = (min(candidates), max(candidates))
    stand_in = Diagnostic(
        path="", line=first, column=1, end_line=first, end_column=1, code=code, message="",
        noqa_lines=span,
    )
    new_text, changed = add_noqa(text, [stand_in])
    if not changed:
        return None
    old_lines, new_lines = split_lines(text), split_lines(new_text)
    for number, (old, new) in enumerate(zip(old_lines, new_lines), start=1):
        if old != new:
            prefix = 0
            while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
                prefix += 1
            suffix = 0
            while (suffix < min(len(old), len(new)) - prefix
                   and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]):
                suffix += 1
            return (number, prefix + 1, len(old) - suffix + 1, new[prefix:len(new) - suffix])
    return None


# ---------------------------------------------------------------------------
# Converting engine diagnostics


def document_path(uri: str) -> str:
    """The file-system path of a document uri (non-file uris get a path-like name)."""
    try:
        path = to_fs_path(uri)
    except Exception:
        path = None
    return path if path else uri


def _file_uri(path: str) -> str:
    try:
        return from_fs_path(path) or path
    except Exception:
        return path


def _lines_of_file(path: str) -> list[str] | None:
    try:
        return split_lines(Path(path).read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return None


def to_lsp_diagnostic(
    diag: Diagnostic,
    uri: str,
    doc_path: str,
    lines: Sequence[str],
    encoding: str | None,
    version: int | None,
    lines_for: Any = None,
    base_dir: str | None = None,
) -> types.Diagnostic:
    """An engine diagnostic → an LSP diagnostic of document `uri` whose text is `lines`.

    `lines_for(path)` gives the lines of another file (for related locations).
    `data` carries what the code actions need: the document version, the code,
    the lines a noqa may go on, and the fix with its edits in LSP ranges."""
    rng = lsp_range(lines, diag.line, diag.column, diag.end_line, diag.end_column, encoding)
    related = []
    for rel in diag.related:
        rel_path = rel.path
        if rel_path == diag.path or rel_path == doc_path:
            rel_uri, rel_lines = uri, lines
        else:
            if not Path(rel_path).is_absolute() and base_dir:
                rel_path = str(Path(base_dir) / rel_path)
            rel_uri = _file_uri(rel_path)
            rel_lines = (
                (lines_for(rel_path) if lines_for else None) or _lines_of_file(rel_path) or []
            )
        pos = (
            lsp_position(rel_lines, rel.line, rel.column, encoding)
            if rel_lines
            else types.Position(line=max(rel.line - 1, 0), character=max(rel.column - 1, 0))
        )
        related.append(
            types.DiagnosticRelatedInformation(
                location=types.Location(uri=rel_uri, range=types.Range(start=pos, end=pos)),
                message=rel.message,
            )
        )
    fix_data = None
    if diag.fix is not None:
        fix_data = {
            "applicability": diag.fix.applicability,
            "message": diag.fix.message,
            "edits": [
                {
                    "range": _range_dict(
                        lsp_range(
                            lines, e.start_line, e.start_column, e.end_line, e.end_column, encoding
                        )
                    ),
                    "newText": e.content,
                }
                for e in diag.fix.edits
            ],
        }
    noqa_first, noqa_last = diag.noqa_lines
    if noqa_first <= 0 or noqa_last < noqa_first:
        noqa_first, noqa_last = diag.line, max(diag.line, diag.end_line)
    data = {
        "version": version,
        "code": diag.code,
        "line": diag.line,
        "noqaLines": [noqa_first, noqa_last],
        "fix": fix_data,
    }
    return types.Diagnostic(
        range=rng,
        message=diag.message,
        severity=severity_for(diag.code),
        code=diag.code,
        code_description=types.CodeDescription(href=diag.url) if diag.url else None,
        source=SOURCE,
        related_information=related or None,
        data=data,
    )


def _range_dict(rng: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


def _range_from(data: dict[str, Any]) -> types.Range:
    return types.Range(
        start=types.Position(
            line=int(data["start"]["line"]), character=int(data["start"]["character"])
        ),
        end=types.Position(line=int(data["end"]["line"]), character=int(data["end"]["character"])),
    )


def _kind_requested(only: Sequence[str] | None, kind: str) -> bool:
    if not only:
        return True
    return any(k == "" or kind == k or kind.startswith(f"{k}.") for k in only)


def code_actions_for(
    uri: str, text: str, diagnostics: Iterable[types.Diagnostic], encoding: str | None
) -> list[types.CodeAction]:
    """The quick fixes for memlint `diagnostics` of document `uri`, whose current text is `text`."""
    actions: list[types.CodeAction] = []
    suppress_actions: list[types.CodeAction] = []
    lines = split_lines(text)
    for diag in diagnostics:
        data = diag.data if isinstance(diag.data, dict) else {}
        code = str(diag.code or data.get("code") or "")
        if not code:
            continue
        fix = data.get("fix")
        if fix:
            try:
                edits = [
                    types.TextEdit(range=_range_from(e["range"]), new_text=str(e["newText"]))
                    for e in fix["edits"]
                ]
            except (KeyError, TypeError, ValueError):
                edits = []
            if edits:
                actions.append(
                    types.CodeAction(
                        title=f"Fix: {fix.get('message') or code}",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diag],
                        is_preferred=fix.get("applicability") == "safe",
                        edit=types.WorkspaceEdit(changes={uri: edits}),
                    )
                )
        if code == SYNTAX_ERROR_CODE:
            continue  # comments of a file that does not parse are never read
        first_line = int(data.get("line") or diag.range.start.line + 1)
        noqa_first, noqa_last = data.get("noqaLines") or [first_line, first_line]
        candidates = [first_line] + [
            n for n in range(int(noqa_first), int(noqa_last) + 1) if n != first_line
        ]
        where = noqa_edit(text, code, candidates)
        if where is None:
            continue
        line, start_column, end_column, new_text = where
        edit = types.TextEdit(
            range=lsp_range(lines, line, start_column, line, end_column, encoding),
            new_text=new_text,
        )
        suppress_actions.append(
            types.CodeAction(
                title=f"Suppress {code} with # noqa",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diag],
                edit=types.WorkspaceEdit(changes={uri: [edit]}),
            )
        )
    return actions + suppress_actions


# ---------------------------------------------------------------------------
# The server


@dataclass
class _Result:
    """The diagnostics published for one version of one document."""

    version: int | None
    text: str
    diagnostics: list[types.Diagnostic] = field(default_factory=list)


_states: dict[tuple[str, int], Any] = {}  # (path, id of its Config) -> IncrementalModule


def _run_engine(
    text: str, path: str, config: Config, cancelled: Any = None, cache_dir: str | None = None
) -> list[Diagnostic]:
    """The diagnostics of an open document's text: what `memlint check` says about
    it, computed incrementally from the last text of the same document. The
    summaries of the modules it imports are read from and written to the
    on-disk cache in `cache_dir` (None: no cache); its own result is not."""
    from memlint.engine import Settings, deep_call, disk_cache
    from memlint.incremental import IncrementalModule
    from memlint.index import SHARED_CACHE

    key = (path, id(config))
    state = _states.get(key)
    if (state is None or state.settings.config is not config
            or state.settings.cache_dir != cache_dir):
        for other in [k for k in _states if k[0] == path]:
            del _states[other]
        settings = replace(Settings.from_config(config, apply_noqa=True), cache_dir=cache_dir)
        state = _states[key] = IncrementalModule(path, settings, Path(path))
    # SHARED_CACHE.disk is one attribute, and all engine work runs on one
    # thread, one lint at a time: set it per lint, so that each workspace's
    # summaries go to its own cache folder.
    previous, SHARED_CACHE.disk = SHARED_CACHE.disk, disk_cache(state.settings)
    if SHARED_CACHE.disk is not None:
        _used_caches.add(SHARED_CACHE.disk)
    gc.disable()  # no collection in the middle of a lint: one, of what it left, after it
    try:
        return deep_call(state.check, text, cancelled or (lambda: False))
    finally:
        SHARED_CACHE.disk = previous
        _tune_gc()


_used_caches: set[Any] = set()  # the DiskCaches this server used: pruned at shutdown


def _prune_caches() -> None:
    """Keep the cache folders this server wrote to under their bound, as `memlint check` does."""
    for cache in list(_used_caches):
        try:
            cache.prune()
        except OSError:
            pass


_runs = 0


def _tune_gc() -> None:
    """Parses leave many long-lived objects (cached chunks, summaries); with
    the default thresholds the cyclic collector rescans them every few edits,
    a pause longer than an incremental lint. The collector does not run
    during a lint (`_run_engine`); after it, what the lint left is collected
    (the youngest generation only: little more than what this lint allocated,
    about a millisecond, where an automatic collection in the middle of a lint
    took 10-30 ms) and what is still alive is moved out of the collector's way
    (gc.freeze: later rescans cost nothing; objects freed later are freed by
    reference counting: the parses hold no reference cycles, and what does
    hold one, the interpreter of one lint, is garbage by now and collected
    here, never frozen). The first lint collects everything (imports, stubs)."""
    global _runs
    _runs += 1
    try:
        if _runs == 1:
            gc.collect()
            gc.set_threshold(20000, 50, 1000)
        else:
            gc.collect(0)
        gc.freeze()
    finally:
        gc.enable()


def _forget_document(path: str) -> None:
    for key in [k for k in _states if k[0] == path]:
        del _states[key]


def _forget_engine_caches(paths: Iterable[str] = ()) -> None:
    """Files changed on disk: forget what was read from them (their summaries,
    and the interpretations that may have used them). Summaries of other files
    stay warm; the cache checks each file's size and modification time, and
    this also covers edits that keep both."""
    from memlint.incremental import forget_files
    from memlint.index import SHARED_CACHE

    forget_files()
    entries = getattr(SHARED_CACHE, "_by_path", None)
    wanted = {str(Path(p).resolve()) for p in paths}
    if not isinstance(entries, dict) or not wanted:
        SHARED_CACHE.clear()
        return
    for key in [k for k in entries if str(Path(k[0]).resolve()) in wanted]:
        entries.pop(key, None)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _checkable(text: str) -> str:
    """The text with lone surrogates (which JSON can carry) as U+FFFD: one code
    point and one UTF-16 unit each way, so positions stay the same."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def _too_large(text: str) -> str | None:
    """Why the server does not check this text, or None."""
    if len(text) > MAX_DOCUMENT_CHARS:
        return (
            f"it has {len(text):,} characters "
            f"(the language server checks up to {MAX_DOCUMENT_CHARS:,})"
        )
    if len(text) > MAX_LINE_CHARS:
        starts = line_starts(text)
        longest = max(
            (end - start for start, end in zip(starts, [*starts[1:], len(text) + 1])), default=0
        )
        if longest - 1 > MAX_LINE_CHARS:
            return (
                f"a line has {longest - 1:,} characters (the language server checks lines "
                f"of up to {MAX_LINE_CHARS:,})"
            )
    return None


class _Session:
    """The state of one language server: configurations, lint tasks, published results."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.pending: set[str] = set()  # documents changed while their lint ran
        self.results: dict[str, _Result] = {}
        self.configs: dict[str, Config] = {}
        from memlint.cache import no_cache_in_environment

        self.use_cache = not no_cache_in_environment()  # the on-disk summary cache (cache_dir_for)
        # One engine thread: the event loop stays free to answer requests while
        # a file is linted, and engine calls never run concurrently.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="memlint-lint")

    # -- messages ----------------------------------------------------------

    def log(self, message: str, kind: types.MessageType | None = None) -> None:
        try:
            self.server.window_log_message(
                types.LogMessageParams(type=kind or types.MessageType.Log, message=message)
            )
        except Exception:  # the client went away; keep going
            logger.exception("cannot send window/logMessage")

    def log_exception(self, what: str) -> None:
        message = f"memlint: {what}:\n{traceback.format_exc()}"
        logger.error("%s", message)
        self.log(message, types.MessageType.Error)

    def show(self, message: str, kind: types.MessageType) -> None:
        try:
            self.server.window_show_message(types.ShowMessageParams(type=kind, message=message))
        except Exception:
            logger.exception("cannot send window/showMessage")

    @property
    def encoding(self) -> str | None:
        try:
            encoding = self.server.workspace.position_encoding
        except Exception:
            return "utf-16"
        return str(getattr(encoding, "value", encoding) or "utf-16")

    # -- configuration -----------------------------------------------------

    def _workspace_dirs(self) -> list[str]:
        dirs: list[str] = []
        try:
            workspace = self.server.workspace
        except Exception:
            return dirs
        for folder_uri in list(workspace.folders):
            path = to_fs_path(folder_uri)
            if path:
                dirs.append(path)
        if workspace.root_path:
            dirs.append(workspace.root_path)
        return dirs

    def config_dir_for(self, path: str | None) -> str:
        """The workspace folder (or root) holding `path`, whose configuration applies to it."""
        dirs = self._workspace_dirs()
        if path and Path(path).is_absolute():
            best = ""
            for directory in dirs:
                try:
                    inside = Path(path).resolve().is_relative_to(Path(directory).resolve())
                except (OSError, ValueError):
                    inside = False
                if inside and len(directory) > len(best):
                    best = directory
            if best:
                return best
            if not dirs:
                return str(Path(path).parent)
        return dirs[0] if dirs else ""

    def config_for(self, path: str | None) -> Config:
        key = self.config_dir_for(path)
        config = self.configs.get(key)
        if config is None:
            config = self.configs[key] = self._load_config(key)
        return config

    def _load_config(self, directory: str) -> Config:
        try:
            config = load_config(start=Path(directory) if directory else None)
        except ConfigError as exc:
            # Shown once per load: loads happen at start and when a configuration file changes.
            message = f"memlint: {exc} (using the default settings)"
            self.show(message, types.MessageType.Error)
            self.log(message, types.MessageType.Error)
            return Config()
        except Exception:
            self.log_exception(
                f"cannot read the configuration of {directory or 'the working directory'}"
            )
            return Config()
        where = f"the configuration in {config.root}" if config.root else "the default settings"
        self.log(
            f"memlint: {directory or 'working directory'}: using {where}", types.MessageType.Info
        )
        return config

    def read_initialization_options(self, options: Any) -> None:
        """`{"cache": false}` turns the on-disk cache off, as `--no-cache` does."""
        from memlint.cache import no_cache_in_environment

        if not isinstance(options, dict) or "cache" not in options:
            return
        if isinstance(options["cache"], bool):
            self.use_cache = options["cache"] and not no_cache_in_environment()
        else:
            self.log(
                "memlint: initializationOptions.cache must be true or false, "
                f"not {options['cache']!r}",
                types.MessageType.Warning,
            )

    def cache_dir_for(self, path: str, config: Config) -> str | None:
        """The cache folder for `path`: what `memlint check` run from its workspace
        folder uses ($MEMLINT_CACHE_DIR, else `.memlint_cache` at the
        configuration's root, else at the workspace folder), or None when the
        cache is off or a file outside any project and workspace has none."""
        from memlint.cache import default_directory

        if not self.use_cache:
            return None
        root = config.root or (self.config_dir_for(path) if self._workspace_dirs() else None)
        if not root and not os.environ.get("MEMLINT_CACHE_DIR"):
            return None  # no cache folder next to a loose file
        return str(default_directory(root).absolute())

    def reload_configs(self) -> None:
        directories = list(self.configs) or [self.config_dir_for(None)]
        self.configs.clear()
        for directory in directories:
            self.configs[directory] = self._load_config(directory)
        for uri in list(self.server.workspace.text_documents):
            if self.is_python(uri):
                self.schedule(uri)

    # -- linting -----------------------------------------------------------

    def files_changed(self, paths: Iterable[str] = ()) -> None:
        """Python files changed on disk: forget what was read from them, re-lint open documents.

        The caches are updated on the engine thread, so it happens between lints."""
        self.executor.submit(_forget_engine_caches, list(paths))
        for uri in list(self.server.workspace.text_documents):
            if self.is_python(uri):
                self.schedule(uri)

    def is_python(self, uri: str) -> bool:
        document = self.server.workspace.text_documents.get(uri)
        return document is not None and _is_python(uri, document.language_id)

    def schedule(self, uri: str) -> None:
        """Lint the latest text of `uri` now. A lint already under way for it goes
        on to the newest version when it finishes (and stops early: the engine
        is told its version is stale), so the latest text wins and no version
        waits for a timer."""
        task = self.tasks.get(uri)
        if task is not None and not task.done():
            self.pending.add(uri)
            return
        task = asyncio.get_running_loop().create_task(self._lint_and_publish(uri))
        self.tasks[uri] = task

        def forget(done: asyncio.Task[None], uri: str = uri) -> None:
            if self.tasks.get(uri) is done:
                del self.tasks[uri]

        task.add_done_callback(forget)

    def cancel(self, uri: str) -> None:
        self.pending.discard(uri)
        task = self.tasks.pop(uri, None)
        if task is not None:
            task.cancel()

    async def _lint_and_publish(self, uri: str) -> None:
        try:
            while True:
                self.pending.discard(uri)
                # Let notifications already received (a burst of changes) land first.
                await asyncio.sleep(0)
                document = self.server.workspace.text_documents.get(uri)
                if document is None:
                    return
                version = document.version
                result = await self.lint(uri)
                if result is not None:
                    self.publish(uri, result)
                current = self.server.workspace.text_documents.get(uri)
                if current is None or (current.version == version and uri not in self.pending):
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            self.log_exception(f"linting {uri} failed")

    async def lint(self, uri: str) -> _Result | None:
        """Lint the current text of open document `uri`; None if it is not open, changed
        meanwhile (a newer lint will publish) or the engine failed (logged)."""
        from memlint.incremental import Cancelled

        documents = self.server.workspace.text_documents
        document = documents.get(uri)
        if document is None:
            return None
        text, version = document.source, document.version
        path = document_path(uri)
        config = self.config_for(path)
        cache_dir = self.cache_dir_for(path, config)
        loop = asyncio.get_running_loop()
        reason = _too_large(text)
        checked = text if reason is not None else _checkable(text)

        def stale() -> bool:
            current = documents.get(uri)
            return current is None or current.version != version

        found: list[Diagnostic] = []
        if reason is None:
            try:
                found = await loop.run_in_executor(
                    self.executor, _run_engine, checked, path, config, stale, cache_dir
                )
            except asyncio.CancelledError:
                raise
            except Cancelled:
                return None
            except Exception:
                self.log_exception(f"the engine failed on {path}")
                return None
        current = documents.get(uri)
        if current is None or current.version != version or current.source != text:
            return None  # the latest text wins
        lines = split_lines(checked)
        encoding = self.encoding
        open_docs = self.server.workspace.text_documents

        def lines_for(other: str) -> list[str] | None:
            other_uri = _file_uri(other)
            if other_uri in open_docs:
                return split_lines(open_docs[other_uri].source)
            return None

        diagnostics = []
        if reason is not None:
            diagnostics.append(
                types.Diagnostic(
                    range=types.Range(
                        start=types.Position(line=0, character=0),
                        end=types.Position(line=0, character=0),
                    ),
                    message=f"memlint did not check this document: {reason}",
                    severity=types.DiagnosticSeverity.Warning,
                    source=SOURCE,
                )
            )
        for diag in found:
            try:
                diagnostics.append(
                    to_lsp_diagnostic(
                        diag, uri, path, lines, encoding, version, lines_for, config.root
                    )
                )
            except Exception:
                self.log_exception(f"cannot convert a diagnostic of {path}: {diag!r}")
        result = _Result(version=version, text=checked, diagnostics=diagnostics)
        self.results[uri] = result
        return result

    def publish(self, uri: str, result: _Result) -> None:
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, diagnostics=result.diagnostics, version=result.version
            )
        )

    def clear(self, uri: str) -> None:
        self.cancel(uri)
        self.results.pop(uri, None)
        self.executor.submit(_forget_document, document_path(uri))
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        document = self.server.workspace.text_documents.get(uri)
        if document is None:
            return []
        if not _kind_requested(params.context.only, types.CodeActionKind.QuickFix):
            return []
        result = self.results.get(uri)
        if result is None or result.version != document.version:
            # Not linted yet (or stale): lint now so the actions match the text.
            result = await self.lint(uri)
            if result is None:
                return []
            self.cancel(uri)
            self.publish(uri, result)
        wanted = [d for d in result.diagnostics if _ranges_overlap(d.range, params.range)]
        return code_actions_for(uri, result.text, wanted, self.encoding)

    async def register_watchers(self) -> None:
        capability = None
        try:
            capability = self.server.client_capabilities.workspace.did_change_watched_files
        except AttributeError:
            capability = None
        if capability is None or not capability.dynamic_registration:
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[
                types.FileSystemWatcher(glob_pattern=pattern)
                for pattern in (*(f"**/{name}" for name in CONFIG_FILES), "**/*.py", "**/*.pyi")
            ]
        )
        registration = types.Registration(
            id="memlint-config-watcher",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=options,
        )
        try:
            await self.server.client_register_capability_async(
                types.RegistrationParams(registrations=[registration])
            )
        except Exception as exc:  # the client declined: config changes are seen on save only
            self.log(f"memlint: cannot watch configuration files: {exc}", types.MessageType.Info)


def _is_python(uri: str, language_id: str | None) -> bool:
    """Whether a document is Python source memlint checks (by language id or file name)."""
    if _is_config_uri(uri):
        return False
    return language_id == "python" or document_path(uri).endswith((".py", ".pyi"))


def _is_config_uri(uri: str) -> bool:
    return Path(document_path(uri)).name in CONFIG_FILES


def create_server() -> Any:
    """A pygls LanguageServer with memlint's features registered (not started)."""
    if _IMPORT_ERROR is not None:
        raise ImportError(
            "memlint lsp needs pygls and lsprotocol: pip install 'flink-agents-memlint[lsp]'"
        ) from _IMPORT_ERROR
    from pygls.lsp.server import LanguageServer

    from memlint import __version__

    server = LanguageServer(
        SERVER_NAME,
        __version__,
        # Full sync: every change carries the whole text, so the buffer we lint
        # is exactly the client's (no incremental patching to get wrong).
        text_document_sync_kind=types.TextDocumentSyncKind.Full,
    )
    session = _Session(server)
    server.memlint = session  # for tests and introspection

    def report_server_error(error: Exception, source: Any) -> None:
        # pygls' default shows a popup for errors outside requests (e.g. a
        # didChange for a document that was never opened); log them instead.
        session.log(
            f"memlint: {getattr(source, '__name__', source)}: {error!r}", types.MessageType.Error
        )

    server.report_server_error = report_server_error

    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        try:
            session.read_initialization_options(params.initialization_options)
        except Exception:
            session.log_exception("reading initializationOptions failed")

    @server.feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams) -> None:
        try:
            session.config_for(None)  # report a configuration error right away
            await session.register_watchers()
        except Exception:
            session.log_exception("initialization failed")

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        try:
            if not _is_python(params.text_document.uri, params.text_document.language_id):
                return
            session.schedule(params.text_document.uri)
        except Exception:
            session.log_exception("didOpen failed")

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        try:
            if not session.is_python(params.text_document.uri):
                return
            session.schedule(params.text_document.uri)
        except Exception:
            session.log_exception("didChange failed")

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        try:
            uri = params.text_document.uri
            if _is_config_uri(uri):
                session.reload_configs()
                return
            if session.is_python(uri) or document_path(uri).endswith((".py", ".pyi")):
                # Open documents (this one too) may use definitions from the saved file.
                session.files_changed([document_path(uri)])
        except Exception:
            session.log_exception("didSave failed")

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        try:
            session.clear(params.text_document.uri)
        except Exception:
            session.log_exception("didClose failed")

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        try:
            if any(_is_config_uri(change.uri) for change in params.changes):
                session.reload_configs()
            else:
                changed = [
                    document_path(c.uri)
                    for c in params.changes
                    if document_path(c.uri).endswith((".py", ".pyi"))
                ]
                if changed:
                    session.files_changed(changed)
        except Exception:
            session.log_exception("didChangeWatchedFiles failed")

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        try:
            return await session.code_actions(params)
        except asyncio.CancelledError:
            raise
        except Exception:
            session.log_exception("codeAction failed")
            return []

    @server.feature(types.SHUTDOWN)
    def shutdown(params: Any = None) -> None:
        for uri in list(session.tasks):
            session.cancel(uri)
        session.executor.shutdown(wait=False, cancel_futures=True)
        _prune_caches()

    return server


# ---------------------------------------------------------------------------
# The transport: LSP framing over stdio, read here so that no input wedges the server


MAX_BODY_BYTES = 256 * 1024 * 1024
MAX_HEADER_LINE = 64 * 1024
_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r?\n?$", re.IGNORECASE)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_NOT_INITIALIZED = -32002


class Framing:
    """Reads LSP messages (`Content-Length: N` header, blank line, N bytes of
    body) from a binary stream. A framing error (a header that is not a
    number, a body shorter or longer than its header says, a body without a
    header, any garbage) is reported to `on_error` and reading goes on at the
    next `Content-Length` header, so one bad message never wedges the server."""

    def __init__(self, stream: Any, on_error: Any) -> None:
        self.stream = stream
        self.on_error = on_error

    def read(self) -> bytes | None:
        """The next message body; None at the end of the input."""
        length: int | None = None
        while True:
            line = self.stream.readline(MAX_HEADER_LINE)
            if not line:
                return None
            at = line.lower().find(b"content-length")
            if at > 0:
                self.on_error(f"bytes outside any message before a header: {line[:at][:60]!r}")
                line = line[at:]
            if at >= 0:
                match = _CONTENT_LENGTH.match(line)
                value = match.group(1) if match else b""
                if value.isdigit() and int(value) <= MAX_BODY_BYTES:
                    length = int(value)
                else:
                    length = None
                    self.on_error(f"bad Content-Length header: {line[:80]!r}")
                continue
            if line.strip() == b"":
                if length is None:
                    continue
                body = self.stream.read(length)
                if body is None or len(body) < length:
                    return None
                return body
            if length is None and b":" not in line[:40]:
                self.on_error(f"bytes outside any message: {line[:60]!r}")
            # else: another header (Content-Type), or garbage inside the header block


class Transport:
    """Dispatches message bodies to the pygls protocol, answering what pygls
    would not: parse errors, invalid requests and params, requests before
    `initialize` and after `shutdown`; `exit` ends the loop with its exit code."""

    def __init__(self, server: Any, stdout: Any) -> None:
        self.server = server
        self.protocol = server.protocol
        self.stdout = stdout
        self.initialized = False
        self.shut_down = False
        self.errors = 0

    def write(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode("utf-8")
        try:
            self.stdout.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.stdout.flush()
        except (OSError, ValueError):
            logger.exception("cannot write to the client")

    def error(self, msg_id: Any, code: int, message: str) -> None:
        self.write({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})

    def framing_error(self, what: str) -> None:
        self.errors += 1
        logger.warning("framing error: %s", what)

    def dispatch(self, body: bytes) -> int | None:
        """Handle one message body; an exit code when the client said exit."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            self.error(None, PARSE_ERROR, f"Parse error: {exc}")
            return None
        if not isinstance(data, dict) or data.get("jsonrpc") != "2.0":
            msg_id = data.get("id") if isinstance(data, dict) else None
            self.error(msg_id, INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message")
            return None
        method = data.get("method")
        is_request = "id" in data and method is not None
        if method is not None and not isinstance(method, str):
            if is_request:
                self.error(data.get("id"), INVALID_REQUEST, "Invalid Request: bad method")
            return None
        if method == types.EXIT:
            return 0 if self.shut_down else 1
        if method is not None:
            if not self.initialized and method != types.INITIALIZE:
                if is_request:
                    self.error(data["id"], SERVER_NOT_INITIALIZED, "Server not initialized")
                return None
            if self.shut_down:
                if is_request:
                    self.error(data["id"], INVALID_REQUEST, "Invalid Request: shut down")
                return None
            if method == types.INITIALIZE and self.initialized:
                if is_request:
                    self.error(data["id"], INVALID_REQUEST, "Invalid Request: initialized")
                return None
        try:
            message = self.protocol.structure_message(data)
        except Exception as exc:
            invalid = exc.__class__.__name__ == "JsonRpcInvalidParams"
            if is_request:
                if invalid:
                    self.error(data["id"], INVALID_PARAMS, f"Invalid params for {method}")
                else:
                    self.error(data["id"], INTERNAL_ERROR, f"Internal error reading {method}")
            else:
                logger.warning("ignoring a malformed %s notification", method)
            return None
        params = data.get("params", {})
        if is_request and params is None and "params" in data and method not in _NO_PARAMS:
            self.error(data["id"], INVALID_PARAMS, f"Invalid params for {method}: null")
            return None
        try:
            self.protocol.handle_message(message)
        except Exception:
            logger.exception("cannot handle %s", method)
            if is_request:
                self.error(data["id"], INTERNAL_ERROR, f"Internal error handling {method}")
            return None
        if method == types.INITIALIZE:
            self.initialized = True
        elif method == types.SHUTDOWN:
            self.shut_down = True
        return None


_NO_PARAMS = frozenset({types.SHUTDOWN})


def serve(server: Any, stdin: Any, stdout: Any) -> int:
    """Serve LSP on binary streams until `exit` (or the end of the input);
    returns the exit code: 0 after `shutdown`, else 1."""
    transport = Transport(server, stdout)
    framing = Framing(stdin, transport.framing_error)
    server.protocol.set_writer(_Writer(stdout))

    async def run() -> int:
        loop = asyncio.get_running_loop()
        reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="memlint-lsp-read")
        try:
            while True:
                body = await loop.run_in_executor(reader, framing.read)
                if body is None:
                    return 0 if transport.shut_down else 1
                code = transport.dispatch(body)
                if code is not None:
                    return code
        finally:
            reader.shutdown(wait=False)

    return asyncio.run(run())


class _Writer:
    """pygls' writer interface on a binary stream."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def close(self) -> None:
        pass

    def write(self, data: bytes) -> None:
        try:
            self.stream.write(data)
            self.stream.flush()
        except (OSError, ValueError):
            logger.exception("cannot write to the client")


def main() -> None:
    """Run the language server on stdin/stdout until the client says exit;
    the process exits 0 after shutdown + exit, 1 otherwise."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="memlint-lsp: %(levelname)s %(message)s"
    )
    try:
        server = create_server()
    except ImportError as exc:
        sys.stderr.write(f"{exc}\n")
        raise SystemExit(2) from None
    # The protocol owns stdout: anything else printed (by the engine or a library)
    # would corrupt it, so plain prints go to stderr from here on.
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    code = 1
    try:
        code = serve(server, stdin, stdout)
    except KeyboardInterrupt:
        code = 1
    finally:
        try:
            stdout.flush()
        except (OSError, ValueError):
            pass
        sys.stderr.flush()
        # Worker threads (an engine run in progress) must not keep the process alive.
        os._exit(code)


if __name__ == "__main__":
    main()
