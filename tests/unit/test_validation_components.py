"""The validation stage's executors in a row, on the real Jena fragment: statistics with the
sentinel as missing, the curated schema, TFX's ExampleValidator, then the gate, which passes the
real file with station damage and stops the broken-sensor copy.
"""

from __future__ import annotations

import os

import jena_fixture
import pytest
import tensorflow as tf
import tensorflow_data_validation as tfdv
from tfx.components.example_validator import executor as validator_executor
from tfx.dsl.components.base import base_beam_executor
from tfx.types import artifact_utils, standard_artifacts

from components import jena_gen, statistics, validation
from core import tasks
from core.config import JenaIngestConfig

TEST_ROWS = range(3000, 4000)


def _examples(csv_path, root) -> standard_artifacts.Examples:
    """An Examples artifact laid out as JenaExampleGen writes it (gzipped TFRecords per split)."""
    data = jena_gen.read_jena_csv(str(csv_path), JenaIngestConfig())
    examples = standard_artifacts.Examples()
    examples.uri = str(root / "examples")
    for name, split in data.splits.items():
        folder = os.path.join(examples.uri, f"Split-{name}")
        os.makedirs(folder)
        with tf.io.TFRecordWriter(os.path.join(folder, "data.gz"), options="GZIP") as writer:
            for stamp, row in zip(split.timestamps, split.values, strict=True):
                writer.write(jena_gen.to_example(stamp, row, data.names).SerializeToString())
    examples.split_names = artifact_utils.encode_split_names(list(data.splits))
    return examples


def _run(component, inputs, outputs, properties, root):
    context = base_beam_executor.BaseBeamExecutor.Context(
        beam_pipeline_args=["--direct_num_workers=1"], tmp_dir=str(root / "tmp"))
    component.EXECUTOR_SPEC.executor_class(context).Do(inputs, outputs, properties)


def _validate(csv_path, root):
    """Runs statistics -> schema -> ExampleValidator -> gate; returns the statistics artifact."""
    examples = _examples(csv_path, root)
    stats = standard_artifacts.ExampleStatistics()
    stats.uri = str(root / "statistics")
    _run(statistics.MeasuredStatisticsGen, {"examples": [examples]}, {"statistics": [stats]},
         {"sentinel": -9999.0, "slices": "", "code_version": ""}, root)
    schema = standard_artifacts.Schema()
    schema.uri = str(root / "schema")
    with open(tasks.resource_path(tasks.get_task_spec("jena").schema)) as handle:
        _run(validation.CuratedSchemaGen, {}, {"schema": [schema]},
             {"schema_text": handle.read()}, root)
    anomalies = standard_artifacts.ExampleAnomalies()
    anomalies.uri = str(root / "anomalies")
    validator_executor.Executor().Do(
        {"statistics": [stats], "schema": [schema]}, {"anomalies": [anomalies]},
        {"exclude_splits": "[]"})
    _run(validation.AnomaliesGate,
         {"anomalies": [anomalies], "statistics": [stats], "schema": [schema]}, {},
         {"checks": "", "code_version": ""}, root)
    return stats


def test_station_damage_passes_and_the_sentinel_is_counted_as_missing(jena_fragment, tmp_path):
    damage = {(500, "p (mbar)"): "-9999.0", (501, "p (mbar)"): "-9999.0",
              (700, "T (degC)"): ""}
    stats = _validate(jena_fixture.damaged_csv(tmp_path, damage), tmp_path)
    train = tfdv.load_stats_binary(os.path.join(stats.uri, "Split-train", "FeatureStats.pb"))
    pressure = tfdv.get_feature_stats(train.datasets[0], tfdv.FeaturePath(["p_mbar"]))
    assert pressure.num_stats.min > 900  # the two sentinels did not count as values
    nan = sum(h.num_nan for h in pressure.num_stats.histograms[:1])
    assert nan == 2


def test_a_broken_sensor_stops_at_the_gate(jena_fragment, tmp_path):
    broken = {(row, "T (degC)"): "500.0" for row in TEST_ROWS}
    broken |= {(row, "p (mbar)"): "0.0" for row in TEST_ROWS}
    with pytest.raises(validation.DataAnomaliesError) as stopped:
        _validate(jena_fixture.damaged_csv(tmp_path, broken), tmp_path)
    message = str(stopped.value)
    assert "test: feature 't_degc': FLOAT_TYPE_BIG_FLOAT" in message
    assert "test: feature 'p_mbar': FLOAT_TYPE_SMALL_FLOAT" in message
    assert "test vs train: feature 't_degc': COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH" in message
