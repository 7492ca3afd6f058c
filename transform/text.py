"""Text preprocessing shared by text tasks: tokenization, vocabulary and fixed-length sequences.

Runs inside `preprocessing_fn`, so the same graph is used for training, evaluation and serving.
Every repair of the raw text (markup, invalid UTF-8) happens here too, never in ExampleGen: a
client sends review files as they are, and the served model must read them exactly as the
Evaluator's examples were read.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_transform as tft

from core.config import TextConfig

# Punctuation becomes its own token ("great!" -> "great", "!"), as a word-level tokenizer should;
# the book's Keras Tokenizer dropped it instead, which loses "!" and "?" as sentiment cues.
_PUNCTUATION = r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])"
# The reviews keep the HTML line breaks of the site; they are not words (keras-io drops them too).
_LINE_BREAK = r"(?i)<br\s*/?>"


def as_vector(tensor: tf.Tensor | tf.SparseTensor, default_value=None) -> tf.Tensor:
    """Turns a [batch, 1] dense or sparse feature into a [batch] vector.

    Args:
      default_value: what a missing sparse value becomes (default: 0 or "").
    """
    if isinstance(tensor, tf.SparseTensor):
        tensor = tf.sparse.to_dense(
            tf.SparseTensor(tensor.indices, tensor.values, [tensor.dense_shape[0], 1]),
            default_value=default_value)
    return tf.reshape(tensor, [-1])


def clean(text: tf.Tensor) -> tf.Tensor:
    """Raw review bytes -> valid UTF-8 without `<br />` tags (each becomes a space).

    Invalid UTF-8 sequences become U+FFFD, as Python's `decode(errors="replace")` would.
    """
    text = tf.strings.unicode_transcode(text, "UTF-8", "UTF-8", errors="replace",
                                        replacement_char=0xFFFD)
    return tf.strings.regex_replace(text, _LINE_BREAK, " ")


def tokenize(text: tf.Tensor, tokenizer: str = "word") -> tf.RaggedTensor:
    """Lowercased tokens of the cleaned text: words with punctuation split off, or characters.

    Character tokens keep spaces and punctuation, like Keras' `Tokenizer(char_level=True)`;
    one id per character makes the embedding a learned version of DLwP's character one-hot.
    """
    text = tf.strings.lower(clean(text))
    if tokenizer == "char":
        return tf.strings.unicode_split(text, "UTF-8", errors="replace")
    if tokenizer != "word":
        raise ValueError(f"unknown tokenizer {tokenizer!r}; expected 'word' or 'char'")
    text = tf.strings.regex_replace(text, _PUNCTUATION, r" \1 ")
    return tf.strings.split(text)


def pad_front(ids: tf.RaggedTensor, length: int) -> tf.Tensor:
    """Keeps the last `length` ids of each row and left-pads with 0, like `pad_sequences`.

    Front padding matters: an RNN without masking that reads 400 trailing zeros forgets the
    review before it outputs (a book LSTM then stays at 50% accuracy).
    """
    lengths = tf.minimum(ids.row_lengths(), length)
    tail = tf.RaggedTensor.from_row_lengths(
        tf.gather(ids.values, _tail_indices(ids.row_splits, lengths)), lengths)
    # Post-padded [a b c 0 0] -> reverse the valid part [c b a 0 0] -> reverse all [0 0 a b c].
    dense = tail.to_tensor(default_value=0, shape=[None, length])
    dense = tf.reverse_sequence(dense, lengths, seq_axis=1, batch_axis=0)
    return tf.reverse(dense, axis=[1])


def _tail_indices(row_splits: tf.Tensor, lengths: tf.Tensor) -> tf.Tensor:
    """Flat indices of the last `lengths[i]` values of every row."""
    ends = row_splits[1:]
    starts = ends - lengths
    return tf.ragged.range(starts, ends).values


def text_to_sequence(text: tf.Tensor, config: TextConfig, vocab_name: str) -> tf.Tensor:
    """Raw strings [batch] -> int64 ids [batch, sequence_length], 0 = padding.

    Ids: 1..max_tokens for the most frequent train words, then the OOV buckets.
    """
    tokens = tokenize(text, config.tokenizer)
    ids = tft.compute_and_apply_vocabulary(
        tokens, top_k=config.max_tokens, num_oov_buckets=config.oov_buckets,
        vocab_filename=vocab_name)
    return pad_front(ids + 1, config.sequence_length)


def text_to_bag(text: tf.Tensor, config: TextConfig,
                vocab_name: str) -> tuple[tf.SparseTensor, tf.SparseTensor]:
    """Raw strings [batch] -> a bag of 1..`ngrams`-grams: (term ids, weights), both sparse.

    Ids: 0..max_tokens-1 for the most frequent train n-grams, then the OOV buckets; each id
    appears once per review. Weights are 1.0 (multi-hot) or TF-IDF as Keras' TextVectorization
    (the book's 2nd edition) weighs it: the n-gram's count in the review times its idf.
    `tft.tfidf` divides the count by the review's length; its weights are then ~0.01, and the
    book's Dense head (RMSprop 1e-3, 10 epochs) was measured still far from converged on them.
    """
    tokens = tokenize(text, config.tokenizer).to_sparse()
    grams = tft.ngrams(tokens, (1, config.ngrams), separator=" ")
    ids = tft.compute_and_apply_vocabulary(
        grams, top_k=config.max_tokens, num_oov_buckets=config.oov_buckets,
        vocab_filename=vocab_name)
    term_ids, weights = tft.tfidf(ids, config.max_tokens + config.oov_buckets)
    if config.representation == "multi_hot":
        values = tf.ones_like(weights.values)
    else:  # undo tfidf's length normalization: x n-grams in the review
        lengths = tf.math.bincount(tf.cast(ids.indices[:, 0], tf.int32),
                                   minlength=tf.cast(ids.dense_shape[0], tf.int32))
        values = weights.values * tf.cast(
            tf.gather(lengths, tf.cast(weights.indices[:, 0], tf.int32)), tf.float32)
    return term_ids, tf.SparseTensor(weights.indices, values, weights.dense_shape)
