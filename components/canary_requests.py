"""The serving canary's requests: raw examples of the evaluated split -> `serving_default` inputs.

The registry (core/tasks.py `TaskSpec.canary_inputs`) names one adapter per task. Each takes the
serialized raw tf.Examples the Evaluator scored and the candidate's SavedModel folder, and
returns what a client would send: IMDB the review texts as ExampleGen stored them (bytes, so a
non-UTF-8 review travels as it is), Jena each test window as `[windows, steps, columns]` in the
column order of the model's `model_metadata.json` (NaN and the sentinel left in, as a client
sends them).
"""

from __future__ import annotations

import json
import os

import numpy as np
import tensorflow as tf
from tfx.types import artifact_utils

from core import features, names


def read_split(examples, split: str, limit: int) -> list[bytes]:
    """The first `limit` serialized tf.Examples of split `split` of an Examples artifact."""
    pattern = os.path.join(artifact_utils.get_split_uri([examples], split), "*")
    files = sorted(tf.io.gfile.glob(pattern))
    if not files:
        raise ValueError(f"no files for split '{split}' at {pattern}")
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").take(limit)
    return list(dataset.as_numpy_iterator())


def _feature(record: bytes, name: str):
    feature = tf.train.Example.FromString(record).features.feature
    if name not in feature:
        raise ValueError(f"a raw example has no feature {name!r}: {sorted(feature)}")
    return feature[name]


def imdb(records: list[bytes], model_dir: str) -> dict[str, np.ndarray]:
    """{"text": the raw review bytes}, one per example."""
    del model_dir  # the text signature needs nothing from the model
    texts = [_feature(record, features.IMDB_TEXT).bytes_list.value[0] for record in records]
    return {features.IMDB_TEXT: np.array(texts, dtype=object)}


def jena(records: list[bytes], model_dir: str) -> dict[str, np.ndarray]:
    """{"window": float32 [windows, steps, columns]}, columns in the model's order."""
    with tf.io.gfile.GFile(os.path.join(model_dir, names.MODEL_METADATA_FILE)) as handle:
        columns = [column["feature"] for column in json.load(handle)["columns"]]
    windows = [np.stack([np.array(_feature(record, name).float_list.value, np.float32)
                         for name in columns], axis=-1) for record in records]
    return {features.JENA_WINDOW_INPUT: np.stack(windows).astype(np.float32)}
