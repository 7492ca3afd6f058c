"""Which windows a time series holds (DLwP 6.3): start rows and offsets, in NumPy.

Shared by the Trainer (trainer/windows.py builds batches from them) and the Evaluators' window
examples (components/jena_windows.py), so both see exactly the same windows.

A window starting at row `s` holds rows `s, s + step, ..., s + lookback - step` and its target is
row `s + span` with `span = lookback - step + delay`: `delay` rows after the last observation.
A window is kept only when every step from its first row to its target is the series' regular
interval (it never crosses a time gap), and only when its target holds a value.
"""

from __future__ import annotations

import numpy as np

from core.config import WindowConfig


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


def input_offsets(window: WindowConfig) -> np.ndarray:
    """Row offsets of a window's observations from its start row."""
    return np.arange(0, window.lookback, window.step, dtype=np.int64)
