"""`tfx-text`'s exit codes: one per kind of outcome, so scripts and CI can tell them apart.

The README's "Exit codes" table lists these; tests check each one.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    COMPONENT_FAILED = 1  # a pipeline component raised (see its log)
    BAD_CONFIG = 2  # bad flags, configuration or data location (argparse uses 2 as well)
    DATA_ANOMALIES = 3  # the data-validation gate stopped the run before Transform
    INTERRUPTED = 130  # SIGINT or SIGTERM (128 + SIGINT, the shell's convention)
