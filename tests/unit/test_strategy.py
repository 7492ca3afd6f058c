"""GPU readiness, checked on the CPU: every zoo model builds and trains a step under the chosen
distribution strategy, and under mixed precision its output stays float32."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from zoo_inputs import imdb_config, imdb_inputs

from core.config import TrainConfig, WindowConfig
from trainer import models, strategy, train
from trainer.task import get_task

COLUMNS = ("p_mbar", "t_degc", "rh")


def _inputs(name: str, config: TrainConfig, batch: int = 4):
    rng = np.random.default_rng(0)
    if models.MODELS[name].task == "imdb":
        return imdb_inputs(name, config, batch)
    window = rng.normal(size=(batch, config.window.sequence_length, len(COLUMNS)))
    return {"window": window.astype(np.float32)}, {"columns": COLUMNS}


def _config(name: str) -> TrainConfig:
    task = models.MODELS[name].task
    if task == "imdb":
        return imdb_config(name)
    # 80 observations: enough for the conv stacks (jena_conv1d needs 61); the model's dropout
    # rates too, so the non-cuDNN recurrent_dropout path runs under the strategy as well.
    rates = {k: v for k, v in models.MODELS[name].defaults.items()
             if k in ("dropout", "recurrent_dropout")}
    return TrainConfig(task=task, model=name, units=4, text=None,
                       window=WindowConfig(lookback=240, step=3, delay=6), **rates)


@pytest.mark.parametrize("devices", [None, ["/cpu:0"]], ids=["visible", "one-device"])
@pytest.mark.parametrize("name", sorted(n for n, s in models.MODELS.items() if s.trainable))
def test_every_model_trains_a_step_under_the_strategy(name, devices):
    config = _config(name)
    inputs, kwargs = _inputs(name, config)
    with strategy.choose_strategy(devices).scope():
        model = models.MODELS[name].builder(config, **kwargs)
        model.compile(optimizer=train.make_optimizer(config),
                      loss=get_task(models.MODELS[name].task).loss)
        model.fit(inputs, np.zeros(4, np.float32), epochs=1, verbose=0)
    assert model.predict(inputs, verbose=0).shape == (4, 1)


def test_strategy_follows_the_device_count():
    assert isinstance(strategy.choose_strategy(["/cpu:0"]), tf.distribute.OneDeviceStrategy)
    assert not tf.config.list_logical_devices("GPU")  # this machine and CI: no GPU
    assert strategy.choose_strategy() is tf.distribute.get_strategy()


@pytest.mark.parametrize("name", ["imdb_lstm", "jena_gru"])
def test_mixed_precision_keeps_float32_outputs_and_restores_the_policy(name):
    config = _config(name)
    inputs, kwargs = _inputs(name, config)
    with strategy.precision(True):
        model = models.MODELS[name].builder(config, **kwargs)
        assert model.layers[1].compute_dtype == "float16"
    assert model.output.dtype == tf.float32
    assert model.predict(inputs, verbose=0).dtype == np.float32
    import tf_keras as keras

    assert keras.mixed_precision.global_policy().name == "float32"
