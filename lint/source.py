"""read: bytes -> text, honouring PEP 263 coding cookies, a UTF-8 BOM and the
newline style, so a fix can write the file back byte-for-byte the same apart
from its edits."""
from __future__ import annotations

import bisect
import codecs
import errno
import io
import os
import re
import stat
import tokenize
from itertools import accumulate
from dataclasses import dataclass
from typing import Optional, Sequence


@dataclass(frozen=True)
class SourceText:
    text: str  # with the newline characters of the file, without a BOM
    encoding: str
    bom: bool
    newline: str  # the first newline sequence seen ("\n", "\r\n" or "\r")


class DecodeProblem(Exception):
    """The bytes cannot be decoded as the file declares; str() says why."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


def detect_newline(text: str) -> str:
    index = text.find("\n")
    carriage = text.find("\r")
    if carriage != -1 and (index == -1 or carriage < index):
        return "\r\n" if text[carriage : carriage + 2] == "\r\n" else "\r"
    return "\n"


def decode(data: bytes) -> SourceText:
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise DecodeProblem(f"bad coding declaration: {exc}") from None
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    elif encoding != "utf-8" and not _ascii_compatible(encoding):
        # Python reads source lines as bytes before decoding them: it refuses
        # a declared encoding that does not keep ASCII as is (utf-16, utf-32, ...).
        raise DecodeProblem(f"encoding problem: {encoding} (Python refuses a coding declaration of an "
                            "encoding that is not ASCII-compatible)")
    try:
        text = data[3:].decode(encoding) if bom else data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        line = data[: getattr(exc, "start", 0)].count(b"\n") + 1
        reason = getattr(exc, "reason", str(exc))
        raise DecodeProblem(f"cannot decode the file as {encoding} (declared or default): {reason}", line) from None
    return SourceText(text=text, encoding=encoding, bom=bom, newline=detect_newline(text))


_ASCII_PROBE = "#\n\r\t =:-_()[]{}'\"azAZ09.,"


def _ascii_compatible(encoding: str) -> bool:
    try:
        return _ASCII_PROBE.encode(encoding) == _ASCII_PROBE.encode("ascii")
    except (LookupError, UnicodeError, TypeError):
        return True  # decoding reports what is wrong with it


def encode(source: SourceText, text: str) -> bytes:
    data = text.encode(source.encoding)
    return codecs.BOM_UTF8 + data if source.bom else data


class NotRegularFile(OSError):
    """A FIFO, a device, a socket: never read (reading a FIFO blocks forever)."""


def read_bytes(path: str) -> bytes:
    """The bytes of a regular file. Opened without blocking (a FIFO would
    block the open itself) and checked to be a regular file before reading."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file", path)
        handle = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        return handle.read()


def read_source(path: str) -> SourceText:
    return decode(read_bytes(path))


LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts. Lines end only at \\n, \\r\\n and \\r, as
    Python's tokenizer sees them (str.splitlines also breaks at form feeds,
    \\x85, \\u2028, ...)."""
    if "\r" not in text:  # the common case, without a Python-level step per line
        return list(accumulate(map((1).__add__, map(len, text.split("\n")[:-1])), initial=0))
    return [0, *(match.end() for match in LINE_BREAK.finditer(text))]


def matching_lines(pattern: "re.Pattern[str]", text: str, starts: Optional[list[int]] = None) -> list[int]:
    """The lines (1-based, sorted, once each) where a match of `pattern` starts;
    `starts`: the text's line_starts, when the caller has them."""
    starts = line_starts(text) if starts is None else starts
    return sorted({bisect.bisect_right(starts, m.start()) for m in pattern.finditer(text)})


def any_line_between(lines: list[int], first: int, last: int) -> bool:
    """Does the sorted list `lines` hold a line in first..last?"""
    i = bisect.bisect_left(lines, first)
    return i < len(lines) and lines[i] <= last


def line_in_spans(spans: Sequence[tuple[int, int]], line: int) -> bool:
    """Is `line` inside one of the sorted, disjoint (first, last) spans?"""
    i = bisect.bisect_right(spans, (line, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= line <= spans[i][1]


def split_lines(text: str) -> list[str]:
    """The lines without their endings, split like line_starts."""
    return LINE_BREAK.split(text)


def physical_lines(text: str) -> list[str]:
    """The lines with their endings, split like line_starts."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)
