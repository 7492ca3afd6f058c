"""The chapter's NumPy RNN loops reproduce the zoo's trained SimpleRNN and LSTM layers."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras
import zoo_inputs

from trainer import models
from trainer.models import reference_rnn


@functools.cache
def _trained(name: str):
    """The zoo model after a few training steps on random reviews, and its recurrent layer."""
    keras.utils.set_random_seed(0)
    config = zoo_inputs.imdb_config(name)
    model = models.MODELS[name].builder(config)
    inputs, _ = zoo_inputs.imdb_inputs(name, config, batch=32)
    labels = np.random.default_rng(0).integers(0, 2, size=(32, 1))
    model.compile(optimizer=keras.optimizers.RMSprop(0.05), loss="binary_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    model.fit(inputs, labels, epochs=3, verbose=0)
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    layer = next(layer for layer in model.layers
                 if isinstance(layer, (keras.layers.SimpleRNN, keras.layers.LSTM)))
    embedded = keras.Model(model.inputs, layer.input)(inputs).numpy()
    return layer, embedded, layer(embedded).numpy()


def test_numpy_simple_rnn_loop_reproduces_the_trained_layer():
    layer, embedded, expected = _trained("imdb_simple_rnn")
    kernel, recurrent, bias = layer.get_weights()
    for sequence, final in zip(embedded, expected, strict=True):
        outputs = reference_rnn.simple_rnn(sequence, kernel, recurrent, bias)
        np.testing.assert_allclose(outputs[-1], final, rtol=1e-4, atol=1e-5)


def test_numpy_lstm_reproduces_the_trained_layer_and_one_step_its_cell():
    layer, embedded, expected = _trained("imdb_lstm")
    kernel, recurrent, bias = layer.get_weights()
    for sequence, final in zip(embedded[:8], expected[:8], strict=True):
        np.testing.assert_allclose(reference_rnn.lstm(sequence, kernel, recurrent, bias)[-1],
                                   final, rtol=1e-4, atol=1e-5)
    # One step from a non-zero state and carry, against Keras' own LSTM cell.
    rng = np.random.default_rng(1)
    state, carry = rng.normal(size=(2, layer.units)).astype(np.float32)
    x = embedded[0, 10]
    _, (keras_state, keras_carry) = layer.cell(
        tf.constant(x[None]), [tf.constant(state[None]), tf.constant(carry[None])])
    new_state, new_carry = reference_rnn.lstm_step(x, state, carry, kernel, recurrent, bias)
    np.testing.assert_allclose(new_state, keras_state.numpy()[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_carry, keras_carry.numpy()[0], rtol=1e-5, atol=1e-6)


def test_a_wrong_gate_order_is_caught():
    layer, embedded, expected = _trained("imdb_lstm")
    kernel, recurrent, bias = layer.get_weights()
    swapped = [np.concatenate(np.split(w, 4, axis=-1)[::-1], axis=-1)
               for w in (kernel, recurrent, bias)]
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(reference_rnn.lstm(embedded[0], *swapped)[-1], expected[0],
                                   rtol=1e-4, atol=1e-5)
