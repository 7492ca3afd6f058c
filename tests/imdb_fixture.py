"""Writes small aclImdb-layout trees for tests: learnable reviews, real file naming."""

from __future__ import annotations

import pathlib
import random

POSITIVE = ["great", "wonderful", "superb", "moving", "brilliant", "loved", "masterpiece"]
NEGATIVE = ["awful", "boring", "terrible", "waste", "dull", "hated", "mess"]
NEUTRAL = ["the", "film", "movie", "plot", "actor", "scene", "story", "and", "a", "was", "it"]


def review(rng: random.Random, positive: bool, words: int = 30) -> str:
    """A review whose sentiment words carry the label; <br /> tags as in the real data."""
    cues = POSITIVE if positive else NEGATIVE
    body = [rng.choice(cues) if rng.random() < 0.3 else rng.choice(NEUTRAL) for _ in range(words)]
    return " ".join(body[: words // 2]) + ".<br /><br />" + " ".join(body[words // 2:]) + "!"


def write_aclimdb(root: pathlib.Path, per_class: int, seed: int = 0) -> pathlib.Path:
    """Creates root/aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt; returns the aclImdb path."""
    rng = random.Random(seed)
    base = root / "aclImdb"
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            folder = base / split / label
            folder.mkdir(parents=True, exist_ok=True)
            for review_id in range(per_class):
                rating = rng.choice([7, 8, 9, 10] if label == "pos" else [1, 2, 3, 4])
                (folder / f"{review_id}_{rating}.txt").write_text(
                    review(rng, label == "pos"), encoding="utf-8")
    return base


def split_records(examples_uri: str, split: str) -> list[bytes]:
    """The serialized tf.Examples of one split of an Examples artifact (ExampleGen's output)."""
    import tensorflow as tf

    files = sorted(pathlib.Path(examples_uri, f"Split-{split}").glob("*"))
    return list(tf.data.TFRecordDataset([str(f) for f in files], compression_type="GZIP")
                .as_numpy_iterator())


def raw_files_vs_evaluated_examples(model_dir: str, examples_uri: str, aclimdb: pathlib.Path,
                                    split: str = "test"):
    """The skew check: each review file's bytes through `serving_default` next to the score
    the Evaluator's signature gives the ingested example of the same review.

    Returns:
      (probabilities from the raw files, from the ingested examples, the raw texts).
    """
    import numpy as np
    import tensorflow as tf

    records = split_records(examples_uri, split)
    ids = [tf.train.Example.FromString(r).features.feature["review_id"].bytes_list.value[0]
           .decode() for r in records]
    texts = []
    for review_id in ids:  # "test/pos/12" -> aclImdb/test/pos/12_<rating>.txt
        folder, number = review_id.rsplit("/", 1)
        (path,) = (aclimdb / folder).glob(f"{number}_*.txt")
        texts.append(path.read_bytes())
    served = tf.saved_model.load(model_dir)
    by_file = served.signatures["serving_default"](text=tf.constant(texts))["probability"]
    by_example = served.signatures["serving_tf_example"](examples=tf.constant(records))
    return np.asarray(by_file), np.asarray(by_example["probability"]), texts
