"""Jena config parts, their JSON round trip, the CLI mapping and the results report."""

from __future__ import annotations

import json

import pytest

from cli import main as cli
from cli import run as cli_run
from core import config as config_lib
from pipeline import results


def test_window_defaults_are_the_books_and_validated():
    window = config_lib.WindowConfig()
    assert (window.lookback, window.step, window.delay) == (720, 6, 144)
    assert window.sequence_length == 120 and window.span == 858
    with pytest.raises(ValueError, match="lookback 700 is not a multiple of step 6"):
        config_lib.WindowConfig(lookback=700)
    with pytest.raises(ValueError, match="must all be >= 1"):
        config_lib.WindowConfig(delay=0)


def test_jena_ingest_config_is_validated():
    assert config_lib.JenaIngestConfig().split_rows == (200_000, 300_000)
    with pytest.raises(ValueError, match="split_rows"):
        config_lib.JenaIngestConfig(split_rows=(300_000, 200_000))
    with pytest.raises(ValueError, match="split_fractions"):
        config_lib.JenaIngestConfig(split_fractions=(0.8, 0.3))
    with pytest.raises(ValueError, match="baseline_margin"):
        config_lib.EvalConfig(baseline_margin=1.0)


def test_jena_pipeline_config_round_trips_through_json():
    cfg = config_lib.PipelineConfig(
        task="jena", data_root="/data/jena.csv",
        ingest=config_lib.IngestConfig(jena=config_lib.JenaIngestConfig(split_rows=(10, 20))),
        train=config_lib.TrainConfig(task="jena", model="jena_gru", text=None,
                                     window=config_lib.WindowConfig(48, 6, 12)),
        eval=config_lib.EvalConfig(baseline_margin=0.1))
    again = config_lib.PipelineConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg


def _args(*argv):
    return cli.build_parser().parse_args(["run", *argv])


def test_cli_maps_jena_flags_and_short_model_names():
    cfg = cli_run.config_from_args(
        _args("jena", "--lookback", "48", "--step", "6", "--delay", "12", "--model", "dense",
              "--epochs", "3", "--baseline-margin", "0.05"), "/data/jena.csv")
    assert cfg.train.window == config_lib.WindowConfig(48, 6, 12)
    assert cfg.train.model == "jena_dense" and cfg.train.text is None
    assert cfg.train.epochs == 3 and cfg.eval.baseline_margin == 0.05
    assert cli_run.config_from_args(_args("jena"), "/d.csv").train.window == (
        config_lib.WindowConfig())
    assert cli_run.config_from_args(_args("jena", "--model", "jena_gru"), "/d.csv").train.model == (
        "jena_gru")


def test_cli_rejects_flags_of_the_other_task_and_unknown_models():
    with pytest.raises(ValueError, match="--lookback do not apply to task imdb"):
        cli_run.config_from_args(_args("imdb", "--lookback", "48"), "/aclImdb")
    with pytest.raises(ValueError, match="--max-tokens do not apply to task jena"):
        cli_run.config_from_args(_args("jena", "--max-tokens", "10"), "/d.csv")
    with pytest.raises(ValueError, match="unknown jena model 'lstm'"):
        cli_run.config_from_args(_args("jena", "--model", "lstm"), "/d.csv")
    imdb = cli_run.config_from_args(_args("imdb"), "/aclImdb")
    assert imdb.train.window is None and imdb.train.text == config_lib.TextConfig()


def test_report_shows_every_evaluator_with_baseline_mae_in_celsius():
    evaluation = results.Evaluation({"mean_absolute_error": 1.3}, {"mean_absolute_error": 1.6},
                                    "/root/FixedBaseline/model/3", True, [])
    summary = results.RunSummary(
        "run", {}, [], {}, {"mean_absolute_error": 1.3}, {"mean_absolute_error": 1.6}, True, [],
        "/serving/jena/1",
        {"BaselineEvaluator": evaluation,
         "Evaluator": results.Evaluation({"mean_absolute_error": 1.3}, {}, None, True, [])},
        {"Trainer": {"model": "jena_gru", "epochs_run": 2, "best_epoch": 2,
                     "metrics": {"val_loss": 0.2, "val_mae_degc": 1.5}}})
    text = results.format_summary(summary, units={"mean_absolute_error": "°C",
                                                  "mae_degc": "°C"})
    assert "mean_absolute_error: 1.3000 °C  (baseline 1.6000 °C)" in text
    assert "Test metrics (BaselineEvaluator vs baseline /root/FixedBaseline/model/3):" in text
    assert "val_mae_degc: 1.5000 °C" in text and "val_loss: 0.2000\n" in text
