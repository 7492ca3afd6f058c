"""Distribution strategy and precision for training, chosen from the visible devices.

Several GPUs: MirroredStrategy (the global batch is split across them); one GPU: that device;
none (this machine, CI): TF's default strategy, i.e. plain single-device training. With
`mixed_precision`, layers compute in float16 and keep float32 variables; every builder's
output layer is float32, so losses and exported outputs stay float32.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import tensorflow as tf
import tf_keras as keras


def choose_strategy(gpus: list[str] | None = None) -> tf.distribute.Strategy:
    """The strategy for the given (default: visible) GPU device names."""
    if gpus is None:
        gpus = [device.name for device in tf.config.list_logical_devices("GPU")]
    if len(gpus) > 1:
        strategy = tf.distribute.MirroredStrategy(gpus)
    elif gpus:
        strategy = tf.distribute.OneDeviceStrategy(gpus[0])
    else:
        strategy = tf.distribute.get_strategy()
    logging.info("training with %s on %s", type(strategy).__name__, gpus or "the CPU")
    return strategy


@contextlib.contextmanager
def precision(mixed: bool) -> Iterator[None]:
    """Sets Keras' global dtype policy to mixed_float16 for the block when `mixed`."""
    if not mixed:
        yield
        return
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)
