"""Reads what a pipeline run produced (MLMD + TFMA outputs) into a summary the CLI prints."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from typing import Any

import tensorflow as tf
import tensorflow_model_analysis as tfma
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

from components import example_gen
from core import names

OUTPUT_EVENTS = (metadata_store_pb2.Event.OUTPUT, metadata_store_pb2.Event.DECLARED_OUTPUT)
TRAINING_SUMMARY = "training_summary.json"  # trainer/run.py's METADATA_FILE (no TF import here)


@dataclasses.dataclass
class Evaluation:
    """One Evaluator's overall-slice metrics, its baseline's, and its own verdict."""

    metrics: dict[str, float]  # candidate model
    baseline_metrics: dict[str, float]  # empty when it had no baseline
    baseline_model: str | None  # uri of the model compared against
    blessed: bool | None
    failures: list[str]


@dataclasses.dataclass
class RunSummary:
    """Artifacts per component, ingest report, test metrics per Evaluator and the blessing.

    `metrics`, `baseline_metrics` and `failures` gather all Evaluators (IMDB has one); a model
    is blessed, and pushed, only when every blessing of the run says so.
    """

    run_id: str
    artifacts: dict[str, dict[str, str]]  # node id -> output key -> uri
    cached: list[str]  # node ids served from the cache in this run
    ingest_report: dict[str, Any]
    metrics: dict[str, float]  # overall slice, candidate model
    baseline_metrics: dict[str, float]  # of the first Evaluator (by node id) with a baseline
    blessed: bool | None
    failures: list[str]  # why the model was not blessed
    pushed_to: str | None
    evaluations: dict[str, Evaluation] = dataclasses.field(default_factory=dict)  # by node id
    training: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # by node id
    canary: dict[str, Any] = dataclasses.field(default_factory=dict)  # components/canary.py


def _store(metadata_path: str) -> metadata_store.MetadataStore:
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def pipeline_runs(metadata_path: str) -> list:
    """The store's pipeline_run contexts, oldest first (their names are the run ids)."""
    runs = _store(metadata_path).get_contexts_by_type("pipeline_run")
    return sorted(runs, key=lambda context: (context.create_time_since_epoch, context.id))


def run_outputs(store: metadata_store.MetadataStore, run_context_id: int):
    """({node id: {output key: [artifacts]}}, cached node ids) of one pipeline run.

    A cached execution re-publishes the artifacts it reused, so they appear in every run that
    hit the cache (the same artifact ids).
    """
    outputs: dict[str, dict[str, list]] = {}
    cached = []
    for execution in store.get_executions_by_context(run_context_id):
        nodes = [c for c in store.get_contexts_by_execution(execution.id)
                 if c.type == "node"]
        node_id = nodes[0].name.split(".", 1)[1] if nodes else str(execution.id)
        if execution.last_known_state == metadata_store_pb2.Execution.CACHED:
            cached.append(node_id)
        events = [e for e in store.get_events_by_execution_ids([execution.id])
                  if e.type in OUTPUT_EVENTS]
        artifacts = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in events])}
        for event in events:
            key = event.path.steps[0].key if event.path.steps else "output"
            outputs.setdefault(node_id, {}).setdefault(key, []).append(
                artifacts[event.artifact_id])
    return outputs, sorted(cached)


def latest_run_outputs(metadata_path: str):
    """Returns (run id, {node id: {output key: [artifacts]}}, cached node ids) of the last run."""
    runs = pipeline_runs(metadata_path)
    if not runs:
        raise ValueError(f"no pipeline run recorded in {metadata_path}")
    outputs, cached = run_outputs(_store(metadata_path), runs[-1].id)
    return runs[-1].name, outputs, cached


def _overall_metrics(eval_uri: str) -> tuple[dict[str, float], dict[str, float]]:
    candidate: dict[str, float] = {}
    baseline: dict[str, float] = {}
    for metrics_for_slice in tfma.load_metrics(eval_uri):
        if metrics_for_slice.slice_key.single_slice_keys:
            continue
        for item in metrics_for_slice.metric_keys_and_values:
            if item.key.is_diff:
                continue
            target = baseline if item.key.model_name == "baseline" else candidate
            if item.value.HasField("double_value"):
                target[item.key.name] = item.value.double_value.value
    return candidate, baseline


def _failures(eval_uri: str) -> list[str]:
    result = tfma.load_validation_result(eval_uri)
    lines = []
    for per_slice in result.metric_validations_per_slice:
        for failure in per_slice.failures:
            threshold = failure.metric_threshold
            lines.append(f"{failure.metric_key.name}"
                         f"{' (change vs baseline)' if failure.metric_key.is_diff else ''} = "
                         f"{failure.metric_value.double_value.value:.4f} fails "
                         f"{_threshold_text(threshold)}")
    if result.missing_thresholds:
        lines.append("a thresholded metric was not computed (check the eval config)")
    return lines


def _threshold_text(threshold) -> str:
    if threshold.HasField("value_threshold"):
        bounds = threshold.value_threshold
        parts = []
        if bounds.HasField("lower_bound"):
            parts.append(f">= {bounds.lower_bound.value}")
        if bounds.HasField("upper_bound"):
            parts.append(f"<= {bounds.upper_bound.value}")
        return "value threshold " + " and ".join(parts)
    change = threshold.change_threshold
    bounds = [f"{kind} {getattr(change, kind).value:.4g}"
              for kind in ("absolute", "relative") if change.HasField(kind)]
    direction = tfma.MetricDirection.Name(change.direction)
    return f"change threshold ({direction}: {', '.join(bounds)})"


def summarize(metadata_path: str) -> RunSummary:
    """Collects the latest run's artifacts, test metrics, blessing and push location."""
    return _summarize(*latest_run_outputs(metadata_path))


def summarize_runs(metadata_path: str, lenient: bool = True) -> list[RunSummary]:
    """One summary per pipeline run of the store, oldest first (for reports over many runs).

    Args:
      lenient: an evaluation whose TFMA output cannot be read (an interrupted Evaluator)
        gives empty metrics instead of an error.
    """
    store = _store(metadata_path)
    return [_summarize(run.name, *run_outputs(store, run.id), lenient=lenient)
            for run in pipeline_runs(metadata_path)]


def _summarize(run_id: str, outputs: dict[str, dict[str, list]], cached: list[str],
               lenient: bool = False) -> RunSummary:
    uris = {node: {key: arts[0].uri for key, arts in keys.items()}
            for node, keys in outputs.items()}
    ingest: dict[str, Any] = {}
    evaluations: dict[str, Evaluation] = {}
    blessings: dict[str, bool] = {}
    canary: dict[str, Any] = {}
    training: dict[str, dict[str, Any]] = {}
    pushed_to = None
    for node, keys in sorted(outputs.items()):
        for key, artifacts in keys.items():
            artifact = artifacts[0]
            props = artifact.custom_properties
            if key == "examples" and example_gen.REPORT_PROPERTY in props:
                ingest = json.loads(props[example_gen.REPORT_PROPERTY].string_value)
            elif key == "blessing" and "blessed" in props:
                blessings[node] = bool(props["blessed"].int_value)
                if names.CANARY_PROPERTY in props:
                    canary = json.loads(props[names.CANARY_PROPERTY].string_value)
            elif key == "model_run":
                training[node] = _training_summary(artifact.uri)
            elif key == "pushed_model" and props.get("pushed") and props["pushed"].int_value:
                pushed_to = props["pushed_destination"].string_value
        if "evaluation" in keys:
            blessing = keys.get("blessing", [None])[0]
            baseline = (blessing.custom_properties.get("baseline_model")
                        if blessing is not None else None)
            eval_uri = keys["evaluation"][0].uri
            try:
                metrics, baseline_metrics = _overall_metrics(eval_uri)
                failures = _failures(eval_uri)
            # TFMA asserts when the validation result is missing.
            except (AssertionError, OSError, ValueError, tf.errors.OpError):
                if not lenient:
                    raise
                metrics, baseline_metrics, failures = {}, {}, []
            evaluations[node] = Evaluation(
                metrics, baseline_metrics, baseline.string_value if baseline else None,
                None, failures)
    for node, evaluation in evaluations.items():
        evaluation.blessed = blessings.get(node)
    metrics = {name: value for e in evaluations.values() for name, value in e.metrics.items()}
    baseline_metrics = next((e.baseline_metrics for e in evaluations.values()
                             if e.baseline_metrics), {})
    failures = [f"{node}: {failure}" if len(evaluations) > 1 else failure
                for node, e in evaluations.items() for failure in e.failures]
    if canary and not canary["blessed"]:
        failures.append(f"{names.CANARY}: {canary['why']}")
    blessed = all(blessings.values()) if blessings else None
    return RunSummary(run_id, uris, cached, ingest, metrics, baseline_metrics, blessed, failures,
                      pushed_to, evaluations, {k: v for k, v in training.items() if v}, canary)


def read_training_summary(model_run_uri: str) -> dict[str, Any]:
    """trainer/run.py's training_summary.json as written (model, epochs_run, history, params,
    train_seconds), or {} when the Trainer wrote none."""
    path = os.path.join(model_run_uri, TRAINING_SUMMARY)
    if not tf.io.gfile.exists(path):
        return {}
    with tf.io.gfile.GFile(path) as handle:
        return json.load(handle)


def best_epoch(history: Mapping[str, list[float]]) -> int | None:
    """1-based epoch of the lowest val_loss (the weights kept), None without a val_loss."""
    losses = history.get("val_loss") or []
    return min(range(len(losses)), key=losses.__getitem__) + 1 if losses else None


def _training_summary(model_run_uri: str) -> dict[str, Any]:
    """The best epoch (lowest val_loss, the weights kept) of trainer/run.py's summary."""
    summary = read_training_summary(model_run_uri)
    history = summary.get("history") or {}
    best = best_epoch(history)
    if not summary.get("epochs_run") or best is None:
        return {}
    return {"model": summary["model"], "epochs_run": summary["epochs_run"],
            "best_epoch": best,
            "metrics": {name: values[best - 1] for name, values in sorted(history.items())},
            "hyperparameters": summary.get("hyperparameters", {})}


def _value(name: str, value: float, units: Mapping[str, str]) -> str:
    unit = units.get(name) or units.get(name.removeprefix("val_"))
    return f"{value:.4f}{' ' + unit if unit else ''}"


def format_summary(summary: RunSummary, units: Mapping[str, str] | None = None) -> str:
    """Human-readable report: artifacts, ingest report, training, metrics, blessing and push.

    Args:
      units: metric name -> unit shown after its value (Jena: MAE in °C).
    """
    units = units or {}
    lines = [f"Run {summary.run_id}", "Artifacts:"]
    for node in sorted(summary.artifacts):
        tag = " (cached)" if node in summary.cached else ""
        for key, uri in sorted(summary.artifacts[node].items()):
            lines.append(f"  {node}.{key}{tag}: {uri}")
    if summary.ingest_report:
        lines.append("Ingest:")
        lines += [f"  {line}" for line in example_gen.format_report(summary.ingest_report)
                  .splitlines()]
    for node, training in sorted(summary.training.items()):
        lines.append(f"Training ({node}, {training['model']}): best epoch "
                     f"{training['best_epoch']} of {training['epochs_run']}")
        lines += [f"  {name}: {_value(name, value, units)}"
                  for name, value in training["metrics"].items()]
        if names.TUNER in summary.artifacts and node == names.TRAINER:
            lines.append(f"  tuned hyperparameters: {training['hyperparameters']}")
    many = len(summary.evaluations) > 1
    for node, evaluation in sorted(summary.evaluations.items()):
        against = (f" vs baseline {evaluation.baseline_model}" if evaluation.baseline_model
                   else " (no baseline)")
        lines.append(f"Test metrics ({node}{against}):" if many else
                     "Test metrics (candidate):")
        for name in sorted(evaluation.metrics):
            base = evaluation.baseline_metrics.get(name)
            base_text = f"  (baseline {_value(name, base, units)})" if base is not None else ""
            lines.append(f"  {name}: {_value(name, evaluation.metrics[name], units)}"
                         f"{base_text}")
    if summary.canary:
        lines.append(f"Canary: {format_canary(summary.canary)}")
    if summary.blessed is not None:
        lines.append(f"Blessed: {'yes' if summary.blessed else 'no'}")
        lines += [f"  not blessed because {failure}" for failure in summary.failures]
    lines.append(f"Pushed to: {summary.pushed_to}" if summary.pushed_to else
                 "Pushed: no (Pusher runs only for blessed models)")
    return "\n".join(lines)


def format_canary(verdict: dict[str, Any]) -> str:
    """One line: the served model's verdict, its largest difference and slowest request."""
    text = "passed" if verdict["blessed"] else f"refused ({verdict['why']})"
    if "latency_ms" in verdict:
        text += "; " + ", ".join(
            f"{protocol.upper()} max |diff| {verdict['max_abs_difference'][protocol]:.2g}, "
            f"slowest {verdict['latency_ms'][protocol]:.0f} ms"
            for protocol in sorted(verdict["latency_ms"]))
    return f"{text} ({verdict['examples']} test examples)"
