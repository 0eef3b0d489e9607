"""One bad file never costs the others their results.

- An exception while checking a file (a bug in memlint) is an InternalError
  for that file; the other files are still checked (the command exits 2).
- With worker processes, a worker that dies (a native crash in a parser, the
  kernel's OOM killer) breaks the whole pool, and every result still in it is
  lost. Each worker notes in a marker file the path it is checking; after a
  break, the files that were in flight are checked again one by one, each in
  a process of its own (so the one that kills its process is known and
  reported as an InternalError), and the rest run in a fresh pool.
"""
from __future__ import annotations

import os
import signal
import tempfile
import traceback
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from .diagnostics import Diagnostic

REPORT_URL = "https://github.com/flink-agents-memlint/memlint/issues"


@dataclass(frozen=True)
class InternalError:
    """memlint failed on one file: `message` is one line, `details` the traceback."""

    path: str
    message: str
    details: str = ""

    def line(self) -> str:
        return (f"{self.path}: internal error: {self.message}; this is a bug in memlint, please report it at "
                f"{REPORT_URL}")


def guarded(function: Callable[..., list[Diagnostic]], path: str, *args) -> tuple[list[Diagnostic],
                                                                                   Optional[InternalError]]:
    """function(path, *args), with an exception turned into an InternalError
    (configuration errors stay errors of the run)."""
    from .config import ConfigError

    try:
        return function(path, *args), None
    except (ConfigError, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - reported per file, the run goes on
        return [], internal_error(path, exc)


def internal_error(path: str, exc: BaseException) -> InternalError:
    """The InternalError of the exception being handled."""
    message = " ".join(f"{type(exc).__name__}: {exc}".split())
    if len(message) > 300:
        message = message[:297] + "..."
    return InternalError(path, message, traceback.format_exc())


# -- markers: which file each worker is checking ---------------------------------

_marker: Optional[int] = None


def open_marker(directory: Optional[str]) -> None:
    global _marker
    if directory is not None:
        _marker = os.open(os.path.join(directory, str(os.getpid())), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)


def mark(path: Optional[str]) -> None:
    """Note (in this worker's marker file) the file being checked; None: none."""
    if _marker is None:
        return
    os.ftruncate(_marker, 0)
    if path is not None:
        os.pwrite(_marker, os.fsencode(path), 0)


def in_flight(directory: str) -> list[str]:
    """The files the workers were checking, and forget the markers."""
    found: list[str] = []
    for name in os.listdir(directory):
        full = os.path.join(directory, name)
        try:
            with open(full, "rb") as handle:
                data = handle.read()
            os.unlink(full)
        except OSError:
            continue
        if data:
            found.append(os.fsdecode(data))
    return found


def _death(exitcode: Optional[int]) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the worker process checking this file was killed by {name}"
    return f"the worker process checking this file died (exit code {exitcode})"


def _isolated_child(connection, settings, path: str) -> None:
    from . import engine

    engine._init_worker(settings, None)
    connection.send(engine._check_batch([path]))
    connection.close()


def check_alone(path: str, settings, context) -> tuple[list[Diagnostic], list[InternalError]]:
    """Check one file in a process of its own; its death is that file's InternalError."""
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_isolated_child, args=(sender, settings, path), daemon=True)
    process.start()
    sender.close()
    try:
        diagnostics, errors = receiver.recv()
    except (EOFError, OSError):
        process.join()
        return [], [InternalError(path, _death(process.exitcode))]
    finally:
        receiver.close()
    process.join()
    return diagnostics, errors


def run_workers(candidates: Sequence[str], settings, jobs: int, batch_size: int,
                diagnostics: list[Diagnostic], errors: list[InternalError]) -> None:
    """Check `candidates` in up to `jobs` worker processes, surviving workers that die."""
    import multiprocessing
    import shutil
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from . import engine

    context = multiprocessing.get_context()
    markers = tempfile.mkdtemp(prefix="memlint-workers-")
    try:
        remaining = list(candidates)
        while remaining:
            batches = [remaining[i: i + batch_size] for i in range(0, len(remaining), batch_size)]
            finished: set[str] = set()
            broken = False
            with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(batches))), mp_context=context,
                                     initializer=engine._init_worker, initargs=(settings, markers)) as pool:
                futures = {pool.submit(engine._check_batch, batch): batch for batch in batches}
                for future in as_completed(futures):
                    try:
                        part, failed = future.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    diagnostics.extend(part)
                    errors.extend(failed)
                    finished.update(futures[future])
            if not broken:
                return
            suspects = [path for path in in_flight(markers) if path not in finished]
            remaining = [path for path in remaining if path not in finished and path not in suspects]
            if not suspects:  # died outside any file: finish here, one file at a time
                for path in remaining:
                    part, failed = check_alone(path, settings, context)
                    diagnostics.extend(part)
                    errors.extend(failed)
                return
            for path in suspects:
                part, failed = check_alone(path, settings, context)
                diagnostics.extend(part)
                errors.extend(failed)
    finally:
        shutil.rmtree(markers, ignore_errors=True)
