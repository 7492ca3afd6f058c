"""IMDB `preprocessing_fn` for the TFX Transform component: review text -> padded token ids."""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from pipeline.config import TextConfig
from transform import features, text


def preprocessing_fn(inputs: dict[str, Any], custom_config: dict[str, Any]) -> dict[str, tf.Tensor]:
    """Tokenizes and indexes `text`; passes `label` through as int64 [batch]."""
    config = TextConfig.from_dict(custom_config["text"])
    review = text.as_vector(inputs[features.IMDB_TEXT])
    return {
        features.transformed_name(features.IMDB_TEXT): text.text_to_sequence(
            review, config, features.IMDB_VOCAB_NAME),
        features.IMDB_LABEL: tf.cast(text.as_vector(inputs[features.IMDB_LABEL]), tf.int64),
    }
