"""IMDB preprocessing_fn through tft_beam: tokenization, vocabulary, OOV and front padding."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils

from pipeline.config import TextConfig
from transform import imdb, text

RAW_SPEC = {"text": tf.io.FixedLenFeature([1], tf.string),
            "label": tf.io.FixedLenFeature([1], tf.int64)}


def _analyze_and_transform(rows, config: TextConfig):
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(RAW_SPEC))
    with tempfile.TemporaryDirectory() as tmp, tft_beam.Context(temp_dir=tmp):
        (transformed, _), transform_fn = (rows, metadata) | tft_beam.AnalyzeAndTransformDataset(
            lambda inputs: imdb.preprocessing_fn(inputs, {"text": config.to_dict()}))
        _ = transform_fn | tft_beam.WriteTransformFn(tmp)
        vocab = tft.TFTransformOutput(tmp).vocabulary_by_name("imdb_vocab")
    return transformed, [w.decode() for w in vocab]


@pytest.fixture(scope="module")
def result():
    rows = [
        {"text": ["Good good GOOD movie!"], "label": [1]},
        {"text": ["bad movie, bad bad."], "label": [0]},
        {"text": ["good"], "label": [1]},
    ]
    return _analyze_and_transform(rows, TextConfig(max_tokens=3, sequence_length=5))


def test_vocabulary_is_lowercased_by_frequency_with_punctuation_tokens(result):
    _, vocab = result
    assert vocab[:3] == ["good", "bad", "movie"]


def test_ids_are_front_padded_and_shifted_past_padding(result):
    transformed, vocab = result
    good, bad, movie = 1, 2, 3  # vocabulary ids + 1; 0 is padding
    oov = 4  # top_k (3) + 1: "!", ",", "." fall outside the 3-word vocabulary
    np.testing.assert_array_equal(transformed[0]["text_xf"], [good, good, good, movie, oov])
    # 6 tokens: the first ("bad") is cut, the last 5 are kept.
    np.testing.assert_array_equal(transformed[1]["text_xf"], [movie, oov, bad, bad, oov])
    np.testing.assert_array_equal(transformed[2]["text_xf"], [0, 0, 0, 0, good])
    assert [row["label"] for row in transformed] == [1, 0, 1]


def test_pad_front_keeps_the_last_tokens():
    ids = tf.ragged.constant([[1, 2, 3, 4, 5, 6, 7], [8], []], dtype=tf.int64)
    np.testing.assert_array_equal(
        text.pad_front(ids, 4), [[4, 5, 6, 7], [0, 0, 0, 8], [0, 0, 0, 0]])


def test_tokenize_splits_punctuation_from_words():
    tokens = text.tokenize(tf.constant(["It's great!(really)"])).to_list()[0]
    assert tokens == [b"it", b"'", b"s", b"great", b"!", b"(", b"really", b")"]
