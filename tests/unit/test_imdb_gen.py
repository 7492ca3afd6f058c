"""IMDB ExampleGen: parsing, bad inputs, seeded holdout, split sizes and the ingest report."""

from __future__ import annotations

import glob
import json
import os

import imdb_fixture
import pytest
import tensorflow as tf
from tfx.components.example_gen import base_example_gen_executor
from tfx.proto import example_gen_pb2
from tfx.types import standard_artifacts
from tfx.utils import proto_utils

from components import example_gen, imdb_gen


def _feature(example: tf.train.Example, name: str):
    feature = example.features.feature[name]
    return (feature.bytes_list.value or feature.int64_list.value)[0]


def test_parse_review_stores_the_file_bytes_as_they_are():
    content = b"Great film.<br /><br />Loved it<BR/>! "
    example, issues = imdb_gen.parse_review("/d/aclImdb/train/pos/12_9.txt", content)
    assert issues == []
    assert _feature(example, "text") == content  # the Transform graph drops the tags
    assert _feature(example, "label") == 1
    assert _feature(example, "rating") == 9
    assert _feature(example, "review_id") == b"train/pos/12"


@pytest.mark.parametrize(("path", "content", "reason"), [
    ("/d/train/neg/3_2.txt", b"", "empty review"),
    ("/d/train/neg/3_2.txt", b"  \n\t ", "empty review"),
    ("/d/train/neg/notes.txt", b"text", "file name not <id>_<rating>.txt"),
    ("/d/train/unsup/3_0.txt", b"text", "unlabeled review ('unsup' folder)"),
])
def test_parse_review_skips_bad_input_with_a_reason(path, content, reason):
    example, issues = imdb_gen.parse_review(path, content)
    assert example is None
    assert issues[-1] == (example_gen.SKIPPED, reason)


@pytest.mark.parametrize(("path", "label", "reason"), [
    ("/d/train/neg/3_8.txt", 0, "rating contradicts label folder (the gate stops it)"),
    ("/d/train/neg/3_11.txt", 0, "rating outside 1-10 (the gate stops it)"),
    ("/d/train/neutral/3_5.txt", None,
     "no label: unknown label folder 'neutral' (the gate stops it)"),
])
def test_parse_review_stores_what_the_gate_must_stop(path, label, reason):
    example, issues = imdb_gen.parse_review(path, b"text")
    assert issues == [(example_gen.KEPT, reason)]
    stored = example.features.feature
    assert ("label" in stored) == (label is not None)
    assert label is None or _feature(example, "label") == label


def test_parse_review_keeps_invalid_utf8_for_the_graph_and_keeps_long_reviews():
    example, issues = imdb_gen.parse_review("/d/test/pos/1_10.txt", b"caf\xe9 is fine")
    assert _feature(example, "text") == b"caf\xe9 is fine"
    assert issues == [(example_gen.KEPT, "invalid UTF-8 (the graph reads it as U+FFFD)")]
    long_text = " ".join(["word"] * 100_000).encode()
    example, issues = imdb_gen.parse_review("/d/test/pos/2_10.txt", long_text)
    assert len(_feature(example, "text").split()) == 100_000 and issues == []


def test_holdout_is_seeded_exact_and_order_independent():
    paths = [f"train/{label}/{i}_1.txt" for label in ("pos", "neg") for i in range(1000)]
    held = imdb_gen.holdout(paths, 0.2, seed=42)
    assert len(held) == 400
    assert held == imdb_gen.holdout(list(reversed(paths)), 0.2, seed=42)
    assert held != imdb_gen.holdout(paths, 0.2, seed=43)


def _run_executor(data_root, out_dir, beam_args=()):
    examples = standard_artifacts.Examples()
    examples.uri = str(out_dir)
    exec_properties = {
        "input_base": str(data_root),
        "input_config": proto_utils.proto_to_json(
            example_gen.input_config(imdb_gen.split_patterns())),
        "output_config": proto_utils.proto_to_json(example_gen_pb2.Output()),
        "custom_config": json.dumps({"ingest": {"holdout_fraction": 0.25, "split_seed": 7}}),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
        "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP,
    }
    context = base_example_gen_executor.BaseExampleGenExecutor.Context(
        beam_pipeline_args=list(beam_args), tmp_dir=str(out_dir) + "_tmp")
    imdb_gen.ImdbExampleGenExecutor(context).Do({}, {"examples": [examples]}, exec_properties)
    return examples


def _read_split(out_dir, split):
    files = glob.glob(os.path.join(out_dir, f"Split-{split}", "*"))
    records = tf.data.TFRecordDataset(files, compression_type="GZIP")
    return [tf.train.Example.FromString(r.numpy()) for r in records]


@pytest.fixture(scope="module")
def small_tree(tmp_path_factory):
    root = imdb_fixture.write_aclimdb(tmp_path_factory.mktemp("imdb"), per_class=20)
    (root / "train" / "pos" / "bad-name.txt").write_text("a fine film")
    (root / "train" / "neg" / "99_2.txt").write_text("")
    (root / "test" / "neg" / "98_1.txt").write_bytes(b"bad \xff bytes, bad film")
    return root


def test_executor_splits_sizes_fields_and_report(small_tree, tmp_path):
    artifact = _run_executor(small_tree, tmp_path / "out")
    splits = {s: _read_split(tmp_path / "out", s) for s in ("train", "eval", "test")}
    # train folder: 40 good + 1 empty + 1 bad name; the 0.25 holdout is drawn from all 42 files.
    assert len(splits["train"]) + len(splits["eval"]) == 40
    assert len(splits["test"]) == 41
    train_ids = {_feature(e, "review_id") for e in splits["train"]}
    eval_ids = {_feature(e, "review_id") for e in splits["eval"]}
    assert not train_ids & eval_ids
    assert all(i.startswith(b"test/") for i in (_feature(e, "review_id") for e in splits["test"]))
    report = json.loads(artifact.get_string_custom_property(example_gen.REPORT_PROPERTY))
    skipped = {**report["train"]["skipped"], **report["eval"]["skipped"]}
    assert sum(skipped.values()) == 2
    assert set(skipped) <= {"empty review", "file name not <id>_<rating>.txt"}
    assert report["test"]["kept"] == {"invalid UTF-8 (the graph reads it as U+FFFD)": 1}
    assert report["test"]["repaired"] == {}
    assert report["test"]["examples"] == 41


def test_examples_are_written_in_a_mixed_label_order(small_tree, tmp_path):
    _run_executor(small_tree, tmp_path / "out")
    labels = [_feature(e, "label") for e in _read_split(tmp_path / "out", "test")]
    first_half = labels[: len(labels) // 2]
    assert 0 < sum(first_half) < len(first_half)  # sorted paths would give all neg first
    assert imdb_gen.mixed_order(["b", "a", "c"], 1, "train") == imdb_gen.mixed_order(
        ["c", "b", "a"], 1, "train")  # seeded, independent of the listing order


def test_executor_split_is_identical_with_multiprocess_beam(small_tree, tmp_path):
    _run_executor(small_tree, tmp_path / "a")
    _run_executor(small_tree, tmp_path / "b", beam_args=[
        "--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    for split in ("train", "eval"):
        ids_a = sorted(_feature(e, "review_id") for e in _read_split(tmp_path / "a", split))
        ids_b = sorted(_feature(e, "review_id") for e in _read_split(tmp_path / "b", split))
        assert ids_a == ids_b


def test_executor_reports_a_missing_split_folder(tmp_path):
    root = imdb_fixture.write_aclimdb(tmp_path, per_class=2)
    for path in (root / "test" / "pos").iterdir():
        path.unlink()
    (root / "test" / "pos").rmdir()
    for path in (root / "test" / "neg").iterdir():
        path.unlink()
    with pytest.raises(ValueError, match="split 'test': no review files match"):
        _run_executor(root, tmp_path / "out")
