"""Benchmark: a task's whole model zoo through the real pipeline, then the leaderboard.

Each model is one `tfx-text run` into a shared output folder, so ExampleGen, statistics and
(for models with the same text settings) Transform are cache hits after the first run; every
model is judged by the task's Evaluators against its baselines. Then `tfx-text report` builds
the leaderboard (book numbers, deltas, blessings). Writes bench/results/model_zoo_<task>.{json,md}
with each run's wall time and peak memory and the leaderboard, and says whether the zoo fit the
stated time budget on this machine.

Usage:
  python bench/model_zoo.py imdb --data-dir ../shared/data/imdb \
      --glove ../shared/data/glove/glove.6B.50d.top100k.txt.gz
  python bench/model_zoo.py jena --data-dir ../shared/data/jena/<fragment>.csv.gz \
      --budget-minutes 30 -- --lookback 288 --step 6 --delay 36
Arguments after `--` go to every `tfx-text run` (MODEL_FLAGS win where they clash).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import tempfile
import time

from bench import common

REPO = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_BUDGET_MINUTES = {"imdb": 75, "jena": 30}
# Per-model extra flags: conv1d_gru reads windows at step 3, as in the book (listing 6.48).
MODEL_FLAGS = {"jena_conv1d_gru": ["--step", "3"]}


def zoo(task: str) -> list[str]:
    """Every trainable model of the task, in registry order (the fixed baseline is built anyway)."""
    from trainer import models

    return [name for name, spec in models.MODELS.items() if spec.task == task and spec.trainable]


def _run_flags(extra: list[str], model: str) -> list[str]:
    """`extra`, minus any flag the model sets itself, plus the model's flags."""
    own = MODEL_FLAGS.get(model, [])
    names = set(own[::2])
    kept, skip = [], False
    for index, arg in enumerate(extra):
        if skip:
            skip = False
            continue
        if arg in names:
            skip = index + 1 < len(extra) and not extra[index + 1].startswith("--")
            continue
        kept.append(arg)
    return kept + own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=("imdb", "jena"))
    parser.add_argument("--data-dir", type=pathlib.Path, required=True)
    parser.add_argument("--models", help="comma list (default: the task's whole zoo)")
    parser.add_argument("--glove", type=pathlib.Path, help="imdb_glove's vectors file")
    parser.add_argument("--budget-minutes", type=float,
                        help=f"stated budget for the whole zoo (default: {DEFAULT_BUDGET_MINUTES})")
    parser.add_argument("--work-dir", type=pathlib.Path,
                        help="pipeline outputs, logs and the HTML report (default: a temp folder)")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    args.run_args = argv[split + 1:]  # for every `tfx-text run`
    models = args.models.split(",") if args.models else zoo(args.task)
    budget = args.budget_minutes or DEFAULT_BUDGET_MINUTES[args.task]
    work = args.work_dir or pathlib.Path(tempfile.mkdtemp(prefix=f"zoo-{args.task}-"))
    work.mkdir(parents=True, exist_ok=True)
    outputs = work / "outputs"
    base = [sys.executable, "-m", "pipeline", "run", args.task, "--output-dir", str(outputs),
            "--data-dir", str(args.data_dir.resolve())]
    if args.glove:
        base += ["--glove", str(args.glove.resolve())]

    runs, start = [], time.monotonic()
    for number, model in enumerate(models, start=1):
        print(f"[{number}/{len(models)}] {model} ...", flush=True)
        log = work / f"{model}.log"
        measured = common.run_measured(
            [*base, "--model", model, *_run_flags(args.run_args, model)], log,
            env={"PYTHONPATH": str(REPO)})
        runs.append({"model": model, **measured, "log": str(log)})
        status = "ok" if measured["returncode"] == 0 else f"FAILED (see {log})"
        print(f"    {measured['wall_seconds']:.0f} s, peak {measured['peak_rss_mb']} MB: {status}",
              flush=True)
    total = time.monotonic() - start

    report = common.run_measured(
        [sys.executable, "-m", "pipeline", "report", "--output-dir", str(outputs),
         "--report-dir", str(work / "report"), "--task", args.task],
        work / "report.log", env={"PYTHONPATH": str(REPO)})
    if report["returncode"]:
        sys.exit(f"report failed, see {work / 'report.log'}")
    leaderboard = json.loads((work / "report" / "leaderboard.json").read_text())
    payload = {
        "machine": common.machine(), "task": args.task, "models": models,
        "run_args": args.run_args, "budget_minutes": budget,
        "total_wall_minutes": round(total / 60, 1), "within_budget": total <= budget * 60,
        "runs": runs, "leaderboard": leaderboard,
    }
    table = [["model", "exit", "pipeline wall (s)", "peak RSS (MB)"]]
    table += [[r["model"], str(r["returncode"]), f"{r['wall_seconds']:.0f}",
               str(r["peak_rss_mb"])] for r in runs]
    markdown = common.write_results(f"model_zoo_{args.task}", payload, table)
    verdict = "within" if payload["within_budget"] else "OVER"
    leaderboard_md = (work / "report" / "leaderboard.md").read_text()
    with markdown.open("a") as handle:
        flags = " ".join(args.run_args) or "none"
        handle.write(f"\nTotal {payload['total_wall_minutes']} min for {len(models)} models, "
                     f"{verdict} the {budget:g}-minute budget "
                     f"({payload['machine']['cpus']} CPUs, no GPU). Data: "
                     f"`{args.data_dir.name}`; flags for every run: `{flags}`.\n\n"
                     f"{leaderboard_md}")
    print(leaderboard_md)
    print(f"Total {payload['total_wall_minutes']} min ({verdict} budget {budget:g} min); "
          f"wrote {markdown} and {work / 'report'}")
    if any(r["returncode"] for r in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
