"""What `tfx-text run` shows: one line per component, the Trainer's bar, then the summary.

TFX, Beam and TensorFlow log thousands of lines a run. `capture_logs` sends every log record
(absl's, the root logger's, Python warnings) and everything written to file descriptor 2 (TF's
C++ logging) to a log file, and gives the terminal `ComponentProgress`'s lines instead;
`verbose=True` also shows the records live on stderr, as before.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import sys
import time
from collections.abc import Iterator
from typing import IO

from absl import logging as absl_logging

# LocalDagRunner's and its launcher's messages (tfx/orchestration/local/local_dag_runner.py,
# portable/launcher.py): matched on the format string, not on the rendered text.
RUNNING = "Component %s is running."
FINISHED = "Component %s is finished."
NEW_EXECUTION = "Going to run a new execution %d"
CACHED = "A cached execution %d is used."
FAILED = "Execution %d failed."
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class ComponentProgress(logging.Handler):
    """Prints a line when a component starts executing and one when it ends.

    A cache hit (or a resolver, which executes nothing) gets the end line only, so a rerun
    stays short. `current` names the component running now (for an interrupt message).
    """

    def __init__(self, stream: IO[str]):
        super().__init__(logging.INFO)
        self._stream = stream
        self.current: str | None = None
        self._outcome = "done"
        self._start = 0.0

    def _print(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == RUNNING and record.args:
            self.current, self._outcome, self._start = str(record.args[0]), "done", \
                time.monotonic()
        elif self.current is None:
            return
        elif record.msg == NEW_EXECUTION:
            self._outcome = "ran"
            self._print(f"  {self.current:<28} running")
        elif record.msg == CACHED:
            self._outcome = "cache hit"
        elif record.msg == FAILED:
            self._print(f"  {self.current:<28} failed after {self._seconds()}")
            self._outcome = "failed"
        elif record.msg == FINISHED:
            self._print(f"  {self.current:<28} {self._outcome:<9} {self._seconds()}")
            self.current = None

    def _seconds(self) -> str:
        return f"{time.monotonic() - self._start:6.1f} s"


def log_path(output_dir: str, task: str) -> str:
    """<output_dir>/logs/<task>-<UTC time>.log: one file per `run` command."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return os.path.join(output_dir, "logs", f"{task}-{stamp}.log")


@contextlib.contextmanager
def capture_logs(path: str, verbose: bool = False) -> Iterator[ComponentProgress]:
    """Routes every log record to `path` (and, verbose, to stderr) while the block runs.

    Without `verbose`, file descriptor 2 points at the log file too, so the C++ runtime's
    messages land there; `sys.stderr` stays the terminal for the CLI's own error messages.
    Everything is restored on exit.
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_stderr = sys.stderr
    log_file = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed in finally)
    file_handler = logging.StreamHandler(log_file)
    file_handler.setFormatter(logging.Formatter(LOG_FORMAT))
    progress = ComponentProgress(sys.stdout)
    handlers: list[logging.Handler] = [file_handler, progress]
    terminal_fd = None
    if verbose:
        live = logging.StreamHandler(sys.stderr)
        live.setFormatter(logging.Formatter(LOG_FORMAT))
        handlers.append(live)
    else:
        sys.stderr.flush()
        terminal_fd = os.dup(2)
        if _has_fileno(saved_stderr) and saved_stderr.fileno() == 2:
            sys.stderr = os.fdopen(os.dup(terminal_fd), "w", buffering=1)
        os.dup2(log_file.fileno(), 2)
    root.handlers = handlers
    root.setLevel(logging.INFO)
    # TFX logs its component messages through absl, whose --verbosity flag defaults to WARNING
    # and is re-applied to absl's logger mid-run (a full run lost every line after Transform).
    saved_verbosity = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.INFO)
    logging.captureWarnings(True)
    try:
        yield progress
    finally:
        logging.captureWarnings(False)
        absl_logging.set_verbosity(saved_verbosity)
        root.handlers, root.level = saved_handlers, saved_level
        if terminal_fd is not None:
            os.dup2(terminal_fd, 2)
            os.close(terminal_fd)
            if sys.stderr is not saved_stderr:
                sys.stderr.close()
                sys.stderr = saved_stderr
        log_file.close()


def _has_fileno(stream: IO[str]) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):  # pytest's capture has no real descriptor
        return False
    return True
