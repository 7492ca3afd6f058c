"""Statistics as the pipeline computes them, from the ExampleGens' own parsing, without a TFX run.

`jena_split_stats` and `imdb_split_stats` turn a CSV or review files into the per-split TFDV
statistics the pipeline's statistics step writes (the task's sentinel counted as missing, the
task's slices), so a test can run the gate's own checks (`components.validation`) on real data
changed to be broken.
"""

from __future__ import annotations

import pathlib
import tarfile

import tensorflow_data_validation as tfdv
from tfx_bsl.coders import example_coder

from components import imdb_gen, jena_csv, statistics, validation
from core import tasks
from core.config import IngestConfig, JenaIngestConfig


def _stats(task: str, records: dict[str, list[bytes]]) -> dict:
    spec = tasks.get_task_spec(task)
    decoder = example_coder.ExamplesToRecordBatchDecoder()
    return statistics.measured_statistics(
        {split: decoder.DecodeBatch(rows) for split, rows in records.items()},
        spec.statistics_sentinel, spec.statistics_slices)


def problems(task: str, split_stats: dict) -> list[str]:
    """The gate's lines for these statistics under the task's curated schema and checks."""
    spec = tasks.get_task_spec(task)
    schema = tfdv.load_schema_text(tasks.resource_path(spec.schema))
    checks = validation.load_checks(
        spec.custom_validations and tasks.resource_path(spec.custom_validations))
    return validation.split_problems(split_stats, schema, checks)


def jena_split_stats(csv_path: pathlib.Path) -> dict:
    """{split: statistics} of a Jena CSV, ingested by JenaExampleGen's own reader."""
    data = jena_csv.read_jena_csv(str(csv_path), JenaIngestConfig())
    return _stats("jena", {
        name: [jena_csv.to_example(t, row, data.names).SerializeToString()
               for t, row in zip(split.timestamps, split.values, strict=True)]
        for name, split in data.splits.items()})


def read_tarball_reviews(tarball: pathlib.Path, per_folder: int | None = None
                         ) -> dict[str, bytes]:
    """{"aclImdb/train/pos/0_9.txt": bytes} from the real archive (the first N per folder)."""
    reviews, counts = {}, {}
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) != 4 or not parts[-1].endswith(".txt"):
                continue
            folder = "/".join(parts[1:3])
            counts[folder] = counts.get(folder, 0) + 1
            if per_folder is None or counts[folder] <= per_folder:
                reviews[member.name] = archive.extractfile(member).read()
    return reviews


def imdb_split_stats(reviews: dict[str, bytes]) -> dict:
    """{split: statistics} of review files, parsed and split as ImdbExampleGen does."""
    ingest = IngestConfig()
    train = [path for path in reviews if "/train/" in path]
    held = imdb_gen.holdout(train, ingest.holdout_fraction, ingest.split_seed)
    records: dict[str, list[bytes]] = {"train": [], "eval": [], "test": []}
    for path, content in reviews.items():
        example, _ = imdb_gen.parse_review(path, content)
        if example is None:
            continue
        split = "test" if "/test/" in path else "eval" if path in held else "train"
        records[split].append(example.SerializeToString())
    return _stats("imdb", records)
