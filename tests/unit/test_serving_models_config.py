"""models.config generation, the deploy files, and the predict/serve CLI parsing (no server)."""

from __future__ import annotations

import argparse
import pathlib
import re

import numpy as np
import pytest
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from serving import cli, limits, models_config, predict
from serving.registry import ModelConfig

DEPLOY = pathlib.Path(cli.__file__).resolve().parent / "deploy"


def make_root(root: pathlib.Path, layout: dict[str, list[str]]) -> pathlib.Path:
    for model, versions in layout.items():
        (root / model).mkdir(parents=True)
        for version in versions:
            (root / model / version).mkdir()
    return root


def test_discover_finds_model_folders_with_numeric_versions(tmp_path):
    root = make_root(tmp_path, {"imdb": ["3", "12", "tmp-copy"], "jena": ["7"], "empty": [],
                                "notes": ["draft"]})
    (root / "models.config").write_text("")
    configs = models_config.discover(str(root))
    assert [c.name for c in configs] == ["imdb", "jena"]
    imdb = configs[0]
    assert imdb.base_path == str(root / "imdb")
    assert imdb.num_versions == 1
    assert imdb.labels == {"stable": 12}  # numeric order, not string order


def test_two_served_versions_get_canary_and_stable_labels(tmp_path):
    root = make_root(tmp_path, {"imdb": ["3", "12"], "jena": ["7"]})
    imdb, jena = models_config.discover(str(root), num_versions=2)
    assert imdb.labels == {"stable": 3, "canary": 12}
    assert jena.labels == {"stable": 7}


def test_discover_rejects_missing_models_and_empty_roots(tmp_path):
    root = make_root(tmp_path, {"imdb": ["1"], "jena": []})
    assert [c.name for c in models_config.discover(str(root), ["imdb"])] == ["imdb"]
    with pytest.raises(ValueError, match=r"no version folders for \['jena'\]"):
        models_config.discover(str(root), ["imdb", "jena"])
    with pytest.raises(ValueError, match="no <model>/<version>/ folders"):
        models_config.discover(str(make_root(tmp_path / "other", {"x": []})))
    with pytest.raises(ValueError, match="is not a folder"):
        models_config.discover(str(tmp_path / "missing"))


def parse_config(text: str) -> model_server_config_pb2.ModelServerConfig:
    return text_format.Parse(text, model_server_config_pb2.ModelServerConfig())


def test_config_text_is_a_model_server_config_with_policy_labels_and_container_paths(tmp_path):
    configs = [ModelConfig("imdb", "/data/serving/imdb", 2, {"stable": 3, "canary": 12}),
               ModelConfig("jena", "/data/serving/jena", 1, {"stable": 7})]
    text = models_config.to_text(configs, base_dir="/models/")
    imdb, jena = parse_config(text).model_config_list.config
    assert (imdb.name, imdb.base_path, imdb.model_platform) == ("imdb", "/models/imdb",
                                                                "tensorflow")
    assert imdb.model_version_policy.latest.num_versions == 2
    assert dict(imdb.version_labels) == {"stable": 3, "canary": 12}
    assert jena.base_path == "/models/jena" and dict(jena.version_labels) == {"stable": 7}
    written = models_config.write(str(tmp_path / "out" / "models.config"), configs)
    assert (tmp_path / "out" / "models.config").read_text() == written == text.replace(
        "/models", "/data/serving")


def test_deploy_models_config_example_parses():
    config = parse_config((DEPLOY / "models.config").read_text())
    assert [entry.name for entry in config.model_config_list.config] == ["imdb", "jena"]


def test_deploy_manifests_are_valid_yaml_and_agree_on_ports():
    yaml = pytest.importorskip("yaml")
    deployment = yaml.safe_load((DEPLOY / "deployment.yaml").read_text())
    service = yaml.safe_load((DEPLOY / "service.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert {p["containerPort"] for p in container["ports"]} == {8500, 8501}
    assert {p["port"] for p in service["spec"]["ports"]} == {8500, 8501}
    assert "--model_config_file=/config/models.config" in container["args"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_parsers(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_cli_parses_predict_and_serve():
    args = parse_args(["predict", "imdb", "a great film", "--grpc", "127.0.0.1:8500"])
    assert (args.task, args.texts, args.grpc, args.rest) == ("imdb", ["a great film"],
                                                             "127.0.0.1:8500", None)
    assert args.handler is cli.predict_command
    args = parse_args(["predict", "jena", "--window", "w.csv"])
    assert args.window == pathlib.Path("w.csv") and args.texts == []
    args = parse_args(["serve", "--serving-root", "out/serving"])
    assert (args.rest_port, args.grpc_port, args.num_versions) == (8501, 8500, 1)
    assert args.handler is cli.serve_command
    with pytest.raises(SystemExit):
        parse_args(["predict", "imdb", "x", "--rest", "http://a", "--grpc", "b:1"])


def test_serve_builds_the_tensorflow_model_server_command_with_the_batch_limit():
    args = parse_args(["serve", "--serving-root", "r", "--rest-port", "9501"])
    command = cli.model_server_command("/bin/tensorflow_model_server", "/tmp/models.config",
                                       "/tmp/batching.txt", args)
    assert command[:4] == ["/bin/tensorflow_model_server", "--port=8500", "--rest_api_port=9501",
                           "--model_config_file=/tmp/models.config"]
    assert "--allow_version_labels_for_unavailable_models=true" in command
    assert {"--enable_batching=true", "--batching_parameters_file=/tmp/batching.txt"} <= set(
        command)
    assert "max_batch_size { value: 16 }" in cli.batching_parameters(16)


def test_the_limits_are_those_of_the_shipped_batching_parameters():
    text = (DEPLOY / "batching_parameters.txt").read_text()
    assert re.search(r"^max_batch_size \{ value: (\d+) \}", text, re.M).group(1) == str(
        limits.MAX_BATCH_SIZE)
    assert re.search(r"^num_batch_threads \{ value: (\d+) \}", text, re.M).group(1) == str(
        limits.MAX_CONCURRENT_PREDICTS)
    assert "enable_large_batch_splitting" not in text  # refused, not split: what docs say
    deployment = (DEPLOY / "deployment.yaml").read_text()
    assert "--batching_parameters_file=/config/batching_parameters.txt" in deployment
    args = parse_args(["serve", "--serving-root", "r"])
    assert (args.max_batch_size, args.max_request_bytes) == (limits.MAX_BATCH_SIZE,
                                                             limits.MAX_REQUEST_BYTES)
    assert parse_args(["predict", "imdb", "x"]).max_batch_size == limits.MAX_BATCH_SIZE


def test_window_csv_without_metadata_keeps_numeric_columns_in_order(tmp_path):
    path = tmp_path / "window.csv"
    path.write_text("Date Time,p (mbar),T (degC)\n01.01.2009 00:10:00,996.5,-8.0\n"
                    "01.01.2009 01:10:00,996.6,-8.5\n")
    window = predict.read_window_csv(path)
    np.testing.assert_array_equal(window, np.array([[996.5, -8.0], [996.6, -8.5]], np.float32))


def test_window_csv_keeps_missing_values_and_sentinels_for_the_model(tmp_path):
    path = tmp_path / "window.csv"
    path.write_text("Date Time,p (mbar),wv (m/s),empty\nd0,996.5,,\nd1,NaN,-9999,\n")
    window = predict.read_window_csv(path)
    np.testing.assert_array_equal(window, np.array([[996.5, np.nan], [np.nan, -9999]],
                                                   np.float32))


def test_window_csv_with_metadata_orders_columns_and_subsamples_raw_rows(tmp_path):
    metadata = {"window": {"lookback": 4, "step": 2, "sequence_length": 2},
                "columns": [{"feature": "t_degc", "original": "T (degC)"},
                            {"feature": "p_mbar", "original": "p (mbar)"}]}
    rows = "\n".join(f"d{i},{1000 + i},{float(i)}" for i in range(5))
    path = tmp_path / "raw.csv"
    path.write_text("Date Time,p (mbar),t_degc\n" + rows + "\n")
    window = predict.read_window_csv(path, metadata)
    # the last 4 raw rows (1..4), every 2nd: rows 1 and 3; columns in the model's order
    np.testing.assert_array_equal(window, np.array([[1, 1001], [3, 1003]], np.float32))
    short = tmp_path / "short.csv"
    short.write_text("p (mbar),T (degC)\n1,2\n1,2\n1,2\n")
    with pytest.raises(ValueError, match="at least 4 raw rows"):
        predict.read_window_csv(short, metadata)
    missing = tmp_path / "missing.csv"
    missing.write_text("p (mbar)\n1\n2\n")
    with pytest.raises(ValueError, match="no column 't_degc'"):
        predict.read_window_csv(missing, metadata)
