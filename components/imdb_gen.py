"""IMDB ExampleGen: reads the aclImdb folder layout directly into tf.Examples.

Features: `text` (the file's bytes exactly as stored, `<br />` tags and all), `label` (1 = pos,
0 = neg), `rating` (1-10, from the `<id>_<rating>.txt` file name) and `review_id`
(`train/pos/0`). No value is changed here: markup and invalid UTF-8 are repaired by the Transform
graph (transform/text.py), which the served model carries, so TFMA and TF Serving see a review
the same way.
Bad input: what cannot form an example is skipped (empty reviews, bad file names, aclImdb's
`unsup` folder); a contradicting or out-of-range rating and a review outside `pos`/`neg` (no
`label`) are stored as they are, so the validation gate stops the run (components/validation.py).
Splits: `train` is aclImdb/train minus a seeded, deterministic holdout that becomes `eval`
(20,000 / 5,000 with the default 20%), `test` is aclImdb/test. The holdout depends only on the
sorted file names and the seed, never on the runner or the worker count.
"""

from __future__ import annotations

import os
import random
import re
from typing import Any

import apache_beam as beam
import tensorflow as tf
from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec

from components import example_gen
from core.code_version import code_version
from core.config import IngestConfig

TRAIN, EVAL, TEST = "train", "eval", "test"
LABELS = {"pos": 1, "neg": 0}
UNLABELED = "unsup"  # aclImdb's unlabeled reviews (the canonical archive has train/unsup)
_NAME_RE = re.compile(r"^(\d+)_(\d+)\.txt$")


def split_patterns() -> dict[str, str]:
    """Input split -> glob under the aclImdb folder (train and eval share the train files)."""
    return {TRAIN: "train/*/*.txt", EVAL: "train/*/*.txt", TEST: "test/*/*.txt"}


def holdout(paths: list[str], fraction: float, seed: int) -> set[str]:
    """Picks round(fraction * n) of the paths with a seeded shuffle of their sorted order."""
    ordered = sorted(paths)
    random.Random(seed).shuffle(ordered)
    return set(ordered[: round(fraction * len(ordered))])


def mixed_order(paths, seed: int, split: str) -> list[str]:
    """The split's files in a seeded random order, so examples are not written label-sorted.

    Sorted paths put every `neg` review before every `pos` one; the trainer's buffer shuffle
    (10,000 examples) cannot mix a 20,000-example split sorted that way, and training then
    sees one class for most of an epoch (measured: conv1d stuck at 50%, GloVe's 200-review
    subset nearly one class).
    """
    ordered = sorted(paths)
    random.Random(f"{seed}/{split}").shuffle(ordered)
    return ordered


def parse_review(path: str, content: bytes) -> tuple[tf.train.Example | None, list[tuple]]:
    """Turns one review file into a tf.Example, or None plus the reason it was skipped.

    Skipped, because no example can be formed: empty reviews, file names not
    `<id>_<rating>.txt`, and aclImdb's own unlabeled `unsup` folder. Stored as they are, for the
    validation gate to stop (README "Data validation"): a rating that contradicts its folder or
    lies outside 1-10, and a review in any other folder, stored without a `label`.

    Returns:
      The example (or None) and a list of (kind, reason) issues for the ingest report.
    """
    folder, name = os.path.split(path)
    label_dir = os.path.basename(folder)
    split_dir = os.path.basename(os.path.dirname(folder))
    match = _NAME_RE.match(name)
    if label_dir == UNLABELED:
        return None, [(example_gen.SKIPPED, f"unlabeled review ('{UNLABELED}' folder)")]
    if not match:
        return None, [(example_gen.SKIPPED, "file name not <id>_<rating>.txt")]
    if not content.strip():
        return None, [(example_gen.SKIPPED, "empty review")]
    review_id, rating = match.group(1), int(match.group(2))
    label = LABELS.get(label_dir)
    issues = []
    if label is None:
        issues.append((example_gen.KEPT, f"no label: unknown label folder '{label_dir}' "
                                         "(the gate stops it)"))
    elif not 1 <= rating <= 10:
        issues.append((example_gen.KEPT, "rating outside 1-10 (the gate stops it)"))
    elif not (rating >= 7 if label == 1 else rating <= 4):
        issues.append((example_gen.KEPT, "rating contradicts label folder (the gate stops it)"))
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        issues.append((example_gen.KEPT, "invalid UTF-8 (the graph reads it as U+FFFD)"))
    feature = {
        "text": _bytes(content),
        "rating": _int(rating),
        "review_id": _bytes(f"{split_dir}/{label_dir}/{review_id}".encode()),
    }
    if label is not None:
        feature["label"] = _int(label)
    return tf.train.Example(features=tf.train.Features(feature=feature)), issues


def _bytes(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int(value: int) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


class _ReadReviews(beam.DoFn):
    """Reads one file; emits the example, and every issue on the `issues` output."""

    def process(self, path: str):
        with tf.io.gfile.GFile(path, "rb") as handle:
            example, issues = parse_review(path, handle.read())
        for issue in issues:
            beam.metrics.Metrics.counter("imdb_gen", f"{issue[0]}: {issue[1]}").inc()
            yield beam.pvalue.TaggedOutput("issues", issue)
        if example is not None:
            yield example


class ImdbExampleGenExecutor(example_gen.ReportingExampleGenExecutor):
    """Lists each split's files on the driver, then reads and parses them in Beam."""

    def read_splits(self, pipeline, input_base, splits, custom_config: dict[str, Any]):
        ingest = IngestConfig.from_dict(custom_config.get("ingest", {}))
        outputs = {}
        for split in splits:
            paths = tf.io.gfile.glob(os.path.join(input_base, split.pattern))
            if not paths:
                raise ValueError(f"split '{split.name}': no review files match "
                                 f"'{split.pattern}' under {input_base}")
            if split.name in (TRAIN, EVAL):
                held = holdout(paths, ingest.holdout_fraction, ingest.split_seed)
                paths = held if split.name == EVAL else set(paths) - held
            results = (pipeline
                       | f"ListFiles[{split.name}]" >> beam.Create(
                           mixed_order(paths, ingest.split_seed, split.name), reshuffle=True)
                       | f"Read[{split.name}]" >> beam.ParDo(_ReadReviews()).with_outputs(
                           "issues", main="examples"))
            outputs[split.name] = (results.examples, results.issues)
        return outputs


def create_example_gen(data_root: str, ingest: IngestConfig) -> FileBasedExampleGen:
    """The IMDB ExampleGen component over an aclImdb folder.

    Its custom_config carries the hash of this module's code (core/code_version.py): a cache
    key, so an ingestion change re-runs ExampleGen.
    """
    return FileBasedExampleGen(
        input_base=data_root,
        input_config=example_gen.input_config(split_patterns()),
        # Only IMDB's own settings: Jena's would make its changes invalidate this cache.
        custom_config={"ingest": {"holdout_fraction": ingest.holdout_fraction,
                                  "split_seed": ingest.split_seed},
                       "code_version": code_version(__name__)},
        custom_executor_spec=executor_spec.BeamExecutorSpec(ImdbExampleGenExecutor),
    ).with_id("ImdbExampleGen")
