"""Benchmark: Jena windows, tf.data vs the book's Python generator; pipeline wall time.

Both produce the same windows of the real 4,000-row fragment (checked batch by batch before
timing): the tf.data pipeline of trainer/windows.py (start rows only, each batch gathered when
read, with a prefetch thread, as Keras `fit` iterates it) and the generator of DLwP listing 6.33
(NumPy, one window at a time, in Python). Each is timed in 7 interleaved trials and the median
is kept (the machine may be shared). The generator's
target is `delay` rows after `row`, one `step` past the last observation, so it is called with
`delay - step` to forecast the same row. It also never yields its last partial batch, so both
are timed on the same number of full batches. Then the whole pipeline runs once on the fragment.

Writes bench/results/jena_windows.{json,md}.
Usage: python bench/jena_windows.py --data-dir ../shared/data/jena/<fragment>.csv.gz
       [--epochs N] [--skip-pipeline]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys
import tempfile
import time

import numpy as np

from bench import common

REPO = pathlib.Path(__file__).resolve().parents[1]
BOOK = {"lookback": 720, "step": 6, "delay": 144}  # 5 days, hourly, 24 h ahead
SHORT = {"lookback": 288, "step": 6, "delay": 36}  # what the e2e test uses on the fragment
BATCH_SIZE = 128
TRIALS = 7  # timed repetitions per method; the median is reported


def generator(data, lookback, delay, min_index, max_index, shuffle=False, batch_size=128,
              step=6):
    """DLwP (1st ed.) listing 6.33, verbatim apart from formatting."""
    if max_index is None:
        max_index = len(data) - delay - 1
    i = min_index + lookback
    while 1:
        if shuffle:
            rows = np.random.randint(min_index + lookback, max_index, size=batch_size)
        else:
            if i + batch_size >= max_index:
                i = min_index + lookback
            rows = np.arange(i, min(i + batch_size, max_index))
            i += len(rows)
        samples = np.zeros((len(rows), lookback // step, data.shape[-1]))
        targets = np.zeros((len(rows),))
        for j, _row in enumerate(rows):
            indices = range(rows[j] - lookback, rows[j], step)
            samples[j] = data[indices]
            targets[j] = data[rows[j] + delay][1]
        yield samples, targets


def load_fragment(data_dir: pathlib.Path, cache: pathlib.Path):
    from components import jena_csv
    from core.config import JenaIngestConfig
    from rawdata import locate

    csv_path = locate.resolve_jena(data_dir, cache)
    data = jena_csv.read_jena_csv(str(csv_path), JenaIngestConfig())
    stamps = np.concatenate([data.splits[s].timestamps for s in jena_csv.SPLITS])
    values = np.concatenate([data.splits[s].values for s in jena_csv.SPLITS])
    train = data.splits["train"].values
    normalized = ((values - train.mean(axis=0)) / train.std(axis=0)).astype(np.float32)
    if data.names[1] != "t_degc":
        raise ValueError(f"the book's generator reads the temperature from column 1: {data.names}")
    return stamps, normalized


def measure_windows(stamps, values, params: dict, epochs: int) -> dict:
    from core import windows as window_index
    from core.config import WindowConfig
    from trainer import windows

    window = WindowConfig(**params)
    starts = window_index.window_starts(stamps, window)
    delay_book = window.delay - window.step
    max_index = len(values) - delay_book  # the book's default drops the last window
    steps = (max_index - window.lookback) // BATCH_SIZE  # full batches, as the book counts
    dataset = windows.make_window_dataset(
        values, values[:, 1], starts, window, BATCH_SIZE, input_name="window", shuffle=False,
        repeat=False, seed=0).take(steps)
    book = generator(values, window.lookback, delay_book, 0, max_index, batch_size=BATCH_SIZE,
                     step=window.step)
    for (inputs, targets), (samples, book_targets) in zip(dataset, book, strict=False):
        np.testing.assert_allclose(inputs["window"].numpy(), samples, rtol=1e-6)
        np.testing.assert_allclose(targets.numpy()[:, 0], book_targets, rtol=1e-6)
    count = steps * BATCH_SIZE * epochs

    def time_tf_data():
        start = time.perf_counter()
        for _ in range(epochs):
            for inputs, _targets in dataset:
                inputs["window"].numpy()
        return time.perf_counter() - start

    def time_generator():
        start = time.perf_counter()
        for _ in range(steps * epochs):
            next(book)
        return time.perf_counter() - start

    # The machine is shared: interleave the trials and keep the median of each.
    trials = [(time_tf_data(), time_generator()) for _ in range(TRIALS)]
    tf_seconds, book_seconds = (float(np.median(column)) for column in zip(*trials, strict=True))
    return {**params, "windows_per_epoch": steps * BATCH_SIZE, "epochs": epochs,
            "trials": TRIALS, "windows_timed": count,
            "tf_data_windows_per_s": round(count / tf_seconds),
            "generator_windows_per_s": round(count / book_seconds),
            "speedup": round(book_seconds / tf_seconds, 1), "same_windows": True,
            "trial_seconds_tf_data_generator": [
                [round(value, 3) for value in trial] for trial in trials]}


def measure_pipeline(data_dir: pathlib.Path, work: pathlib.Path) -> dict:
    from pipeline import results

    args = ["--lookback", str(SHORT["lookback"]), "--step", str(SHORT["step"]),
            "--delay", str(SHORT["delay"]), "--epochs", "2", "--model", "gru"]
    run = common.run_measured(
        [sys.executable, "-m", "pipeline", "run", "jena", "--data-dir", str(data_dir),
         "--output-dir", str(work / "outputs"), "--cache-dir", str(work / "cache"),
         "--no-cache", *args], work / "pipeline.log", env={"PYTHONPATH": str(REPO)})
    if run["returncode"]:
        sys.exit(f"pipeline failed, see {work / 'pipeline.log'}")
    summary = results.summarize(str(work / "outputs" / "metadata" / "jena-pipeline.sqlite"))
    against = summary.evaluations["BaselineEvaluator"]
    return {**run, "args": " ".join(args), "blessed": summary.blessed,
            "model_mae_degc": round(against.metrics["mean_absolute_error"], 4),
            "baseline_mae_degc": round(against.baseline_metrics["mean_absolute_error"], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=pathlib.Path, required=True)
    parser.add_argument("--epochs", type=int, default=20,
                        help="passes over the windows per timed trial (default 20)")
    parser.add_argument("--skip-pipeline", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    work = pathlib.Path(tempfile.mkdtemp(prefix="jena-bench-"))
    try:
        stamps, values = load_fragment(args.data_dir.resolve(), work / "cache")
        payload = {"machine": common.machine(), "rows": len(values), "batch_size": BATCH_SIZE,
                   "windows": [measure_windows(stamps, values, params, args.epochs)
                               for params in (BOOK, SHORT)]}
        if not args.skip_pipeline:
            print("pipeline run on the fragment ...", flush=True)
            payload["pipeline"] = measure_pipeline(args.data_dir.resolve(), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = [["windows (lookback/step/delay)", "windows per trial", "tf.data (windows/s)",
              "book generator (windows/s)", "tf.data speedup", ""]]
    table += [[f"{w['lookback']}/{w['step']}/{w['delay']}", str(w["windows_timed"]),
               str(w["tf_data_windows_per_s"]), str(w["generator_windows_per_s"]),
               f"{w['speedup']}x", ""] for w in payload["windows"]]
    if "pipeline" in payload:
        run = payload["pipeline"]
        table.append([f"pipeline on the fragment ({run['args']})",
                      f"wall {run['wall_seconds']} s", f"peak RSS {run['peak_rss_mb']} MB",
                      f"MAE {run['model_mae_degc']} °C", f"baseline {run['baseline_mae_degc']} °C",
                      f"blessed: {run['blessed']}"])
    print(common.write_results("jena_windows", payload, table).read_text())


if __name__ == "__main__":
    main()
