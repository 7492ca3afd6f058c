"""One run at a time per output dir: an exclusive `flock` on `<output_dir>/.run.lock`.

Two LocalDagRunners on one SQLite MLMD store and one pipeline root would interleave their
executions and race for cache entries; the second run stops at once with OutputDirBusyError
instead (the CLI exits with BAD_CONFIG). The kernel drops the lock when the holder dies, even
on SIGKILL, so a killed run never leaves the output dir locked.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
from collections.abc import Iterator

LOCK_FILE = ".run.lock"


class OutputDirBusyError(RuntimeError):
    """Another process is running a pipeline into the same output dir."""


def lock_path(output_dir: str) -> str:
    return os.path.join(output_dir, LOCK_FILE)


@contextlib.contextmanager
def hold(output_dir: str) -> Iterator[None]:
    """Holds the output dir's lock for the duration of the block.

    Raises:
      OutputDirBusyError: another process holds it; the message names that process.
    """
    os.makedirs(output_dir, exist_ok=True)
    with open(lock_path(output_dir), "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise OutputDirBusyError(
                f"output dir {output_dir} is in use by a run still going ({holder}); "
                "wait for it to finish or pass another --output-dir") from None
        handle.truncate(0)
        started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        handle.write(f"pid {os.getpid()}, started {started} UTC\n")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_held(output_dir: str) -> bool:
    """Whether a run is going on in `output_dir` right now."""
    if not os.path.exists(lock_path(output_dir)):
        return False
    with open(lock_path(output_dir), encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False
