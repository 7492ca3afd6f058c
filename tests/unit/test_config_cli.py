"""Config round-trips and validation; CLI flags map onto the dataclasses without new defaults."""

from __future__ import annotations

import json

import pytest

from cli import main as cli
from cli import run as cli_run
from core.config import EvalConfig, PipelineConfig, TextConfig, TrainConfig


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
    cfg = cli_run.config_from_args(args, "/data/aclImdb")
    assert cfg.train.epochs == 3 and cfg.eval.min_accuracy == 0.9
    assert cfg.train.batch_size == TrainConfig().batch_size
    assert cfg.train.model == "imdb_lstm"
    assert cfg.eval.max_regression == EvalConfig().max_regression
    assert cfg.output_dir == str(tmp_path) and cfg.push_dir == str(tmp_path / "serving" / "imdb")


def test_cli_reports_a_bad_data_dir_without_a_traceback(tmp_path, capsys):
    assert cli.main(["run", "imdb", "--data-dir", str(tmp_path / "missing"),
                     "--output-dir", str(tmp_path / "out")]) == 2
    assert "error:" in capsys.readouterr().err


def test_model_defaults_apply_under_the_flags(tmp_path):
    args = cli.build_parser().parse_args(
        ["run", "imdb", "--model", "embedding_flatten", "--output-dir", str(tmp_path)])
    cfg = cli_run.config_from_args(args, "/data/aclImdb")
    assert cfg.train.model == "imdb_embedding_flatten"
    assert (cfg.train.embedding_dim, cfg.train.text.sequence_length) == (8, 20)
    assert cfg.train.text.max_tokens == TextConfig().max_tokens
    args = cli.build_parser().parse_args(
        ["run", "imdb", "--model", "conv1d", "--sequence-length", "300"])
    cfg = cli_run.config_from_args(args, "/data/aclImdb")
    assert (cfg.train.embedding_dim, cfg.train.learning_rate) == (128, 1e-4)
    assert cfg.train.text.sequence_length == 300


def test_mixed_precision_flag():
    parser = cli.build_parser()
    flagged = cli_run.config_from_args(
        parser.parse_args(["run", "imdb", "--mixed-precision"]), "/d")
    assert flagged.train.mixed_precision
    default = cli_run.config_from_args(parser.parse_args(["run", "imdb"]), "/d")
    assert not default.train.mixed_precision


def test_several_models_in_order_without_duplicates():
    args = cli.build_parser().parse_args(
        ["run", "imdb", "--model", "lstm,conv1d", "--model", "imdb_lstm", "--model", "glove"])
    assert cli_run.model_names(args) == ["imdb_lstm", "imdb_conv1d", "imdb_glove"]
    assert cli_run.model_names(cli.build_parser().parse_args(["run", "jena"])) == ["jena_gru"]
    with pytest.raises(ValueError, match="one model expected"):
        cli_run.config_from_args(args, "/d")
    cfg = cli_run.config_from_args(args, "/d", "imdb_conv1d")
    assert cfg.train.model == "imdb_conv1d" and cfg.train.embedding_dim == 128


def test_unknown_model_in_a_list_names_the_choices():
    args = cli.build_parser().parse_args(["run", "imdb", "--model", "lstm,nope"])
    with pytest.raises(ValueError, match="unknown imdb model 'nope'"):
        cli_run.model_names(args)


def test_bag_and_glove_models_get_their_book_settings_and_flags():
    parser = cli.build_parser()
    bag = cli_run.config_from_args(parser.parse_args(
        ["run", "imdb", "--model", "bag_of_ngrams", "--representation", "multi_hot"]), "/d")
    assert (bag.train.text.representation, bag.train.text.ngrams) == ("multi_hot", 2)
    assert bag.train.text.max_tokens == 20_000 and bag.train.dropout == 0.5
    glove = cli_run.config_from_args(parser.parse_args(
        ["run", "imdb", "--model", "glove", "--glove", "/g.txt"]), "/d")
    assert glove.train.glove_path == "/g.txt" and glove.train.max_train_examples == 200
    assert glove.train.text.sequence_length == 100
    chars = cli_run.config_from_args(parser.parse_args(
        ["run", "imdb", "--model", "conv1d", "--tokenizer", "char", "--max-tokens", "80"]), "/d")
    assert (chars.train.text.tokenizer, chars.train.text.max_tokens) == ("char", 80)


def test_a_representation_the_model_cannot_read_is_rejected():
    parser = cli.build_parser()
    with pytest.raises(ValueError, match="imdb_lstm reads the sequence representation"):
        cli_run.config_from_args(parser.parse_args(
            ["run", "imdb", "--representation", "tfidf", "--ngrams", "2"]), "/d")
    with pytest.raises(ValueError, match="imdb_bag_of_ngrams reads a bag"):
        cli_run.config_from_args(parser.parse_args(
            ["run", "imdb", "--model", "bag_of_ngrams", "--representation", "sequence",
             "--ngrams", "1"]), "/d")
    # NBSVM's linear head needs NB ratios as weights; the dense bag head cannot use them.
    with pytest.raises(ValueError, match="imdb_nbsvm reads the nb"):
        cli_run.config_from_args(parser.parse_args(
            ["run", "imdb", "--model", "nbsvm", "--representation", "tfidf"]), "/d")
    with pytest.raises(ValueError, match="imdb_bag_of_ngrams reads a bag"):
        cli_run.config_from_args(parser.parse_args(
            ["run", "imdb", "--model", "bag_of_ngrams", "--representation", "nb"]), "/d")
    nbsvm = cli_run.config_from_args(parser.parse_args(["run", "imdb", "--model", "nbsvm"]), "/d")
    assert (nbsvm.train.text.representation, nbsvm.train.text.ngrams) == ("nb", 3)


def test_run_reports_a_missing_glove_file_before_any_pipeline_work(tmp_path, capsys):
    import imdb_fixture

    data = imdb_fixture.write_aclimdb(tmp_path / "data", per_class=2)
    assert cli.main(["run", "imdb", "--model", "glove", "--glove", str(tmp_path / "none.txt"),
                     "--data-dir", str(data), "--output-dir", str(tmp_path / "o")]) == 2
    assert "GloVe file" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_models_command_lists_the_zoo_with_book_numbers(capsys):
    assert cli.main(["models", "--task", "imdb"]) == 0
    out = capsys.readouterr().out
    assert "imdb_bag_of_ngrams" in out and "binary_accuracy 0.89;" in out
    assert "jena_" not in out


def test_windows_too_short_for_a_convnet_fail_before_the_pipeline_runs():
    parser = cli.build_parser()
    with pytest.raises(ValueError, match="jena_conv1d needs windows of >= 61.*gives 48"):
        cli_run.config_from_args(parser.parse_args(
            ["run", "jena", "--model", "conv1d", "--lookback", "288", "--step", "6"]), "/d")
    cfg = cli_run.config_from_args(parser.parse_args(
        ["run", "jena", "--model", "conv1d", "--lookback", "288", "--step", "3",
         "--dropout", "0.3", "--recurrent-dropout", "0.1"]), "/d")
    assert cfg.train.window.sequence_length == 96
    assert (cfg.train.dropout, cfg.train.recurrent_dropout) == (0.3, 0.1)
