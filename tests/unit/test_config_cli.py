"""Config round-trips and validation; CLI flags map onto the dataclasses without new defaults."""

from __future__ import annotations

import json

import pytest

from pipeline import cli
from pipeline.config import EvalConfig, PipelineConfig, TextConfig, TrainConfig


def test_pipeline_config_round_trips_through_json():
    cfg = PipelineConfig(task="imdb", data_root="/data/aclImdb", beam_args=("--x=1",),
                         train=TrainConfig(epochs=3, text=TextConfig(sequence_length=100)))
    restored = PipelineConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert restored == cfg


def test_unknown_fields_and_bad_values_are_rejected_with_the_value():
    with pytest.raises(ValueError, match=r"unknown TrainConfig fields \['epoch'\]"):
        TrainConfig.from_dict({"epoch": 3})
    with pytest.raises(ValueError, match="min_accuracy 1.5"):
        EvalConfig(min_accuracy=1.5)
    with pytest.raises(ValueError, match="train.task 'imdb' differs from task 'jena'"):
        PipelineConfig(task="jena", data_root="/x")


def test_vocab_size_counts_padding_and_oov():
    assert TextConfig(max_tokens=10_000, oov_buckets=1).vocab_size == 10_002


def test_beam_args_switch_to_multiprocessing():
    cfg = PipelineConfig(task="imdb", data_root="/x", beam_workers=2, beam_args=("--foo=bar",))
    assert cfg.beam_pipeline_args == [
        "--direct_num_workers=2", "--direct_running_mode=multi_processing", "--foo=bar"]


def test_cli_flags_override_only_what_is_given(tmp_path):
    args = cli.build_parser().parse_args(
        ["run", "imdb", "--epochs", "3", "--min-accuracy", "0.9", "--output-dir", str(tmp_path)])
    cfg = cli.config_from_args(args, "/data/aclImdb")
    assert cfg.train.epochs == 3 and cfg.eval.min_accuracy == 0.9
    assert cfg.train.batch_size == TrainConfig().batch_size
    assert cfg.train.model == "imdb_lstm"
    assert cfg.eval.max_regression == EvalConfig().max_regression
    assert cfg.output_dir == str(tmp_path) and cfg.push_dir == str(tmp_path / "serving" / "imdb")


def test_code_version_is_stable_hex():
    assert cli.code_version() == cli.code_version()
    assert len(cli.code_version()) == 12


def test_cli_reports_a_bad_data_dir_without_a_traceback(tmp_path, capsys):
    assert cli.main(["run", "imdb", "--data-dir", str(tmp_path / "missing"),
                     "--output-dir", str(tmp_path / "out")]) == 2
    assert "error:" in capsys.readouterr().err


def test_model_defaults_apply_under_the_flags(tmp_path):
    args = cli.build_parser().parse_args(
        ["run", "imdb", "--model", "embedding_flatten", "--output-dir", str(tmp_path)])
    cfg = cli.config_from_args(args, "/data/aclImdb")
    assert cfg.train.model == "imdb_embedding_flatten"
    assert (cfg.train.embedding_dim, cfg.train.text.sequence_length) == (8, 20)
    assert cfg.train.text.max_tokens == TextConfig().max_tokens
    args = cli.build_parser().parse_args(
        ["run", "imdb", "--model", "conv1d", "--sequence-length", "300"])
    cfg = cli.config_from_args(args, "/data/aclImdb")
    assert (cfg.train.embedding_dim, cfg.train.learning_rate) == (128, 1e-4)
    assert cfg.train.text.sequence_length == 300


def test_mixed_precision_flag():
    parser = cli.build_parser()
    flagged = cli.config_from_args(parser.parse_args(["run", "imdb", "--mixed-precision"]), "/d")
    assert flagged.train.mixed_precision
    assert not cli.config_from_args(parser.parse_args(["run", "imdb"]), "/d").train.mixed_precision
