"""Time-series windows (DLwP 6.3), generated on the fly with tf.data from a time-sorted series.

The Trainer (trainer/jena.py) batches the windows core/windows.py finds in each transformed
split, the same windows the Evaluators' examples hold (components/jena_windows.py). Windows are
taken per split, so they never cross a split boundary. Only the start rows are stored; each
batch is gathered from the series when read.

Missing observations inside a window (NaN after the Transform graph) are filled by
`forward_fill`, the first layer of every Jena model (trainer/jena.py): it looks only at earlier
observations of the same window, so a served window is repaired exactly as in training and TFMA.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from core.config import WindowConfig
from core.windows import input_offsets


def forward_fill(window: tf.Tensor) -> tf.Tensor:
    """Fills each NaN of [batch, steps, columns] with the column's last earlier value in the window.

    A column with no earlier value in the window gets 0: the train mean, in the z-score units
    of the Transform output. Causal and per window: nothing from outside the window (nor from
    a later step) is used, so a served window needs nothing but itself.
    """
    steps = window.shape[1]
    if steps is None:
        raise ValueError("forward_fill needs a static number of steps")
    valid = tf.math.is_finite(window)
    positions = tf.range(steps)[tf.newaxis, :, tf.newaxis]
    last = tf.where(valid, positions, -1)  # position of the last valid step so far, or -1
    shift = 1
    while shift < steps:  # a running maximum over time in log2(steps) passes
        earlier = tf.pad(last[:, :-shift], [[0, 0], [shift, 0], [0, 0]], constant_values=-1)
        last = tf.maximum(last, earlier)
        shift *= 2
    by_column = tf.transpose(window, [0, 2, 1])  # [batch, columns, steps]
    source = tf.transpose(tf.maximum(last, 0), [0, 2, 1])
    filled = tf.transpose(tf.gather(by_column, source, batch_dims=2), [0, 2, 1])
    return tf.where(last >= 0, filled, tf.zeros_like(window))


def make_window_dataset(
    features: np.ndarray,
    targets: np.ndarray,
    starts: np.ndarray,
    window: WindowConfig,
    batch_size: int,
    *,
    input_name: str,
    shuffle: bool,
    repeat: bool,
    seed: int,
) -> tf.data.Dataset:
    """Batches of ({input_name: [batch, lookback / step, features]}, targets [batch, 1]).

    Args:
      features: [rows, features] float series of one split, sorted by time.
      targets: [rows] float series the targets are read from (the temperature).
      starts: window start rows, from `window_starts`.
      shuffle: reshuffle the windows every epoch (training), else time order.
      repeat: loop forever (training with a fixed `steps_per_epoch`).
    """
    if len(starts) == 0:
        raise ValueError(f"no window fits: {len(features)} rows, windows span "
                         f"{window.span + 1} evenly spaced rows")
    series = tf.constant(features, tf.float32)
    target_series = tf.constant(np.reshape(targets, [-1, 1]), tf.float32)
    offsets = tf.constant(input_offsets(window))
    dataset = tf.data.Dataset.from_tensor_slices(np.asarray(starts, np.int64))
    if shuffle:
        dataset = dataset.shuffle(len(starts), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()

    def gather(batch_starts):
        rows = batch_starts[:, tf.newaxis] + offsets[tf.newaxis, :]
        return ({input_name: tf.gather(series, rows)},
                tf.gather(target_series, batch_starts + window.span))

    dataset = dataset.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
