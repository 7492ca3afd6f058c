"""What the task-agnostic trainer needs to know about a task: the `TrainerTask` interface.

`trainer/train.py` and `trainer/export.py` never branch on the task: they read a `TrainerTask`.
Each task declares its own in its stage module (`trainer/imdb.py`, `trainer/jena.py`), named by
its registry entry (core/tasks.py), which also holds the label and output names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras

from core import tasks as registry
from core.config import TrainConfig

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

    name: str  # the registry entry (core/tasks.py)
    loss: str
    metrics: tuple[Any, ...]  # Keras metric names or objects
    raw_features: tuple[str, ...]  # raw tf.Example features a prediction needs (no label)
    serving_spec: tf.TensorSpec | None  # raw request tensor (text, or a window of observations)
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

    @property
    def label_key(self) -> str:
        """Label of the Evaluator's examples (and of the training batches by default)."""
        return registry.get_task_spec(self.name).label_key

    @property
    def output_key(self) -> str:
        """Output name of both serving signatures."""
        return registry.get_task_spec(self.name).output_key

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


def get_task(name: str) -> TrainerTask:
    """The TrainerTask a registry entry names."""
    task = registry.load(registry.get_task_spec(name).trainer_task)
    if not isinstance(task, TrainerTask) or task.name != name:
        raise ValueError(f"task {name!r}: {registry.get_task_spec(name).trainer_task} is not its "
                         "TrainerTask")
    return task
