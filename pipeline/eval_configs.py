"""TFMA configurations for the Evaluator, one builder per task."""

from __future__ import annotations

import tensorflow_model_analysis as tfma

from pipeline.config import EvalConfig
from trainer.export import EXAMPLE_SIGNATURE
from trainer.tasks import get_task


def imdb_eval_config(config: EvalConfig) -> tfma.EvalConfig:
    """Accuracy gate for the sentiment model on the test split.

    The exported signatures always return a probability (logit models get a sigmoid in export),
    so BinaryAccuracy's 0.5 threshold is the right one. The change threshold applies only when a
    blessed baseline exists; a first run is judged on the value threshold alone.
    """
    task = get_task("imdb")
    accuracy_threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": config.min_accuracy}),
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER,
            absolute={"value": -config.max_regression}))
    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(
            signature_name=EXAMPLE_SIGNATURE, label_key=task.label_key,
            prediction_key=task.output_key)],
        slicing_specs=[tfma.SlicingSpec()],
        metrics_specs=[tfma.MetricsSpec(metrics=[
            tfma.MetricConfig(class_name="ExampleCount"),
            tfma.MetricConfig(class_name="BinaryAccuracy", config='{"threshold": 0.5}',
                              threshold=accuracy_threshold),
            tfma.MetricConfig(class_name="AUC"),
            tfma.MetricConfig(class_name="Precision"),
            tfma.MetricConfig(class_name="Recall"),
        ])])
