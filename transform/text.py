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


def text_to_nb(text: tf.Tensor, labels: tf.Tensor, config: TextConfig, vocab_name: str,
               alpha: float = 1.0) -> tuple[tf.SparseTensor, tf.SparseTensor]:
    """Raw strings [batch] -> binarized 1..`ngrams`-grams weighted by NB log-count ratios.

    Wang & Manning (2012): with p and q the alpha-smoothed counts of train reviews holding each
    n-gram among positive and negative reviews, r = log((p / |p|1) / (q / |q|1)). Both counts
    are `tft.sum` analyzers, so they come from the analyzed (train) split only and become
    constants of the graph: serving needs no label. Ids are 0..max_tokens-1 (top train
    n-grams, each once per review); n-grams outside the vocabulary are dropped.
    """
    tokens = tokenize(text, config.tokenizer).to_sparse()
    grams = tft.ngrams(tokens, (1, config.ngrams), separator=" ")
    ids = tft.compute_and_apply_vocabulary(
        grams, top_k=config.max_tokens, num_oov_buckets=0, default_value=-1,
        vocab_filename=vocab_name)
    rows, term_ids = _unique_per_row(ids, config.max_tokens)
    positive = tf.gather(tf.cast(tf.reshape(labels, [-1]), tf.float32), rows)
    counts = [tft.sum(tf.math.unsorted_segment_sum(weight, term_ids, config.max_tokens)[None],
                      reduce_instance_dims=False)
              for weight in (positive, 1.0 - positive)]
    in_vocab = tf.cast(counts[0] + counts[1] > 0, tf.float32)  # every vocab n-gram is in train
    p, q = ((count + alpha) * in_vocab for count in counts)
    ratio = tf.math.log(p / tf.reduce_sum(p) + 1e-30) - tf.math.log(q / tf.reduce_sum(q) + 1e-30)
    bag = tf.RaggedTensor.from_value_rowids(term_ids, rows, nrows=ids.dense_shape[0]).to_sparse()
    return bag, tf.SparseTensor(bag.indices, tf.gather(ratio, bag.values), bag.dense_shape)


def _unique_per_row(ids: tf.SparseTensor, size: int) -> tuple[tf.Tensor, tf.Tensor]:
    """(row, id) pairs of the non-negative ids, each pair once, rows in order."""
    keep = ids.values >= 0
    keys = tf.boolean_mask(ids.indices[:, 0] * size + ids.values, keep)
    keys, _ = tf.unique(keys)  # first occurrences: rows stay sorted
    return keys // size, keys % size
