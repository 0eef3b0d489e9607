"""Writing a file back without losing anything.

- Its content model: the file's own encoding, BOM and newlines (source.encode).
- Its identity: a symlink stays a symlink (its target is written); a file with
  hard links stays linked; owner, group and mode (setuid/setgid included) are
  kept; a file nobody may write (no write bit, e.g. 0444) or the user cannot
  write is refused, not written (WriteRefused says why).
- Atomicity where it costs no identity: a file with one link whose owner and
  group the new file can take is replaced atomically (a temporary file in the
  same directory, then os.replace); otherwise it is rewritten in place, which
  keeps the inode and everything attached to it.
- Only if it did not change since it was read: the bytes on disk are compared
  with the bytes that were read (a BOM added meanwhile counts as a change).
"""
from __future__ import annotations

import os
import stat
import tempfile
from typing import Optional

from ..source import SourceText, decode, encode


class WriteRefused(Exception):
    """The file must not be written; str() says why."""


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def read_for_fix(path: str) -> tuple[SourceText, bytes]:
    """The decoded text of a file and the bytes it was decoded from (pass both
    to write_if_unchanged)."""
    data = read_bytes(path)
    return decode(data), data


def _check_writable(path: str, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise WriteRefused("not a regular file; it was not written")
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o222:
        raise WriteRefused(f"the file is read-only (mode {mode:04o}); it was not written")
    if not os.access(path, os.W_OK):
        raise WriteRefused(f"no permission to write the file (mode {mode:04o}); it was not written")


def write_if_unchanged(path: str, source: SourceText, new_text: str, original: Optional[bytes] = None) -> bool:
    """Write new_text to the file at `path` (through symlinks) if its bytes are
    still those read (`original`, or `source` encoded back); False if it
    changed. Raises WriteRefused for a file that must not be written, OSError
    when writing fails (the file is then unchanged, or for an in-place write
    of a linked file, as far as the system allows)."""
    target = os.path.realpath(path)
    expected = original if original is not None else encode(source, source.text)
    info = os.stat(target)
    _check_writable(target, info)
    try:
        current = read_bytes(target)
    except OSError:
        return False  # unreadable now: leave it alone
    if current != expected:
        return False
    data = encode(source, new_text)
    if info.st_nlink == 1:
        done = _replace_atomically(target, info, data, expected)
        if done is not None:
            return done
    return _rewrite_in_place(target, data, expected)


def _replace_atomically(target: str, info: os.stat_result, data: bytes, expected: bytes) -> Optional[bool]:
    """Replace `target` by a new file with the same owner, group and mode: True
    when done, False when the file changed meanwhile (nothing done), None when
    the new file cannot take its owner or the directory cannot hold it (nothing
    done: the caller rewrites in place)."""
    directory = os.path.dirname(target)
    try:
        handle, temporary = tempfile.mkstemp(prefix=".memlint-", suffix=".tmp", dir=directory)
    except OSError:
        return None
    try:
        with os.fdopen(handle, "wb") as out:
            new = os.fstat(out.fileno())
            if (new.st_uid, new.st_gid) != (info.st_uid, info.st_gid):
                try:
                    os.fchown(out.fileno(), info.st_uid, info.st_gid)
                except OSError:
                    os.unlink(temporary)
                    return None
            os.fchmod(out.fileno(), stat.S_IMODE(info.st_mode))  # after chown, which clears setuid/setgid
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if read_bytes(target) != expected:  # changed while the new file was written
            os.unlink(temporary)
            return False
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return True


def _rewrite_in_place(target: str, data: bytes, expected: bytes) -> bool:
    """Overwrite the file's content, keeping its inode (links, owner, mode, ACLs)."""
    with open(target, "r+b") as handle:
        if handle.read() != expected:
            return False
        handle.seek(0)
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())
    return True
