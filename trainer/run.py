"""TFX Trainer entry point (`run_fn`): a thin adapter over data.py, train.py and export.py."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from tfx import v1 as tfx

from core import names
from core.config import TrainConfig
from trainer import data, export, models, strategy, train
from trainer import task as task_lib

METADATA_FILE = names.TRAINING_SUMMARY_FILE


def build_model(config: TrainConfig, model_spec: models.ModelSpec, task: task_lib.TrainerTask,
                tf_transform_output: tft.TFTransformOutput) -> keras.Model:
    """The zoo model for `config`, as trained, evaluated and served (the task's wrapper on)."""
    model_kwargs = dict(task.model_kwargs)
    if model_spec.prepare is not None:
        model_kwargs.update(model_spec.prepare(config, tf_transform_output))
    model = model_spec.builder(config, **model_kwargs)
    return task.wrap_model(model) if task.wrap_model is not None else model


# The hyperparameters `--tune` searches (trainer/tune.py): TrainConfig fields of the same name.
TUNED_FIELDS = ("units", "dropout", "recurrent_dropout", "learning_rate")


def with_hyperparameters(config: TrainConfig, hyperparameters: dict | None) -> TrainConfig:
    """`config` under the Tuner's best values (a keras_tuner HyperParameters config, or None)."""
    values = (hyperparameters or {}).get("values", {})
    unknown = sorted(set(values) - set(TUNED_FIELDS))
    if unknown:
        raise ValueError(f"hyperparameters {unknown} are not tuned fields {TUNED_FIELDS}")
    return dataclasses.replace(config, **values)


def make_datasets(fn_args, config: TrainConfig, task: task_lib.TrainerTask,
                  tf_transform_output: tft.TFTransformOutput):
    """(train, eval) datasets of the transformed splits for `config` (Trainer and Tuner)."""
    def dataset(files, training):
        if task.make_dataset is not None:
            return task.make_dataset(
                files, fn_args.data_accessor, tf_transform_output, config, training)
        return data.make_dataset(
            files, fn_args.data_accessor, tf_transform_output, task.label_key,
            config.batch_size, shuffle=training,
            repeat=training and config.steps_per_epoch is not None, seed=config.seed)

    if config.max_train_examples is None:
        train_data = dataset(fn_args.train_files, True)
    else:
        train_data = data.limit_examples(
            dataset(fn_args.train_files, False), config.max_train_examples,
            config.batch_size, config.seed)
        if config.steps_per_epoch is not None:
            train_data = train_data.repeat()
    return train_data, dataset(fn_args.eval_files, False)


def run_fn(fn_args: tfx.components.FnArgs) -> None:
    """Trains the configured model on the transformed splits and exports it for serving.

    A model whose spec is not trainable (a fixed baseline such as Jena's common-sense forecast)
    is exported as built, with the same signatures, so the Evaluator can compare against it.
    With a Tuner upstream, its best hyperparameters replace the configured ones.
    """
    config = with_hyperparameters(TrainConfig.from_dict(fn_args.custom_config["train"]),
                                  fn_args.hyperparameters)
    model_spec = models.get_model_spec(config.model, config.task)
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    task = task_lib.get_task(config.task).resolve(config, tf_transform_output)
    keras.utils.set_random_seed(config.seed)

    start = time.monotonic()
    with strategy.precision(config.mixed_precision), strategy.choose_strategy().scope():
        model = build_model(config, model_spec, task, tf_transform_output)
        model.summary(print_fn=logging.info)
        epochs_run, history = 0, {}
        if model_spec.trainable:
            train_data, eval_data = make_datasets(fn_args, config, task, tf_transform_output)
            fitted = train.fit(model, train_data, eval_data, config, task,
                               log_dir=fn_args.model_run_dir)
            epochs_run, history = len(fitted.epoch), fitted.history
        else:
            logging.info("%s is a fixed baseline: exported without training", config.model)
    train_seconds = round(time.monotonic() - start, 1)  # build + fit, not the export
    export.export_serving_model(
        model, model_spec, task, tf_transform_output, fn_args.serving_model_dir)
    with tf.io.gfile.GFile(os.path.join(fn_args.model_run_dir, METADATA_FILE), "w") as handle:
        json.dump({"model": config.model, "epochs_run": epochs_run, "history": history,
                   "params": model.count_params(),
                   "hyperparameters": {name: getattr(config, name) for name in TUNED_FIELDS},
                   "train_seconds": train_seconds}, handle)
