"""TFX Tuner entry point (`tuner_fn`, `run --tune`): KerasTuner random search over the chapter's
hyperparameters (units, dropout, recurrent dropout, learning rate) for the configured model.

KerasTuner 1.4 drives Keras 3 models through `keras_tuner.Tuner`, whose checks refuse the
tf_keras models the project trains; `ZooSearch` is therefore a `BaseTuner` (KerasTuner's
documented extension point: an oracle plus `run_trial`) that builds, trains and scores each
trial with the Trainer's own code (trainer/run.py, trainer/train.py) and returns the best eval
loss to the oracle. TFX's Tuner executor then writes the best trial's HyperParameters, which the
Trainer reads (`run.with_hyperparameters`).
"""

from __future__ import annotations

import dataclasses
import os

import keras_tuner
import tensorflow_transform as tft
import tf_keras as keras
from tfx import v1 as tfx

from core.config import TrainConfig, TuneConfig
from trainer import models, run, train
from trainer import task as task_lib

# Models whose builders read all four tuned fields; one per task, as issue 16 asks.
TUNABLE_MODELS = ("imdb_lstm", "jena_gru")


def search_space(config: TrainConfig) -> keras_tuner.HyperParameters:
    """The chapter's knobs around the book's values, `config`'s own values included as each
    choice's default (the first trial: see DefaultFirstOracle)."""
    space = keras_tuner.HyperParameters()
    for name, values in (("units", [16, 32, 64]), ("dropout", [0.0, 0.2, 0.4]),
                         ("recurrent_dropout", [0.0, 0.2]),
                         ("learning_rate", [3e-4, 1e-3, 3e-3])):
        own = getattr(config, name)
        space.Choice(name, sorted({*values, own}), default=own)
    return space


class DefaultFirstOracle(keras_tuner.oracles.RandomSearchOracle):
    """Random search whose first trial is the configured (book) values: the search then reports
    the best trial next to the default, and never picks worse than it on eval loss."""

    def populate_space(self, trial_id):
        if not getattr(self, "_default_sent", False):
            self._default_sent = True
            return {"status": keras_tuner.engine.trial.TrialStatus.RUNNING,
                    "values": {hp.name: hp.default for hp in self.hyperparameters.space}}
        return super().populate_space(trial_id)


def check_tunable(model: str) -> None:
    if model not in TUNABLE_MODELS:
        raise ValueError(f"--tune covers the models {TUNABLE_MODELS}, not {model!r}")


class ZooSearch(keras_tuner.engine.base_tuner.BaseTuner):
    """Random search whose trials train a zoo model with the Trainer's code."""

    def __init__(self, config: TrainConfig, tune: TuneConfig, task: task_lib.TrainerTask,
                 tf_transform_output: tft.TFTransformOutput, directory: str):
        oracle = DefaultFirstOracle(
            objective=keras_tuner.Objective("val_loss", "min"), max_trials=tune.max_trials,
            hyperparameters=search_space(config), seed=config.seed, allow_new_entries=False,
            tune_new_entries=False)
        super().__init__(oracle, directory=directory, project_name=config.model,
                         overwrite=True)
        self.config, self.task, self.tf_transform_output = config, task, tf_transform_output
        self.model_spec = models.get_model_spec(config.model, config.task)

    def run_trial(self, trial, train_data, eval_data) -> dict[str, float]:
        """Trains one trial's model; its objective is the best epoch's eval loss."""
        config = run.with_hyperparameters(self.config, {"values": trial.hyperparameters.values})
        keras.backend.clear_session()
        keras.utils.set_random_seed(config.seed)
        model = run.build_model(config, self.model_spec, self.task, self.tf_transform_output)
        fitted = train.fit(model, train_data, eval_data, config, self.task,
                           log_dir=self.get_trial_dir(trial.trial_id))
        return {"val_loss": float(min(fitted.history["val_loss"]))}

    def save_model(self, trial_id, model, step=0) -> None:
        """Trials keep no model: the Trainer retrains the best hyperparameters."""


def tuner_fn(fn_args: tfx.components.FnArgs) -> tfx.components.TunerFnResult:
    """The search for the Tuner component: `custom_config` holds "train" and "tune"."""
    tune = TuneConfig.from_dict(fn_args.custom_config["tune"])
    base = TrainConfig.from_dict(fn_args.custom_config["train"])
    check_tunable(base.model)
    config = dataclasses.replace(base, epochs=tune.epochs,
                                 steps_per_epoch=tune.steps_per_epoch or base.steps_per_epoch)
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_graph_path)
    task = task_lib.get_task(config.task).resolve(config, tf_transform_output)
    train_data, eval_data = run.make_datasets(fn_args, config, task, tf_transform_output)
    tuner = ZooSearch(config, tune, task, tf_transform_output,
                      os.path.join(fn_args.working_dir, "search"))
    return tfx.components.TunerFnResult(
        tuner=tuner, fit_kwargs={"train_data": train_data, "eval_data": eval_data})
