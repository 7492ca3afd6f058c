"""The anomalies gate: readable anomaly lines from ExampleValidator output; clean data passes."""

from __future__ import annotations

import pandas as pd
import tensorflow_data_validation as tfdv

from components import validation


def _write_anomalies(tmp_path, train: pd.DataFrame, serving: pd.DataFrame):
    schema = tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(train))
    anomalies = tfdv.validate_statistics(tfdv.generate_statistics_from_dataframe(serving), schema)
    split_dir = tmp_path / "Split-test"
    split_dir.mkdir()
    (split_dir / "SchemaDiff.pb").write_bytes(anomalies.SerializeToString())
    return str(tmp_path)


def test_anomalies_are_listed_per_split_and_feature(tmp_path):
    train = pd.DataFrame({"text": ["a", "b"], "label": [0, 1]})
    bad = pd.DataFrame({"text": ["a", "b"], "label": ["x", "y"]})
    problems = validation.find_anomalies(_write_anomalies(tmp_path, train, bad), ["test"])
    assert problems and problems[0].startswith("test: feature 'label':")


def test_clean_split_has_no_anomalies(tmp_path):
    train = pd.DataFrame({"text": ["a", "b"], "label": [0, 1]})
    assert validation.find_anomalies(_write_anomalies(tmp_path, train, train), ["test"]) == []
