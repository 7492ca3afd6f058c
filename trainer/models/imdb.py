"""IMDB sentiment models (DLwP chapter 6). Input: int64 token ids [batch, sequence_length]."""

from __future__ import annotations

import tf_keras as keras

from pipeline.config import TrainConfig
from transform import features

INPUT_KEY = features.transformed_name(features.IMDB_TEXT)


def _token_input(config: TrainConfig) -> keras.Input:
    return keras.Input(shape=(config.text.sequence_length,), dtype="int64", name=INPUT_KEY)


def build_lstm(config: TrainConfig) -> keras.Model:
    """DLwP 6.2, listing 6.27: Embedding(10,000 x 32) -> LSTM(32) -> Dense(1, sigmoid), ~89% val.

    Inputs are front-padded, so the LSTM ends on the review's last words; the cuDNN kernel is
    eligible on GPU (default activations, no recurrent dropout, no masking).
    """
    tokens = _token_input(config)
    x = keras.layers.Embedding(config.text.vocab_size, config.embedding_dim)(tokens)
    x = keras.layers.LSTM(config.units)(x)
    probability = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(tokens, probability, name="imdb_lstm")
