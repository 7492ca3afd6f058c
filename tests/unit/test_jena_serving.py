"""Transform statistics, the exported signatures and the common-sense baseline, on real rows.

The Transform graph is fitted in memory (tft_beam) on the train split of the 4,000-row fragment,
as the pipeline's Transform does; no TFX run. Some of the real rows are damaged the way the
station's data goes wrong (the -9999 sentinel, empty and unparseable fields), and every figure
is checked against NumPy on the CSV's own text: missing values are left out of the statistics
and filled, inside the model, from earlier observations of the same window.
"""

from __future__ import annotations

import json
import os

import jena_fixture
import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from components import jena_csv, jena_windows
from core import features
from core import windows as window_index
from core.config import JenaIngestConfig, TrainConfig, WindowConfig
from trainer import export, jena, models, run, windows
from trainer import task as task_lib
from transform import jena as jena_transform

WINDOW = WindowConfig(lookback=48, step=6, delay=12)
# (data row, column) -> the field's new text. Train is rows 0-1999, test rows 3000-3999.
DAMAGE = {(10, "p (mbar)"): "-9999.0", (11, "p (mbar)"): "-9999.0", (50, "T (degC)"): "",
          (3100, "p (mbar)"): "-9999.0", (3101, "p (mbar)"): "-9999.0",
          (3102, "p (mbar)"): "-9999.0", (3200, "rh (%)"): "abc", (3300, "T (degC)"): "",
          (3306, "T (degC)"): "", (3312, "T (degC)"): ""}


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    return jena_fixture.damaged_csv(tmp_path_factory.mktemp("jena"), DAMAGE)


@pytest.fixture(scope="module")
def data(csv_path):
    return jena_csv.read_jena_csv(str(csv_path), JenaIngestConfig())


def csv_values(csv_path, names) -> np.ndarray:
    """[rows, columns] straight from the CSV text: NaN where there is no measurement."""
    _, raw = jena_fixture.read_raw(csv_path)
    originals = features.jena_original_names()
    return np.stack([raw[originals[name]] for name in names], axis=1)


def numpy_forward_fill(windows_: np.ndarray) -> np.ndarray:
    """The reference fill: each NaN takes the last earlier value in its window, else 0."""
    out = windows_.copy()
    for b, c in np.ndindex(out.shape[0], out.shape[2]):
        last = 0.0
        for t in range(out.shape[1]):
            if np.isnan(out[b, t, c]):
                out[b, t, c] = last
            else:
                last = out[b, t, c]
    return out


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
    task = task_lib.get_task("jena").resolve(_config(model_name), transform_output)
    spec = models.get_model_spec(model_name, "jena")
    model = run.build_model(_config(model_name), spec, task, transform_output)
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


def train_statistics(csv_path, names):
    """Mean and population std of each column over the measured train rows (NumPy)."""
    train = csv_values(csv_path, names)[:2000]
    return np.nanmean(train, axis=0), np.nanstd(train, axis=0)


def test_ingest_stores_the_damaged_values_as_they_are(data):
    p = data.names.index("p_mbar")
    assert data.splits["train"].values[10, p] == -9999.0
    assert np.isnan(data.splits["train"].values[50, data.names.index("t_degc")])


def test_z_score_statistics_equal_numpy_on_the_measured_train_rows_only(
        data, transform_output, csv_path):
    columns = jena.feature_columns(transform_output)
    stats = jena.normalization_stats(transform_output, columns)
    mean, std = train_statistics(csv_path, columns)
    for j, name in enumerate(columns):
        assert stats[name][0] == pytest.approx(mean[j], rel=1e-5, abs=1e-4), name
        assert stats[name][1] == pytest.approx(std[j], rel=1e-4), name
    everything = csv_values(csv_path, columns)
    t = columns.index(features.JENA_TEMPERATURE)
    assert abs(stats[features.JENA_TEMPERATURE][0] - np.nanmean(everything[:, t])) > 0.5


def test_rows_are_scaled_with_train_statistics_and_missing_values_stay_missing(
        data, transform_output, csv_path):
    test = data.splits["test"]
    raw = {name: tf.constant(test.values[:, j:j + 1], tf.float32)
           for j, name in enumerate(data.names)}
    raw[features.JENA_TIMESTAMP] = tf.constant(test.timestamps[:, None])
    out = transform_output.transform_raw_features(raw, drop_unused_features=True)
    assert set(out) == ({features.transformed_name(n) for n in data.names}
                        | {features.JENA_TIMESTAMP})
    mean, std = train_statistics(csv_path, data.names)
    expected = (csv_values(csv_path, data.names)[3000:] - mean) / std
    for j, name in enumerate(data.names):
        np.testing.assert_allclose(out[features.transformed_name(name)].numpy(), expected[:, j],
                                   rtol=1e-4, atol=1e-4, err_msg=name)
    assert np.isnan(out["p_mbar_xf"].numpy()[100:103]).all()  # the sentinel
    assert np.isnan(out["rh_pct_xf"].numpy()[200])  # "abc"
    np.testing.assert_array_equal(out["timestamp"].numpy(), test.timestamps)


def _test_windows(data):
    test = data.splits["test"]
    temperature = test.values[:, data.names.index(features.JENA_TEMPERATURE)]
    starts = window_index.window_starts(test.timestamps, WINDOW,
                                        has_target=np.isfinite(temperature))
    rows = starts[:, None] + window_index.input_offsets(WINDOW)[None, :]
    return test, starts, test.values[rows].astype(np.float32)


def test_windows_whose_target_was_not_measured_are_left_out(data):
    _, starts, raw = _test_windows(data)
    assert len(starts) == 1000 - WINDOW.span - 3  # the three test rows without a temperature
    assert np.isnan(raw).any() and (raw == -9999.0).any()  # damaged observations stay in


def test_serving_signature_on_raw_windows_equals_numpy_on_the_csv(data, dense, csv_path):
    task, model, served, _ = dense
    _, starts, raw = _test_windows(data)
    assert task.serving_spec.shape.as_list() == [None, 8, len(data.names)]
    forecast = served.signatures["serving_default"](window=tf.constant(raw))["forecast"]
    assert np.isfinite(forecast.numpy()).all()
    mean, std = train_statistics(csv_path, data.names)
    rows = 3000 + starts[:, None] + window_index.input_offsets(WINDOW)[None, :]
    normalized = numpy_forward_fill((csv_values(csv_path, data.names)[rows] - mean) / std)
    t = data.names.index(features.JENA_TEMPERATURE)
    inner = next(layer for layer in model.layers  # the zoo model behind ForwardFill
                 if isinstance(layer, tf_keras.Model))
    direct = inner(normalized.astype(np.float32), training=False).numpy()[:, 0] * std[t] + mean[t]
    np.testing.assert_allclose(forecast.numpy(), direct, rtol=1e-4, atol=2e-3)


def test_forward_fill_layer_equals_the_numpy_reference():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(64, 12, 5)).astype(np.float32)
    values[rng.random(values.shape) < 0.3] = np.nan
    values[3, :, 2] = np.nan  # a column with no value in the window: the train mean, 0
    np.testing.assert_array_equal(windows.forward_fill(tf.constant(values)).numpy(),
                                  numpy_forward_fill(values))


def test_tf_example_signature_matches_serving_default(data, dense):
    _, _, served, _ = dense
    test, _, raw = _test_windows(data)
    columns = dict(zip(data.names, test.values.T.astype(np.float32), strict=True))
    examples = list(jena_windows.serialize_windows(test.timestamps, columns, WINDOW, stride=1))
    assert len(examples) == len(raw) == 1000 - WINDOW.span - 3
    by_example = served.signatures["serving_tf_example"](examples=tf.constant(examples))
    by_window = served.signatures["serving_default"](window=tf.constant(raw))
    np.testing.assert_allclose(by_example["forecast"], by_window["forecast"], rtol=1e-6)


def test_common_sense_baseline_mae_equals_numpy(data, common_sense, csv_path):
    _, _, served, _ = common_sense
    _, starts, raw = _test_windows(data)
    t = data.names.index(features.JENA_TEMPERATURE)
    temperature = csv_values(csv_path, data.names)[3000:, t]
    targets = temperature[starts + WINDOW.span]
    # The last measured temperature of the window, else the train mean.
    observed = temperature[starts[:, None] + window_index.input_offsets(WINDOW)[None, :]]
    last = np.array([row[~np.isnan(row)][-1] if (~np.isnan(row)).any()
                     else train_statistics(csv_path, data.names)[0][t] for row in observed])
    # Windows ending on a missing temperature (rows 3306, 3312; 3300's target, 3312, is missing).
    assert (np.isnan(observed[:, -1])).sum() == 2
    expected = np.mean(np.abs(last - targets))
    forecast = served.signatures["serving_default"](window=tf.constant(raw))["forecast"].numpy()
    assert np.mean(np.abs(forecast - targets)) == pytest.approx(expected, abs=1e-4)
    assert expected == pytest.approx(0.7906, abs=1e-3)  # 2-hour persistence, damaged test week


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
