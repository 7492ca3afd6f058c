"""`tfx-text report`: the leaderboard of every model the recorded runs trained.

    tfx-text report [--output-dir outputs ...] [--task imdb jena] [--report-dir DIR] [--all-runs]
"""

from __future__ import annotations

import argparse
import os
import sys

from core import tasks


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds `report`; it sets `handler` (args -> exit code) like the other commands."""
    report = commands.add_parser(
        "report", help="leaderboard of the trained models (markdown, HTML with plots, JSON)")
    report.add_argument("--output-dir", nargs="+", default=["outputs"],
                        help="the runs' output folders, each holding metadata/<task>-pipeline"
                             ".sqlite (default: outputs)")
    report.add_argument("--task", nargs="+", choices=tasks.TASK_NAMES, dest="tasks",
                        help="tasks to report (default: every task with a metadata store)")
    report.add_argument("--report-dir",
                        help="where the leaderboard goes (default: the first OUTPUT_DIR/report)")
    report.add_argument("--all-runs", action="store_true",
                        help="a row per run that trained a model (default: the latest run of "
                             "each task and model)")
    report.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Writes the leaderboard files and prints the markdown tables; 2 when nothing to report."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # before the trainer's modules load TF
    from pipeline import report, report_render  # MLMD, TFMA and Keras: not needed for --help

    try:
        rows = report.select_rows(report.load_rows(args.output_dir, args.tasks),
                                  all_runs=args.all_runs)
        if not rows:
            raise report.ReportError(f"no pipeline run in {', '.join(args.output_dir)} trained "
                                     "a model; run `tfx-text run TASK` first")
    except report.ReportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report_dir = args.report_dir or os.path.join(args.output_dir[0], "report")
    paths = report.write_report(rows, report_dir)
    print(report_render.render_markdown(rows))
    for path in paths.values():
        print(f"Wrote {path}")
    return 0
