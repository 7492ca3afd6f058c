"""`tfx-text` (`python -m cli`): one parser over the run, runs, models, compile, report, predict
and serve commands, each defined in its own module.

Every command module keeps TensorFlow and TFX out of its imports until its handler runs, so
`--help` and REST-only `predict` start in about a second.
"""

from __future__ import annotations

import argparse
import logging
import os

from cli import compile as compile_cli
from cli import report as report_cli
from cli import run as run_cli
from cli import runs as runs_cli
from serving import cli as serving_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tfx-text", description="TFX pipelines for the text and sequence models of DLwP "
                                     "chapter 6 (IMDB, Jena).")
    commands = parser.add_subparsers(dest="command", required=True)
    run_cli.add_parsers(commands)  # run, models
    compile_cli.add_parser(commands)  # compile --target kubeflow
    serving_cli.add_parsers(commands)  # predict, serve
    report_cli.add_parser(commands)  # report
    runs_cli.add_parser(commands)  # runs
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return args.handler(args)
