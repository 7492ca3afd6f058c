"""Compile and fit a Keras model, task-agnostic: early stopping, TensorBoard, epoch progress
(logged, and drawn on the terminal by trainer/progress.py)."""

from __future__ import annotations

import logging
import time

import tensorflow as tf
import tf_keras as keras

from core.config import TrainConfig
from trainer.progress import TrainingProgress
from trainer.task import TrainerTask


class EpochLogger(keras.callbacks.Callback):
    """Logs one line per epoch (metrics and seconds), readable in the TFX component logs."""

    def __init__(self, epochs: int):
        super().__init__()
        self._epochs = epochs
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        metrics = ", ".join(f"{k}={v:.4f}" for k, v in sorted((logs or {}).items()))
        logging.info("epoch %d/%d (%.0fs): %s", epoch + 1, self._epochs,
                     time.monotonic() - self._start, metrics)


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    optimizers = {"rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam}
    if config.optimizer not in optimizers:
        raise ValueError(f"optimizer {config.optimizer!r} is not one of {sorted(optimizers)}")
    return optimizers[config.optimizer](learning_rate=config.learning_rate)


def fit(
    model: keras.Model,
    train_data: tf.data.Dataset,
    eval_data: tf.data.Dataset,
    config: TrainConfig,
    task: TrainerTask,
    log_dir: str,
) -> keras.callbacks.History:
    """Trains `model` with early stopping on the eval split, keeping the best weights."""
    model.compile(optimizer=make_optimizer(config), loss=task.loss, metrics=list(task.metrics))
    callbacks = [
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.early_stopping_patience,
            restore_best_weights=True),
        keras.callbacks.TensorBoard(log_dir=log_dir, update_freq="epoch"),
        EpochLogger(config.epochs),
        TrainingProgress(config.epochs),
    ]
    # verbose=0: Keras' own progress lines would go to stdout next to TrainingProgress's.
    return model.fit(
        train_data, validation_data=eval_data, epochs=config.epochs,
        steps_per_epoch=config.steps_per_epoch, callbacks=callbacks, verbose=0)
