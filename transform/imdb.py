"""IMDB `preprocessing_fn` for the TFX Transform component: review text -> padded token ids."""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from core import features
from core.config import TextConfig
from transform import text


def preprocessing_fn(inputs: dict[str, Any], custom_config: dict[str, Any]) -> dict[str, Any]:
    """Tokenizes and indexes `text` as the configured representation; `label` as int64 [batch].

    "sequence": `text_xf`, int64 ids [batch, sequence_length]. Bag representations:
    `text_xf_ids` and `text_xf_weights`, sparse [batch, None] (see `text.text_to_bag`; "nb":
    `text.text_to_nb`, whose ratios come from the train labels).
    """
    config = TextConfig.from_dict(custom_config["text"])
    review = text.as_vector(inputs[features.IMDB_TEXT])
    outputs = {
        features.IMDB_LABEL: tf.cast(text.as_vector(inputs[features.IMDB_LABEL]), tf.int64)}
    if config.representation == "sequence":
        outputs[features.IMDB_SEQUENCE] = text.text_to_sequence(
            review, config, features.IMDB_VOCAB_NAME)
    elif config.representation == "nb":
        outputs[features.IMDB_BAG_IDS], outputs[features.IMDB_BAG_WEIGHTS] = text.text_to_nb(
            review, outputs[features.IMDB_LABEL], config, features.IMDB_VOCAB_NAME)
    else:
        outputs[features.IMDB_BAG_IDS], outputs[features.IMDB_BAG_WEIGHTS] = text.text_to_bag(
            review, config, features.IMDB_VOCAB_NAME)
    return outputs
