"""The language server against hostile input, byte for byte: a raw client
writes to the real server's stdin (`python -m memlint lsp`) and reads its
stdout, no LSP library in between (issue 10, item 11)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from lsp_frames import frame, read_messages

# MEMLINT_LSP_TEST_SERVER="python other_lsp.py" runs these tests against another build.
SERVER = os.environ.get("MEMLINT_LSP_TEST_SERVER", "").split() or [sys.executable, "-m", "memlint", "lsp"]
TIMEOUT = float(os.environ.get("MEMLINT_LSP_TEST_TIMEOUT", "60"))

AGENT = """\
from flink_agents.api.runner_context import RunnerContext


def start(event, ctx: RunnerContext) -> None:
    ctx.short_term_memory.set("rid", {value})
"""
VIOLATING = AGENT.format(value="uuid4()").replace(
    "from flink_agents", "from uuid import uuid4\nfrom flink_agents"
)
FLAGGED_LINE = 5  # 0-based line of the set() call in VIOLATING


class RawClient:
    """A language client made of bytes: frames in, frames out."""

    def __init__(self, cwd: Path) -> None:
        self.process = subprocess.Popen(
            SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd
        )
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.stderr: list[bytes] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.next_id = 100

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for message in read_messages(self.process.stdout):
            with self.lock:
                self.messages.append(message)
                self.lock.notify_all()

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def request(self, method: str, params: Any = None, *, omit_params: bool = False) -> int:
        self.next_id += 1
        payload: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if not omit_params:
            payload["params"] = params
        self.send(frame(payload))
        return self.next_id

    def notify(self, method: str, params: Any = None) -> None:
        self.send(frame({"jsonrpc": "2.0", "method": method, "params": params}))

    def wait_for(self, predicate, timeout: float = TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None and not self.reader.is_alive():
                    raise AssertionError(
                        f"no matching message; got {self.messages!r}; "
                        f"stderr {b''.join(self.stderr)[-2000:]!r}"
                    )
                self.lock.wait(min(remaining, 0.2))

    def response(self, msg_id: Any) -> dict[str, Any]:
        return self.wait_for(lambda m: m.get("id") == msg_id and ("result" in m or "error" in m))

    def diagnostics(self, uri: str, version: int | None = None) -> dict[str, Any]:
        def match(m: dict[str, Any]) -> bool:
            return (
                m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == uri
                and (version is None or m["params"].get("version") == version)
            )

        return self.wait_for(match)["params"]

    def initialize(self, root: Path) -> dict[str, Any]:
        msg_id = self.request(
            "initialize",
            {"processId": None, "rootUri": root.as_uri(), "capabilities": {}},
        )
        result = self.response(msg_id)
        assert "result" in result, result
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = path.as_uri()
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": text}},
        )
        return uri

    def exit_code(self, timeout: float = TIMEOUT) -> int:
        return self.process.wait(timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.1"\n', "utf-8")
    return root


@pytest.fixture
def client(project: Path):
    raw = RawClient(project)
    yield raw
    raw.close()


def still_serves(client: RawClient, project: Path, name: str) -> None:
    """The server answers a request and publishes diagnostics for a new document."""
    path = project / name
    path.write_text(VIOLATING, "utf-8")
    uri = client.open(path, VIOLATING)
    published = client.diagnostics(uri)
    assert [d["code"] for d in published["diagnostics"]] == ["MEM101"]


def test_content_length_too_short_does_not_wedge_the_server(client: RawClient, project: Path) -> None:
    client.initialize(project)
    body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "shutdown"}).encode()
    client.send(b"Content-Length: %d\r\n\r\n" % (len(body) - 10) + body)
    error = client.wait_for(lambda m: m.get("error", {}).get("code") == -32700)
    assert error["id"] is None
    still_serves(client, project, "after_short.py")


def test_content_length_not_a_number_does_not_wedge_the_server(
    client: RawClient, project: Path
) -> None:
    client.initialize(project)
    client.send(b"Content-Length: twelve\r\n\r\n" + b'{"jsonrpc": "2.0", "method": "x"}')
    still_serves(client, project, "after_nan.py")


def test_a_body_without_a_header_does_not_wedge_the_server(
    client: RawClient, project: Path
) -> None:
    client.initialize(project)
    client.send(json.dumps({"jsonrpc": "2.0", "id": 9, "method": "shutdown"}).encode())
    still_serves(client, project, "after_headerless.py")
    assert not any(m.get("id") == 9 for m in client.messages)  # never taken for a message


def test_a_body_that_is_not_json_answers_parse_error(client: RawClient, project: Path) -> None:
    client.initialize(project)
    client.send(b"Content-Length: 5\r\n\r\n{nope")
    error = client.wait_for(lambda m: m.get("error", {}).get("code") == -32700)
    assert error["id"] is None
    still_serves(client, project, "after_garbage.py")


def test_code_action_with_null_params_answers_invalid_params(
    client: RawClient, project: Path
) -> None:
    client.initialize(project)
    msg_id = client.request("textDocument/codeAction", None)
    response = client.response(msg_id)
    assert response["error"]["code"] == -32602
    still_serves(client, project, "after_null.py")


def test_requests_before_initialize_answer_server_not_initialized(client: RawClient) -> None:
    msg_id = client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": "file:///x.py"},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": []},
        },
    )
    response = client.response(msg_id)
    assert response["error"]["code"] == -32002
    assert "result" not in response
    shutdown = client.request("shutdown", None)
    assert client.response(shutdown)["error"]["code"] == -32002


def test_requests_after_shutdown_answer_invalid_request_and_exit_is_0(
    client: RawClient, project: Path
) -> None:
    client.initialize(project)
    shutdown = client.request("shutdown", None)
    assert client.response(shutdown) == {"jsonrpc": "2.0", "id": shutdown, "result": None}
    msg_id = client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": (project / "a.py").as_uri()},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": []},
        },
    )
    assert client.response(msg_id)["error"]["code"] == -32600
    client.notify("exit")
    assert client.exit_code() == 0


def test_exit_without_shutdown_exits_1(client: RawClient, project: Path) -> None:
    client.initialize(project)
    client.notify("exit")
    assert client.exit_code() == 1


def test_end_of_input_without_shutdown_exits_1(client: RawClient, project: Path) -> None:
    client.initialize(project)
    assert client.process.stdin is not None
    client.process.stdin.close()
    assert client.exit_code() == 1


def test_a_5mb_one_line_document_is_capped_and_said_so(client: RawClient, project: Path) -> None:
    client.initialize(project)
    huge = "x = [" + "ctx.short_term_memory.set('k', uuid4()), " * 130_000 + "]\n"
    assert len(huge) > 5_000_000 and huge.count("\n") == 1
    path = project / "huge.py"
    uri = client.open(path, huge)
    published = client.diagnostics(uri)
    (diagnostic,) = published["diagnostics"]
    assert "did not check" in diagnostic["message"] and "characters" in diagnostic["message"]
    assert client.process.poll() is None
    still_serves(client, project, "after_huge.py")


def test_a_lone_surrogate_still_publishes(client: RawClient, project: Path) -> None:
    client.initialize(project)
    text = VIOLATING + '\nNOTE = "\ud800"\n'
    path = project / "surrogate.py"
    path.write_text(VIOLATING, "utf-8")
    uri = path.as_uri()
    # json.dumps writes the lone surrogate as the escape \ud800, as a client's JSON may
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )
    published = client.diagnostics(uri)
    (diagnostic,) = published["diagnostics"]
    assert diagnostic["code"] == "MEM101"
    assert diagnostic["range"]["start"]["line"] == FLAGGED_LINE


def test_a_surrogate_before_the_finding_keeps_utf16_positions(
    client: RawClient, project: Path
) -> None:
    client.initialize(project)
    text = VIOLATING.replace('set("rid", uuid4())', 'set("\ud800", uuid4())')
    path = project / "surrogate_before.py"
    uri = client.open(path, text)
    (diagnostic,) = client.diagnostics(uri)["diagnostics"]
    line = text.split("\n")[FLAGGED_LINE]
    # a lone surrogate is one UTF-16 code unit, like every other BMP character
    assert diagnostic["range"]["start"]["character"] == line.index("uuid4()")


@pytest.mark.parametrize("garbage", [b"\r\n\r\n", b"Content-Type: x\r\n\r\n", b"\x00\xff\r\n"])
def test_stray_bytes_between_messages_are_skipped(
    client: RawClient, project: Path, garbage: bytes
) -> None:
    client.initialize(project)
    client.send(garbage)
    still_serves(client, project, "after_stray.py")
    assert os.path.exists(project / "after_stray.py")
