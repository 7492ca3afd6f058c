"""The leaderboard of the models trained by the recorded pipeline runs (`tfx-text report`).

Reads every `<output_dir>/metadata/<task>-pipeline.sqlite` (MLMD: runs, artifacts, blessings),
the Evaluators' TFMA results and the Trainer's training_summary.json into rows, and writes
leaderboard.md, leaderboard.html (self-contained: CSS and PNG plots inline) and leaderboard.json
into the report folder (pipeline/report_render.py and report_plots.py draw them).
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from core import names
from pipeline import report_plots, report_render, results
from pipeline.report_rows import TASK_METRICS, Row
from trainer import models

# Only the Trainer's models are candidates: the Jena FixedBaseline trainer's model is the
# baseline, not a leaderboard entry.
CANDIDATE_TRAINER = names.TRAINER
STORE_SUFFIX = "-pipeline.sqlite"  # PipelineConfig.metadata_path: <task>-pipeline.sqlite


class ReportError(ValueError):
    """Nothing to report: no metadata store, or no run that trained a model."""


def find_stores(output_dirs: Iterable[str], tasks: Sequence[str] | None = None,
                ) -> list[tuple[str, str]]:
    """(task, metadata path) of every known task's MLMD store under the output folders.

    Raises:
      ReportError: when no store is found.
    """
    stores = []
    for output_dir in output_dirs:
        for path in sorted(glob.glob(os.path.join(output_dir, "metadata", "*" + STORE_SUFFIX))):
            task = os.path.basename(path).removesuffix(STORE_SUFFIX)
            if task not in TASK_METRICS:
                print(f"skipping {path}: unknown task {task!r}", file=sys.stderr)
            elif not tasks or task in tasks:
                stores.append((task, path))
    if not stores:
        wanted = "|".join(tasks or sorted(TASK_METRICS))
        raise ReportError(f"no metadata store metadata/{{{wanted}}}{STORE_SUFFIX} under "
                          f"{', '.join(output_dirs)}; run `tfx-text run TASK --output-dir DIR` "
                          "first")
    return stores


def load_rows(output_dirs: Sequence[str], tasks: Sequence[str] | None = None) -> list[Row]:
    """Every trained candidate of every run in the stores, oldest run first per store."""
    rows = []
    for task, path in find_stores(output_dirs, tasks):
        print(f"Reading {path}", file=sys.stderr, flush=True)
        rows += collect_rows(task, path)
    return rows


def collect_rows(task: str, metadata_path: str) -> list[Row]:
    """Rows of one store's runs (MLMD + TFMA + training summaries, book numbers from MODELS)."""
    def read_training(model_run_uri: str) -> dict[str, Any]:
        try:
            return results.read_training_summary(model_run_uri)
        except (OSError, ValueError) as error:  # a half-written or unreadable summary
            print(f"warning: {model_run_uri}: {error}", file=sys.stderr)
            return {}

    def book(model: str) -> tuple[float | None, str]:
        spec = models.MODELS.get(model)
        return (spec.book, spec.reference) if spec and spec.task == task else (None, "")

    return rows_from_summaries(task, results.summarize_runs(metadata_path), read_training, book)


def rows_from_summaries(
    task: str, summaries: Sequence[Any],
    read_training: Callable[[str], dict[str, Any]],
    book: Callable[[str], tuple[float | None, str]],
) -> list[Row]:
    """One row per run (`results.RunSummary`, oldest first) whose candidate Trainer has a model.

    Args:
      read_training: model_run uri -> trainer/run.py's training summary ({} if none).
      book: model name -> (the book's number or None, its reference).
    """

    spec = TASK_METRICS[task]
    trainings: dict[str, dict[str, Any]] = {}
    name_by_uri: dict[str, str] = {}  # every trained or baseline model of the store
    for summary in summaries:
        for node, outputs in summary.artifacts.items():
            if "model" in outputs and "model_run" in outputs:
                if outputs["model_run"] not in trainings:
                    trainings[outputs["model_run"]] = read_training(outputs["model_run"])
                name_by_uri[outputs["model"]] = (
                    trainings[outputs["model_run"]].get("model") or node)
    candidates = {s.artifacts[CANDIDATE_TRAINER]["model"] for s in summaries
                  if "model" in s.artifacts.get(CANDIDATE_TRAINER, {})}
    for summary in summaries:  # a pushed version is named after the candidate that run pushed
        pushed_model = summary.artifacts.get(CANDIDATE_TRAINER, {}).get("model")
        if summary.pushed_to and pushed_model in name_by_uri:
            name_by_uri[summary.pushed_to] = name_by_uri[pushed_model]
            candidates.add(summary.pushed_to)
    rows = []
    for summary in summaries:
        outputs = summary.artifacts.get(CANDIDATE_TRAINER, {})
        if "model" not in outputs:
            continue  # the run stopped before training (or failed in the Trainer)
        training = trainings.get(outputs.get("model_run", ""), {})
        model = training.get("model") or "unknown"
        evaluations = summary.evaluations
        scored = next((evaluations[node] for node in spec.blessing_evaluators
                       if spec.name in getattr(evaluations.get(node), "metrics", {})), None)
        judge = evaluations.get(spec.baseline_evaluator)
        verdicts = [getattr(evaluations.get(node), "blessed", None)
                    for node in spec.blessing_evaluators]
        history = training.get("history") or {}
        book_value, reference = book(model)
        rows.append(Row(
            task=task, model=model, run_id=summary.run_id,
            metric=scored.metrics[spec.name] if scored else None,
            extra_metrics={key: scored.metrics[key] for key, _ in spec.extras
                           if scored and key in scored.metrics},
            book=book_value, book_reference=reference,
            baseline_model=_baseline_name(judge, name_by_uri, candidates),
            baseline_metric=judge.baseline_metrics.get(spec.name) if judge else None,
            blessed=None if None in verdicts else all(verdicts),
            params=training.get("params"), epochs_run=training.get("epochs_run"),
            best_epoch=results.best_epoch(history),
            train_seconds=training.get("train_seconds"), model_uri=outputs["model"],
            history=history))
    return rows


def _baseline_name(evaluation, name_by_uri: dict[str, str], candidates: set[str]) -> str | None:
    uri = evaluation.baseline_model if evaluation is not None else None
    if not uri:
        return None
    uri = evaluation.baseline_source or uri  # LatestPushedBaseline: the version it copied
    name = name_by_uri.get(uri, "blessed model")
    return f"{name} (last blessed)" if uri in candidates else name


def select_rows(rows: Sequence[Row], all_runs: bool = False) -> list[Row]:
    """Drops repeats of a trained model (a cached Trainer re-publishes its model in later runs).

    Keeps each model artifact's latest row (its latest evaluation) and, unless `all_runs`, only
    the latest row of each (task, model). `rows` come oldest run first; the result is sorted by
    task, then best metric first.
    """
    latest: dict[Any, Row] = {}
    for index, row in enumerate(rows):
        key = row.model_uri or index
        latest.pop(key, None)  # re-insert: dict order stays chronological
        latest[key] = row
    kept = list(latest.values())
    if not all_runs:
        kept = list({(row.task, row.model): row for row in kept}.values())
    return report_render.sort_rows(kept)


def write_report(rows: Sequence[Row], report_dir: str) -> dict[str, str]:
    """Writes leaderboard.md/.html/.json and the PNGs into `report_dir`; returns their paths."""
    os.makedirs(report_dir, exist_ok=True)
    paths = {kind: os.path.join(report_dir, f"leaderboard.{kind}")
             for kind in ("md", "html", "json")}
    images: dict[str, dict[str, bytes]] = {}
    for task, task_rows in report_render.by_task(rows).items():
        plots = {"metric": report_plots.metric_bars_png(task, task_rows),
                 "curves": report_plots.training_curves_png(task, task_rows)}
        images[task] = {name: png for name, png in plots.items() if png is not None}
        for name, png in images[task].items():
            paths[f"{task}_{name}"] = os.path.join(report_dir, f"{task}_{name}.png")
            with open(paths[f"{task}_{name}"], "wb") as handle:
                handle.write(png)
    with open(paths["md"], "w", encoding="utf-8") as handle:
        handle.write(report_render.render_markdown(rows))
    with open(paths["html"], "w", encoding="utf-8") as handle:
        handle.write(report_render.render_html(rows, images))
    report_render.write_rows_json(rows, paths["json"])
    return paths
