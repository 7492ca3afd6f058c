"""Time-series windows (DLwP 6.3), generated on the fly with tf.data from a time-sorted series.

Used by the Trainer (trainer/jena.py, on the transformed splits) and by the Evaluator's window
examples (components/jena_windows.py, on the raw test split), so both see the same windows.

A window starting at row `s` holds rows `s, s + step, ..., s + lookback - step` and its target is
row `s + span` with `span = lookback - step + delay`: `delay` rows after the last observation.
Windows are taken per split, so they never cross a split boundary, and a window is kept only when
every step from its first row to its target is the series' regular interval, so it never crosses
a time gap, and only when its target holds a value. Only the start rows are stored; each batch is
gathered from the series when read.

Missing observations inside a window (NaN after the Transform graph) are filled by
`forward_fill`, the first layer of every Jena model (trainer/jena.py): it looks only at earlier
observations of the same window, so a served window is repaired exactly as in training and TFMA.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from pipeline.config import WindowConfig


def regular_interval(timestamps: np.ndarray) -> int:
    """The series' most common step between consecutive timestamps (600 s for Jena)."""
    steps = np.diff(np.asarray(timestamps, dtype=np.int64))
    steps = steps[steps > 0]
    if steps.size == 0:
        raise ValueError(f"cannot find the time step of a series of {len(timestamps)} rows")
    values, counts = np.unique(steps, return_counts=True)
    return int(values[np.argmax(counts)])


def window_starts(
    timestamps: np.ndarray, window: WindowConfig, interval: int | None = None,
    has_target: np.ndarray | None = None,
) -> np.ndarray:
    """Start rows of every window whose rows, first observation to target, are evenly spaced.

    Args:
      timestamps: strictly increasing int64 seconds of one split.
      interval: the regular step in seconds; default: the most common step of the series.
      has_target: [rows] bool, whether a row's temperature can be a target (it was measured);
        default: every row.

    Returns:
      int64 start rows, ascending.

    Raises:
      ValueError: the timestamps are not strictly increasing.
    """
    timestamps = np.asarray(timestamps, dtype=np.int64)
    steps = np.diff(timestamps)
    if np.any(steps <= 0):
        row = int(np.argmax(steps <= 0))
        raise ValueError(f"timestamps must be strictly increasing: row {row + 1} "
                         f"({timestamps[row + 1]}) follows {timestamps[row]}")
    if len(timestamps) <= window.span:
        return np.zeros([0], np.int64)
    interval = interval or regular_interval(timestamps)
    # breaks[i] = number of irregular steps among the first i steps.
    breaks = np.concatenate([[0], np.cumsum(steps != interval)])
    starts = np.arange(len(timestamps) - window.span, dtype=np.int64)
    keep = breaks[starts + window.span] == breaks[starts]
    if has_target is not None:
        keep &= np.asarray(has_target, bool)[starts + window.span]
    return starts[keep]


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


def input_offsets(window: WindowConfig) -> np.ndarray:
    """Row offsets of a window's observations from its start row."""
    return np.arange(0, window.lookback, window.step, dtype=np.int64)


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
