"""The validation stage's executors in a row, on the real Jena fragment: statistics with the
sentinel as missing, the curated schema, TFX's ExampleValidator, then the gate, which passes the
real file with station damage and stops the broken-sensor copy.
"""

from __future__ import annotations

import os
import pathlib

import jena_fixture
import pytest
import tensorflow as tf
import tensorflow_data_validation as tfdv
import validation_fixture as vf
from shared_data import shared_file
from tfx.components.example_validator import executor as validator_executor
from tfx.components.schema_gen import executor as schema_gen_executor
from tfx.components.statistics_gen import executor as stats_executor
from tfx.dsl.components.base import base_beam_executor
from tfx.types import artifact_utils, standard_artifacts

from components import imdb_gen, jena_csv, statistics, validation
from core import tasks
from core.config import JenaIngestConfig

TEST_ROWS = range(3000, 4000)


def _examples(csv_path, root) -> standard_artifacts.Examples:
    """An Examples artifact laid out as JenaExampleGen writes it (gzipped TFRecords per split)."""
    data = jena_csv.read_jena_csv(str(csv_path), JenaIngestConfig())
    return _write_examples(root, {
        name: [jena_csv.to_example(stamp, row, data.names).SerializeToString()
               for stamp, row in zip(split.timestamps, split.values, strict=True)]
        for name, split in data.splits.items()})


def _run(component, inputs, outputs, properties, root):
    context = base_beam_executor.BaseBeamExecutor.Context(
        beam_pipeline_args=["--direct_num_workers=1"], tmp_dir=str(root / "tmp"))
    component.EXECUTOR_SPEC.executor_class(context).Do(inputs, outputs, properties)


def _write_examples(root, records: dict[str, list[bytes]]) -> standard_artifacts.Examples:
    examples = standard_artifacts.Examples()
    examples.uri = str(root / "examples")
    for name, rows in records.items():
        folder = os.path.join(examples.uri, f"Split-{name}")
        os.makedirs(folder)
        with tf.io.TFRecordWriter(os.path.join(folder, "data.gz"), options="GZIP") as writer:
            for row in rows:
                writer.write(row)
    examples.split_names = artifact_utils.encode_split_names(list(records))
    return examples


def _validate_against_curated_schema(task: str, stats, root: pathlib.Path):
    """CuratedSchemaGen with the task's shipped schema, then ExampleValidator on `stats`."""
    schema = standard_artifacts.Schema()
    schema.uri = str(root / "schema")
    with open(tasks.resource_path(tasks.get_task_spec(task).schema)) as handle:
        _run(validation.CuratedSchemaGen, {}, {"schema": [schema]},
             {"schema_text": handle.read()}, root)
    anomalies = standard_artifacts.ExampleAnomalies()
    anomalies.uri = str(root / "anomalies")
    validator_executor.Executor().Do(
        {"statistics": [stats], "schema": [schema]}, {"anomalies": [anomalies]},
        {"exclude_splits": "[]"})
    return schema, anomalies


def _validate(csv_path, root):
    """Runs statistics -> schema -> ExampleValidator -> gate; returns the statistics artifact."""
    examples = _examples(csv_path, root)
    stats = standard_artifacts.ExampleStatistics()
    stats.uri = str(root / "statistics")
    _run(statistics.MeasuredStatisticsGen, {"examples": [examples]}, {"statistics": [stats]},
         {"sentinel": -9999.0, "slices": "", "code_version": ""}, root)
    inferred = standard_artifacts.Schema()  # Transform's parsing schema: every column, shape 1
    inferred.uri = str(root / "inferred")
    schema_gen_executor.Executor().Do({"statistics": [stats]}, {"schema": [inferred]},
                                      {"infer_feature_shape": 1, "exclude_splits": "[]"})
    parsed = tfdv.load_schema_text(os.path.join(inferred.uri, "schema.pbtxt"))
    assert len(parsed.feature) == 12 and all(f.shape.dim[0].size == 1 for f in parsed.feature)
    schema, anomalies = _validate_against_curated_schema("jena", stats, root)
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


def test_imdb_statistics_gen_slices_for_the_gates_custom_validations(tmp_path):
    """TFX's StatisticsGen with the task's options feeds the gate's label-slice checks."""
    spec = tasks.get_task_spec("imdb")
    reviews = vf.read_tarball_reviews(shared_file("imdb/aclImdb_v1_labeled.tar.gz"), 30)
    positive = sorted(p for p in reviews if "/test/pos/" in p)[0]
    reviews[positive.rsplit("_", 1)[0] + "_1.txt"] = reviews.pop(positive)  # rated 1, in pos
    records = {"train": [], "test": []}
    for path, content in reviews.items():
        example, _ = imdb_gen.parse_review(path, content)
        records["test" if "/test/" in path else "train"].append(example.SerializeToString())
    examples = _write_examples(tmp_path, records)
    stats = standard_artifacts.ExampleStatistics()
    stats.uri = str(tmp_path / "statistics")
    context = base_beam_executor.BaseBeamExecutor.Context(
        beam_pipeline_args=["--direct_num_workers=1"], tmp_dir=str(tmp_path / "tmp"))
    stats_executor.Executor(context).Do(
        {"examples": [examples]}, {"statistics": [stats]},
        {"stats_options_json": statistics.stats_options(spec.statistics_slices).to_json(),
         "exclude_splits": "[]"})
    inferred = standard_artifacts.Schema()  # Transform's parsing schema, from sliced statistics
    inferred.uri = str(tmp_path / "inferred")
    schema_gen_executor.Executor().Do({"statistics": [stats]}, {"schema": [inferred]},
                                      {"infer_feature_shape": 1, "exclude_splits": "[]"})
    parsed = tfdv.load_schema_text(os.path.join(inferred.uri, "schema.pbtxt"))
    assert {f.name for f in parsed.feature} == {"text", "label", "rating", "review_id"}
    schema, anomalies = _validate_against_curated_schema("imdb", stats, tmp_path)
    with open(tasks.resource_path(spec.custom_validations)) as handle:
        checks = handle.read()
    with pytest.raises(validation.DataAnomaliesError) as stopped:
        _run(validation.AnomaliesGate,
             {"anomalies": [anomalies], "statistics": [stats], "schema": [schema]}, {},
             {"checks": checks, "code_version": ""}, tmp_path)
    lines = str(stopped.value).splitlines()[1:]
    assert len(lines) == 1 and lines[0].strip().startswith(
        "test: feature 'rating': CUSTOM_VALIDATION") and "label_1" in lines[0]
