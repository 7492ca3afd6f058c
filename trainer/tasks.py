"""What the task-agnostic trainer needs to know about each task.

`trainer/train.py` and `trainer/export.py` never branch on the task: they read a `TrainerTask`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import tensorflow as tf
import tensorflow_transform as tft

from transform import features

RawToFeatures = Callable[[tf.Tensor, tft.TFTransformOutput], dict[str, tf.Tensor]]


@dataclasses.dataclass(frozen=True)
class TrainerTask:
    """Label, loss and serving interface of one task."""

    label_key: str
    loss: str
    metrics: tuple[str, ...]
    serving_input: str  # input name of the `serving_default` signature
    raw_features: tuple[str, ...]  # raw tf.Example features a prediction needs (no label)
    serving_spec: tf.TensorSpec  # raw request tensor (text, or a window of observations)
    output_key: str  # output name of both serving signatures
    to_raw_features: RawToFeatures  # raw request -> raw feature dict for the TFT layer
    # Model output [batch, 1] -> served value [batch] (e.g. de-normalization for regression).
    postprocess: Callable[[tf.Tensor, tft.TFTransformOutput], tf.Tensor] = (
        lambda output, _: tf.reshape(output, [-1]))


def dense_to_raw_feature(values: tf.Tensor, spec) -> tf.Tensor | tf.SparseTensor:
    """Shapes a [batch] tensor the way the raw feature spec parses it from tf.Examples."""
    if isinstance(spec, tf.io.FixedLenFeature):
        return tf.reshape(values, [-1, *spec.shape])
    batch = tf.shape(values, out_type=tf.int64)[0]
    indices = tf.stack([tf.range(batch), tf.zeros([batch], tf.int64)], axis=1)
    return tf.SparseTensor(indices, values, [batch, 1])


def _imdb_raw_features(text: tf.Tensor, tf_transform_output: tft.TFTransformOutput):
    spec = tf_transform_output.raw_feature_spec()[features.IMDB_TEXT]
    return {features.IMDB_TEXT: dense_to_raw_feature(text, spec)}


TASKS: dict[str, TrainerTask] = {
    "imdb": TrainerTask(
        label_key=features.IMDB_LABEL,
        loss="binary_crossentropy",
        metrics=("accuracy",),
        serving_input=features.IMDB_TEXT,
        raw_features=(features.IMDB_TEXT,),
        serving_spec=tf.TensorSpec([None], tf.string, name=features.IMDB_TEXT),
        output_key="probability",
        to_raw_features=_imdb_raw_features,
    ),
}


def get_task(name: str) -> TrainerTask:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {sorted(TASKS)}")
    return TASKS[name]
