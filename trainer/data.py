"""Transformed TFRecords -> batched tf.data datasets of (features, label) for Keras."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_transform as tft
from tfx import v1 as tfx
from tfx_bsl.public import tfxio


def make_dataset(
    file_pattern: list[str],
    data_accessor: tfx.components.DataAccessor,
    tf_transform_output: tft.TFTransformOutput,
    label_key: str,
    batch_size: int,
    *,
    shuffle: bool,
    repeat: bool,
    seed: int,
) -> tf.data.Dataset:
    """Reads a transformed split as (features dict, label) batches.

    Args:
      repeat: loop forever (training with a fixed `steps_per_epoch`) instead of one pass.
    """
    options = tfxio.TensorFlowDatasetOptions(
        batch_size=batch_size, label_key=label_key, shuffle=shuffle, shuffle_seed=seed,
        num_epochs=None if repeat else 1)
    dataset = data_accessor.tf_dataset_factory(
        file_pattern, options, tf_transform_output.transformed_metadata.schema)
    return dataset.prefetch(tf.data.AUTOTUNE)


def limit_examples(dataset: tf.data.Dataset, count: int, batch_size: int, seed: int,
                   buffer_size: int = 10_000) -> tf.data.Dataset:
    """The same `count` examples every epoch (a seeded pick from an unshuffled read), reshuffled.

    DLwP's GloVe experiment trains on 200 reviews; picking them after the reader's per-epoch
    shuffle would show the model a different 200 each epoch.
    """
    examples = dataset.unbatch().shuffle(buffer_size, seed=seed, reshuffle_each_iteration=False)
    subset = examples.take(count).cache()
    return subset.shuffle(count, seed=seed).batch(batch_size).prefetch(tf.data.AUTOTUNE)
