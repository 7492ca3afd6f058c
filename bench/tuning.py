"""The Tuner's trials next to the default: `run TASK --tune` once, then every trial's eval loss.

    python -m bench.tuning imdb --data-dir ../shared/data/imdb -- --max-train-examples 2000

The first trial is the configured (book) values (trainer/tune.py), so the table shows the
default's eval loss, the best trial's and the Trainer's test metric trained with the best.
Writes bench/results/tuning_<task>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile

from bench import common
from pipeline import results

HYPERPARAMETERS = ("units", "dropout", "recurrent_dropout", "learning_rate")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("task", choices=("imdb", "jena"))
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--work-dir", type=pathlib.Path)
    parser.add_argument("run_flags", nargs="*", help="more `run` flags (after --)")
    args = parser.parse_args(argv)
    work = args.work_dir or pathlib.Path(tempfile.mkdtemp(prefix="bench-tuning-"))
    command = [sys.executable, "-m", "cli", "run", args.task, "--data-dir", args.data_dir,
               "--output-dir", str(work), "--tune", *args.run_flags]
    measured = common.run_measured(command, work / "run.log")
    if measured["returncode"] != 0:
        print(f"run failed, see {work / 'run.log'}", file=sys.stderr)
        return 1
    summary = results.summarize(os.path.join(work, "metadata", f"{args.task}-pipeline.sqlite"))
    with open(os.path.join(summary.artifacts["Tuner"]["tuner_results"],
                           "tuner_results.json")) as handle:
        trials = json.load(handle)
    default = min(trials, key=lambda trial: int(trial["trial_id"]))  # the configured values
    payload = {"machine": common.machine(), "command": command, **measured, "trials": trials,
               "default_trial": default["trial_id"], "best_trial": trials[0]["trial_id"],
               "test_metrics": summary.metrics, "canary": summary.canary}
    table = [["trial", "role", *HYPERPARAMETERS, "eval loss"]]
    for trial in trials:
        role = " + ".join(name for name, chosen in (("default", trial is default),
                                                    ("best", trial is trials[0])) if chosen)
        table.append([trial["trial_id"], role, *(f"{trial[h]:g}" for h in HYPERPARAMETERS),
                      f"{trial['score']:.4f}"])
    print(common.write_results(f"tuning_{args.task}", payload, table).read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
