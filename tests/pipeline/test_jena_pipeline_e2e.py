"""End-to-end Jena pipeline on the damaged real 4,000-row fragment (LocalDagRunner, ~3 minutes).

Two days of history (lookback 288, hourly steps), a 6-hour forecast, the GRU for 2 epochs. The
fragment carries sentinels, empty and unparseable fields and two time gaps (see conftest). Every
expectation is recomputed from the CSV's own text with NumPy (tests/jena_fixture.py), never
from the project's ingestion: split sizes, the windows, the common-sense baseline, and the raw
windows a client would send, whose forecasts must equal what the Evaluators scored.
"""

from __future__ import annotations

import glob
import json
import os

import jena_fixture
import numpy as np
import pytest

pytestmark = pytest.mark.e2e

INTERVAL = 600


@pytest.fixture(scope="module")
def pipeline_run(jena_small_run):
    return jena_small_run


@pytest.fixture(scope="module")
def csv(pipeline_run):
    """The CSV as a client has it: (timestamps, {column: values}), -9999.0 kept as it is."""
    cfg, _ = pipeline_run
    return jena_fixture.read_raw(cfg.data_root, sentinel_as_nan=False)


def split_bounds(rows: int) -> tuple[int, int]:
    """The 2nd edition's 50/25/25% chronological split, for a series this short."""
    return int(0.5 * rows), int(0.5 * rows) + int(0.25 * rows)


@pytest.fixture(scope="module")
def reference_windows(pipeline_run, csv):
    """Test windows from the CSV: target times, raw windows [n, steps, columns], raw targets."""
    cfg, _ = pipeline_run
    stamps, columns = csv
    window = cfg.train.window
    _, eval_end = split_bounds(len(stamps))
    test = stamps[eval_end:]
    temperature = columns["T (degC)"][eval_end:]
    position = {int(t): i for i, t in enumerate(test)}
    names = json.loads(_served(pipeline_run).model_metadata().numpy())["columns"]
    order = [column["original"] for column in names]
    matrix = np.stack([columns[name][eval_end:] for name in order], axis=1)
    targets, rows = [], []
    for start in range(len(test) - window.span):
        evenly_spaced = test[start + window.span] - test[start] == window.span * INTERVAL
        if evenly_spaced and np.isfinite(temperature[start + window.span]):
            targets.append(int(test[start + window.span]))
            rows.append([position[int(test[start]) + k * INTERVAL]
                         for k in range(0, window.lookback, window.step)])
    return (np.array(targets), matrix[np.array(rows)].astype(np.float32),
            temperature[[position[t] for t in targets]])


def _served(pipeline_run):
    import tensorflow as tf

    _, summary = pipeline_run
    return tf.saved_model.load(
        os.path.join(summary.artifacts["Trainer"]["model"], "Format-Serving"))


@pytest.fixture(scope="module")
def evaluated_examples(pipeline_run):
    """The serialized window examples the Evaluators read, and their target times."""
    import tensorflow as tf

    _, summary = pipeline_run
    files = glob.glob(os.path.join(summary.artifacts["JenaWindowExamples"]["examples"],
                                   "Split-test", "*"))
    records = list(tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator())
    times = [tf.train.Example.FromString(r).features.feature["target_timestamp"]
             .int64_list.value[0] for r in records]
    return records, np.array(times)


def test_splits_are_chronological_and_reported(pipeline_run, csv):
    _, summary = pipeline_run
    stamps, _ = csv
    train_end, eval_end = split_bounds(len(stamps))
    counts = {split: entry["examples"] for split, entry in summary.ingest_report.items()}
    assert counts == {"train": train_end, "eval": eval_end - train_end,
                      "test": len(stamps) - eval_end}
    test_report = summary.ingest_report["test"]
    assert test_report["kept"]["sentinel -9999.0 in 'p (mbar)' (the graph fills it)"] == 3
    assert test_report["kept"]["unparseable value in 'rh (%)' (the graph fills it)"] == 1
    assert test_report["skipped"][
        "missing 10-minute step in a time gap (windows do not cross it)"] == 6
    examples = summary.artifacts["JenaExampleGen"]["examples"]
    with open(os.path.join(examples, "jena_ingest.json"), encoding="utf-8") as handle:
        ingest = json.load(handle)
    assert {c["feature"]: c["original"] for c in ingest["columns"]}["t_degc"] == "T (degC)"


def test_every_stage_ran_once_and_the_merger_ands_both_evaluators(pipeline_run):
    _, summary = pipeline_run
    for node in ("JenaExampleGen", "Transform", "Trainer", "FixedBaseline",
                 "JenaWindowExamples", "Evaluator", "BaselineEvaluator", "BlessingMerger",
                 "Canary", "Pusher"):
        assert node in summary.artifacts, node
    assert not summary.cached
    verdicts = {node: summary.evaluations[node].blessed
                for node in ("Evaluator", "BaselineEvaluator")}
    assert verdicts["Evaluator"] is True  # first run: no earlier blessed model to regress from
    # The Canary served the candidate's test windows over REST and gRPC as in-process.
    assert summary.canary["blessed"], summary.canary
    assert max(summary.canary["max_abs_difference"].values()) <= 1e-5
    assert summary.blessed == all(verdicts.values())
    assert bool(summary.pushed_to) == summary.blessed


def test_the_evaluators_saw_exactly_the_windows_numpy_finds_in_the_csv(
        evaluated_examples, reference_windows):
    _, times = evaluated_examples
    targets, _, _ = reference_windows
    np.testing.assert_array_equal(np.sort(times), targets)


def test_raw_csv_windows_served_equal_what_the_evaluator_scored(
        pipeline_run, evaluated_examples, reference_windows):
    """The skew test: a client's raw window, sentinels and gaps as in the file."""
    import tensorflow as tf

    records, times = evaluated_examples
    targets, raw, _ = reference_windows
    assert np.isnan(raw).any() and (raw == -9999.0).any()
    served = _served(pipeline_run)
    by_client = served.signatures["serving_default"](window=tf.constant(raw))["forecast"]
    by_evaluator = served.signatures["serving_tf_example"](examples=tf.constant(records))
    by_time = dict(zip(times.tolist(), by_evaluator["forecast"].numpy(), strict=True))
    scored = np.array([by_time[t] for t in targets.tolist()])
    assert np.isfinite(by_client.numpy()).all()
    np.testing.assert_allclose(by_client.numpy(), scored, rtol=1e-5, atol=1e-5)


def test_results_hold_baseline_and_model_mae_in_celsius(pipeline_run, reference_windows):
    import tensorflow as tf

    from core import tasks
    from pipeline import results

    _, summary = pipeline_run
    _, raw, target = reference_windows
    # Common sense: the window's last measured temperature, else the train mean (NumPy).
    temperature = raw[:, :, [c["original"] for c in json.loads(
        _served(pipeline_run).model_metadata().numpy())["columns"]].index("T (degC)")]
    measured = np.isfinite(temperature)
    assert (~measured[:, -1]).any()  # some windows end on a missing temperature
    last = np.array([row[ok][-1] for row, ok in zip(temperature, measured, strict=True)])
    common_sense = np.mean(np.abs(last - target))
    against_baseline = summary.evaluations["BaselineEvaluator"]
    assert against_baseline.metrics["example_count"] == len(target)
    assert against_baseline.baseline_metrics["mean_absolute_error"] == pytest.approx(
        common_sense, abs=1e-4)
    forecast = _served(pipeline_run).signatures["serving_default"](window=tf.constant(raw))
    model_mae = np.mean(np.abs(forecast["forecast"].numpy() - target))
    assert against_baseline.metrics["mean_absolute_error"] == pytest.approx(model_mae, abs=1e-4)
    assert "FixedBaseline" in against_baseline.baseline_model
    assert summary.evaluations["Evaluator"].baseline_model is None  # first run
    assert summary.training["Trainer"]["metrics"]["val_mae_degc"] > 0
    text = results.format_summary(summary, units=tasks.get_task_spec("jena").metric_units)
    shown = against_baseline.metrics["mean_absolute_error"]
    assert (f"mean_absolute_error: {shown:.4f} °C  (baseline {common_sense:.4f} °C)" in text)


def test_model_statistics_are_the_measured_train_rows(pipeline_run, csv):
    stamps, columns = csv
    train_end, _ = split_bounds(len(stamps))
    metadata = json.loads(_served(pipeline_run).model_metadata().numpy())
    for column in metadata["columns"]:
        values = columns[column["original"]][:train_end]
        values = values[np.isfinite(values) & (values != -9999.0)]
        assert column["train_mean"] == pytest.approx(values.mean(), rel=1e-5, abs=1e-4)
        assert column["train_std"] == pytest.approx(values.std(), rel=1e-4)


def test_a_blessed_model_is_pushed_in_versioned_layout(pipeline_run):
    cfg, summary = pipeline_run
    if not summary.blessed:
        pytest.skip(f"not blessed on this fragment and seed: {summary.failures}")
    versions = os.listdir(cfg.push_dir)
    assert len(versions) == 1 and versions[0].isdigit()
    assert summary.pushed_to == os.path.join(cfg.push_dir, versions[0])
    for part in ("saved_model.pb", "variables", os.path.join("assets.extra",
                                                              "model_metadata.json")):
        assert os.path.exists(os.path.join(summary.pushed_to, part)), part
