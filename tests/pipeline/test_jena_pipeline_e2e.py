"""End-to-end Jena pipeline on the real 4,000-row fragment (LocalDagRunner, ~3-4 minutes).

Two days of history (lookback 288, hourly steps), a 6-hour forecast, the GRU for 2 epochs: on
this fragment (trained on the first fortnight of January 2009, tested on its last week) the
pipeline's seed 42 beats the common-sense forecast by about 20% (1.30 vs 1.63 °C). Other seeds
do not always beat it; the fragment is too small for more, see the benchmark notes.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

pytestmark = pytest.mark.e2e

@pytest.fixture(scope="module")
def pipeline_run(jena_small_run):
    return jena_small_run


@pytest.fixture(scope="module")
def test_windows(pipeline_run):
    """Raw test windows and targets, straight from the CSV with NumPy."""
    from components import jena_gen
    from pipeline.config import JenaIngestConfig
    from trainer import windows

    cfg, _ = pipeline_run
    data = jena_gen.read_jena_csv(cfg.data_root, JenaIngestConfig())
    test = data.splits["test"]
    starts = windows.window_starts(test.timestamps, cfg.train.window)
    rows = starts[:, None] + windows.input_offsets(cfg.train.window)[None, :]
    temperature = test.values[:, data.names.index("t_degc")]
    return data, test.values[rows].astype(np.float32), temperature, starts


def test_splits_are_chronological_and_reported(pipeline_run):
    _, summary = pipeline_run
    counts = {split: entry["examples"] for split, entry in summary.ingest_report.items()}
    assert counts == {"train": 2000, "eval": 1000, "test": 1000}
    examples = summary.artifacts["JenaExampleGen"]["examples"]
    with open(os.path.join(examples, "jena_ingest.json"), encoding="utf-8") as handle:
        ingest = json.load(handle)
    splits = ingest["splits"]
    assert splits["train"]["last"] == "14.01.2009 21:20:00"
    assert splits["eval"]["first"] == "14.01.2009 21:30:00"
    assert splits["test"]["first"] == "21.01.2009 20:10:00"
    assert {c["feature"]: c["original"] for c in ingest["columns"]}["t_degc"] == "T (degC)"


def test_every_stage_ran_once(pipeline_run):
    _, summary = pipeline_run
    for node in ("JenaExampleGen", "Transform", "Trainer", "FixedBaseline",
                 "JenaWindowExamples", "Evaluator", "BaselineEvaluator", "BlessingMerger",
                 "Pusher"):
        assert node in summary.artifacts, node
    assert not summary.cached


def test_results_hold_baseline_and_model_mae_in_celsius(pipeline_run, test_windows):
    from pipeline import results, tasks

    cfg, summary = pipeline_run
    _, raw, temperature, starts = test_windows
    window = cfg.train.window
    common_sense = np.mean(np.abs(temperature[starts + window.lookback - window.step]
                                  - temperature[starts + window.span]))
    against_baseline = summary.evaluations["BaselineEvaluator"]
    assert against_baseline.metrics["example_count"] == len(starts) == 1000 - window.span
    assert against_baseline.baseline_metrics["mean_absolute_error"] == pytest.approx(
        common_sense, abs=1e-4)
    assert "FixedBaseline" in against_baseline.baseline_model
    assert summary.evaluations["Evaluator"].baseline_model is None  # first run
    assert summary.training["Trainer"]["metrics"]["val_mae_degc"] > 0
    text = results.format_summary(summary, units=tasks.get_task_spec("jena").metric_units)
    model_mae = against_baseline.metrics["mean_absolute_error"]
    assert (f"mean_absolute_error: {model_mae:.4f} °C  (baseline {common_sense:.4f} °C)"
            in text)


def test_model_beats_the_baseline_and_is_pushed_in_versioned_layout(pipeline_run):
    cfg, summary = pipeline_run
    against_baseline = summary.evaluations["BaselineEvaluator"]
    assert summary.blessed, (summary.failures, against_baseline)
    assert (against_baseline.metrics["mean_absolute_error"]
            < against_baseline.baseline_metrics["mean_absolute_error"])
    versions = os.listdir(cfg.push_dir)
    assert len(versions) == 1 and versions[0].isdigit()
    assert summary.pushed_to == os.path.join(cfg.push_dir, versions[0])
    for part in ("saved_model.pb", "variables", os.path.join("assets.extra",
                                                              "model_metadata.json")):
        assert os.path.exists(os.path.join(summary.pushed_to, part)), part


def test_pushed_model_serves_raw_windows_and_examples_consistently(pipeline_run, test_windows):
    import tensorflow as tf

    from components import jena_windows

    cfg, summary = pipeline_run
    data, raw, temperature, starts = test_windows
    served = tf.saved_model.load(summary.pushed_to)
    metadata = json.loads(served.model_metadata().numpy())
    assert [c["feature"] for c in metadata["columns"]] == data.names
    forecast = served.signatures["serving_default"](window=tf.constant(raw))["forecast"]
    targets = temperature[starts + cfg.train.window.span]
    mae = np.mean(np.abs(forecast.numpy() - targets))
    tfma_mae = summary.evaluations["Evaluator"].metrics["mean_absolute_error"]
    assert mae == pytest.approx(tfma_mae, abs=1e-3)
    test = data.splits["test"]
    columns = dict(zip(data.names, test.values.T.astype(np.float32), strict=True))
    examples = list(jena_windows.serialize_windows(test.timestamps, columns, cfg.train.window,
                                                   stride=1))
    by_example = served.signatures["serving_tf_example"](examples=tf.constant(examples[:64]))
    np.testing.assert_allclose(by_example["forecast"], forecast[:64], rtol=1e-5)
