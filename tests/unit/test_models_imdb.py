"""IMDB model builders: output shape and one training step on fixture data."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import TextConfig, TrainConfig
from trainer import models, train
from trainer.tasks import get_task


@pytest.mark.parametrize("name", sorted(n for n, s in models.MODELS.items() if s.task == "imdb"))
def test_builder_output_shape_and_one_training_step(name):
    config = TrainConfig(model=name, embedding_dim=4, units=4,
                         text=TextConfig(max_tokens=20, sequence_length=60))
    model = models.get_model_spec(name, "imdb").builder(config)
    tokens = np.random.default_rng(0).integers(0, config.text.vocab_size, size=(8, 60))
    labels = np.array([0, 1] * 4)
    model.compile(optimizer=train.make_optimizer(config), loss=get_task("imdb").loss)
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch({"text_xf": tokens}, labels)
    assert model.predict({"text_xf": tokens}, verbose=0).shape == (8, 1)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_unknown_model_names_the_choices():
    with pytest.raises(ValueError, match="unknown imdb model 'nope'.*imdb_lstm"):
        models.get_model_spec("nope", "imdb")


def test_conv1d_rejects_sequences_too_short_for_its_kernels():
    config = TrainConfig(model="imdb_conv1d", text=TextConfig(sequence_length=40))
    with pytest.raises(ValueError, match="sequence_length >= 41.*got 40"):
        models.get_model_spec("imdb_conv1d", "imdb").builder(config)
