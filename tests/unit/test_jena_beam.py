"""The Beam Jena ExampleGen against the in-memory rules (the previous ExampleGen's output).

The previous ExampleGen wrote `jena_csv.to_example` of `jena_csv.read_jena_csv`'s rows; here the
Beam reader must write the same examples, issues and summary: on the real fragment (gzipped, as
stored), on a generated 15-column file with gaps and sentinels, and on damaged files read in
tiny chunks and buckets so that every cross-chunk rule runs. Its job graph must not hold the
series, and its line source must honour Beam's source contract when split.
"""

from __future__ import annotations

import collections
import glob
import gzip
import json
import pathlib

import apache_beam as beam
import numpy as np
import pytest
import tensorflow as tf
from apache_beam.io import source_test_utils
from tfx.components.example_gen import base_example_gen_executor
from tfx.proto import example_gen_pb2
from tfx.types import standard_artifacts
from tfx.utils import proto_utils

from bench import jena_series
from components import example_gen, jena_beam, jena_csv, jena_gen
from core.config import JenaIngestConfig


def plain_csv(gz_path, folder: pathlib.Path, edit=None) -> pathlib.Path:
    with gzip.open(gz_path, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    path = folder / "jena.csv"
    path.write_text("\n".join(edit(lines) if edit else lines) + "\n", encoding="utf-8")
    return path


def exec_properties(csv_path: pathlib.Path, ingest: JenaIngestConfig) -> dict:
    return {
        "input_base": str(csv_path.parent),
        "input_config": proto_utils.proto_to_json(example_gen.input_config(
            {split: csv_path.name for split in jena_csv.SPLITS})),
        "output_config": proto_utils.proto_to_json(example_gen_pb2.Output()),
        "custom_config": json.dumps({"ingest": ingest.to_dict()}),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
        "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP,
    }


def run_executor(csv_path: pathlib.Path, out: pathlib.Path, ingest: JenaIngestConfig):
    examples = standard_artifacts.Examples()
    examples.uri = str(out)
    context = base_example_gen_executor.BaseExampleGenExecutor.Context(
        beam_pipeline_args=[], tmp_dir=str(out) + "_tmp")
    jena_gen.JenaExampleGenExecutor(context).Do({}, {"examples": [examples]},
                                                exec_properties(csv_path, ingest))
    return examples


def decode(records) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(timestamps, values [rows, columns] float32, column names) sorted by time."""
    stamps, rows, names = [], [], None
    for record in records:
        feature = tf.train.Example.FromString(record).features.feature
        names = names or sorted(name for name in feature if name != "timestamp")
        stamps.append(feature["timestamp"].int64_list.value[0])
        rows.append([feature[name].float_list.value[0] for name in names])
    order = np.argsort(stamps)
    return np.array(stamps)[order], np.array(rows, np.float32)[order], names


def read_records(pattern: str, compression: str | None) -> list[bytes]:
    files = sorted(glob.glob(pattern))
    return [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type=compression)]


def assert_same_as_reference(reference: jena_csv.JenaData, splits: dict, issues: dict,
                             summary: dict) -> None:
    """Beam output == the in-memory rules: examples value for value, issues, summary."""
    for split in jena_csv.SPLITS:
        part = reference.splits[split]
        expected = decode(jena_csv.to_example(s, row, reference.names).SerializeToString()
                          for s, row in zip(part.timestamps, part.values, strict=True))
        stamps, values, names = decode(splits[split])
        assert names == expected[2]
        np.testing.assert_array_equal(stamps, expected[0])
        np.testing.assert_array_equal(values, expected[1])  # NaN == NaN here
        assert issues[split] == collections.Counter(part.issues), split
    assert summary == json.loads(json.dumps(reference.summary))


def executor_output(out: pathlib.Path):
    report = example_gen.read_report(str(out))
    splits = {s: read_records(str(out / f"Split-{s}" / "*"), "GZIP") for s in jena_csv.SPLITS}
    issues = {s: collections.Counter({(kind, reason): n for kind in example_gen.KINDS
                                      for reason, n in report[s][kind].items()})
              for s in jena_csv.SPLITS}
    return splits, issues, json.loads((out / jena_gen.SUMMARY_FILE).read_text())


def test_executor_on_the_real_fragment_writes_what_the_in_memory_rules_give(
        jena_fragment, tmp_path):
    csv_path = tmp_path / "data" / pathlib.Path(jena_fragment).name
    csv_path.parent.mkdir()
    csv_path.write_bytes(pathlib.Path(jena_fragment).read_bytes())  # gzipped, as stored
    artifact = run_executor(csv_path, tmp_path / "out", JenaIngestConfig())
    splits, issues, summary = executor_output(tmp_path / "out")
    assert {s: len(r) for s, r in splits.items()} == {"train": 2000, "eval": 1000, "test": 1000}
    plain = plain_csv(jena_fragment, tmp_path)  # the in-memory reader takes plain CSV only
    reference = jena_csv.read_jena_csv(str(plain), JenaIngestConfig())
    assert_same_as_reference(reference, splits, issues, summary)
    columns = json.loads(artifact.get_string_custom_property(jena_gen.COLUMNS_PROPERTY))
    assert columns["rho_g_m_3"] == "rho (g/m**3)"
    assert json.loads(artifact.get_string_custom_property(jena_gen.SUMMARY_PROPERTY)) \
        == summary


def test_executor_on_a_generated_15_column_file_with_gaps_and_sentinels(tmp_path):
    csv_path = tmp_path / "data" / "generated.csv"
    csv_path.parent.mkdir()
    shape = jena_series.write_csv(csv_path, rows=3000, gaps=((0.2, 3), (0.9, 2)), sentinels=5)
    ingest = JenaIngestConfig(split_rows=(1500, 2200))
    run_executor(csv_path, tmp_path / "out", ingest)
    splits, issues, summary = executor_output(tmp_path / "out")
    assert [len(splits[s]) for s in jena_csv.SPLITS] == [1500, 700, 800]
    assert summary["split_rule"] == "rows" and summary["rows_parsed"] == shape["rows"]
    assert [(gap["split"], gap["missing_steps"]) for gap in summary["gaps"]] == [
        ("train", 3), ("test", 2)]
    sentinels = sum(n for split in issues.values() for (kind, reason), n in split.items()
                    if reason.startswith("sentinel"))
    assert sentinels == 2 * 5  # wv and max. wv
    assert_same_as_reference(jena_csv.read_jena_csv(str(csv_path), ingest), splits, issues,
                             summary)


def run_read_jena(csv_path: pathlib.Path, out: pathlib.Path, config: JenaIngestConfig,
                  **sizes):
    """read_jena in a Beam pipeline; its outputs written to `out` and read back."""
    with beam.Pipeline() as pipeline:
        outputs, summary = jena_beam.read_jena(pipeline, str(csv_path), config, **sizes)
        for split, (examples, issues) in outputs.items():
            _ = (examples | f"Serialize[{split}]" >> beam.Map(lambda e: e.SerializeToString())
                 | f"Write[{split}]" >> beam.io.WriteToTFRecord(str(out / f"{split}-examples")))
            _ = (issues | f"Json[{split}]" >> beam.Map(json.dumps)
                 | f"WriteIssues[{split}]" >> beam.io.WriteToText(str(out / f"{split}-issues")))
        _ = summary | beam.Map(jena_beam.write_json, str(out / "summary.json"))
    splits = {s: read_records(str(out / f"{s}-examples*"), None) for s in jena_csv.SPLITS}
    issues = {}
    for split in jena_csv.SPLITS:
        lines = [line for path in glob.glob(str(out / f"{split}-issues*"))
                 for line in pathlib.Path(path).read_text().splitlines()]
        issues[split] = collections.Counter(tuple(json.loads(line)) for line in lines)
    return splits, issues, json.loads((out / "summary.json").read_text())


def _move_block_first(lines):  # 40 rows of the eval part put first: out of order
    header, rows = lines[0], lines[1:]
    return [header] + rows[2500:2540] + rows[:2500] + rows[2540:]


def _duplicates_and_bad_lines(lines):
    header, rows = lines[0], lines[1:]
    changed = rows[1200].rsplit(",", 1)[0] + ",0.5"
    rows = ["garbage before any row", *rows[:1200], changed, rows[1200], *rows[1200:]]
    rows.insert(3000, rows[2999])  # an identical duplicate in eval
    rows.insert(100, "")  # a blank line in train
    rows[3500] = rows[3500].replace(rows[3500][:19], "99.99.2009 00:00:00")
    return [header] + rows


def _sentinels_gaps_and_text(lines):
    header, rows = lines[0] + ",station", lines[1:]
    rows = [row + ",jena" for row in rows]
    for row in (10, 11, 2600):
        fields = rows[row].split(",")
        fields[1] = "-9999.0"
        fields[4] = ""
        rows[row] = ",".join(fields)
    del rows[3300:3310]  # a gap in test
    del rows[1999:2002]  # a gap across the train/eval boundary
    return [header] + rows


@pytest.mark.parametrize("edit", [_move_block_first, _duplicates_and_bad_lines,
                                  _sentinels_gaps_and_text])
def test_small_chunks_and_buckets_give_the_reference_output(jena_fragment, tmp_path, edit):
    csv_path = plain_csv(jena_fragment, tmp_path, edit)
    config = JenaIngestConfig(split_rows=(1800, 2900))
    # 4 KiB chunks (~50 rows) and buckets of 64 steps: rules cross many chunk and bucket edges.
    splits, issues, summary = run_read_jena(csv_path, tmp_path / "out", config,
                                            chunk_bytes=4096, bucket_steps=64)
    reference = jena_csv.read_jena_csv(str(csv_path), config)
    assert sum(sum(c.values()) for c in issues.values()) > 0
    assert_same_as_reference(reference, splits, issues, summary)


def test_a_column_without_train_values_fails_with_the_reason(jena_15cols, tmp_path):
    def edit(lines):
        rows = [line.split(",") for line in lines[1:]]
        for fields in rows[:9]:  # the 9 train rows of 19
            fields[5] = ""
        return [lines[0]] + [",".join(fields) for fields in rows]

    with pytest.raises(Exception, match="column 'rh .%.' has no valid value in the train"):
        run_read_jena(plain_csv(jena_15cols, tmp_path, edit), tmp_path / "out",
                      JenaIngestConfig())


def job_graph(csv_path: pathlib.Path) -> bytes:
    splits = example_gen.input_config({s: csv_path.name for s in jena_csv.SPLITS}).splits
    executor = jena_gen.JenaExampleGenExecutor()
    executor._summary_path = str(csv_path.parent / "summary.json")
    pipeline = beam.Pipeline()
    executor.read_splits(pipeline, str(csv_path.parent), list(splits), {"ingest": {}})
    return pipeline.to_runner_api().SerializeToString()


def test_the_job_graph_does_not_hold_the_series(jena_fragment, jena_15cols, tmp_path):
    """Dataflow receives the graph with the job: rows in it (beam.Create) would ship the file."""
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    small = job_graph(plain_csv(jena_15cols, tmp_path / "small"))  # 19 rows
    large = job_graph(plain_csv(jena_fragment, tmp_path / "large"))  # 4,000 rows, 332 KB
    assert abs(len(large) - len(small)) < 2000, (len(small), len(large))
    assert b"01.01.2009 00:10:00" not in large and b"28.01.2009 18:40:00" not in large


def test_line_source_splits_read_every_line_once_at_its_offset(jena_fragment, tmp_path):
    path = plain_csv(jena_fragment, tmp_path)
    source = jena_beam.LineSource(str(path))
    bundles = [(b.source, b.start_position, b.stop_position)
               for b in source.split(desired_bundle_size=7000)]
    assert len(bundles) > 40
    source_test_utils.assert_sources_equal_reference_source((source, None, None), bundles)
    data = path.read_bytes()
    records = source_test_utils.read_from_source(source)
    assert b"".join(line for _, line in records) == data
    assert all(data[offset:offset + len(line)] == line for offset, line in records)
    # Dynamic splitting, as a runner rebalancing work does, mid-read.
    source_test_utils.assert_split_at_fraction_succeeds_and_consistent(source, 1000, 0.5)
