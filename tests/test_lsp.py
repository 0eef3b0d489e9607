"""The language server, end to end: a real LSP client (pytest-lsp) drives
`python -m memlint.plugin.lsp` over stdio. Plus unit tests of the position and
`# noqa` helpers the server uses.

Every async test is marked `asyncio` one by one (pytest-asyncio strict mode;
a module-wide mark would also hit the synchronous tests)."""

from __future__ import annotations

import asyncio
import os
import pickle
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Sequence

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

import memlint
from memlint.plugin import lsp as server_module
from memlint.rules import RULES

SERVER_COMMAND = [sys.executable, "-m", "memlint.plugin.lsp"]
TIMEOUT = 30.0  # seconds for any one notification; a cold engine start parses the stubs

PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS

AGENT = """\
from flink_agents.api.agents.agent import Agent
from flink_agents.api.decorators import action
from flink_agents.api.events.event import InputEvent
from flink_agents.api.runner_context import RunnerContext


class RequestAgent(Agent):
    @action(InputEvent)
    @staticmethod
    def start(event: InputEvent, ctx: RunnerContext) -> None:
        ctx.short_term_memory.set("rid", {value}){comment}
"""
VIOLATING = AGENT.format(value="event.id", comment="")
COMPLIANT = AGENT.format(value="str(event.id)", comment="")
FLAGGED_LINE = 10  # 0-based line of the set() call
BROKEN = VIOLATING.replace("def start(event: InputEvent", "def start(event: InputEvent,,")


# ---------------------------------------------------------------------------
# Helpers


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient):
    """A client connected to a fresh server; each test initializes it on its own workspace."""
    lsp_client.registrations = []  # type: ignore[attr-defined]

    # Like VS Code, accept dynamic registrations (the server asks to watch its config files).
    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        lsp_client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    yield
    if lsp_client.capabilities is not None and lsp_client.error is None:
        await lsp_client.shutdown_session()


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "memlint", "lsp"])
)
async def cli_client(lsp_client: LanguageClient):
    """A client connected to the server as users start it: `memlint lsp`."""
    yield
    if lsp_client.capabilities is not None and lsp_client.error is None:
        await lsp_client.shutdown_session()


def make_workspace(tmp_path: Path, memlint_table: str = "") -> Path:
    root = tmp_path / "project"
    (root / "agents").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0.1"\n\n[tool.memlint]\n{memlint_table}',
        encoding="utf-8",
    )
    return root


async def initialize(
    client: LanguageClient,
    root: Path,
    capabilities: types.ClientCapabilities | None = None,
    options: Any = None,
    folders: Sequence[Path] = (),
) -> types.InitializeResult:
    """Initialize on workspace `root` (and the other workspace `folders`), with
    `options` as initializationOptions."""
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[
                types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)
                for folder in (root, *folders)
            ],
            initialization_options=options,
        )
    )


def open_document(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    """Write `text` to `path` (the project on disk) and open it in the server; returns the uri."""
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=version, text=text
            )
        )
    )
    return uri


def change_document(client: LanguageClient, uri: str, text: str, version: int) -> None:
    """Replace the unsaved buffer (the file on disk is left as it was)."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def wait_for_diagnostics(
    client: LanguageClient, uri: str, version: int | None = None
) -> types.PublishDiagnosticsParams:
    """The next textDocument/publishDiagnostics for `uri` (and `version`, if given)."""

    async def next_matching() -> types.PublishDiagnosticsParams:
        while True:
            params = await client.wait_for_notification(PUBLISH)
            if params.uri == uri and (version is None or params.version == version):
                return params

    return await asyncio.wait_for(next_matching(), TIMEOUT)


async def wait_for_message(client: LanguageClient, needle: str) -> types.ShowMessageParams:
    """A window/showMessage containing `needle` (it may have arrived already)."""

    async def find() -> types.ShowMessageParams:
        while True:
            for message in client.messages:
                if needle in message.message:
                    return message
            await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)

    return await asyncio.wait_for(find(), TIMEOUT)


async def code_actions(
    client: LanguageClient,
    uri: str,
    rng: types.Range,
    diagnostics: list[types.Diagnostic] | None = None,
) -> list[types.CodeAction]:
    result = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=rng,
                context=types.CodeActionContext(diagnostics=diagnostics or []),
            )
        ),
        TIMEOUT,
    )
    assert result is not None
    assert all(isinstance(action, types.CodeAction) for action in result)
    return list(result)


async def _until(predicate) -> None:
    while not predicate():
        await asyncio.sleep(0.02)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def offset_at(text: str, position: types.Position, encoding: str = "utf-16") -> int:
    """The string index of an LSP position (client code units of `encoding`)."""
    lines = text.splitlines(keepends=True)
    offset = sum(len(line) for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    index = 0
    while units < position.character and index < len(line):
        units += server_module.code_units(line[index], encoding)
        index += 1
    return offset + index


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    """Apply LSP text edits as a client does (non-overlapping, positions in the original text)."""
    spans = sorted(
        (
            (
                offset_at(text, e.range.start, encoding),
                offset_at(text, e.range.end, encoding),
                e.new_text,
            )
            for e in edits
        ),
        reverse=True,
    )
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    assert action.edit is not None
    if action.edit.changes:
        return list(action.edit.changes[uri])
    edits: list[types.TextEdit] = []
    for change in action.edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri
        edits.extend(change.edits)  # type: ignore[arg-type]
    return edits


def expected_range(text: str, line: int, needle: str, encoding: str = "utf-16") -> types.Range:
    line_text = text.splitlines()[line]
    start = line_text.index(needle)
    count = (lambda s: utf16_len(s)) if encoding == "utf-16" else (lambda s: len(s.encode("utf-8")))
    return types.Range(
        start=types.Position(line=line, character=count(line_text[:start])),
        end=types.Position(line=line, character=count(line_text[: start + len(needle)])),
    )


# ---------------------------------------------------------------------------
# End to end


@pytest.mark.asyncio
async def test_open_publishes_diagnostic_with_range_and_metadata(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    result = await initialize(client, root)
    assert result.capabilities.position_encoding in (None, types.PositionEncodingKind.Utf16)
    assert result.capabilities.code_action_provider

    path = root / "agents" / "request_agent.py"
    uri = open_document(client, path, VIOLATING)
    published = await wait_for_diagnostics(client, uri)

    assert [d.code for d in published.diagnostics] == ["MEM101"]
    (diag,) = published.diagnostics
    assert diag.range == expected_range(VIOLATING, FLAGGED_LINE, "event.id")
    assert diag.source == "memlint"
    assert (
        diag.severity
        == {
            "error": types.DiagnosticSeverity.Error,
            "warning": types.DiagnosticSeverity.Warning,
            "note": types.DiagnosticSeverity.Information,
        }[RULES["MEM101"].default_level]
    )
    # The server says what the engine says about the same text and path.
    (engine,) = memlint.lint_source(VIOLATING, str(path))
    assert diag.message == engine.message
    assert engine.url and diag.code_description is not None
    assert diag.code_description.href == engine.url
    assert client.diagnostics[uri] == published.diagnostics


@pytest.mark.asyncio
async def test_memlint_lsp_command_serves(cli_client: LanguageClient, tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    result = await initialize(cli_client, root, client_capabilities("neovim"))
    assert result.server_info is not None and result.server_info.name == "memlint"
    assert result.server_info.version == memlint.__version__
    uri = open_document(cli_client, root / "agents" / "request_agent.py", VIOLATING)
    published = await wait_for_diagnostics(cli_client, uri)
    assert [d.code for d in published.diagnostics] == ["MEM101"]


@pytest.mark.asyncio
async def test_edit_to_compliant_form_clears_diagnostics(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    await initialize(client, root)
    uri = open_document(client, root / "agents" / "request_agent.py", VIOLATING)
    assert [d.code for d in (await wait_for_diagnostics(client, uri)).diagnostics] == ["MEM101"]

    change_document(client, uri, COMPLIANT, version=2)  # unsaved: the disk still has the violation
    published = await wait_for_diagnostics(client, uri, version=2)
    assert list(published.diagnostics) == []
    assert list(client.diagnostics[uri]) == []

    change_document(client, uri, VIOLATING, version=3)
    assert [d.code for d in (await wait_for_diagnostics(client, uri, version=3)).diagnostics] == [
        "MEM101"
    ]

    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    closed = await wait_for_diagnostics(client, uri)
    assert list(closed.diagnostics) == []


@pytest.mark.asyncio
async def test_a_burst_of_changes_ends_with_the_latest_text_published(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    await initialize(client, root)
    uri = open_document(client, root / "agents" / "request_agent.py", COMPLIANT)
    assert list((await wait_for_diagnostics(client, uri)).diagnostics) == []

    # A burst of edits, no debounce: work for a replaced version is dropped, no
    # version is published after a newer one, and the last one is published.
    change_document(client, uri, VIOLATING, version=2)
    change_document(client, uri, BROKEN, version=3)
    change_document(client, uri, VIOLATING, version=4)
    published = await wait_for_diagnostics(client, uri, version=4)
    assert [d.code for d in published.diagnostics] == ["MEM101"]
    await asyncio.sleep(0.5)  # nothing older may follow
    assert client.diagnostics[uri] == published.diagnostics


@pytest.mark.asyncio
async def test_suppress_action_gives_a_document_that_lints_clean(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    await initialize(client, root)
    path = root / "agents" / "request_agent.py"
    uri = open_document(client, path, VIOLATING)
    (diag,) = (await wait_for_diagnostics(client, uri)).diagnostics

    actions = await code_actions(client, uri, diag.range, [diag])
    titles = [a.title for a in actions]
    suppress = [a for a in actions if a.title == "Suppress MEM101 with # noqa"]
    assert len(suppress) == 1, titles
    assert suppress[0].kind == types.CodeActionKind.QuickFix
    assert suppress[0].diagnostics and suppress[0].diagnostics[0].code == "MEM101"

    suppressed = apply_edits(VIOLATING, edits_of(suppress[0], uri))
    assert suppressed == AGENT.format(value="event.id", comment="  # noqa: MEM101")
    assert memlint.lint_source(suppressed, str(path)) == []

    # Quick fix: the engine's fix for the diagnostic (str(event.id)), offered
    # by the server; applying its edits gives a document that lints clean.
    (engine,) = memlint.lint_source(VIOLATING, str(path))
    assert engine.fix is not None
    fixes = [a for a in actions if a.title.startswith("Fix: ")]
    assert [a.title for a in fixes] == [f"Fix: {engine.fix.message}"]
    assert fixes[0].kind == types.CodeActionKind.QuickFix
    # No read of "rid" in the module rebuilds a UUID: the fix is unsafe, so not preferred.
    assert engine.fix.applicability == "unsafe" and not fixes[0].is_preferred
    fixed = apply_edits(VIOLATING, edits_of(fixes[0], uri))
    assert fixed == COMPLIANT
    assert memlint.lint_source(fixed, str(path)) == []

    # A cursor (empty range) on the flagged expression gets the same actions.
    cursor = types.Range(start=diag.range.start, end=diag.range.start)
    assert [a.title for a in await code_actions(client, uri, cursor)] == titles
    # A range elsewhere gets none.
    elsewhere = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=4)
    )
    assert await code_actions(client, uri, elsewhere) == []


@pytest.mark.asyncio
async def test_suppress_merges_into_an_existing_noqa_comment(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    await initialize(client, root)
    path = root / "agents" / "request_agent.py"
    text = AGENT.format(value="event.id", comment="  # noqa: E501")
    uri = open_document(client, path, text)
    (diag,) = (await wait_for_diagnostics(client, uri)).diagnostics
    assert diag.code == "MEM101"

    (suppress,) = [
        a for a in await code_actions(client, uri, diag.range) if a.title.startswith("Suppress")
    ]
    suppressed = apply_edits(text, edits_of(suppress, uri))
    assert suppressed == AGENT.format(value="event.id", comment="  # noqa: E501, MEM101")
    assert memlint.lint_source(suppressed, str(path)) == []


@pytest.mark.asyncio
async def test_unused_noqa_is_reported_and_can_be_suppressed(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    await initialize(client, root)
    path = root / "agents" / "request_agent.py"
    text = AGENT.format(value="str(event.id)", comment="  # noqa: MEM103")
    uri = open_document(client, path, text)
    (diag,) = (await wait_for_diagnostics(client, uri)).diagnostics
    assert diag.code == "MEM100"
    assert diag.range == expected_range(text, FLAGGED_LINE, "# noqa: MEM103")

    actions = await code_actions(client, uri, diag.range)
    (suppress,) = [a for a in actions if a.title == "Suppress MEM100 with # noqa"]
    suppressed = apply_edits(text, edits_of(suppress, uri))
    # as `memlint check --add-noqa` writes it: the codes sorted
    assert suppressed == AGENT.format(value="str(event.id)", comment="  # noqa: MEM100, MEM103")
    assert memlint.lint_source(suppressed, str(path)) == []


@pytest.mark.asyncio
async def test_broken_buffer_gives_mem000_and_the_server_keeps_answering(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    await initialize(client, root)
    uri = open_document(client, root / "agents" / "request_agent.py", BROKEN)
    published = await wait_for_diagnostics(client, uri)
    assert [d.code for d in published.diagnostics] == ["MEM000"]
    assert published.diagnostics[0].severity == types.DiagnosticSeverity.Error
    # At the parser's position: the second of the three commas.
    bad_line = BROKEN.splitlines().index(
        "    def start(event: InputEvent,,, ctx: RunnerContext) -> None:"
    )
    assert published.diagnostics[0].range.start == types.Position(
        line=bad_line, character=len("    def start(event: InputEvent,")
    )

    # The server still answers requests about the broken buffer...
    whole = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=20, character=0)
    )
    actions = await code_actions(client, uri, whole, list(published.diagnostics))
    assert not any(
        a.title.startswith("Suppress") for a in actions
    )  # a noqa cannot help a file that does not parse
    # ...and lints it again once it parses.
    change_document(client, uri, VIOLATING, version=2)
    assert [d.code for d in (await wait_for_diagnostics(client, uri, version=2)).diagnostics] == [
        "MEM101"
    ]


@pytest.mark.asyncio
async def test_server_survives_notifications_about_unknown_documents(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    await initialize(client, root)
    ghost = (root / "agents" / "never_opened.py").as_uri()
    change_document(client, ghost, VIOLATING, version=7)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=ghost))
    )
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=ghost))
    )

    # Protocol errors are logged (window/logMessage), not shown as popups.
    assert client.messages == []

    # An unknown document gets an empty answer, not an error.
    whole = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=5, character=0)
    )
    assert await code_actions(client, "file:///nowhere/unknown.py", whole) == []
    # And the server still works.
    uri = open_document(client, root / "agents" / "request_agent.py", VIOLATING)
    assert [d.code for d in (await wait_for_diagnostics(client, uri)).diagnostics] == ["MEM101"]


@pytest.mark.asyncio
async def test_config_error_is_shown_once_and_diagnostics_still_published(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path, "bogus = 1\n")
    await initialize(client, root)

    message = await wait_for_message(client, "bogus")
    assert message.type == types.MessageType.Error

    first = open_document(client, root / "agents" / "request_agent.py", VIOLATING)
    assert [d.code for d in (await wait_for_diagnostics(client, first)).diagnostics] == ["MEM101"]
    second = open_document(client, root / "agents" / "other_agent.py", VIOLATING)
    assert [d.code for d in (await wait_for_diagnostics(client, second)).diagnostics] == ["MEM101"]
    assert len([m for m in client.messages if "bogus" in m.message]) == 1


@pytest.mark.asyncio
async def test_config_is_read_again_when_pyproject_is_saved(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    await initialize(client, root)
    uri = open_document(client, root / "agents" / "request_agent.py", VIOLATING)
    assert [d.code for d in (await wait_for_diagnostics(client, uri)).diagnostics] == ["MEM101"]

    # The server asked the client (it supports dynamic registration) to watch its config files.
    registered = lambda: client.registrations  # type: ignore[attr-defined]  # noqa: E731
    await asyncio.wait_for(_until(registered), TIMEOUT)
    (registration,) = client.registrations  # type: ignore[attr-defined]
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    patterns = {w["globPattern"] for w in registration.register_options["watchers"]}
    assert patterns == {"**/pyproject.toml", "**/memlint.toml", "**/*.py", "**/*.pyi"}

    pyproject = root / "pyproject.toml"
    pyproject.write_text('[tool.memlint]\nignore = ["MEM101"]\n', encoding="utf-8")
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=pyproject.as_uri())
        )
    )
    assert list((await wait_for_diagnostics(client, uri)).diagnostics) == []

    # A change reported by the client's file watcher is honoured too.
    pyproject.write_text("[tool.memlint]\n", encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    assert [d.code for d in (await wait_for_diagnostics(client, uri)).diagnostics] == ["MEM101"]


MODELS = """\
from enum import Enum


class Status(str, Enum):
    OK = "ok"
"""
MODELS_PLAIN = """\
class Status:
    OK = "ok"
"""
STATUS_AGENT = AGENT.replace(
    "from flink_agents.api.runner_context import RunnerContext\n",
    "from flink_agents.api.runner_context import RunnerContext\n\nfrom .models import Status\n",
).format(value="Status.OK", comment="")


@pytest.mark.asyncio
async def test_definitions_come_from_the_project_on_disk(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    (root / "agents" / "__init__.py").write_text("", encoding="utf-8")
    models = root / "agents" / "models.py"
    models.write_text(MODELS, encoding="utf-8")  # on disk, never opened
    await initialize(client, root)

    uri = open_document(client, root / "agents" / "status_agent.py", STATUS_AGENT)
    (diag,) = (await wait_for_diagnostics(client, uri)).diagnostics
    assert diag.code == "MEM103"
    assert diag.range == expected_range(STATUS_AGENT, FLAGGED_LINE + 2, "Status.OK")

    # Saving the model module (Status no longer an Enum) re-lints the open agent.
    models_uri = open_document(client, models, MODELS)
    await wait_for_diagnostics(client, models_uri)
    models.write_text(MODELS_PLAIN, encoding="utf-8")
    change_document(client, models_uri, MODELS_PLAIN, version=2)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=models_uri))
    )
    assert list((await wait_for_diagnostics(client, uri)).diagnostics) == []


CONTAINER = AGENT.replace(
    '        ctx.short_term_memory.set("rid", {value}){comment}\n',
    "        ids = {}\n"
    '        ids["first"] = event.id\n'
    '        ctx.short_term_memory.set("ids", ids)\n',
)


@pytest.mark.asyncio
async def test_related_information_points_where_the_value_entered_the_container(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    await initialize(client, root)
    uri = open_document(client, root / "agents" / "request_agent.py", CONTAINER)
    (diag,) = (await wait_for_diagnostics(client, uri)).diagnostics
    assert diag.code == "MEM101"
    # The primary range is the value argument of set(); the related location the mutation.
    set_line = FLAGGED_LINE + 2
    argument = CONTAINER.splitlines()[set_line].index(", ids)") + 2
    assert diag.range == types.Range(
        start=types.Position(line=set_line, character=argument),
        end=types.Position(line=set_line, character=argument + len("ids")),
    )
    assert diag.related_information
    (related,) = diag.related_information
    assert related.location.uri == uri
    assert (
        related.location.range.start
        == expected_range(CONTAINER, FLAGGED_LINE + 1, "event.id").start
    )
    assert "event.id" in related.message


ASTRAL = AGENT.format(value="event.id", comment="").replace('"rid", event.id', '"🚀 é", event.id')


@pytest.mark.asyncio
async def test_utf16_positions_count_astral_characters_twice(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    capabilities = client_capabilities("neovim")
    capabilities.general = types.GeneralClientCapabilities(
        position_encodings=[types.PositionEncodingKind.Utf16]
    )
    result = await initialize(client, root, capabilities)
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf16
    uri = open_document(client, root / "agents" / "request_agent.py", ASTRAL)
    (diag,) = (await wait_for_diagnostics(client, uri)).diagnostics
    rng = expected_range(ASTRAL, FLAGGED_LINE, "event.id", "utf-16")
    line = ASTRAL.splitlines()[FLAGGED_LINE]
    assert rng.start.character == line.index("event.id") + 1  # the rocket takes two UTF-16 units
    assert diag.range == rng


@pytest.mark.asyncio
async def test_utf8_positions_when_the_client_prefers_them(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path)
    capabilities = client_capabilities("neovim")
    capabilities.general = types.GeneralClientCapabilities(
        position_encodings=[types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16]
    )
    result = await initialize(client, root, capabilities)
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    uri = open_document(client, root / "agents" / "request_agent.py", ASTRAL)
    (diag,) = (await wait_for_diagnostics(client, uri)).diagnostics
    assert diag.range == expected_range(ASTRAL, FLAGGED_LINE, "event.id", "utf-8")

    (suppress,) = [
        a for a in await code_actions(client, uri, diag.range) if a.title.startswith("Suppress")
    ]
    assert memlint.lint_source(apply_edits(ASTRAL, edits_of(suppress, uri), "utf-8"), "x.py") == []


# ---------------------------------------------------------------------------
# The on-disk summary cache (as `memlint check` keeps it)


@pytest.fixture(autouse=True)
def _no_cache_settings_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """The servers these tests start inherit the environment: not the caller's cache settings."""
    monkeypatch.delenv("MEMLINT_CACHE_DIR", raising=False)
    monkeypatch.delenv("MEMLINT_NO_CACHE", raising=False)


@asynccontextmanager
async def server_with_environment(env: dict[str, str]) -> AsyncIterator[LanguageClient]:
    """A client connected to a fresh server started with these environment variables
    (the `client` fixture's server starts before a test could set them)."""
    config = ClientServerConfig(server_command=SERVER_COMMAND, server_env={**os.environ, **env})
    lsp_client = await config.start()
    try:
        yield lsp_client
    finally:
        if lsp_client.capabilities is not None and lsp_client.error is None:
            await lsp_client.shutdown_session()
        await lsp_client.stop()


REPLY_MODELS = """\
class Reply:
    text: str
"""
REPLY_MODEL = """\
from pydantic import BaseModel


class Reply(BaseModel):
    text: str
"""
REPLY_AGENT = """\
from flink_agents.api.agents.agent import Agent
from flink_agents.api.decorators import action
from flink_agents.api.events.event import InputEvent
from flink_agents.api.runner_context import RunnerContext

from .models import Reply


class ReplyAgent(Agent):
    @action(InputEvent)
    @staticmethod
    def start(event: InputEvent, ctx: RunnerContext) -> None:
        ctx.sensory_memory.set("reply", Reply(text="hi"))
"""


def make_reply_project(tmp_path: Path) -> Path:
    """A workspace whose agent stores a `Reply` from `agents/models.py` (a plain
    class there: MEM106; a pydantic model would be MEM102)."""
    root = make_workspace(tmp_path)
    (root / "agents" / "__init__.py").write_text("", encoding="utf-8")
    (root / "agents" / "models.py").write_text(REPLY_MODELS, encoding="utf-8")
    (root / "agents" / "reply_agent.py").write_text(REPLY_AGENT, encoding="utf-8")
    return root


def cached_summaries(cache_dir: Path) -> dict[str, tuple[Path, str, Any]]:
    """module path -> (entry file, key, ModuleSummary) of the summaries cached in `cache_dir`."""
    from memlint.summary import ModuleSummary

    found: dict[str, tuple[Path, str, Any]] = {}
    for entry in cache_dir.glob("*/summaries/*/*.pickle"):
        stored = pickle.loads(entry.read_bytes())  # (FORMAT, key, summary)
        if isinstance(stored[2], ModuleSummary):
            found[stored[2].path] = (entry, stored[1], stored[2])
    return found


def cache_a_model_summary_of_models_py(root: Path) -> None:
    """Run `memlint check` (it caches the summary of agents/models.py), then
    replace that summary, under the same key, with one of a module where
    `Reply` is a pydantic model: only a server that reads the cache says MEM102."""
    from memlint.cache import FORMAT
    from memlint.summary import summarize_text

    run = subprocess.run(
        [sys.executable, "-m", "memlint", "check", "."],
        cwd=root, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 1 and "MEM106" in run.stdout, run.stdout + run.stderr
    entry, key, summary = cached_summaries(root / ".memlint_cache")[
        str((root / "agents" / "models.py").resolve())
    ]
    doctored = summarize_text(REPLY_MODEL, summary.name, summary.path, summary.is_package)
    assert doctored is not None and doctored.name == summary.name
    entry.write_bytes(pickle.dumps((FORMAT, key, doctored)))


def cache_files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in (root / ".memlint_cache").rglob("*") if p.is_file()}


async def reply_code(client: LanguageClient, root: Path) -> str:
    """The one code the server publishes for the reply agent."""
    path = root / "agents" / "reply_agent.py"
    uri = open_document(client, path, path.read_text(encoding="utf-8"))
    (diag,) = (await wait_for_diagnostics(client, uri)).diagnostics
    return str(diag.code)


@pytest.mark.asyncio
async def test_summaries_of_imported_modules_are_cached_on_disk(
    client: LanguageClient, tmp_path: Path
) -> None:
    from memlint.engine import code_fingerprint

    root = make_reply_project(tmp_path)
    await initialize(client, root)
    assert await reply_code(client, root) == "MEM106"

    # The layout of `memlint check`'s cache: .memlint_cache/<version>-<build>/summaries/.
    cache = root / ".memlint_cache"
    assert (cache / "CACHEDIR.TAG").read_text().startswith(
        "Signature: 8a477f597d28d172789f06886806bc55"
    )
    assert (cache / ".gitignore").read_text() == "*\n"
    assert [d.name for d in cache.iterdir() if d.is_dir()] == [
        f"{memlint.__version__}-{code_fingerprint()}"
    ]
    summaries = cached_summaries(cache)
    models = summaries[str((root / "agents" / "models.py").resolve())][2]
    assert models.name == "agents.models"
    assert [c.name for c in models.classes] == ["Reply"]
    # Buffers are edited: their results are not cached.
    assert list(cache.glob("*/results/*/*.pickle")) == []


@pytest.mark.asyncio
async def test_the_server_reads_summaries_from_the_disk_cache(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = make_reply_project(tmp_path)
    cache_a_model_summary_of_models_py(root)
    await initialize(client, root)
    # models.py on disk still says a plain class: MEM102 comes from the cached summary.
    assert await reply_code(client, root) == "MEM102"


@pytest.mark.asyncio
@pytest.mark.parametrize("turned_off_by", ["initializationOptions", "MEMLINT_NO_CACHE"])
async def test_the_disk_cache_can_be_turned_off(tmp_path: Path, turned_off_by: str) -> None:
    root = make_reply_project(tmp_path)
    cache_a_model_summary_of_models_py(root)
    async with server_with_environment({}) as client:  # the control: a server reads that summary
        await initialize(client, root)
        assert await reply_code(client, root) == "MEM102"
    entries = cache_files(root)
    by_option = turned_off_by == "initializationOptions"
    env = {} if by_option else {"MEMLINT_NO_CACHE": "1"}
    async with server_with_environment(env) as client:
        await initialize(client, root, options={"cache": False} if by_option else None)
        assert await reply_code(client, root) == "MEM106"  # read from models.py
    # Neither read nor written.
    assert cache_files(root) == entries


@pytest.mark.asyncio
async def test_memlint_cache_dir_moves_the_cache(tmp_path: Path) -> None:
    root = make_reply_project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    async with server_with_environment({"MEMLINT_CACHE_DIR": str(elsewhere)}) as client:
        await initialize(client, root)
        assert await reply_code(client, root) == "MEM106"
    assert (elsewhere / "CACHEDIR.TAG").is_file()
    assert str((root / "agents" / "models.py").resolve()) in cached_summaries(elsewhere)
    assert not (root / ".memlint_cache").exists()


@pytest.mark.asyncio
async def test_each_workspace_folder_has_its_own_cache(
    client: LanguageClient, tmp_path: Path
) -> None:
    first = make_reply_project(tmp_path / "first")
    second = make_reply_project(tmp_path / "second")
    await initialize(client, first, folders=[second])
    assert await reply_code(client, first) == "MEM106"
    assert await reply_code(client, second) == "MEM106"
    for root, other in ((first, second), (second, first)):
        summaries = cached_summaries(root / ".memlint_cache")
        assert str((root / "agents" / "models.py").resolve()) in summaries
        assert not any(path.startswith(str(other.resolve())) for path in summaries)


# ---------------------------------------------------------------------------
# Helpers of the server, in process


@pytest.mark.parametrize(("encoding", "expected"), [("utf-16", 8), ("utf-8", 11), ("utf-32", 7)])
def test_lsp_position_counts_code_units_of_the_encoding(encoding: str, expected: int) -> None:
    lines = server_module.split_lines('x = "\U0001f680\u00e9"\ny\n')
    # 1-based column 8 is the closing quote: before it 'x = "' (5), the rocket and the é
    position = server_module.lsp_position(lines, 1, 8, encoding)
    assert position == types.Position(line=0, character=expected)


def test_lsp_position_clamps_past_the_end() -> None:
    lines = server_module.split_lines("ab\n")
    assert server_module.lsp_position(lines, 1, 99, "utf-16") == types.Position(line=0, character=2)
    assert server_module.lsp_position(lines, 9, 1, "utf-16") == types.Position(line=1, character=0)


def test_split_lines_follows_python_not_str_splitlines() -> None:
    assert server_module.split_lines("a\fb\r\nc\rd\u2028e\n") == ["a\fb", "c", "d\u2028e", ""]


def _apply_noqa_edit(text: str, edit: tuple[int, int, int, str]) -> str:
    line, start, end, new = edit
    lines = server_module.split_lines(text)
    lines[line - 1] = lines[line - 1][: start - 1] + new + lines[line - 1][end - 1 :]
    return "\n".join(lines)


def test_noqa_edit_appends_merges_and_skips() -> None:
    text = 'a = 1\nm.set("k", v)   \nm.set("k", v)  # noqa: E501\nm.set("k", v)  # noqa\n'
    edit = server_module.noqa_edit(text, "MEM101", [2])
    assert edit is not None and edit[0] == 2
    assert _apply_noqa_edit(text, edit).splitlines()[1] == 'm.set("k", v)  # noqa: MEM101'
    edit = server_module.noqa_edit(text, "MEM101", [3])
    assert edit is not None
    assert _apply_noqa_edit(text, edit).splitlines()[2] == 'm.set("k", v)  # noqa: E501, MEM101'
    assert server_module.noqa_edit(text, "MEM101", [4]) is None  # a bare noqa already covers it


def test_noqa_edit_avoids_lines_inside_strings_and_continuations() -> None:
    text = 'm.set("k", """a\nb""" + v)\nm.set("k", \\\n  v)\n'
    # line 1 ends inside the triple-quoted string: the noqa goes on line 2
    assert server_module.noqa_edit(text, "MEM101", [1, 2]) == (2, 10, 10, "  # noqa: MEM101")
    # line 3 ends with a backslash continuation: the noqa goes on line 4
    assert server_module.noqa_edit(text, "MEM101", [3, 4]) == (4, 5, 5, "  # noqa: MEM101")


def test_noqa_edit_is_what_add_noqa_writes() -> None:
    """The quick fix and `memlint check --add-noqa` write the same comment."""
    from memlint.noqa import add_noqa

    text = 'm.set("k", v)  # noqa:MEM102\n'
    edit = server_module.noqa_edit(text, "MEM101", [1])
    assert edit is not None
    stand_in = memlint.Diagnostic(
        path="", line=1, column=1, end_line=1, end_column=1, code="MEM101", message="",
        noqa_lines=(1, 1),
    )
    assert _apply_noqa_edit(text, edit) == add_noqa(text, [stand_in])[0]


def test_severity_follows_the_rule_registry() -> None:
    for code, rule in RULES.items():
        expected = {
            "error": types.DiagnosticSeverity.Error,
            "warning": types.DiagnosticSeverity.Warning,
            "note": types.DiagnosticSeverity.Information,
        }[rule.default_level]
        assert server_module.severity_for(code) == expected


class _FakeDocument:
    def __init__(self, text: str, version: int) -> None:
        self.source, self.version, self.language_id = text, version, "python"


class _FakeWorkspace:
    def __init__(self, documents: dict[str, _FakeDocument]) -> None:
        self.text_documents = documents
        self.folders: dict[str, object] = {}
        self.root_path = None
        self.position_encoding = types.PositionEncodingKind.Utf16


class _FakeServer:
    """Just what the session uses of a pygls server, recording what it sends."""

    def __init__(self, documents: dict[str, _FakeDocument]) -> None:
        self.workspace = _FakeWorkspace(documents)
        self.logged: list[types.LogMessageParams] = []
        self.published: list[types.PublishDiagnosticsParams] = []

    def window_log_message(self, params: types.LogMessageParams) -> None:
        self.logged.append(params)

    def window_show_message(self, params: types.ShowMessageParams) -> None:
        raise AssertionError(f"unexpected popup: {params.message}")

    def text_document_publish_diagnostics(self, params: types.PublishDiagnosticsParams) -> None:
        self.published.append(params)


def test_an_engine_crash_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def explode(text: str, path: str, config: object, *rest: object) -> list[memlint.Diagnostic]:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(server_module, "_run_engine", explode)
    uri = (tmp_path / "agent.py").as_uri()
    fake = _FakeServer({uri: _FakeDocument(VIOLATING, 1)})
    session = server_module._Session(fake)

    async def scenario() -> list[types.CodeAction]:
        session.schedule(uri)
        await asyncio.wait_for(asyncio.gather(*session.tasks.values()), TIMEOUT)
        whole = types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=20, character=0)
        )
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=whole,
            context=types.CodeActionContext(diagnostics=[]),
        )
        return await session.code_actions(params)

    try:
        assert asyncio.run(scenario()) == []
    finally:
        session.executor.shutdown(wait=True)
    assert fake.published == []
    errors = [m for m in fake.logged if m.type == types.MessageType.Error]
    assert errors and all("engine bug" in m.message for m in errors)
