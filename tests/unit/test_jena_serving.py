"""Transform statistics, the exported signatures and the common-sense baseline, on real rows.

The Transform graph is fitted in memory (tft_beam) on the train split of the 4,000-row fragment,
as the pipeline's Transform does; no TFX run.
"""

from __future__ import annotations

import json
import os

import jena_fixture
import numpy as np
import pytest
import tensorflow as tf

from components import jena_gen, jena_windows
from pipeline.config import JenaIngestConfig, TrainConfig, WindowConfig
from trainer import export, jena, models, tasks, windows
from transform import features
from transform import jena as jena_transform

WINDOW = WindowConfig(lookback=48, step=6, delay=12)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = jena_fixture.plain_csv(jena_fixture.FRAGMENT, tmp_path_factory.mktemp("jena"))
    return jena_gen.read_jena_csv(str(path), JenaIngestConfig())


@pytest.fixture(scope="module")
def transform_output(data, tmp_path_factory):
    import apache_beam as beam
    import tensorflow_transform as tft
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils

    spec = {features.JENA_TIMESTAMP: tf.io.FixedLenFeature([1], tf.int64)}
    spec |= {name: tf.io.FixedLenFeature([1], tf.float32) for name in data.names}
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(spec))
    train = data.splits["train"]
    rows = [{features.JENA_TIMESTAMP: [int(stamp)],
             **{name: [float(v)] for name, v in zip(data.names, values, strict=True)}}
            for stamp, values in zip(train.timestamps, train.values, strict=True)]
    root = tmp_path_factory.mktemp("transform")
    with beam.Pipeline() as pipeline, tft_beam.Context(temp_dir=str(root / "tmp")):
        transform_fn = ((pipeline | beam.Create(rows), metadata)
                        | tft_beam.AnalyzeDataset(
                            lambda inputs: jena_transform.preprocessing_fn(inputs, {})))
        _ = transform_fn | tft_beam.WriteTransformFn(str(root / "transform"))
        _ = metadata | tft_beam.WriteMetadata(
            str(root / "transform" / tft.TFTransformOutput.RAW_METADATA_DIR), pipeline)
    return tft.TFTransformOutput(str(root / "transform"))


def _config(model: str) -> TrainConfig:
    return TrainConfig(task="jena", model=model, text=None, window=WINDOW, units=8)


def _export(model_name, transform_output, export_dir):
    task = tasks.get_task("jena").resolve(_config(model_name), transform_output)
    spec = models.get_model_spec(model_name, "jena")
    model = spec.builder(_config(model_name), **task.model_kwargs)
    export.export_serving_model(model, spec, task, transform_output, str(export_dir))
    return task, model, tf.saved_model.load(str(export_dir)), str(export_dir)


@pytest.fixture(scope="module")
def dense(transform_output, tmp_path_factory):
    return _export("jena_dense", transform_output, tmp_path_factory.mktemp("dense"))


@pytest.fixture(scope="module")
def common_sense(transform_output, tmp_path_factory):
    return _export("jena_common_sense", transform_output, tmp_path_factory.mktemp("baseline"))


def test_column_order_is_the_files_and_temperature_is_required(data, transform_output):
    columns = jena.feature_columns(transform_output)
    assert list(columns) == data.names  # the known Jena columns, in file order


def test_z_score_statistics_equal_numpy_on_the_train_rows_only(data, transform_output):
    columns = jena.feature_columns(transform_output)
    stats = jena.normalization_stats(transform_output, columns)
    train = data.splits["train"].values.astype(np.float64)
    for j, name in enumerate(columns):
        mean, std = stats[name]
        assert mean == pytest.approx(train[:, j].mean(), rel=1e-5, abs=1e-4), name
        assert std == pytest.approx(train[:, j].std(), rel=1e-4), name
    everything = np.concatenate([data.splits[s].values for s in jena_gen.SPLITS])
    t = columns.index(features.JENA_TEMPERATURE)
    assert abs(stats[features.JENA_TEMPERATURE][0] - everything[:, t].mean()) > 0.5


def test_eval_rows_are_scaled_with_train_statistics(data, transform_output):
    evaluation = data.splits["eval"]
    raw = {name: tf.constant(evaluation.values[:, j:j + 1], tf.float32)
           for j, name in enumerate(data.names)}
    raw[features.JENA_TIMESTAMP] = tf.constant(evaluation.timestamps[:, None])
    out = transform_output.transform_raw_features(raw, drop_unused_features=True)
    assert set(out) == ({features.transformed_name(n) for n in data.names}
                        | {features.JENA_TEMPERATURE, features.JENA_TIMESTAMP})
    train = data.splits["train"].values
    t = data.names.index(features.JENA_TEMPERATURE)
    expected = (evaluation.values[:, t] - train[:, t].mean()) / train[:, t].std()
    np.testing.assert_allclose(out["t_degc_xf"].numpy(), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["t_degc"].numpy(), evaluation.values[:, t], rtol=1e-6)
    np.testing.assert_array_equal(out["timestamp"].numpy(), evaluation.timestamps)


def _test_windows(data):
    test = data.splits["test"]
    starts = windows.window_starts(test.timestamps, WINDOW)
    rows = starts[:, None] + windows.input_offsets(WINDOW)[None, :]
    return test, starts, test.values[rows].astype(np.float32)


def test_serving_signature_on_raw_windows_equals_model_on_normalized_windows(data, dense):
    task, model, served, _ = dense
    _, _, raw = _test_windows(data)
    assert task.serving_spec.shape.as_list() == [None, 8, len(data.names)]
    forecast = served.signatures["serving_default"](window=tf.constant(raw))["forecast"]
    train = data.splits["train"].values
    mean, std = train.mean(axis=0), train.std(axis=0)
    normalized = ((raw - mean) / std).astype(np.float32)  # NumPy, not TFT
    t = data.names.index(features.JENA_TEMPERATURE)
    direct = model(normalized, training=False).numpy()[:, 0] * std[t] + mean[t]
    np.testing.assert_allclose(forecast.numpy(), direct, rtol=1e-4, atol=2e-3)


def test_tf_example_signature_matches_serving_default(data, dense):
    _, _, served, _ = dense
    test, _, raw = _test_windows(data)
    columns = dict(zip(data.names, test.values.T.astype(np.float32), strict=True))
    examples = list(jena_windows.serialize_windows(test.timestamps, columns, WINDOW, stride=1))
    assert len(examples) == len(raw) == 1000 - WINDOW.span
    by_example = served.signatures["serving_tf_example"](examples=tf.constant(examples))
    by_window = served.signatures["serving_default"](window=tf.constant(raw))
    np.testing.assert_allclose(by_example["forecast"], by_window["forecast"], rtol=1e-6)


def test_common_sense_baseline_mae_equals_numpy(data, common_sense):
    _, _, served, _ = common_sense
    test, starts, raw = _test_windows(data)
    temperature = test.values[:, data.names.index(features.JENA_TEMPERATURE)]
    targets = temperature[starts + WINDOW.span]
    expected = np.mean(np.abs(temperature[starts + WINDOW.lookback - WINDOW.step] - targets))
    forecast = served.signatures["serving_default"](window=tf.constant(raw))["forecast"].numpy()
    assert np.mean(np.abs(forecast - targets)) == pytest.approx(expected, abs=1e-4)
    assert expected == pytest.approx(0.788, abs=1e-3)  # 2-hour persistence, test week


def test_model_stores_its_column_order_and_window(data, dense):
    task, _, served, _ = dense
    metadata = json.loads(served.model_metadata().numpy())
    assert [c["feature"] for c in metadata["columns"]] == data.names
    assert metadata["columns"][1] == {**metadata["columns"][1], "feature": "t_degc",
                                      "original": "T (degC)"}
    assert metadata["window"]["sequence_length"] == 8
    assert metadata["serving_default"]["shape"] == [None, 8, len(data.names)]
    assert dict(task.metadata) == metadata


def test_model_metadata_is_also_an_extra_asset(dense):
    task, _, _, export_dir = dense
    with open(os.path.join(export_dir, export.METADATA_FILE), encoding="utf-8") as handle:
        assert json.load(handle) == dict(task.metadata)
