"""`tfx-text runs`: the run history of an output dir (MLMD), as a table or as JSON."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from cli import console
from cli.exit_codes import ExitCode
from core import tasks


def add_parser(commands: argparse._SubParsersAction) -> None:
    runs = commands.add_parser("runs", help="list past pipeline runs of an output dir")
    runs.add_argument("--output-dir", default="outputs",
                      help="the `run` command's output dir (default: outputs)")
    runs.add_argument("--task", choices=tasks.TASK_NAMES, help="only this task's runs")
    runs.add_argument("--json", action="store_true", help="a JSON list instead of a table")
    runs.set_defaults(handler=runs_command)


def runs_command(args: argparse.Namespace) -> int:
    """Prints one row per pipeline run, oldest first."""
    if not os.path.isdir(os.path.join(args.output_dir, "metadata")):
        print(f"error: no MLMD store under {args.output_dir}/metadata (see --output-dir)",
              file=sys.stderr)
        return ExitCode.BAD_CONFIG
    # TF's and TFMA's start-up and deprecation messages are not the history.
    with console.capture_logs(os.devnull):
        from pipeline import history  # loads TF and TFMA: not needed for --help

        records = history.read_runs(os.path.abspath(args.output_dir), args.task)
    if args.json:
        print(json.dumps([dataclasses.asdict(record) for record in records], indent=2))
    else:
        print(history.format_table(records) if records else "no runs recorded")
    return ExitCode.OK
