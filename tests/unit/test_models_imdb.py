"""IMDB model builders: output shape and one training step on fixture data."""

from __future__ import annotations

import numpy as np
import pytest
from zoo_inputs import imdb_config, imdb_inputs

from core.config import TextConfig, TrainConfig
from trainer import models, train
from trainer.task import get_task


@pytest.mark.parametrize("name", sorted(n for n, s in models.MODELS.items() if s.task == "imdb"))
def test_builder_output_shape_and_one_training_step(name):
    config = imdb_config(name)
    inputs, kwargs = imdb_inputs(name, config)
    model = models.get_model_spec(name, "imdb").builder(config, **kwargs)
    labels = np.array([0, 1] * 4)
    model.compile(optimizer=train.make_optimizer(config), loss=get_task("imdb").loss)
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(inputs, labels)
    assert model(inputs, training=False).shape == (8, 1)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_glove_embedding_is_frozen_and_random_one_learns():
    config = imdb_config("imdb_glove")
    inputs, kwargs = imdb_inputs("imdb_glove", config)
    glove = models.MODELS["imdb_glove"].builder(config, **kwargs)
    random = models.MODELS["imdb_glove_random"].builder(config)
    for model in (glove, random):
        model.compile(optimizer="rmsprop", loss="binary_crossentropy")
        model.train_on_batch(inputs, np.array([0, 1] * 4))
    np.testing.assert_array_equal(glove.layers[1].get_weights()[0], kwargs["weights"])
    assert not glove.layers[1].trainable and random.layers[1].trainable
    assert glove.layers[1].output_dim == 5  # the file's dimension, not embedding_dim
    assert random.layers[1].output_dim == config.embedding_dim


def test_bag_of_ngrams_reads_weights_at_their_term_ids():
    config = imdb_config("imdb_bag_of_ngrams")
    inputs, _ = imdb_inputs("imdb_bag_of_ngrams", config, batch=3)
    model = models.MODELS["imdb_bag_of_ngrams"].builder(config)
    bag = model.layers[2]([inputs["text_xf_ids"], inputs["text_xf_weights"]]).numpy()
    assert bag.shape == (3, config.text.max_tokens + config.text.oov_buckets)
    ids, weights = inputs["text_xf_ids"], inputs["text_xf_weights"]
    for (row, _), term, weight in zip(ids.indices.numpy(), ids.values.numpy(),
                                      weights.values.numpy(), strict=True):
        assert bag[row, term] == pytest.approx(weight)
    assert np.count_nonzero(bag) == len(ids.values)


def test_bag_of_ngrams_rejects_the_sequence_representation():
    config = TrainConfig(model="imdb_bag_of_ngrams", text=TextConfig())
    with pytest.raises(ValueError, match="needs a bag representation"):
        models.MODELS["imdb_bag_of_ngrams"].builder(config)


def test_zoo_defaults_reproduce_the_book_settings():
    glove = models.MODELS["imdb_glove"].defaults
    assert glove["max_train_examples"] == 200 and glove["text"]["sequence_length"] == 100
    bag = models.MODELS["imdb_bag_of_ngrams"].defaults["text"]
    assert (bag["representation"], bag["ngrams"], bag["max_tokens"]) == ("tfidf", 2, 20_000)
    assert all(s.reference for s in models.MODELS.values() if s.task == "imdb")


def test_unknown_model_names_the_choices():
    with pytest.raises(ValueError, match="unknown imdb model 'nope'.*imdb_lstm"):
        models.get_model_spec("nope", "imdb")


def test_conv1d_rejects_sequences_too_short_for_its_kernels():
    config = TrainConfig(model="imdb_conv1d", text=TextConfig(sequence_length=40))
    with pytest.raises(ValueError, match="sequence_length >= 41.*got 40"):
        models.get_model_spec("imdb_conv1d", "imdb").builder(config)


def test_nbsvm_head_is_the_dot_product_of_its_kernel_with_the_nb_weights():
    config = imdb_config("imdb_nbsvm")
    inputs, _ = imdb_inputs("imdb_nbsvm", config, batch=3)
    model = models.MODELS["imdb_nbsvm"].builder(config)
    kernel = np.random.default_rng(1).normal(size=config.text.max_tokens + 1).astype(np.float32)
    model.layers[2].set_weights([kernel[:-1], kernel[-1]])
    ids, weights = inputs["text_xf_ids"], inputs["text_xf_weights"]
    dense = np.zeros((3, config.text.max_tokens), np.float32)
    for (row, _), term, weight in zip(ids.indices.numpy(), ids.values.numpy(),
                                      weights.values.numpy(), strict=True):
        dense[row, term] = weight
    expected = 1 / (1 + np.exp(-(dense @ kernel[:-1] + kernel[-1])))
    np.testing.assert_allclose(model(inputs).numpy().ravel(), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="needs the 'nb' representation"):
        models.MODELS["imdb_nbsvm"].builder(imdb_config("imdb_bag_of_ngrams"))
