"""IMDB sentiment models, one builder per experiment of DLwP chapter 6.

Sequence models take int64 token ids [batch, sequence_length] (front-padded, 0 = padding);
`build_bag_of_ngrams` takes the TF-IDF / multi-hot vector of the n-gram representation.
Every builder returns a probability (sigmoid output).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tf_keras as keras

from core import features
from core.config import TrainConfig
from trainer import glove
from trainer.models.spec import ModelSpec

INPUT_KEY = features.IMDB_SEQUENCE


def _token_input(config: TrainConfig) -> keras.Input:
    return keras.Input(shape=(config.text.sequence_length,), dtype="int64", name=INPUT_KEY)


def _embedded(config: TrainConfig, weights: np.ndarray | None = None):
    tokens = _token_input(config)
    if weights is None:
        layer = keras.layers.Embedding(config.text.vocab_size, config.embedding_dim)
    else:
        layer = keras.layers.Embedding(
            weights.shape[0], weights.shape[1], trainable=False,
            embeddings_initializer=keras.initializers.Constant(weights))
    return tokens, layer(tokens)


def _classifier(tokens, x, name: str) -> keras.Model:
    probability = keras.layers.Dense(1, activation="sigmoid", dtype="float32")(x)
    return keras.Model(tokens, probability, name=name)


def build_embedding_flatten(config: TrainConfig) -> keras.Model:
    """DLwP 6.1, listing 6.7: Embedding(10,000 x 8), 20 tokens -> Flatten -> Dense(1); ~76% val."""
    tokens, x = _embedded(config)
    return _classifier(tokens, keras.layers.Flatten()(x), "imdb_embedding_flatten")


def build_dense_embedding(config: TrainConfig, weights: np.ndarray | None = None) -> keras.Model:
    """DLwP 6.1.3, listings 6.10-6.14: Embedding -> Flatten -> Dense(32, relu) -> Dense(1).

    With `weights` (GloVe, see trainer/glove.py), the embedding is frozen pretrained vectors and
    its dimension is the file's; without, the same network learns its own `embedding_dim`. The
    book trains both on 200 reviews of 100 tokens (~54% / low 50s test).
    """
    tokens, x = _embedded(config, weights)
    x = keras.layers.Dense(config.units, activation="relu")(keras.layers.Flatten()(x))
    name = "imdb_glove" if weights is not None else "imdb_glove_random"
    return _classifier(tokens, x, name)


def build_glove(config: TrainConfig, weights: np.ndarray) -> keras.Model:
    """DLwP listings 6.10-6.14 with the frozen GloVe embedding (`weights` from `prepare`)."""
    return build_dense_embedding(config, weights)


class BagToVector(keras.layers.Layer):
    """(sparse term ids, sparse weights) [batch, None] -> dense [batch, size] weight vectors."""

    def __init__(self, size: int, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def call(self, inputs):
        ids, weights = inputs
        rows = ids.indices[:, 0]
        shape = tf.stack([ids.dense_shape[0], tf.constant(self.size, tf.int64)])
        # scatter_nd sums duplicates, so a repeated id (never emitted by tft.tfidf) is harmless.
        return tf.scatter_nd(tf.stack([rows, ids.values], axis=1),
                             tf.cast(weights.values, self.compute_dtype), shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


def build_bag_of_ngrams(config: TrainConfig) -> keras.Model:
    """DLwP 2nd ed. 11.3.1 (the 1st ed.'s one-hot / n-gram encodings of 6.1.1 made a model):
    TF-IDF (or multi-hot) bag of unigrams + bigrams -> Dense(16, relu) -> Dropout(0.5) ->
    Dense(1); ~90% test in the book with 20,000 bigram tokens.
    """
    if config.text.representation == "sequence":
        raise ValueError("imdb_bag_of_ngrams needs a bag representation (text.representation "
                         "'tfidf' or 'multi_hot'), got 'sequence'")
    ids = keras.Input(shape=(None,), sparse=True, dtype="int64", name=features.IMDB_BAG_IDS)
    weights = keras.Input(shape=(None,), sparse=True, dtype="float32",
                          name=features.IMDB_BAG_WEIGHTS)
    x = BagToVector(config.text.max_tokens + config.text.oov_buckets)([ids, weights])
    x = keras.layers.Dense(config.units, activation="relu")(x)
    x = keras.layers.Dropout(config.dropout)(x)
    probability = keras.layers.Dense(1, activation="sigmoid", dtype="float32")(x)
    return keras.Model([ids, weights], probability, name="imdb_bag_of_ngrams")


def build_simple_rnn(config: TrainConfig) -> keras.Model:
    """DLwP 6.2, listing 6.22: Embedding(10,000 x 32) -> SimpleRNN(32) -> Dense(1); ~85% val."""
    tokens, x = _embedded(config)
    return _classifier(tokens, keras.layers.SimpleRNN(config.units)(x), "imdb_simple_rnn")


def build_lstm(config: TrainConfig) -> keras.Model:
    """DLwP 6.2, listing 6.27: Embedding(10,000 x 32) -> LSTM(32) -> Dense(1, sigmoid), ~89% val.

    Inputs are front-padded, so the LSTM ends on the review's last words; the cuDNN kernel is
    eligible on GPU (default activations, no recurrent dropout, no masking). The dropout rates
    (0 by default, as in the book) are what `--tune` searches with the units and learning rate.
    """
    tokens, x = _embedded(config)
    lstm = keras.layers.LSTM(config.units, dropout=config.dropout,
                             recurrent_dropout=config.recurrent_dropout)
    return _classifier(tokens, lstm(x), "imdb_lstm")


def build_gru(config: TrainConfig) -> keras.Model:
    """DLwP 6.2 with a GRU(32) in place of the LSTM (cuDNN-eligible defaults)."""
    tokens, x = _embedded(config)
    return _classifier(tokens, keras.layers.GRU(config.units)(x), "imdb_gru")


def build_bilstm(config: TrainConfig) -> keras.Model:
    """DLwP 6.3.8, listing 6.42: Bidirectional(LSTM(32)) -> Dense(1); ~88.6% val."""
    tokens, x = _embedded(config)
    x = keras.layers.Bidirectional(keras.layers.LSTM(config.units))(x)
    return _classifier(tokens, x, "imdb_bilstm")


def build_conv1d(config: TrainConfig) -> keras.Model:
    """DLwP 6.4.3, listing 6.46: Embedding(10,000 x 128) -> Conv1D(32, 7) -> MaxPool(5)
    -> Conv1D(32, 7) -> GlobalMaxPool -> Dense(1); ~83.8% val (RMSprop 1e-4 in the book)."""
    if (config.text.sequence_length - 6) // 5 < 7:
        raise ValueError(f"imdb_conv1d needs sequence_length >= 41 for its two 7-wide "
                         f"convolutions around MaxPool(5), got {config.text.sequence_length}")
    tokens, x = _embedded(config)
    x = keras.layers.Conv1D(config.units, 7, activation="relu")(x)
    x = keras.layers.MaxPooling1D(5)(x)
    x = keras.layers.Conv1D(config.units, 7, activation="relu")(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    return _classifier(tokens, x, "imdb_conv1d")


# DLwP 6.1.3: 200 training reviews cut to 100 tokens, Dense(32) head, batch 32.
_GLOVE_EXPERIMENT = {"max_train_examples": 200, "batch_size": 32,
                     "text": {"sequence_length": 100}}

MODELS: dict[str, ModelSpec] = {
    # IMDB: `book` is the accuracy the chapter reports (validation unless noted; ours is test).
    "imdb_embedding_flatten": ModelSpec(
        "imdb", build_embedding_flatten,
        defaults={"embedding_dim": 8, "batch_size": 32, "text": {"sequence_length": 20}},
        book=0.76, reference="DLwP 6.1.2, listing 6.7: ~76% val"),
    "imdb_glove": ModelSpec(
        "imdb", build_glove, prepare=glove.pretrained_embedding,
        defaults={**_GLOVE_EXPERIMENT}, book=0.54,
        reference="DLwP 6.1.3, listings 6.10-6.17: frozen GloVe, 200 samples; ~54% test"),
    "imdb_glove_random": ModelSpec(
        "imdb", build_dense_embedding, defaults={**_GLOVE_EXPERIMENT, "embedding_dim": 100},
        book=0.52, reference="DLwP 6.1.3, same network, learned embedding: low 50s (approx.)"),
    "imdb_simple_rnn": ModelSpec("imdb", build_simple_rnn, book=0.85,
                                 reference="DLwP 6.2.1, listing 6.22: ~85% val"),
    "imdb_lstm": ModelSpec("imdb", build_lstm, book=0.89,
                           reference="DLwP 6.2.3, listing 6.27: ~89% val"),
    "imdb_gru": ModelSpec("imdb", build_gru,
                          reference="GRU(32) in place of listing 6.27's LSTM; no book number"),
    "imdb_bilstm": ModelSpec("imdb", build_bilstm, book=0.886,
                             reference="DLwP 6.3.8, listing 6.42: ~88.6% val"),
    "imdb_conv1d": ModelSpec(
        "imdb", build_conv1d, defaults={"embedding_dim": 128, "learning_rate": 1e-4},
        book=0.838, reference="DLwP 6.4.3, listing 6.46: ~83.8% val"),
    "imdb_bag_of_ngrams": ModelSpec(
        "imdb", build_bag_of_ngrams,
        defaults={"units": 16, "dropout": 0.5, "batch_size": 32, "text": {
            "representation": "tfidf", "ngrams": 2, "max_tokens": 20_000}},
        book=0.90, reference="DLwP 2nd ed. 11.3.3, TF-IDF bigrams + Dense(16): ~90% test"),
}
