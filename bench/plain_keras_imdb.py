"""The IMDB LSTM without TFX: same files, splits, cleaning, tokenization and model, plain Keras.

The comparison point for bench/imdb_pipeline_vs_keras.py. Prints one JSON line with the result.
Usage: python bench/plain_keras_imdb.py --data-dir ../shared/data/imdb [--epochs N]
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import pathlib
import tempfile
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

from components import imdb_gen  # noqa: E402
from core.config import IngestConfig, TrainConfig  # noqa: E402
from rawdata import locate  # noqa: E402
from trainer import models, train  # noqa: E402
from trainer import task as task_lib  # noqa: E402
from transform import text  # noqa: E402


def load_split(
    data_root: pathlib.Path, split: str, ingest: IngestConfig
) -> tuple[list, np.ndarray]:
    """Reads a split exactly as the ExampleGen does (same holdout, same cleaning)."""
    pattern = imdb_gen.split_patterns()[split]
    paths = glob.glob(str(data_root / pattern))
    if split in (imdb_gen.TRAIN, imdb_gen.EVAL):
        held = imdb_gen.holdout(paths, ingest.holdout_fraction, ingest.split_seed)
        paths = sorted(held if split == imdb_gen.EVAL else set(paths) - held)
    texts, labels = [], []
    for path in paths:
        example, _ = imdb_gen.parse_review(path, pathlib.Path(path).read_bytes())
        if example is not None:
            features = example.features.feature
            texts.append(features["text"].bytes_list.value[0].decode("utf-8"))
            labels.append(features["label"].int64_list.value[0])
    return texts, np.array(labels, dtype=np.int64)


def tokenize(texts: list[str]) -> list[list[str]]:
    tokens = text.tokenize(tf.constant(texts)).to_list()
    return [[t.decode("utf-8") for t in row] for row in tokens]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=pathlib.Path, required=True)
    parser.add_argument("--cache-dir", type=pathlib.Path,
                        default=pathlib.Path.home() / ".cache" / "tfx-text-pipelines")
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    args = parser.parse_args()
    start = time.monotonic()
    config = TrainConfig(epochs=args.epochs)
    data_root = locate.resolve_imdb(args.data_dir, args.cache_dir)
    splits = {name: load_split(data_root, name, IngestConfig())
              for name in (imdb_gen.TRAIN, imdb_gen.EVAL, imdb_gen.TEST)}
    tokens = {name: tokenize(texts) for name, (texts, _) in splits.items()}

    counts = collections.Counter(t for row in tokens[imdb_gen.TRAIN] for t in row)
    vocab = {word: i + 1 for i, (word, _) in enumerate(counts.most_common(config.text.max_tokens))}
    oov = config.text.max_tokens + 1

    def to_dataset(name: str, shuffle: bool) -> tf.data.Dataset:
        ids = [[vocab.get(t, oov) for t in row] for row in tokens[name]]
        x = keras.preprocessing.sequence.pad_sequences(
            ids, maxlen=config.text.sequence_length, padding="pre", truncating="pre")
        data = tf.data.Dataset.from_tensor_slices(({"text_xf": x}, splits[name][1]))
        if shuffle:
            data = data.shuffle(len(x), seed=config.seed)
        return data.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)

    keras.utils.set_random_seed(config.seed)
    task = task_lib.get_task("imdb")
    model = models.get_model_spec(config.model, "imdb").builder(config)
    preprocessing_seconds = time.monotonic() - start
    with tempfile.TemporaryDirectory() as log_dir:
        history = train.fit(model, to_dataset(imdb_gen.TRAIN, True),
                            to_dataset(imdb_gen.EVAL, False), config, task, log_dir)
    _, test_accuracy = model.evaluate(to_dataset(imdb_gen.TEST, False), verbose=0)
    print(json.dumps({
        "test_accuracy": round(float(test_accuracy), 4),
        "epochs_run": len(history.epoch),
        "split_sizes": {name: len(labels) for name, (_, labels) in splits.items()},
        "preprocessing_seconds": round(preprocessing_seconds, 1),
    }))


if __name__ == "__main__":
    main()
