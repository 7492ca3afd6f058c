"""Benchmark: Jena windows, the trainer's batches vs the book's Python generator; fit vs input.

All produce the same windows of the real 4,000-row fragment (checked batch by batch before
timing): the book's generator (DLwP listing 6.33: NumPy, one window at a time, in Python); the
trainer's NumPy batches (trainer/windows.py `window_batches`: one gather per batch from a
strided view, the same Python-generator interface as the book's); the trainer's tf.data dataset
over them, iterated as Python does; and the tf.data dataset used before issue 14 (one tf.gather
of every observation row per batch). Each is timed in 7 interleaved trials and the median is
kept (the machine may be shared). The generator's target is `delay` rows after `row`, one
`step` past the last observation, so it is called with `delay - step` to forecast the same row.
It also never yields its last partial batch, so all are timed on the same full batches.

Then `jena_gru` fits one epoch of a generated series (shape only) and the same dataset is read
alone: if input is a small share of the fit time, an epoch is bound by the model. Then the
whole pipeline runs once on the fragment.

Writes bench/results/jena_windows.{json,md}.
Usage: python -m bench.jena_windows --data-dir ../shared/data/jena/<fragment>.csv.gz
       [--epochs N] [--fit-rows N] [--fit-steps N] [--skip-pipeline]
"""

from __future__ import annotations

import argparse
import json
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


def gather_dataset(values, starts, window, batch_size):
    """The previous trainer/windows.py dataset (before issue 14): start rows batched in tf.data,
    then one tf.gather of every observation row of the batch: the "before" figure."""
    import tensorflow as tf

    from core.windows import input_offsets

    series = tf.constant(values, tf.float32)
    targets = tf.constant(np.reshape(values[:, 1], [-1, 1]), tf.float32)
    offsets = tf.constant(input_offsets(window))

    def gather(batch_starts):
        rows = batch_starts[:, tf.newaxis] + offsets[tf.newaxis, :]
        return ({"window": tf.gather(series, rows)},
                tf.gather(targets, batch_starts + window.span))

    dataset = tf.data.Dataset.from_tensor_slices(np.asarray(starts, np.int64))
    return dataset.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE)


def measure_windows(stamps, values, params: dict, epochs: int) -> dict:
    from core import windows as window_index
    from core.config import WindowConfig
    from trainer import windows

    window = WindowConfig(**params)
    starts = window_index.window_starts(stamps, window)
    delay_book = window.delay - window.step
    max_index = len(values) - delay_book  # the book's default drops the last window
    steps = (max_index - window.lookback) // BATCH_SIZE  # full batches, as the book counts
    starts = starts[:steps * BATCH_SIZE]
    dataset = windows.make_window_dataset(
        values, values[:, 1], starts, window, BATCH_SIZE, input_name="window", shuffle=False,
        repeat=False, seed=0)
    before = gather_dataset(values, starts, window, BATCH_SIZE)
    book = generator(values, window.lookback, delay_book, 0, max_index, batch_size=BATCH_SIZE,
                     step=window.step)
    batches = windows.window_batches(values, values[:, 1], starts, window, BATCH_SIZE,
                                     shuffle=False, seed=0)
    for (inputs, targets), (old, _), (fast, fast_targets), (samples, book_targets) in zip(
            dataset, before, batches, book, strict=False):
        for got, labels in ((inputs["window"].numpy(), targets.numpy()),
                            (old["window"].numpy(), None), (fast, fast_targets)):
            np.testing.assert_allclose(got, samples, rtol=1e-6)
            if labels is not None:
                np.testing.assert_allclose(labels[:, 0], book_targets, rtol=1e-6)
    count = steps * BATCH_SIZE * epochs

    def time_tf_data(data):
        def run():
            start = time.perf_counter()
            for _ in range(epochs):
                for inputs, _targets in data:
                    inputs["window"].numpy()
            return time.perf_counter() - start
        return run

    def time_batches():
        start = time.perf_counter()
        for _ in range(epochs):
            for _inputs, _targets in windows.window_batches(
                    values, values[:, 1], starts, window, BATCH_SIZE, shuffle=False, seed=0):
                pass
        return time.perf_counter() - start

    def time_generator():
        start = time.perf_counter()
        for _ in range(steps * epochs):
            next(book)
        return time.perf_counter() - start

    methods = {"generator": time_generator, "batches": time_batches,
               "tf_data": time_tf_data(dataset), "tf_data_before": time_tf_data(before)}
    # The machine is shared: interleave the trials and keep the median of each.
    trials = [{name: run() for name, run in methods.items()} for _ in range(TRIALS)]
    median = {name: float(np.median([t[name] for t in trials])) for name in methods}
    rate = {name: round(count / seconds) for name, seconds in median.items()}
    return {**params, "windows_per_epoch": steps * BATCH_SIZE, "epochs": epochs,
            "trials": TRIALS, "windows_timed": count,
            "generator_windows_per_s": rate["generator"],
            "batches_windows_per_s": rate["batches"],
            "tf_data_windows_per_s": rate["tf_data"],
            "tf_data_before_windows_per_s": rate["tf_data_before"],
            "batches_speedup": round(median["generator"] / median["batches"], 1),
            "tf_data_speedup": round(median["generator"] / median["tf_data"], 1),
            "tf_data_before_speedup": round(median["generator"] / median["tf_data_before"], 1),
            "same_windows": True,
            "trial_seconds": [{k: round(v, 3) for k, v in t.items()} for t in trials]}


def measure_fit(rows: int, steps: int) -> dict:
    """jena_gru: windows/s of `fit` against the same dataset read alone (input only).

    On a generated series of `rows` rows (bench/jena_series.py: shape only, no accuracy).
    """
    import tf_keras as keras

    from bench import jena_series
    from core import windows as window_index
    from core.config import TrainConfig, WindowConfig
    from trainer import windows
    from trainer.models import jena as jena_models

    stamps = jena_series.timestamps(rows, gaps=())
    values = jena_series.values(stamps).astype(np.float32)
    values = (values - values.mean(axis=0)) / values.std(axis=0)
    window = WindowConfig(**BOOK)
    starts = window_index.window_starts(stamps.astype(np.int64), window)[:steps * BATCH_SIZE]

    def dataset():
        return windows.make_window_dataset(values, values[:, 1], starts, window, BATCH_SIZE,
                                           input_name="window", shuffle=True, repeat=False,
                                           seed=0)

    start = time.perf_counter()
    for inputs, _ in dataset():
        inputs["window"].numpy()
    input_seconds = time.perf_counter() - start
    columns = tuple(f"c{i}" for i in range(values.shape[1] - 1)) + ("t_degc",)
    model = jena_models.build_gru(TrainConfig(task="jena", model="jena_gru", text=None,
                                              window=window), columns)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="mae")
    model.fit(dataset().take(2), epochs=1, verbose=0)  # build and trace outside the timing
    start = time.perf_counter()
    model.fit(dataset(), epochs=1, verbose=0)
    fit_seconds = time.perf_counter() - start
    count = len(starts)
    return {"model": "jena_gru", "window": BOOK, "rows": rows, "windows": count,
            "input_only_windows_per_s": round(count / input_seconds),
            "fit_windows_per_s": round(count / fit_seconds),
            "input_share_of_fit": round(input_seconds / fit_seconds, 3)}


def measure_pipeline(data_dir: pathlib.Path, work: pathlib.Path) -> dict:
    from pipeline import results

    args = ["--lookback", str(SHORT["lookback"]), "--step", str(SHORT["step"]),
            "--delay", str(SHORT["delay"]), "--epochs", "2", "--model", "gru"]
    run = common.run_measured(
        [sys.executable, "-m", "cli", "run", "jena", "--data-dir", str(data_dir),
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
    parser.add_argument("--fit-rows", type=int, default=60_000,
                        help="rows of the generated series for fit vs input only")
    parser.add_argument("--fit-steps", type=int, default=200, help="batches fitted")
    args = parser.parse_args()
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    work = pathlib.Path(tempfile.mkdtemp(prefix="jena-bench-"))
    try:
        stamps, values = load_fragment(args.data_dir.resolve(), work / "cache")
        payload = {"machine": common.machine(), "rows": len(values), "batch_size": BATCH_SIZE,
                   "windows": [measure_windows(stamps, values, params, args.epochs)
                               for params in (BOOK, SHORT)]}
        print("fit vs input only ...", flush=True)
        payload["fit"] = measure_fit(args.fit_rows, args.fit_steps)
        if not args.skip_pipeline:
            print("pipeline run on the fragment ...", flush=True)
            payload["pipeline"] = measure_pipeline(args.data_dir.resolve(), work)
        elif (common.RESULTS / "jena_windows.json").exists():  # keep the last measured run
            earlier = json.loads((common.RESULTS / "jena_windows.json").read_text())
            if "pipeline" in earlier:
                payload["pipeline"] = {**earlier["pipeline"], "not_re_run": True}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = [["windows (lookback/step/delay)", "windows per trial", "book generator (windows/s)",
              "batches, NumPy (windows/s)", "tf.data now (windows/s)",
              "tf.data before (windows/s)"]]
    table += [[f"{w['lookback']}/{w['step']}/{w['delay']}", str(w["windows_timed"]),
               str(w["generator_windows_per_s"]),
               f"{w['batches_windows_per_s']} ({w['batches_speedup']}x)",
               f"{w['tf_data_windows_per_s']} ({w['tf_data_speedup']}x)",
               f"{w['tf_data_before_windows_per_s']} ({w['tf_data_before_speedup']}x)"]
              for w in payload["windows"]]
    fit = payload["fit"]
    table.append([f"jena_gru 720/6/144, {fit['windows']} windows of a generated series",
                  "", "", f"input only {fit['input_only_windows_per_s']} windows/s",
                  f"fit {fit['fit_windows_per_s']} windows/s",
                  f"input = {fit['input_share_of_fit']:.1%} of fit time"])
    if "pipeline" in payload:
        run = payload["pipeline"]
        again = " (earlier run)" if run.get("not_re_run") else ""
        table.append([f"pipeline on the fragment{again} ({run['args']})",
                      f"wall {run['wall_seconds']} s", f"peak RSS {run['peak_rss_mb']} MB",
                      f"MAE {run['model_mae_degc']} °C", f"baseline {run['baseline_mae_degc']} °C",
                      f"blessed: {run['blessed']}"])
    print(common.write_results("jena_windows", payload, table).read_text())


if __name__ == "__main__":
    main()
