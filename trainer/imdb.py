"""IMDB trainer task: batches of transformed reviews, and raw review text for serving.

The "imdb" registry entry (core/tasks.py) names `TASK`; trainer/run.py reads it through
`trainer.task.get_task`. Serving (`serving_default`) takes raw review text, `<br />` tags and
all: the Transform graph inside the model cleans and tokenizes it (transform/text.py).
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_transform as tft

from core import features
from trainer.task import TrainerTask, dense_to_raw_feature


def _raw_features(text: tf.Tensor, tf_transform_output: tft.TFTransformOutput):
    spec = tf_transform_output.raw_feature_spec()[features.IMDB_TEXT]
    return {features.IMDB_TEXT: dense_to_raw_feature(text, spec)}


TASK = TrainerTask(
    name="imdb",
    loss="binary_crossentropy",
    metrics=("accuracy",),
    raw_features=(features.IMDB_TEXT,),
    serving_spec=tf.TensorSpec([None], tf.string, name=features.IMDB_TEXT),
    to_raw_features=_raw_features,
)
