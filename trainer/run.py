"""TFX Trainer entry point (`run_fn`): a thin adapter over data.py, train.py and export.py."""

from __future__ import annotations

import json
import logging
import os

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from tfx import v1 as tfx

from pipeline.config import TrainConfig
from trainer import data, export, models, tasks, train

METADATA_FILE = "training_summary.json"


def run_fn(fn_args: tfx.components.FnArgs) -> None:
    """Trains the configured model on the transformed splits and exports it for serving."""
    config = TrainConfig.from_dict(fn_args.custom_config["train"])
    task = tasks.get_task(config.task)
    model_spec = models.get_model_spec(config.model, config.task)
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    keras.utils.set_random_seed(config.seed)

    def dataset(files, training):
        return data.make_dataset(
            files, fn_args.data_accessor, tf_transform_output, task.label_key,
            config.batch_size, shuffle=training,
            repeat=training and config.steps_per_epoch is not None, seed=config.seed)

    model = model_spec.builder(config)
    model.summary(print_fn=logging.info)
    history = train.fit(model, dataset(fn_args.train_files, True),
                        dataset(fn_args.eval_files, False), config, task,
                        log_dir=fn_args.model_run_dir)
    export.export_serving_model(
        model, model_spec, task, tf_transform_output, fn_args.serving_model_dir)
    with tf.io.gfile.GFile(os.path.join(fn_args.model_run_dir, METADATA_FILE), "w") as handle:
        json.dump({"model": config.model, "epochs_run": len(history.epoch),
                   "history": history.history, "params": model.count_params()}, handle)
