"""Jena model builders: output shape, one training step, window checks and the book's defaults."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import TrainConfig, WindowConfig
from trainer import models, train
from trainer.task import get_task

COLUMNS = ("p_mbar", "t_degc", "rh")
JENA = sorted(n for n, s in models.MODELS.items() if s.task == "jena")


WINDOW = WindowConfig(lookback=240, step=3, delay=6)  # 80 observations


def _config(name: str, window: WindowConfig = WINDOW) -> TrainConfig:
    """A small config with the model's own hyperparameters (dropout rates), but not its epochs
    or window, so every builder sees the same 80-observation window."""
    spec = models.get_model_spec(name, "jena")
    own = {k: v for k, v in spec.defaults.items() if k in ("dropout", "recurrent_dropout")}
    return TrainConfig(task="jena", model=name, units=4, text=None, window=window, **own)


@pytest.mark.parametrize("name", JENA)
def test_builder_output_shape_and_one_training_step(name):
    config = _config(name)
    model = models.get_model_spec(name, "jena").builder(config, columns=COLUMNS)
    rng = np.random.default_rng(0)
    windows = rng.normal(size=(8, config.window.sequence_length, len(COLUMNS))).astype(np.float32)
    # Far from the untrained forecasts, so that no MAE gradient (the sign) cancels out.
    targets = (5.0 + rng.normal(size=(8, 1))).astype(np.float32)
    assert model.input_shape == (None, 80, len(COLUMNS)) and model.name == name
    assert model.predict({"window": windows}, verbose=0).shape == (8, 1)
    if not models.MODELS[name].trainable:
        assert not model.trainable_weights
        return
    model.compile(optimizer=train.make_optimizer(config), loss=get_task("jena").loss)
    before = [w.numpy().copy() for w in model.trainable_weights]
    model.train_on_batch({"window": windows}, targets)
    after = [w.numpy() for w in model.trainable_weights]
    assert all(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert model.output.dtype == "float32"


@pytest.mark.parametrize(("name", "minimum"), [("jena_conv1d", 61), ("jena_conv1d_gru", 19)])
def test_convnets_reject_windows_too_short_for_their_kernels(name, minimum):
    builder = models.get_model_spec(name, "jena").builder
    short = WindowConfig(lookback=(minimum - 1) * 2, step=2, delay=6)
    with pytest.raises(ValueError, match=rf"{name} needs lookback / step >= {minimum} .*= "
                                         rf"{minimum - 1}"):
        builder(_config(name, short), columns=COLUMNS)
    just_enough = dataclasses.replace(short, lookback=minimum * 2)
    assert builder(_config(name, just_enough), columns=COLUMNS).output_shape == (None, 1)


def test_specs_carry_the_books_hyperparameters_and_results():
    spec = models.MODELS
    assert spec["jena_conv1d_gru"].defaults["window"] == {"step": 3}
    assert spec["jena_gru_dropout"].defaults == {
        "dropout": 0.2, "recurrent_dropout": 0.2, "epochs": 40}
    for name in ("jena_stacked_gru", "jena_conv1d_gru"):
        assert (spec[name].defaults["dropout"], spec[name].defaults["recurrent_dropout"]) == (
            0.1, 0.5)
    for name in JENA:
        assert spec[name].output == "value" and spec[name].book and spec[name].reference
    baseline = spec["jena_common_sense"].book
    assert baseline == 2.57 and spec["jena_gru"].book == 2.35
    # In the book the recurrent models beat the common-sense baseline; dense and conv1d do not.
    assert {n for n in JENA if spec[n].book < baseline} == {
        "jena_gru", "jena_gru_dropout", "jena_stacked_gru", "jena_bidirectional_gru",
        "jena_conv1d_gru"}


def test_cli_applies_the_conv1d_gru_step_under_flags(tmp_path):
    from cli import main as cli
    from cli import run as cli_run

    def window(*argv):
        args = cli.build_parser().parse_args(["run", "jena", "--model", "conv1d_gru", *argv])
        return cli_run.config_from_args(args, str(tmp_path / "jena.csv")).train

    default = window()
    assert default.window == WindowConfig(lookback=720, step=3, delay=144)
    assert (default.dropout, default.recurrent_dropout, default.epochs) == (0.1, 0.5, 20)
    assert window("--lookback", "288", "--step", "6").window == WindowConfig(288, 6, 144)


def test_recurrent_layers_follow_the_listings():
    import tf_keras as keras

    def recurrent(name):
        model = models.MODELS[name].builder(_config(name), columns=COLUMNS)
        return [layer for layer in model.layers if isinstance(
            layer, (keras.layers.GRU, keras.layers.Bidirectional))]

    first, second = recurrent("jena_stacked_gru")
    assert first.return_sequences and (first.units, second.units) == (4, 8)
    assert second.activation is keras.activations.relu and second.recurrent_dropout == 0.5
    (gru,) = recurrent("jena_gru")
    assert gru.recurrent_dropout == 0 and gru.reset_after  # cuDNN-eligible
    (bidirectional,) = recurrent("jena_bidirectional_gru")
    assert bidirectional.forward_layer.recurrent_dropout == 0
    (dropout,) = recurrent("jena_gru_dropout")
    assert (dropout.dropout, dropout.recurrent_dropout) == (0.2, 0.2)
