"""IMDB preprocessing_fn through tft_beam: tokenization, vocabulary, OOV and front padding."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils

from core.config import TextConfig
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


def test_the_graph_drops_line_break_tags_and_reads_invalid_utf8_as_python_does():
    raw = [b"Great film.<br /><br />Loved it<BR/>!<br>end", b"caf\xe9 <Br  /> ok", b"\xff"]
    tokens = text.tokenize(tf.constant(raw)).to_list()
    assert tokens[0] == [b"great", b"film", b".", b"loved", b"it", b"!", b"end"]
    # Python's own decoder is the reference for the replacement character.
    assert tokens[1] == [raw[1].decode("utf-8", "replace").split()[0].lower().encode(), b"ok"]
    assert tokens[2] == ["\ufffd".encode()]
    chars = text.tokenize(tf.constant([b"a<br />b"]), "char").to_list()[0]
    assert chars == [b"a", b" ", b"b"]


def test_a_review_file_with_tags_gives_the_ids_of_the_same_review_without_them():
    rows = [{"text": ["good movie<br /><br />bad ending"], "label": [1]},
            {"text": ["good movie bad ending"], "label": [0]}]
    transformed, vocab = _analyze_and_transform(rows, TextConfig(max_tokens=10,
                                                                 sequence_length=6))
    assert "<" not in vocab and "br" not in vocab
    np.testing.assert_array_equal(transformed[0]["text_xf"], transformed[1]["text_xf"])


def _bag_rows():
    return [
        {"text": ["good movie good"], "label": [1]},
        {"text": ["bad movie"], "label": [0]},
        {"text": ["good"], "label": [1]},
    ]


def _bag(transformed, vocab, row):
    """{n-gram: weight} of one transformed row."""
    return {vocab[i] if i < len(vocab) else "<oov>": w for i, w in
            zip(transformed[row]["text_xf_ids"], transformed[row]["text_xf_weights"], strict=True)}


def test_tfidf_bigrams_weight_each_ngram_once_per_review():
    transformed, vocab = _analyze_and_transform(
        _bag_rows(), TextConfig(max_tokens=100, representation="tfidf", ngrams=2))
    assert {"good", "movie", "bad", "good movie", "movie good", "bad movie"} == set(vocab)
    first = _bag(transformed, vocab, 0)
    assert set(first) == {"good", "movie", "good movie", "movie good"}
    # count x tft's smoothed idf, 1 + ln((1 + docs) / (1 + df)); 3 docs, "good" in 2 of them.
    assert first["good"] == pytest.approx(2 * (1 + np.log(4 / 3)), rel=1e-5)
    assert first["movie good"] == pytest.approx(1 * (1 + np.log(4 / 2)), rel=1e-5)
    assert _bag(transformed, vocab, 2) == {"good": pytest.approx(1 + np.log(4 / 3))}
    assert "text_xf" not in transformed[0]


def test_multi_hot_bag_weights_are_one_and_rare_ngrams_go_to_oov():
    transformed, vocab = _analyze_and_transform(
        _bag_rows(), TextConfig(max_tokens=2, representation="multi_hot", ngrams=2))
    assert vocab == ["good", "movie"]
    assert _bag(transformed, vocab, 1) == {"movie": 1.0, "<oov>": 1.0}  # "bad", "bad movie"
    assert _bag(transformed, vocab, 2) == {"good": 1.0}


def test_char_tokenizer_indexes_characters_with_spaces_and_punctuation():
    rows = [{"text": ["Ab a!"], "label": [1]}, {"text": ["b"], "label": [0]}]
    transformed, vocab = _analyze_and_transform(
        rows, TextConfig(max_tokens=10, sequence_length=6, tokenizer="char"))
    assert set(vocab) == {"a", "b", " ", "!"}
    ids = {ch: vocab.index(ch) + 1 for ch in vocab}
    expected = [0] + [ids[ch] for ch in "ab a!"]
    np.testing.assert_array_equal(transformed[0]["text_xf"], expected)


def test_text_config_rejects_ngrams_on_sequences_and_unknown_choices():
    with pytest.raises(ValueError, match="ngrams > 1 needs a bag"):
        TextConfig(ngrams=2)
    with pytest.raises(ValueError, match="representation 'onehot'"):
        TextConfig(representation="onehot")
    with pytest.raises(ValueError, match="tokenizer 'bpe'"):
        TextConfig(tokenizer="bpe")


def _numpy_nb_ratios(texts, labels, vocab, n, alpha=1.0):
    """Wang & Manning's r over `vocab`, recomputed from plain Python n-grams of `texts`."""
    present = np.array([[gram in {" ".join(words[i:i + k]) for k in range(1, n + 1)
                                  for i in range(len(words) - k + 1)} for gram in vocab]
                        for words in (t.lower().split() for t in texts)], dtype=float)
    y = np.array(labels)
    p, q = alpha + present[y == 1].sum(0), alpha + present[y == 0].sum(0)
    return dict(zip(vocab, np.log((p / p.sum()) / (q / q.sum())), strict=True))


def test_nb_ratios_come_from_binarized_train_counts_per_class():
    texts = ["good good movie", "great movie", "bad movie bad", "bad plot", "good plot twist"]
    labels = [1, 1, 0, 0, 1]
    rows = [{"text": [t], "label": [y]} for t, y in zip(texts, labels, strict=True)]
    config = TextConfig(max_tokens=6, representation="nb", ngrams=2)
    transformed, vocab = _analyze_and_transform(rows, config)
    assert len(vocab) == 6 and {"good", "movie", "bad", "plot"} <= set(vocab)
    expected = _numpy_nb_ratios(texts, labels, vocab, 2)
    for row, review in enumerate(texts):
        bag = _bag(transformed, vocab, row)
        assert "<oov>" not in bag  # n-grams outside the top 6 are dropped, not bucketed
        words = review.split()
        grams = {" ".join(words[i:i + k]) for k in (1, 2) for i in range(len(words) - k + 1)}
        assert set(bag) == grams & set(vocab)  # each n-gram once, however often it occurs
        for gram, weight in bag.items():
            assert weight == pytest.approx(expected[gram], rel=1e-5)
    assert _bag(transformed, vocab, 2)["bad"] < 0 < _bag(transformed, vocab, 0)["good"]
