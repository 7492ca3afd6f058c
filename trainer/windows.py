"""Time-series windows (DLwP 6.3), generated on the fly with tf.data from a time-sorted series.

The Trainer (trainer/jena.py) batches the windows core/windows.py finds in each transformed
split, the same windows the Evaluators' examples hold (components/jena_windows.py). Windows are
taken per split, so they never cross a split boundary. Only the start rows are stored; each
batch is one gather from a strided view of the series (`WindowBatcher`), at memory speed rather
than the per-window work of the book's generator (bench/results/jena_windows.md).

Missing observations inside a window (NaN after the Transform graph) are filled by
`forward_fill`, the first layer of every Jena model (trainer/jena.py): it looks only at earlier
observations of the same window, so a served window is repaired exactly as in training and TFMA.
"""

from __future__ import annotations

import itertools

import numpy as np
import tensorflow as tf

from core.config import WindowConfig


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


class WindowBatcher:
    """Batches of windows, each built with one gather from a strided view of the series.

    The series is copied once, phase-major: the rows `r` with `r % step == p` form block `p`,
    so a window's observations (rows s, s + step, ..., s + lookback - step) are
    `sequence_length` consecutive rows of block `s % step`. A strided view shows every window
    as one contiguous [sequence_length, columns] block without copying, and a batch is a single
    fancy-index gather of such blocks: no per-window work, in Python or in the graph.
    """

    def __init__(self, features: np.ndarray, window: WindowConfig):
        rows, columns = np.shape(features)
        self._step, self._length = window.step, -(-rows // window.step)
        phases = np.full((window.step, self._length, columns), np.nan, np.float32)
        for phase in range(window.step):
            part = np.asarray(features[phase::window.step], np.float32)
            phases[phase, :len(part)] = part
        self._flat = phases.reshape(window.step * self._length, columns)
        steps = window.sequence_length
        row_stride, column_stride = self._flat.strides
        self._view = np.lib.stride_tricks.as_strided(
            self._flat, (max(len(self._flat) - steps + 1, 0), steps, columns),
            (row_stride, row_stride, column_stride), writeable=False)

    def windows(self, starts: np.ndarray) -> np.ndarray:
        """[len(starts), sequence_length, columns] float32 windows starting at `starts`."""
        starts = np.asarray(starts, np.int64)
        return self._view[(starts % self._step) * self._length + starts // self._step]


def window_batches(
    features: np.ndarray, targets: np.ndarray, starts: np.ndarray, window: WindowConfig,
    batch_size: int, *, shuffle: bool, seed: int, epoch: int = 0,
):
    """Yields one epoch of (windows [batch, steps, columns], targets [batch, 1]) NumPy batches.

    Shuffled epochs are seeded by (seed, epoch), so each epoch has its own order.
    """
    batcher = WindowBatcher(features, window)
    target_column = np.asarray(targets, np.float32).reshape(-1, 1)
    starts = np.asarray(starts, np.int64)
    if shuffle:
        starts = np.random.default_rng([seed, epoch]).permutation(starts)
    for first in range(0, len(starts), batch_size):
        chosen = starts[first:first + batch_size]
        yield batcher.windows(chosen), target_column[chosen + window.span]


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
    epochs = itertools.count()  # each pass over the dataset (a Keras epoch) reshuffles

    def batches():
        while True:
            for inputs, labels in window_batches(features, targets, starts, window, batch_size,
                                                 shuffle=shuffle, seed=seed,
                                                 epoch=next(epochs)):
                yield {input_name: inputs}, labels
            if not repeat:
                return

    spec = ({input_name: tf.TensorSpec([None, window.sequence_length, np.shape(features)[1]],
                                       tf.float32)},
            tf.TensorSpec([None, 1], tf.float32))
    dataset = tf.data.Dataset.from_generator(batches, output_signature=spec)
    return dataset.prefetch(tf.data.AUTOTUNE)
