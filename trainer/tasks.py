"""What the task-agnostic trainer needs to know about each task.

`trainer/train.py` and `trainer/export.py` never branch on the task: they read a `TrainerTask`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras

from pipeline.config import TrainConfig
from trainer import jena
from transform import features

RawToFeatures = Callable[[tf.Tensor, tft.TFTransformOutput], dict[str, tf.Tensor]]
# (file patterns, data accessor, Transform output, config, training) -> (inputs, label) batches
DatasetFactory = Callable[[list[str], Any, tft.TFTransformOutput, TrainConfig, bool],
                          tf.data.Dataset]


@dataclasses.dataclass(frozen=True)
class TrainerTask:
    """Label, loss, data and serving interface of one task.

    The optional fields are hooks for tasks whose examples are not model samples (Jena: rows of
    a time series, windowed in the trainer); left at None, the IMDB behaviour applies.
    """

    label_key: str  # label of the Evaluator's examples (and of the training batches by default)
    loss: str
    metrics: tuple[Any, ...]  # Keras metric names or objects
    serving_input: str  # input name of the `serving_default` signature
    raw_features: tuple[str, ...]  # raw tf.Example features a prediction needs (no label)
    serving_spec: tf.TensorSpec | None  # raw request tensor (text, or a window of observations)
    output_key: str  # output name of both serving signatures
    to_raw_features: RawToFeatures  # raw request -> raw feature dict for the TFT layer
    # Model output [batch, 1] -> served value [batch] (e.g. de-normalization for regression).
    postprocess: Callable[[tf.Tensor, tft.TFTransformOutput], tf.Tensor] = (
        lambda output, _: tf.reshape(output, [-1]))
    # None: batches of transformed examples with `label_key` as the label (data.make_dataset).
    make_dataset: DatasetFactory | None = None
    # Transformed features -> model inputs; None: the features named like the model's inputs.
    to_model_inputs: Callable[[dict[str, tf.Tensor]], dict[str, tf.Tensor]] | None = None
    # Serialized tf.Examples -> the raw request of `serving_default`; None: parse the raw
    # features (`raw_features`) with the raw feature spec.
    parse_examples: Callable[[tf.Tensor], tf.Tensor] | None = None
    model_kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # for builders
    # Built model -> the model trained, evaluated and served (Jena: missing values filled first).
    wrap_model: Callable[[keras.Model], keras.Model] | None = None
    metadata: Mapping[str, Any] | None = None  # stored in the SavedModel (see export.py)
    # Fills in what depends on the data and config (column order, window shape, statistics).
    bind: Callable[[TrainerTask, TrainConfig, tft.TFTransformOutput], TrainerTask] | None = None

    def resolve(self, config: TrainConfig, tf_transform_output: tft.TFTransformOutput):
        """The task bound to this run's config and Transform output."""
        return self.bind(self, config, tf_transform_output) if self.bind else self


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


def _unbound(*_):
    raise ValueError("this task depends on the data: call TrainerTask.resolve() first")


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
    "jena": TrainerTask(
        label_key=features.JENA_WINDOW_TARGET,
        loss="mae",  # on the normalized temperature, as in the book; ×std gives °C
        metrics=(),  # bind adds mae_degc
        serving_input=jena.WINDOW_INPUT,
        raw_features=(),  # bind: the columns present
        serving_spec=None,  # bind: [None, lookback / step, columns]
        output_key=jena.OUTPUT_KEY,
        to_raw_features=_unbound,
        make_dataset=jena.make_dataset,
        bind=jena.bind,
    ),
}


def get_task(name: str) -> TrainerTask:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {sorted(TASKS)}")
    return TASKS[name]
