"""TFMA configurations for the Evaluator, one builder per task."""

from __future__ import annotations

import sys

import tensorflow_model_analysis as tfma

from core import names, tasks
from core.config import EvalConfig


def _eval_config(task_name: str, metrics: list[tfma.MetricConfig]) -> tfma.EvalConfig:
    """One model read through `serving_tf_example`, the overall slice, the given metrics."""
    task = tasks.get_task_spec(task_name)
    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(
            signature_name=names.EXAMPLE_SIGNATURE, label_key=task.label_key,
            prediction_key=task.output_key)],
        slicing_specs=[tfma.SlicingSpec()],
        metrics_specs=[tfma.MetricsSpec(metrics=metrics)])


def imdb_eval_config(config: EvalConfig) -> tfma.EvalConfig:
    """Accuracy gate for the sentiment model on the test split.

    The exported signatures always return a probability (logit models get a sigmoid in export),
    so BinaryAccuracy's 0.5 threshold is the right one. The change threshold applies only when a
    blessed baseline exists; a first run is judged on the value threshold alone.
    """
    accuracy_threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": config.min_accuracy}),
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER,
            absolute={"value": -config.max_regression}))
    return _eval_config("imdb", [
        tfma.MetricConfig(class_name="ExampleCount"),
        tfma.MetricConfig(class_name="BinaryAccuracy", config='{"threshold": 0.5}',
                          threshold=accuracy_threshold),
        tfma.MetricConfig(class_name="AUC"),
        tfma.MetricConfig(class_name="Precision"),
        tfma.MetricConfig(class_name="Recall"),
    ])


def _jena_config(mae_threshold: tfma.MetricThreshold) -> tfma.EvalConfig:
    """MAE in °C (the signatures forecast °C, the window examples' label is °C) on test windows.

    ExampleCount >= 1 is a value threshold, so the Evaluator validates and writes its blessing
    even on a first run, when TFX drops change thresholds for want of a baseline.
    """
    return _eval_config("jena", [
        tfma.MetricConfig(class_name="ExampleCount", threshold=tfma.MetricThreshold(
            value_threshold=tfma.GenericValueThreshold(lower_bound={"value": 1}))),
        tfma.MetricConfig(class_name="MeanAbsoluteError", threshold=mae_threshold),
        tfma.MetricConfig(class_name="MeanSquaredError"),
    ])


def jena_eval_config(config: EvalConfig) -> tfma.EvalConfig:
    """No regression: MAE may rise by at most `max_regression` °C over the latest blessed model."""
    return _jena_config(tfma.MetricThreshold(change_threshold=tfma.GenericChangeThreshold(
        direction=tfma.MetricDirection.LOWER_IS_BETTER,
        absolute={"value": config.max_regression})))


def jena_baseline_eval_config(config: EvalConfig) -> tfma.EvalConfig:
    """Beat the common-sense forecast: MAE < (1 - baseline_margin) * the baseline's MAE.

    TFMA passes a LOWER_IS_BETTER change when `candidate - baseline <= absolute` and
    `(candidate - baseline) / baseline <= relative`. The relative bound is the margin; the
    absolute bound, minus the smallest normal double, makes "no worse" strictly better, so a
    model that only ties the baseline (margin 0) is not blessed.
    """
    return _jena_config(tfma.MetricThreshold(change_threshold=tfma.GenericChangeThreshold(
        direction=tfma.MetricDirection.LOWER_IS_BETTER,
        relative={"value": -config.baseline_margin},
        absolute={"value": -sys.float_info.min})))
