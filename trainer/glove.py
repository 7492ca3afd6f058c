"""Pretrained GloVe vectors (standard text format) -> an embedding matrix for the TFT vocabulary.

The format is one word per line followed by its N floats (`word v1 ... vN`), plain or gzipped;
N is read from the file, so the 50d file here and the book's glove.6B.100d.txt both work.
Matrix rows follow the Transform ids: 0 = padding, i + 1 = the i-th vocabulary word, then the
OOV buckets; rows of words without a vector (and padding/OOV) stay zero.
"""

from __future__ import annotations

import dataclasses
import gzip
import logging

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft

from core import features
from core.config import TrainConfig


@dataclasses.dataclass(frozen=True)
class EmbeddingMatrix:
    """The matrix plus how much of the vocabulary GloVe covered."""

    weights: np.ndarray  # [vocab_size, dim] float32
    found: int
    vocabulary_words: int

    @property
    def coverage(self) -> float:
        return self.found / self.vocabulary_words if self.vocabulary_words else 0.0


def _open_text(path: str):
    if path.endswith(".gz"):
        return gzip.open(tf.io.gfile.GFile(path, "rb"), "rt", encoding="utf-8")
    return tf.io.gfile.GFile(path, "r")


def load_vectors(path: str, words: set[str] | None = None) -> dict[str, np.ndarray]:
    """Reads GloVe vectors, keeping only `words` when given (saves memory on the 400k file).

    Raises:
      ValueError: a line whose vector length differs from the first line's, or no vectors.
    """
    if not tf.io.gfile.exists(path):
        raise ValueError(f"GloVe file {path} does not exist")
    vectors: dict[str, np.ndarray] = {}
    dim = None
    with _open_text(path) as handle:
        for line_number, line in enumerate(handle, start=1):
            word, *values = line.rstrip("\n").split(" ")
            if dim is None:
                dim = len(values)
            if len(values) != dim or dim == 0:
                raise ValueError(f"{path}:{line_number}: {len(values)} values for '{word}', "
                                 f"expected {dim} like the first line")
            if words is None or word in words:
                vectors[word] = np.asarray(values, dtype=np.float32)
    if dim is None:
        raise ValueError(f"GloVe file {path} is empty")
    logging.info("GloVe: %d-dimensional vectors from %s (%d kept)", dim, path, len(vectors))
    return vectors


def embedding_matrix(vocabulary: list[str], glove_path: str, vocab_size: int) -> EmbeddingMatrix:
    """Builds the [vocab_size, dim] matrix for a Transform vocabulary (most frequent first)."""
    if len(vocabulary) + 1 > vocab_size:
        raise ValueError(f"vocabulary of {len(vocabulary)} words does not fit vocab_size "
                         f"{vocab_size} (padding row included)")
    vectors = load_vectors(glove_path, set(vocabulary))
    dim = _dimension(glove_path) if not vectors else len(next(iter(vectors.values())))
    weights = np.zeros((vocab_size, dim), dtype=np.float32)
    found = 0
    for index, word in enumerate(vocabulary):
        vector = vectors.get(word)
        if vector is not None:
            weights[index + 1] = vector
            found += 1
    matrix = EmbeddingMatrix(weights, found, len(vocabulary))
    logging.info("GloVe covers %d of %d vocabulary words (%.1f%%)", found, len(vocabulary),
                 100 * matrix.coverage)
    return matrix


def _dimension(path: str) -> int:
    with _open_text(path) as handle:
        return len(handle.readline().rstrip("\n").split(" ")) - 1


def pretrained_embedding(config: TrainConfig,
                         tf_transform_output: tft.TFTransformOutput) -> dict[str, np.ndarray]:
    """`ModelSpec.prepare` of the GloVe model: {"weights": matrix for this run's vocabulary}."""
    if not config.glove_path:
        raise ValueError(f"{config.model} needs a GloVe file: set TrainConfig.glove_path "
                         "(CLI: --glove PATH, or no flag to download glove.6B.zip)")
    vocabulary = [word.decode("utf-8", errors="replace")
                  for word in tf_transform_output.vocabulary_by_name(features.IMDB_VOCAB_NAME)]
    return {"weights": embedding_matrix(vocabulary, config.glove_path,
                                        config.text.vocab_size).weights}
