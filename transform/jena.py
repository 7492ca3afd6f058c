"""Jena `preprocessing_fn` for the TFX Transform component: z-scores fitted on train only.

The Transform component analyzes the `train` split only (`splits_config analyze=["train"]` in
pipeline/pipeline.py), so `tft.scale_to_z_score` uses train statistics for all three splits and
for serving. Outputs: `<column>_xf` (float32 z-score) for every numeric column present, the raw
temperature `t_degc` (for errors in °C) and `timestamp` (int64, to sort the series and find gaps).
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_transform as tft

from transform import features
from transform.text import as_vector


def preprocessing_fn(inputs: dict[str, Any], custom_config: dict[str, Any]) -> dict[str, tf.Tensor]:
    """Scales every measurement to a z-score; passes the timestamp and raw temperature through."""
    del custom_config  # the columns come from the data; nothing else is configurable
    if features.JENA_TEMPERATURE not in inputs:
        raise ValueError(f"no '{features.JENA_TEMPERATURE}' feature to forecast; the Jena "
                         f"examples hold {sorted(inputs)}")
    outputs = {features.JENA_TIMESTAMP: tf.cast(as_vector(inputs[features.JENA_TIMESTAMP]),
                                                tf.int64)}
    for name in features.jena_column_order(inputs):
        values = tf.cast(as_vector(inputs[name]), tf.float32)
        outputs[features.transformed_name(name)] = tft.scale_to_z_score(values)
    outputs[features.JENA_TEMPERATURE] = tf.cast(
        as_vector(inputs[features.JENA_TEMPERATURE]), tf.float32)
    return outputs
