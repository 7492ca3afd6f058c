"""Jena temperature forecasting models (DLwP 1st ed., section 6.3).

Input: normalized windows float32 [batch, lookback / step, columns] named "window", columns in
the order trainer/jena.py stores in the model. Output: the normalized temperature [batch, 1]
(the export de-normalizes it to °C). Builders take the window's columns, which depend on the
data (12 in the fragment, 14 in the full file).
"""

from __future__ import annotations

import tf_keras as keras

from pipeline.config import TrainConfig
from trainer.jena import WINDOW_INPUT
from transform import features


def _window_input(config: TrainConfig, columns: tuple[str, ...]) -> keras.Input:
    if config.window is None:
        raise ValueError("Jena models need TrainConfig.window (lookback, step, delay)")
    return keras.Input(shape=(config.window.sequence_length, len(columns)), dtype="float32",
                       name=WINDOW_INPUT)


def build_common_sense(config: TrainConfig, columns: tuple[str, ...]) -> keras.Model:
    """DLwP listing 6.35: the common-sense forecast, the temperature at the last observation.

    No weights and never trained: the fixed baseline every candidate must beat (2.57 °C MAE on
    the book's validation split, listing 6.36).
    """
    window = _window_input(config, columns)
    index = columns.index(features.JENA_TEMPERATURE)
    last = keras.layers.Lambda(lambda w: w[:, -1, index:index + 1], name="last_temperature")(
        window)
    return keras.Model(window, last, name="jena_common_sense")


def build_dense(config: TrainConfig, columns: tuple[str, ...]) -> keras.Model:
    """DLwP listing 6.37: Flatten -> Dense(32, relu) -> Dense(1), the densely connected model."""
    window = _window_input(config, columns)
    x = keras.layers.Flatten()(window)
    x = keras.layers.Dense(config.units, activation="relu")(x)
    return keras.Model(window, keras.layers.Dense(1, dtype="float32")(x), name="jena_dense")


def build_gru(config: TrainConfig, columns: tuple[str, ...]) -> keras.Model:
    """DLwP listing 6.39: GRU(32) -> Dense(1), the first recurrent baseline (~0.265 MAE)."""
    window = _window_input(config, columns)
    x = keras.layers.GRU(config.units)(window)
    return keras.Model(window, keras.layers.Dense(1, dtype="float32")(x), name="jena_gru")
