"""Jena temperature forecasting models (DLwP 1st ed., sections 6.3 and 6.4.4).

Input: normalized windows float32 [batch, lookback / step, columns] named "window", columns in
the order trainer/jena.py stores in the model. Output: the normalized temperature [batch, 1]
(the export de-normalizes it to °C). Builders take the window's columns, which depend on the
data (12 in the fragment, 14 in the full file).
"""

from __future__ import annotations

import tf_keras as keras

from core import features
from core.config import TrainConfig
from trainer.jena import WINDOW_INPUT
from trainer.models.spec import ModelSpec

# Shortest windows (observations) the convnets accept: ((n - 4) // 3 - 4) // 3 - 4 >= 1, and
# (n - 4) // 3 - 4 >= 1. ModelSpec.min_steps repeats them so the CLI can check before running.
CONV1D_MIN_STEPS = 61
CONV1D_GRU_MIN_STEPS = 19


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
    """DLwP listing 6.37: Flatten -> Dense(32, relu) -> Dense(1), the densely connected model.

    The book: some validation losses come close to the common-sense baseline, but not reliably
    (best ~0.30, ~2.65 °C, in 20 epochs). No recurrent layer.
    """
    window = _window_input(config, columns)
    x = keras.layers.Flatten()(window)
    x = keras.layers.Dense(config.units, activation="relu")(x)
    return keras.Model(window, keras.layers.Dense(1, dtype="float32")(x), name="jena_dense")


def build_gru(config: TrainConfig, columns: tuple[str, ...]) -> keras.Model:
    """DLwP listing 6.39: GRU(32) -> Dense(1), the first recurrent baseline, 20 epochs.

    The book: validation MAE ~0.265 (2.35 °C) before it starts overfitting. cuDNN-eligible (no
    dropout by default, default activations, reset_after); the dropout rates are what `--tune`
    searches with the units and learning rate.
    """
    window = _window_input(config, columns)
    x = _gru(config, config.units)(window)
    return keras.Model(window, keras.layers.Dense(1, dtype="float32")(x), name="jena_gru")


def _too_short(config: TrainConfig, name: str, minimum: int, layers: str) -> None:
    """Raises when the window has fewer observations than the model's kernels consume."""
    length = config.window.sequence_length
    if length < minimum:
        raise ValueError(f"{name} needs lookback / step >= {minimum} observations for {layers}, "
                         f"got {config.window.lookback} / {config.window.step} = {length}")


def _gru(config: TrainConfig, units: int, **kwargs) -> keras.layers.GRU:
    """A GRU with the config's dropout rates; reset_after and the default activations are kept,
    so only `recurrent_dropout` (or a non-tanh `activation`) rules out the cuDNN kernel."""
    return keras.layers.GRU(units, dropout=config.dropout,
                            recurrent_dropout=config.recurrent_dropout, **kwargs)


def _forecast(window, x, name: str) -> keras.Model:
    return keras.Model(window, keras.layers.Dense(1, dtype="float32")(x), name=name)


def build_gru_dropout(config: TrainConfig, columns: tuple[str, ...]) -> keras.Model:
    """DLwP listing 6.40: GRU(32, dropout=0.2, recurrent_dropout=0.2) -> Dense(1), 40 epochs.

    The book: no more overfitting in the first 30 epochs, but the best validation MAE is barely
    lower than the plain GRU's (~0.26, i.e. ~2.3 °C). Not cuDNN-eligible: recurrent_dropout > 0
    (rates from the spec's defaults, TrainConfig.dropout / recurrent_dropout).
    """
    window = _window_input(config, columns)
    return _forecast(window, _gru(config, config.units)(window), "jena_gru_dropout")


def build_stacked_gru(config: TrainConfig, columns: tuple[str, ...]) -> keras.Model:
    """DLwP listing 6.41: GRU(32, return_sequences) -> GRU(64, relu) -> Dense(1), both with
    dropout 0.1 and recurrent_dropout 0.5, 40 epochs.

    The book: the second layer improves the result a bit, though not significantly (~0.26,
    ~2.3 °C). Neither layer is cuDNN-eligible (recurrent_dropout > 0; the second also uses relu,
    as in the listing).
    """
    window = _window_input(config, columns)
    x = _gru(config, config.units, return_sequences=True)(window)
    x = _gru(config, 2 * config.units, activation="relu")(x)
    return _forecast(window, x, "jena_stacked_gru")


def build_bidirectional_gru(config: TrainConfig, columns: tuple[str, ...]) -> keras.Model:
    """DLwP listing 6.44: Bidirectional(GRU(32)) -> Dense(1), 40 epochs.

    The book: about as good as the plain GRU (~0.265, ~2.35 °C); the anti-chronological half adds
    little because the recent past matters most here. cuDNN-eligible in both directions (no
    dropout, default activations, reset_after).
    """
    window = _window_input(config, columns)
    x = keras.layers.Bidirectional(keras.layers.GRU(config.units))(window)
    return _forecast(window, x, "jena_bidirectional_gru")


def build_conv1d(config: TrainConfig, columns: tuple[str, ...]) -> keras.Model:
    """DLwP listing 6.47: Conv1D(32, 5, relu) -> MaxPool(3) -> Conv1D(32, 5, relu) -> MaxPool(3)
    -> Conv1D(32, 5, relu) -> GlobalMaxPool -> Dense(1), 20 epochs.

    The book: validation MAE stays in the 0.40s (~4 °C), worse than the common-sense baseline,
    because the convnet ignores where in the window a pattern occurs. No recurrent layer.
    """
    window = _window_input(config, columns)  # first: checks that there is a window
    _too_short(config, "jena_conv1d", CONV1D_MIN_STEPS,
               "three 5-wide convolutions around two MaxPool(3)")
    x = window
    for pool in (True, True, False):
        x = keras.layers.Conv1D(config.units, 5, activation="relu")(x)
        x = keras.layers.MaxPooling1D(3)(x) if pool else keras.layers.GlobalMaxPooling1D()(x)
    return _forecast(window, x, "jena_conv1d")


def build_conv1d_gru(config: TrainConfig, columns: tuple[str, ...]) -> keras.Model:
    """DLwP listings 6.48-6.49: Conv1D(32, 5, relu) -> MaxPool(3) -> Conv1D(32, 5, relu)
    -> GRU(32, dropout=0.1, recurrent_dropout=0.5) -> Dense(1) on twice as dense windows
    (step 3: one observation per 30 minutes; lookback 720 and delay 144 unchanged), 20 epochs.

    The book: not as good as the regularized GRU alone (~0.27-0.28, ~2.4 °C) but much faster,
    as the convolutions shorten the sequence threefold. The GRU is not cuDNN-eligible
    (recurrent_dropout > 0).
    """
    window = _window_input(config, columns)  # first: checks that there is a window
    _too_short(config, "jena_conv1d_gru", CONV1D_GRU_MIN_STEPS,
               "two 5-wide convolutions around MaxPool(3)")
    x = keras.layers.Conv1D(config.units, 5, activation="relu")(window)
    x = keras.layers.MaxPooling1D(3)(x)
    x = keras.layers.Conv1D(config.units, 5, activation="relu")(x)
    return _forecast(window, _gru(config, config.units)(x), "jena_conv1d_gru")


MODELS: dict[str, ModelSpec] = {
    # Jena: `book` is the validation MAE in °C, the chapter's normalized MAE x 8.85 (the
    # temperature's train std: 0.29 -> 2.57 °C). "approx." marks the best val_loss of the
    # author's run (fchollet/deep-learning-with-python-notebooks, first_edition/6.3 and 6.4)
    # where the text gives no number.
    "jena_common_sense": ModelSpec(
        "jena", build_common_sense, "value", trainable=False, book=2.57,
        reference="DLwP 6.3.3, listings 6.35-6.36: 0.29 -> 2.57 °C val"),
    "jena_dense": ModelSpec(
        "jena", build_dense, "value", defaults={"epochs": 20}, book=2.65,
        reference="DLwP 6.3.4, listing 6.37: 'close to the baseline, not reliably'; "
                  "approx. 0.30 -> 2.65 °C val"),
    "jena_gru": ModelSpec(
        "jena", build_gru, "value", defaults={"epochs": 20}, book=2.35,
        reference="DLwP 6.3.5, listing 6.39: ~0.265 -> 2.35 °C val"),
    "jena_gru_dropout": ModelSpec(
        "jena", build_gru_dropout, "value",
        defaults={"dropout": 0.2, "recurrent_dropout": 0.2, "epochs": 40}, book=2.32,
        reference="DLwP 6.3.6, listing 6.40: best 'not much lower' than the GRU's; "
                  "approx. 0.262 -> 2.32 °C val"),
    "jena_stacked_gru": ModelSpec(
        "jena", build_stacked_gru, "value",
        defaults={"dropout": 0.1, "recurrent_dropout": 0.5, "epochs": 40}, book=2.33,
        reference="DLwP 6.3.7, listing 6.41: 'a bit' better, not significantly; "
                  "approx. 0.263 -> 2.33 °C val"),
    "jena_bidirectional_gru": ModelSpec(
        "jena", build_bidirectional_gru, "value", defaults={"epochs": 40}, book=2.31,
        reference="DLwP 6.3.8, listing 6.44: 'about as well as the regular GRU'; "
                  "approx. 0.262 -> 2.31 °C val"),
    "jena_conv1d": ModelSpec(
        "jena", build_conv1d, "value", defaults={"epochs": 20}, book=4.00,
        min_steps=CONV1D_MIN_STEPS,
        reference="DLwP 6.4.4, listing 6.47: 'stays in the 0.40s', worse than the baseline; "
                  "approx. 0.452 -> 4.00 °C val"),
    "jena_conv1d_gru": ModelSpec(
        "jena", build_conv1d_gru, "value", min_steps=CONV1D_GRU_MIN_STEPS,
        defaults={"dropout": 0.1, "recurrent_dropout": 0.5, "epochs": 20,
                  "window": {"step": 3}}, book=2.42,
        reference="DLwP 6.4.4, listings 6.48-6.49: step 3, not as good as the regularized GRU "
                  "but faster; approx. 0.273 -> 2.42 °C val"),
}
