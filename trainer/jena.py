"""Jena trainer task: time-sorted series -> windows, and the window serving interface.

The "jena" registry entry (core/tasks.py) names `TASK`, which trainer/run.py reads:

- `make_dataset` reads a transformed split into memory as a series sorted by time (14 floats a
  row) and windows it on the fly (trainer/windows.py); no window set is ever written.
- `bind` fills in what depends on the data: the column order (known Jena columns in file order,
  then any others sorted), the window length, and the temperature's TFT statistics, which
  de-normalize the forecast to °C and give the `mae_degc` training metric.

Serving (`serving_default`): a raw window, float32 [batch, lookback / step, features] of
unnormalized observations in the stored column order, NaN or the sentinel where a value is
missing; the TFT graph normalizes it and the model's first layer fills what is missing
(`windows.forward_fill`), exactly as for the training and evaluation windows.
The tf.Example signature takes one serialized example per window, each column a float list of
`lookback / step` raw values (oldest first), as written by components/jena_windows.py; it
stacks them in the stored column order and serves them exactly like `serving_default`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from tfx_bsl.public import tfxio

from core import features
from core import windows as window_index
from core.config import TrainConfig, WindowConfig
from trainer import windows
from trainer.task import TrainerTask, dense_to_raw_feature

WINDOW_INPUT = features.JENA_WINDOW_INPUT
_PROBE = (0.0, 1000.0)  # raw values whose transformed images give each column's mean and std


def feature_columns(tf_transform_output: tft.TFTransformOutput) -> tuple[str, ...]:
    """Window column order for the raw features the Transform saw; requires the temperature."""
    columns = features.jena_column_order(tf_transform_output.raw_feature_spec())
    if features.JENA_TEMPERATURE not in columns:
        raise ValueError(f"the Jena data has no temperature feature "
                         f"'{features.JENA_TEMPERATURE}'; found {list(columns)}")
    return columns


def normalization_stats(
    tf_transform_output: tft.TFTransformOutput, columns: tuple[str, ...]
) -> dict[str, tuple[float, float]]:
    """Each column's (mean, std) as fitted by `tft.scale_to_z_score` on the train split.

    The z-score is affine, so the transformed images of two raw values recover it exactly;
    a column constant on train is only centred by TFT, which this reports as std 1.
    """
    low, high = _PROBE
    raw = {name: tf.constant(_PROBE, tf.float32) for name in columns}
    spec = tf_transform_output.raw_feature_spec()
    raw = {name: dense_to_raw_feature(values, spec[name]) for name, values in raw.items()}
    transformed = tf_transform_output.transform_raw_features(raw, drop_unused_features=True)
    stats = {}
    for name in columns:
        z_low, z_high = np.reshape(transformed[features.transformed_name(name)].numpy(), [-1])
        std = (high - low) / (float(z_high) - float(z_low))
        stats[name] = (low - float(z_low) * std, std)
    return stats


@dataclasses.dataclass(frozen=True)
class Series:
    """One split sorted by time: timestamps [rows], normalized features [rows, columns]."""

    timestamps: np.ndarray
    features: np.ndarray
    targets: np.ndarray  # the normalized temperature


def load_series(
    file_pattern: list[str],
    data_accessor,
    tf_transform_output: tft.TFTransformOutput,
    columns: tuple[str, ...],
) -> Series:
    """Reads a transformed split into memory and sorts it by time (ExampleGen order is not)."""
    options = tfxio.TensorFlowDatasetOptions(batch_size=8192, shuffle=False, num_epochs=1)
    dataset = data_accessor.tf_dataset_factory(
        file_pattern, options, tf_transform_output.transformed_metadata.schema)
    keys = [features.JENA_TIMESTAMP] + [features.transformed_name(c) for c in columns]
    parts: dict[str, list[np.ndarray]] = {key: [] for key in keys}
    for batch in dataset:
        for key in keys:
            parts[key].append(np.reshape(batch[key].numpy(), [-1]))
    if not parts[keys[0]]:
        raise ValueError(f"no examples in {file_pattern}")
    timestamps = np.concatenate(parts[keys[0]]).astype(np.int64)
    order = np.argsort(timestamps, kind="stable")
    matrix = np.stack([np.concatenate(parts[key]) for key in keys[1:]], axis=1)[order]
    target = columns.index(features.JENA_TEMPERATURE)
    return Series(timestamps[order], matrix.astype(np.float32), matrix[:, target])


def make_dataset(
    file_pattern: list[str],
    data_accessor,
    tf_transform_output: tft.TFTransformOutput,
    config: TrainConfig,
    training: bool,
) -> tf.data.Dataset:
    """Windows of a transformed split: ({"window": [batch, steps, columns]}, target [batch, 1])."""
    window = _window(config)
    series = load_series(file_pattern, data_accessor, tf_transform_output,
                         feature_columns(tf_transform_output))
    starts = window_index.window_starts(series.timestamps, window,
                                   has_target=np.isfinite(series.targets))
    return windows.make_window_dataset(
        series.features, series.targets, starts, window, config.batch_size,
        input_name=WINDOW_INPUT, shuffle=training,
        repeat=training and config.steps_per_epoch is not None, seed=config.seed)


def _window(config: TrainConfig) -> WindowConfig:
    if config.window is None:
        raise ValueError("the jena task needs TrainConfig.window (lookback, step, delay)")
    return config.window


def _scaled_absolute_error(y_true, y_pred, scale):
    error = tf.reshape(y_true, [-1]) - tf.reshape(tf.cast(y_pred, y_true.dtype), [-1])
    return scale * tf.abs(error)


class ForwardFill(keras.layers.Layer):
    """Keras layer over `windows.forward_fill`: the model itself repairs missing values."""

    def call(self, inputs):
        return windows.forward_fill(inputs)


def with_forward_fill(model: keras.Model) -> keras.Model:
    """`model` behind a ForwardFill layer, so every caller (fit, TFMA, serving) runs it."""
    inputs = keras.Input(model.input_shape[1:], name=WINDOW_INPUT)
    return keras.Model(inputs, model(ForwardFill(name="forward_fill")(inputs)), name=model.name)


class ScaledMeanAbsoluteError(keras.metrics.MeanMetricWrapper):
    """MAE of normalized values times the std: the error in the original unit (°C)."""

    def __init__(self, scale: float, name: str = "mae_degc", dtype=None):
        super().__init__(_scaled_absolute_error, name, dtype=dtype, scale=scale)


def bind(task, config: TrainConfig, tf_transform_output: tft.TFTransformOutput):
    """Returns `task` with the column order, window shape and TFT statistics filled in."""
    window = _window(config)
    columns = feature_columns(tf_transform_output)
    stats = normalization_stats(tf_transform_output, columns)
    mean, std = stats[features.JENA_TEMPERATURE]
    steps = window.sequence_length
    raw_spec = tf_transform_output.raw_feature_spec()

    def to_raw_features(raw_window, _):
        # The TFT graph scales single observations: feed it every row of every window.
        return {name: dense_to_raw_feature(tf.reshape(raw_window[:, :, i], [-1]), raw_spec[name])
                for i, name in enumerate(columns)}

    def to_model_inputs(transformed):
        rows = [tf.reshape(transformed[features.transformed_name(c)], [-1]) for c in columns]
        return {WINDOW_INPUT: tf.reshape(tf.stack(rows, axis=-1), [-1, steps, len(columns)])}

    def parse_examples(serialized):
        spec = {name: tf.io.FixedLenFeature([steps], tf.float32) for name in columns}
        parsed = tf.io.parse_example(serialized, spec)
        return tf.stack([parsed[name] for name in columns], axis=-1)

    def postprocess(output, _):
        return tf.reshape(output, [-1]) * std + mean

    return dataclasses.replace(
        task,
        raw_features=columns,
        serving_spec=tf.TensorSpec([None, steps, len(columns)], tf.float32, name=WINDOW_INPUT),
        to_raw_features=to_raw_features,
        to_model_inputs=to_model_inputs,
        parse_examples=parse_examples,
        postprocess=postprocess,
        metrics=(ScaledMeanAbsoluteError(std),),
        model_kwargs={"columns": columns},
        wrap_model=with_forward_fill,
        metadata=serving_metadata(config, columns, stats),
    )


def serving_metadata(
    config: TrainConfig, columns: tuple[str, ...], stats: dict[str, tuple[float, float]]
) -> dict[str, Any]:
    """What a client needs to build a request, stored in the model (see export.py)."""
    window = _window(config)
    originals = features.jena_original_names()
    return {
        "task": config.task,
        "model": config.model,
        "window": {**window.to_dict(), "sequence_length": window.sequence_length},
        "serving_default": {
            "input": WINDOW_INPUT, "dtype": "float32",
            "shape": [None, window.sequence_length, len(columns)],
            "meaning": "raw (unnormalized) observations, one row every `step` rows "
                       "(10-minute steps), oldest first, columns in `columns` order; NaN "
                       "or the sentinel where a value is missing (the model fills it from "
                       "the window's earlier values, else the train mean)",
            "output": TASK.output_key,
            "output_meaning": f"air temperature {window.delay} rows after the last "
                              "observation, in degC",
        },
        "serving_tf_example": {
            "input": "examples",
            "meaning": "serialized tf.Examples, one per window: each column a float list of "
                       "sequence_length raw values (oldest first), by feature name",
        },
        "columns": [{"feature": name, "original": originals.get(name),
                     "train_mean": stats[name][0], "train_std": stats[name][1]}
                    for name in columns],
        "target": features.JENA_TEMPERATURE,
        "missing_value": {"nan": True, "sentinel": features.JENA_SENTINEL},
    }


def _unbound(*_):
    raise ValueError("this task depends on the data: call TrainerTask.resolve() first")


TASK = TrainerTask(
    name="jena",
    loss="mae",  # on the normalized temperature, as in the book; ×std gives °C
    metrics=(),  # bind adds mae_degc
    raw_features=(),  # bind: the columns present
    serving_spec=None,  # bind: [None, lookback / step, columns]
    to_raw_features=_unbound,
    make_dataset=make_dataset,
    bind=bind,
)
