"""The Language Server Protocol's framing, as bytes: what the tests and the
latency benchmark that drive `memlint lsp` over stdio send and read."""
from __future__ import annotations

import json
from typing import Any, BinaryIO, Iterator


def frame(payload: Any) -> bytes:
    body = json.dumps(payload).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_messages(stream: BinaryIO) -> Iterator[dict[str, Any]]:
    """The messages of a server's output, one by one, until the stream ends."""
    while True:
        length = None
        while True:
            line = stream.readline()
            if not line:
                return
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif line in (b"\r\n", b"\n") and length is not None:
                break
        yield json.loads(stream.read(length))
