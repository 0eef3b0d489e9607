"""Writing files back without losing anything: atomically, in the file's own
encoding, BOM and newlines, and only if it did not change since it was read."""
from __future__ import annotations

import os
import tempfile

from .source import SourceText, encode, read_source


def write_if_unchanged(path: str, source: SourceText, new_text: str) -> bool:
    """Replace the file with new_text if its content is still `source`; False if it changed."""
    try:
        current = read_source(path)
    except Exception:  # noqa: BLE001 - unreadable now: leave it alone
        return False
    if current.text != source.text:
        return False
    data = encode(source, new_text)
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode
    handle, temporary = tempfile.mkstemp(prefix=".memlint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return True
