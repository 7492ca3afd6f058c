"""`run --tune` wiring: flags -> TuneConfig, a Tuner whose best trial feeds the Trainer, the
tuned fields applied to the TrainConfig, and the tuned models reading every tuned field."""

from __future__ import annotations

import json

import pytest

from cli import main as cli
from cli import run as cli_run
from core.config import PipelineConfig, TextConfig, TrainConfig, TuneConfig, WindowConfig
from pipeline import pipeline
from trainer import models, run, tune


def test_tune_flag_adds_a_small_search_and_refuses_models_it_cannot_tune():
    parser = cli.build_parser()
    assert cli_run.config_from_args(parser.parse_args(["run", "imdb"]), "/d").tune is None
    tuned = cli_run.config_from_args(parser.parse_args(["run", "imdb", "--tune"]), "/d")
    assert tuned.tune == TuneConfig()
    two = cli_run.config_from_args(
        parser.parse_args(["run", "jena", "--tune", "--tune-trials", "2"]), "/d")
    assert two.tune.max_trials == 2 and two.train.model == "jena_gru"
    with pytest.raises(ValueError, match="--tune covers"):
        cli_run.config_from_args(parser.parse_args(["run", "imdb", "--tune", "--model", "gru"]),
                                 "/d")
    assert PipelineConfig.from_dict(json.loads(json.dumps(tuned.to_dict()))) == tuned


def test_the_tuners_best_hyperparameters_are_the_trainers_input():
    cfg = PipelineConfig(task="imdb", data_root="/d", tune=TuneConfig(max_trials=2))
    nodes = {node.id: node for node in pipeline.create_pipeline(cfg).components}
    tuner, trainer = nodes["Tuner"], nodes["Trainer"]
    assert trainer.inputs["hyperparameters"].producer_component_id == tuner.id
    assert json.loads(tuner.exec_properties["custom_config"])["tune"]["max_trials"] == 2
    untuned = PipelineConfig(task="imdb", data_root="/d")
    ids = [node.id for node in pipeline.create_pipeline(untuned).components]
    assert "Tuner" not in ids


def test_best_values_replace_exactly_the_tuned_fields():
    config = TrainConfig()
    best = {"space": [], "values": {"units": 64, "dropout": 0.2, "recurrent_dropout": 0.2,
                                    "learning_rate": 3e-3}}
    tuned = run.with_hyperparameters(config, best)
    assert (tuned.units, tuned.dropout, tuned.recurrent_dropout, tuned.learning_rate) == (
        64, 0.2, 0.2, 3e-3)
    assert tuned.epochs == config.epochs and run.with_hyperparameters(config, None) == config
    with pytest.raises(ValueError, match="not tuned fields"):
        run.with_hyperparameters(config, {"values": {"epochs": 3}})


@pytest.mark.parametrize("name", tune.TUNABLE_MODELS)
def test_tuned_models_read_units_and_both_dropout_rates(name):
    rates = {"units": 8, "dropout": 0.2, "recurrent_dropout": 0.4}
    if name.startswith("imdb"):
        config = TrainConfig(model=name, embedding_dim=4, **rates,
                             text=TextConfig(max_tokens=20, sequence_length=10))
        model = models.get_model_spec(name, "imdb").builder(config)
    else:
        config = TrainConfig(task="jena", model=name, text=None, **rates,
                             window=WindowConfig(lookback=12, step=3, delay=3))
        model = models.get_model_spec(name, "jena").builder(config, columns=("p_mbar", "t_degc"))
    recurrent = [layer for layer in model.layers if layer.__class__.__name__ in ("LSTM", "GRU")]
    assert [(layer.units, layer.dropout, layer.recurrent_dropout) for layer in recurrent] == [
        (8, 0.2, 0.4)]


def test_the_search_hands_the_lowest_eval_loss_to_the_trainer_through_tfx(tmp_path):
    """The search loop and TFX's writer, with trials scored by a known function instead of
    training: the first trial is the configured values, the best is the lowest loss, and the
    file TFX writes is what `run_fn` applies."""
    from tfx.components.tuner import executor as tuner_executor
    from tfx.types import standard_artifacts

    class Scored(tune.ZooSearch):
        def run_trial(self, trial, train_data, eval_data):
            values = trial.hyperparameters.values
            return {"val_loss": abs(values["units"] - 64) + values["learning_rate"]}

    config = TrainConfig(units=32)
    search = Scored(config, TuneConfig(max_trials=5), task=None, tf_transform_output=None,
                    directory=str(tmp_path / "search"))
    search.search(train_data=None, eval_data=None)
    trials = search.oracle.get_best_trials(5)
    first = min(trials, key=lambda trial: int(trial.trial_id))
    assert first.hyperparameters.values == {"units": 32, "dropout": 0.0,
                                            "recurrent_dropout": 0.0, "learning_rate": 1e-3}
    assert trials[0].score == min(trial.score for trial in trials) <= first.score
    outputs = {"best_hyperparameters": [standard_artifacts.HyperParameters()],
               "tuner_results": [standard_artifacts.TunerResults()]}
    for name, (artifact,) in outputs.items():
        artifact.uri = str(tmp_path / name)
    tuner_executor.write_best_hyperparameters(search, outputs)
    with open(tmp_path / "best_hyperparameters" / "best_hyperparameters.txt") as handle:
        written = json.load(handle)
    tuned = run.with_hyperparameters(config, written)
    assert tuned.units == trials[0].hyperparameters.values["units"]
    assert tuned.learning_rate == trials[0].hyperparameters.values["learning_rate"]
