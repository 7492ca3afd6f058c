"""Jena `preprocessing_fn` for the TFX Transform component: z-scores fitted on train only.

The Transform component analyzes the `train` split only (`splits_config analyze=["train"]` in
pipeline/pipeline.py), so the z-scores use train statistics for all three splits and for
serving. ExampleGen stores values as they are in the CSV; here a value is missing when it is NaN
(no value in the source) or the sentinel (-9999.0, a failed measurement). Missing values do not
enter the statistics and come out as NaN, which the model's first layer fills from earlier
observations of the same window (trainer/windows.py `forward_fill`): the same graph runs for
training, TFMA and a raw window sent to TF Serving.

Outputs: `<column>_xf` (float32 z-score, NaN when missing) for every numeric column present, and
`timestamp` (int64, to sort the series and find gaps).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft

from core import features
from transform.text import as_vector


def missing(values: tf.Tensor) -> tf.Tensor:
    """True where a raw observation holds no measurement: NaN, infinite or the sentinel."""
    return tf.logical_or(tf.logical_not(tf.math.is_finite(values)),
                         tf.equal(values, features.JENA_SENTINEL))


def scale_to_z_score_where_valid(values: tf.Tensor, valid: tf.Tensor) -> tf.Tensor:
    """(x - mean) / std with the statistics of the valid values only; NaN where not valid.

    As `tft.scale_to_z_score`: the population std, and a column constant on train is only
    centred.
    """
    kept = tf.boolean_mask(values, valid)
    mean, variance = tft.mean(kept), tft.var(kept)
    std = tf.sqrt(variance)
    scaled = (values - mean) / tf.where(std > 0, std, tf.ones_like(std))
    return tf.where(valid, scaled, tf.fill(tf.shape(values), np.float32(np.nan)))


def preprocessing_fn(inputs: dict[str, Any], custom_config: dict[str, Any]) -> dict[str, tf.Tensor]:
    """Scales every measurement to a z-score (NaN when missing); passes the timestamp through."""
    del custom_config  # the columns come from the data; nothing else is configurable
    if features.JENA_TEMPERATURE not in inputs:
        raise ValueError(f"no '{features.JENA_TEMPERATURE}' feature to forecast; the Jena "
                         f"examples hold {sorted(inputs)}")
    outputs = {features.JENA_TIMESTAMP: tf.cast(as_vector(inputs[features.JENA_TIMESTAMP]),
                                                tf.int64)}
    for name in features.jena_column_order(inputs):
        values = tf.cast(as_vector(inputs[name], default_value=np.nan), tf.float32)
        outputs[features.transformed_name(name)] = scale_to_z_score_where_valid(
            values, tf.logical_not(missing(values)))
    return outputs
