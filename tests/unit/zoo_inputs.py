"""Random model inputs and builder kwargs for any zoo model (shared by the builder tests)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from core import features
from core.config import TextConfig, TrainConfig
from trainer import models


def imdb_config(name: str, **overrides) -> TrainConfig:
    """A tiny config in the model's representation (its `text` defaults, smaller sizes)."""
    text = {"max_tokens": 20, "sequence_length": 60,
            **{k: v for k, v in models.MODELS[name].defaults.get("text", {}).items()
               if k in ("representation", "ngrams", "tokenizer")}}
    return TrainConfig(model=name, embedding_dim=4, units=4, text=TextConfig(**text),
                       **overrides)


def imdb_inputs(name: str, config: TrainConfig, batch: int = 8, seed: int = 0):
    """(inputs dict, builder kwargs) for an IMDB model."""
    rng = np.random.default_rng(seed)
    kwargs = {}
    if name == "imdb_glove":
        kwargs["weights"] = rng.normal(size=(config.text.vocab_size, 5)).astype(np.float32)
    if config.text.representation == "sequence":
        ids = rng.integers(0, config.text.vocab_size, size=(batch, config.text.sequence_length))
        return {features.IMDB_SEQUENCE: ids}, kwargs
    size = config.text.max_tokens  # "nb" drops unknown n-grams; other bags bucket them
    size += 0 if config.text.representation == "nb" else config.text.oov_buckets
    indices, ids = [], []
    for row in range(batch):  # 1..5 distinct n-grams per review
        terms = rng.choice(size, size=rng.integers(1, 6), replace=False)
        indices += [[row, position] for position in range(len(terms))]
        ids += list(terms)
    shape = [batch, max(i[1] for i in indices) + 1]
    bag_ids = tf.SparseTensor(indices, np.array(ids, np.int64), shape)
    weights = tf.SparseTensor(indices, rng.random(len(ids)).astype(np.float32), shape)
    return {features.IMDB_BAG_IDS: bag_ids, features.IMDB_BAG_WEIGHTS: weights}, kwargs
