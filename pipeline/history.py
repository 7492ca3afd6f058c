"""The run history of an output dir, from MLMD: one row per pipeline run (`tfx-text runs`).

A LocalDagRunner run is a `pipeline_run` context; its executions say how it ended: any FAILED
one makes it failed; a CANCELED one (local_runner.run records an interrupted run so) or one
left RUNNING by a process that died without cleaning up makes it killed, unless the output dir
is locked by a run still going; otherwise it is complete.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

from core import names, tasks
from pipeline import results, run_lock

State = metadata_store_pb2.Execution
UNFINISHED = (State.NEW, State.RUNNING)


@dataclasses.dataclass
class RunRecord:
    """One pipeline run as `tfx-text runs` lists it."""

    run_id: str
    task: str
    model: str | None  # the zoo model the Trainer was configured with
    started: str  # UTC, ISO 8601 to the second
    duration_s: float
    status: str  # complete | failed | killed | running
    blessed: bool | None
    pushed_version: str | None
    push_unchanged: bool  # the model was already served: the rerun pushed nothing
    metric: str  # the task's report metric (IMDB binary_accuracy, Jena MAE in °C)
    metric_value: float | None


def _store(metadata_path: str, read_only: bool = True) -> metadata_store.MetadataStore:
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    mode = metadata_store_pb2.SqliteMetadataSourceConfig
    config.sqlite.connection_mode = mode.READONLY if read_only else mode.READWRITE
    return metadata_store.MetadataStore(config)


def cancel_unfinished(metadata_path: str) -> list[int]:
    """Marks the latest run's NEW or RUNNING executions CANCELED; returns their ids."""
    if not os.path.exists(metadata_path):
        return []
    store = _store(metadata_path, read_only=False)
    runs = results.pipeline_runs(metadata_path)
    if not runs:
        return []
    executions = [e for e in store.get_executions_by_context(runs[-1].id)
                  if e.last_known_state in UNFINISHED]
    for execution in executions:
        execution.last_known_state = State.CANCELED
    if executions:
        store.put_executions(executions)
    return [e.id for e in executions]


def _status(states: list[int], may_be_running: bool) -> str:
    if State.FAILED in states:
        return "failed"
    if any(state in UNFINISHED for state in states):
        return "running" if may_be_running else "killed"
    return "killed" if State.CANCELED in states else "complete"


def _model(store: metadata_store.MetadataStore, executions) -> str | None:
    for execution in executions:
        nodes = [c.name for c in store.get_contexts_by_execution(execution.id)
                 if c.type == "node"]
        if nodes and nodes[0].endswith("." + names.TRAINER):
            raw = execution.custom_properties.get("custom_config")
            if raw is not None and raw.string_value:
                return json.loads(raw.string_value).get("train", {}).get("model")
    return None


def read_runs(output_dir: str, task: str | None = None) -> list[RunRecord]:
    """Every run recorded under `output_dir/metadata`, oldest first, optionally one task's."""
    records = []
    running = run_lock.is_held(output_dir)
    for name in tasks.TASK_NAMES:
        if task and name != task:
            continue
        path = os.path.join(output_dir, "metadata", f"{name}-pipeline.sqlite")
        if not os.path.exists(path):
            continue
        store = _store(path)
        runs = results.pipeline_runs(path)
        summaries = results.summarize_runs(path, lenient=True)
        metric = tasks.get_task_spec(name).report_metric
        for number, (run, summary) in enumerate(zip(runs, summaries, strict=True)):
            executions = store.get_executions_by_context(run.id)
            start = min([e.create_time_since_epoch for e in executions]
                        or [run.create_time_since_epoch])
            end = max([e.last_update_time_since_epoch for e in executions] or [start])
            records.append(RunRecord(
                run.name, name, _model(store, executions),
                datetime.datetime.fromtimestamp(start / 1000, datetime.timezone.utc)
                .strftime("%Y-%m-%dT%H:%M:%SZ"), (end - start) / 1000,
                _status([e.last_known_state for e in executions],
                        running and number == len(runs) - 1),
                summary.blessed, summary.pushed_version, summary.push_unchanged, metric,
                summary.metrics.get(metric)))
    return sorted(records, key=lambda record: record.started)


def format_table(records: list[RunRecord]) -> str:
    """A fixed-width table, one line per run."""
    header = ("run id", "task", "model", "started", "duration", "status", "blessed",
              "pushed", "metric")
    rows = [header]
    for r in records:
        pushed = "-" if not r.pushed_version else (
            f"{r.pushed_version} (unchanged)" if r.push_unchanged else r.pushed_version)
        value = "-" if r.metric_value is None else f"{r.metric}={r.metric_value:.4f}"
        rows.append((r.run_id, r.task, r.model or "-", r.started, f"{r.duration_s:.0f} s",
                     r.status, {True: "yes", False: "no", None: "-"}[r.blessed], pushed, value))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                     .rstrip()
                     for row in rows)
