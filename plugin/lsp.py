"""The memlint language server: `memlint lsp` (LSP over stdio, built on pygls 2).

- Publishes diagnostics for open Python documents on didOpen, didSave and
  (debounced, the latest text wins) didChange, linting the unsaved buffer with
  `memlint.lint_source`; clears them on didClose.
- Offers code actions: "Fix: ..." for every diagnostic that has a fix and
  "Suppress MEMxxx with # noqa" for every diagnostic.
- Reads `[tool.memlint]` (or `memlint.toml`) from the workspace; a
  configuration error is shown once (window/showMessage) and the server goes
  on with the defaults. The configuration is read again when a configuration
  file is saved or reported changed (workspace/didChangeWatchedFiles).
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
import io
import logging
import re
import sys
import tokenize
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from memlint.api import lint_source
from memlint.config import CONFIG_FILES, Config, ConfigError, load_config
from memlint.diagnostics import Diagnostic

try:  # the `lsp` extra
    from lsprotocol import types
    from pygls.uris import from_fs_path, to_fs_path
except ImportError as _exc:  # pragma: no cover - depends on the installation
    _IMPORT_ERROR: ImportError | None = _exc
else:
    _IMPORT_ERROR = None

__all__ = ["DEBOUNCE_SECONDS", "create_server", "main"]

SERVER_NAME = "memlint"
SOURCE = "memlint"
DEBOUNCE_SECONDS = 0.3
SYNTAX_ERROR_CODE = "MEM000"

logger = logging.getLogger("memlint.lsp")

# Lines end as Python and LSP both see it: \r\n, \r or \n (str.splitlines would
# also break on \f, \v, \x1c-\x1e, \x85, \u2028 and \u2029, which Python and LSP do not).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A flake8-style noqa comment; `codes` is the code list of `# noqa: A1, B2`.
_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------
# Positions


def split_lines(text: str) -> list[str]:
    """The lines of `text` without their line endings (a final newline gives a last empty line)."""
    return _LINE_BREAK.split(text)


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


@dataclass(frozen=True)
class _LineFacts:
    """What tokenizing the document says about where a comment can go."""

    comments: dict[int, tuple[int, str]]  # 1-based line -> (column, comment text) of its comment
    blocked: frozenset[int]  # 1-based lines whose end is inside a string or is a `\` continuation


def _line_facts(text: str, lines: Sequence[str]) -> _LineFacts | None:
    comments: dict[int, tuple[int, str]] = {}
    blocked: set[int] = set()
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    open_fstrings: list[int] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = (tok.start[1], tok.string)
            elif fstring_start is not None and tok.type == fstring_start:
                open_fstrings.append(tok.start[0])
            elif fstring_end is not None and tok.type == fstring_end and open_fstrings:
                blocked.update(range(open_fstrings.pop(), tok.end[0]))
            elif tok.start[0] != tok.end[0] and tok.type not in (tokenize.NEWLINE, tokenize.NL):
                blocked.update(range(tok.start[0], tok.end[0]))  # a multi-line string
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    for number, line in enumerate(lines, start=1):
        if number not in comments and line.rstrip().endswith("\\"):
            blocked.add(number)
    return _LineFacts(comments, frozenset(blocked))


def noqa_edit(
    text: str, code: str, lines_to_try: Iterable[int]
) -> tuple[int, int, int, str] | None:
    """Where and what to write so that `# noqa: code` covers a diagnostic.

    `lines_to_try` are 1-based lines on which a noqa suppresses the diagnostic,
    best first; the first whose end is not inside a string or a backslash
    continuation is used. Returns (line, start column, end column, new text)
    with 1-based character columns, or None when no edit applies (the line
    already carries a noqa that covers the code)."""
    lines = split_lines(text)
    facts = _line_facts(text, lines)
    candidates = [n for n in lines_to_try if 1 <= n <= len(lines)]
    if not candidates:
        return None
    target = candidates[0]
    if facts is not None:
        for number in candidates:
            if number not in facts.blocked:
                target = number
                break
    line = lines[target - 1]
    if facts is not None:
        comment = facts.comments.get(target)
    else:  # the buffer does not tokenize: look for a noqa comment in the raw line
        match = re.search(r"#\s*noqa", line, re.IGNORECASE)
        comment = (match.start(), line[match.start() :]) if match else None
    if comment is not None:
        comment_column, comment_text = comment
        match = _NOQA.search(comment_text)
        if match is not None:
            if match.group("codes") is None:
                return None  # a bare `# noqa` already suppresses everything
            codes = re.split(r"[,\s]+", match.group("codes"))
            if code.upper() in (c.upper() for c in codes):
                return None
            at = comment_column + match.end("codes")
            return (target, at + 1, at + 1, f", {code}")
    stripped = len(line.rstrip())
    return (target, stripped + 1, len(line) + 1, f"  # noqa: {code}")


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


def _run_engine(text: str, path: str, config: Config) -> list[Diagnostic]:
    return lint_source(text, path, config, apply_noqa=True)


def _forget_engine_caches() -> None:
    """Drop the engine's per-process module summaries. The cache already checks
    each file's size and modification time; this also covers edits that keep
    both (a save within the same timestamp tick)."""
    from memlint.index import SHARED_CACHE

    SHARED_CACHE.clear()


class _Session:
    """The state of one language server: configurations, lint tasks, published results."""

    def __init__(self, server: Any, debounce: float = DEBOUNCE_SECONDS) -> None:
        self.server = server
        self.debounce = debounce
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.results: dict[str, _Result] = {}
        self.configs: dict[str, Config] = {}
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

    def reload_configs(self) -> None:
        directories = list(self.configs) or [self.config_dir_for(None)]
        self.configs.clear()
        for directory in directories:
            self.configs[directory] = self._load_config(directory)
        for uri in list(self.server.workspace.text_documents):
            if self.is_python(uri):
                self.schedule(uri, 0)

    # -- linting -----------------------------------------------------------

    def files_changed(self) -> None:
        """Python files changed on disk: forget cached definitions, re-lint open documents.

        The cache is cleared on the engine thread, so it happens between lints."""
        self.executor.submit(_forget_engine_caches)
        for uri in list(self.server.workspace.text_documents):
            if self.is_python(uri):
                self.schedule(uri, self.debounce)

    def is_python(self, uri: str) -> bool:
        document = self.server.workspace.text_documents.get(uri)
        return document is not None and _is_python(uri, document.language_id)

    def schedule(self, uri: str, delay: float) -> None:
        """Lint `uri` after `delay` seconds, replacing a lint already pending for it."""
        previous = self.tasks.pop(uri, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.get_running_loop().create_task(self._lint_and_publish(uri, delay))
        self.tasks[uri] = task

        def forget(done: asyncio.Task[None], uri: str = uri) -> None:
            if self.tasks.get(uri) is done:
                del self.tasks[uri]

        task.add_done_callback(forget)

    def cancel(self, uri: str) -> None:
        task = self.tasks.pop(uri, None)
        if task is not None:
            task.cancel()

    async def _lint_and_publish(self, uri: str, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            result = await self.lint(uri)
            if result is not None:
                self.publish(uri, result)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.log_exception(f"linting {uri} failed")

    async def lint(self, uri: str) -> _Result | None:
        """Lint the current text of open document `uri`; None if it is not open, changed
        meanwhile (a newer lint will publish) or the engine failed (logged)."""
        document = self.server.workspace.text_documents.get(uri)
        if document is None:
            return None
        text, version = document.source, document.version
        path = document_path(uri)
        config = self.config_for(path)
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(self.executor, _run_engine, text, path, config)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.log_exception(f"the engine failed on {path}")
            return None
        current = self.server.workspace.text_documents.get(uri)
        if current is None or current.version != version or current.source != text:
            return None  # the latest text wins
        lines = split_lines(text)
        encoding = self.encoding
        open_docs = self.server.workspace.text_documents

        def lines_for(other: str) -> list[str] | None:
            other_uri = _file_uri(other)
            if other_uri in open_docs:
                return split_lines(open_docs[other_uri].source)
            return None

        diagnostics = []
        for diag in found:
            try:
                diagnostics.append(
                    to_lsp_diagnostic(
                        diag, uri, path, lines, encoding, version, lines_for, config.root
                    )
                )
            except Exception:
                self.log_exception(f"cannot convert a diagnostic of {path}: {diag!r}")
        result = _Result(version=version, text=text, diagnostics=diagnostics)
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
        if result is None or result.version != document.version or result.text != document.source:
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


def create_server(debounce: float = DEBOUNCE_SECONDS) -> Any:
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
    session = _Session(server, debounce)
    server.memlint = session  # for tests and introspection

    def report_server_error(error: Exception, source: Any) -> None:
        # pygls' default shows a popup for errors outside requests (e.g. a
        # didChange for a document that was never opened); log them instead.
        session.log(
            f"memlint: {getattr(source, '__name__', source)}: {error!r}", types.MessageType.Error
        )

    server.report_server_error = report_server_error

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
            session.schedule(params.text_document.uri, 0)
        except Exception:
            session.log_exception("didOpen failed")

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        try:
            if not session.is_python(params.text_document.uri):
                return
            session.schedule(params.text_document.uri, session.debounce)
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
                session.files_changed()
                if session.is_python(uri):
                    session.schedule(uri, 0)
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
            elif any(document_path(c.uri).endswith((".py", ".pyi")) for c in params.changes):
                session.files_changed()
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

    return server


def main() -> None:
    """Run the language server on stdin/stdout until the client says exit."""
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
    server.start_io(stdin, stdout)


if __name__ == "__main__":
    main()
