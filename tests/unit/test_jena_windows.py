"""Windows (indices, sampling, targets) against a plain NumPy reference, gaps and boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from core import windows as window_index
from core.config import WindowConfig
from trainer import windows

INTERVAL = 600


def reference_windows(values, targets, stamps, window: WindowConfig):
    """Plain loops: every start whose rows up to the target are 10 minutes apart."""
    found = []
    for start in range(len(values)):
        target = start + window.lookback - window.step + window.delay
        if target >= len(values):
            break
        if any(stamps[i + 1] - stamps[i] != INTERVAL for i in range(start, target)):
            continue
        rows = list(range(start, start + window.lookback, window.step))
        found.append((start, values[rows], targets[target]))
    return found


def series(rows=80, gap_after=(37,), columns=3):
    """Values encode (row, column) so a wrong gather shows; a gap follows each `gap_after` row."""
    steps = np.full(rows - 1, INTERVAL)
    for row in gap_after:
        steps[row] = 5 * INTERVAL  # four missing 10-minute steps
    stamps = np.concatenate([[1_230_768_600], 1_230_768_600 + np.cumsum(steps)])
    values = np.arange(rows)[:, None] * 10.0 + np.arange(columns)[None, :]
    return stamps.astype(np.int64), values.astype(np.float32), values[:, 1].copy()


def collect(dataset):
    inputs, targets = [], []
    for batch_inputs, batch_targets in dataset:
        inputs.append(batch_inputs["window"].numpy())
        targets.append(batch_targets.numpy())
    return np.concatenate(inputs), np.concatenate(targets)


@pytest.mark.parametrize("window", [WindowConfig(12, 3, 5), WindowConfig(6, 6, 1),
                                    WindowConfig(10, 1, 4)])
def test_windows_equal_numpy_reference_with_a_gap(window):
    stamps, values, targets = series()
    expected = reference_windows(values, targets, stamps, window)
    starts = window_index.window_starts(stamps, window)
    assert starts.tolist() == [start for start, _, _ in expected]
    inputs, labels = collect(windows.make_window_dataset(
        values, targets, starts, window, batch_size=7, input_name="window", shuffle=False,
        repeat=False, seed=0))
    assert inputs.shape == (len(expected), window.sequence_length, values.shape[1])
    np.testing.assert_array_equal(inputs, np.stack([w for _, w, _ in expected]))
    np.testing.assert_array_equal(labels[:, 0], [t for _, _, t in expected])


def test_no_window_crosses_the_gap_and_the_target_is_delay_after_the_last_step():
    stamps, values, targets = series(rows=80, gap_after=(37,))
    window = WindowConfig(12, 3, 5)
    starts = window_index.window_starts(stamps, window)
    # A window covers rows start .. start + span; the gap is between rows 37 and 38.
    assert not any(start <= 37 < start + window.span for start in starts)
    assert starts.min() == 0 and starts.max() == 80 - 1 - window.span
    assert 37 - window.span in starts and 38 in starts
    inputs, labels = collect(windows.make_window_dataset(
        values, targets, starts, window, 64, input_name="window", shuffle=False, repeat=False,
        seed=0))
    last_row = inputs[:, -1, 0] / 10  # column 0 holds row * 10
    np.testing.assert_array_equal(labels[:, 0], (last_row + window.delay) * 10 + 1)


def test_short_split_has_no_window_and_the_dataset_says_why():
    stamps, values, targets = series(rows=20, gap_after=())
    window = WindowConfig(18, 6, 3)  # span 15: rows 0..15 fit, so starts 0..4
    assert window_index.window_starts(stamps, window).tolist() == [0, 1, 2, 3, 4]
    too_long = WindowConfig(18, 6, 8)  # span 20 > 19
    assert window_index.window_starts(stamps, too_long).size == 0
    with pytest.raises(ValueError, match="no window fits"):
        windows.make_window_dataset(values, targets, np.zeros([0], np.int64), too_long, 4,
                                    input_name="window", shuffle=False, repeat=False, seed=0)


def test_shuffled_epochs_hold_the_same_windows_in_another_order():
    stamps, values, targets = series()
    window = WindowConfig(12, 3, 5)
    starts = window_index.window_starts(stamps, window)
    dataset = windows.make_window_dataset(values, targets, starts, window, 16,
                                          input_name="window", shuffle=True, repeat=False,
                                          seed=3)
    first, second = collect(dataset)[1], collect(dataset)[1]
    ordered = collect(windows.make_window_dataset(
        values, targets, starts, window, 16, input_name="window", shuffle=False, repeat=False,
        seed=3))[1]
    assert sorted(first[:, 0]) == sorted(ordered[:, 0]) == sorted(second[:, 0])
    assert not np.array_equal(first, ordered) and not np.array_equal(first, second)


def test_window_starts_rejects_unsorted_or_duplicated_timestamps():
    stamps, _, _ = series(rows=10, gap_after=())
    with pytest.raises(ValueError, match="strictly increasing"):
        window_index.window_starts(stamps[::-1], WindowConfig(2, 1, 1))
    with pytest.raises(ValueError, match="strictly increasing"):
        window_index.window_starts(np.repeat(stamps, 2), WindowConfig(2, 1, 1))


def test_regular_interval_is_the_most_common_step():
    stamps, _, _ = series(rows=30, gap_after=(5, 9))
    assert window_index.regular_interval(stamps) == INTERVAL


def test_batches_equal_the_books_generator_on_the_real_fragment(jena_fragment, tmp_path):
    """DLwP listing 6.33 (bench/jena_windows.py) on the real series, the book's 720/6/144."""
    from bench import jena_windows as book

    stamps, values = book.load_fragment(jena_fragment, tmp_path)
    window = WindowConfig(720, 6, 144)
    delay = window.delay - window.step  # the book's target is `delay` after row `i`
    generated = book.generator(values, window.lookback, delay, 0, len(values) - delay,
                               batch_size=128, step=window.step)
    starts = window_index.window_starts(stamps, window)
    batches = windows.window_batches(values, values[:, 1], starts, window, 128, shuffle=False,
                                     seed=0)
    for _ in range((len(values) - delay - window.lookback) // 128):  # the book's full batches
        (inputs, labels), (samples, targets) = next(batches), next(generated)
        np.testing.assert_array_equal(inputs, samples.astype(np.float32))
        np.testing.assert_array_equal(labels[:, 0], targets.astype(np.float32))


def test_a_batch_reads_a_view_of_one_copy_of_the_series():
    _, values, _ = series(rows=600, gap_after=(), columns=4)
    batcher = windows.WindowBatcher(values, WindowConfig(60, 6, 6))
    view = batcher.windows(np.arange(10))
    assert not np.shares_memory(view, values)  # a batch is its own array (one gather) ...
    assert batcher._view.base is not None and not batcher._view.flags.writeable
    assert np.shares_memory(batcher._view, batcher._flat)  # ... from a view, not a window set
    assert batcher._flat.nbytes < 1.02 * values.nbytes


def test_evaluated_windows_are_capped_by_a_larger_documented_stride():
    from components import jena_windows

    stamps, values, _ = series(rows=400, gap_after=(100,))
    window = WindowConfig(12, 3, 5)
    every = window_index.window_starts(stamps, window)  # 372 windows
    starts, stride = jena_windows.evaluated_starts(stamps, values[:, 1], window, 1, 100)
    assert stride == 4 and len(starts) == 93 and starts.tolist() == every[::4].tolist()
    uncapped, one = jena_windows.evaluated_starts(stamps, values[:, 1], window, 1, 0)
    assert one == 1 and uncapped.tolist() == every.tolist()
    # A cap above the count changes nothing; a larger explicit stride wins over the cap.
    assert jena_windows.evaluated_starts(stamps, values[:, 1], window, 1, 1000)[1] == 1
    assert jena_windows.evaluated_starts(stamps, values[:, 1], window, 7, 100)[1] == 7
    examples = list(jena_windows.serialize_windows(
        stamps, {"t_degc": values[:, 1], "p_mbar": values[:, 0]}, window, 1, 100))
    assert len(examples) == 93


def test_max_eval_windows_flag_reaches_the_eval_config():
    from cli import main as cli
    from cli import run as cli_run
    from core import config as config_lib

    args = cli.build_parser().parse_args(["run", "jena", "--max-eval-windows", "500"])
    assert cli_run.config_from_args(args, "/d.csv").eval.max_eval_windows == 500
    assert config_lib.EvalConfig().max_eval_windows == 20_000
    with pytest.raises(ValueError, match="max_eval_windows -1 must be >= 0"):
        config_lib.EvalConfig(max_eval_windows=-1)
