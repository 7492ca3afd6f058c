"""The serving canary's verdict on real SavedModels served by `python -m serving.cli serve`.

Each judgement starts the project's server in its own process (about 10 s) and sends real aclImdb
test reviews, as ExampleGen stores them, over REST and gRPC. The good model answers as it does
in-process; the broken ones are the ways an export goes wrong: dropout left on at serving time
(answers drift from the in-process call), a SavedModel that does not load, and a model too slow
for the latency bound.
"""

from __future__ import annotations

import itertools
import json
import tarfile

import numpy as np
import pytest
import tensorflow as tf
from shared_data import shared_file

from components import canary, canary_requests
from core.config import CanaryConfig

CONFIG = CanaryConfig(examples=24, batch_size=8)


@pytest.fixture(scope="module")
def reviews() -> dict[str, np.ndarray]:
    """serving_default inputs of 24 real test reviews, through the canary's IMDB adapter."""
    path = shared_file("imdb/aclImdb_v1_labeled.tar.gz")
    with tarfile.open(path) as archive:
        members = (m for m in archive if m.name.startswith("aclImdb/test/") and m.isfile())
        texts = [archive.extractfile(m).read() for m in itertools.islice(members, 24)]
    records = [tf.train.Example(features=tf.train.Features(feature={"text": tf.train.Feature(
        bytes_list=tf.train.BytesList(value=[text]))})).SerializeToString() for text in texts]
    return canary_requests.imdb(records, model_dir="")


class _TextModel(tf.Module):
    """P(positive) from a review's length and its share of 'good'; `noise` mimics dropout."""

    def __init__(self, noise: float = 0.0):
        super().__init__()
        self.weight = tf.Variable([0.002, 3.0])
        self.noise = noise

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve(self, text):
        length = tf.cast(tf.strings.length(text), tf.float32)
        good = tf.cast(tf.strings.length(tf.strings.regex_replace(
            tf.strings.lower(text), "good", "")), tf.float32)
        logit = self.weight[0] * length - self.weight[1] * (length - good) / (length + 1) - 1
        if self.noise:
            logit += tf.random.uniform(tf.shape(logit), -self.noise, self.noise)
        return {"probability": tf.sigmoid(logit)}


def _export(model: tf.Module, path) -> str:
    tf.saved_model.save(model, str(path), signatures={"serving_default": model.serve})
    return str(path)


@pytest.fixture(scope="module")
def good_verdict(tmp_path_factory, reviews) -> dict:
    tmp_path = tmp_path_factory.mktemp("good")
    model_dir = _export(_TextModel(), tmp_path / "model")
    return canary.judge(model_dir, reviews, "imdb", CONFIG, str(tmp_path))


def test_a_good_model_is_blessed_with_answers_equal_to_in_process(good_verdict):
    assert good_verdict["blessed"], good_verdict["why"]
    assert good_verdict["examples"] == 24
    for protocol in ("rest", "grpc"):
        assert good_verdict["max_abs_difference"][protocol] <= 1e-5
        assert 0 < good_verdict["latency_ms"][protocol] <= CONFIG.max_latency_ms
    json.dumps(good_verdict)  # stored on the blessing as JSON


def test_the_same_answers_slower_than_the_latency_bound_are_refused(good_verdict):
    strict = CanaryConfig(examples=24, batch_size=8, max_latency_ms=0.01)
    verdict = canary.decide(good_verdict, strict)
    assert not verdict["blessed"]
    assert "slowest REST request" in verdict["why"]
    assert "slowest GRPC request" in verdict["why"]


def test_answers_that_drift_from_the_in_process_model_are_refused(tmp_path, reviews):
    model_dir = _export(_TextModel(noise=0.05), tmp_path / "dropout_on")
    verdict = canary.judge(model_dir, reviews, "imdb", CONFIG, str(tmp_path))
    assert not verdict["blessed"]
    assert "REST answers differ" in verdict["why"] and "GRPC answers differ" in verdict["why"]
    assert min(verdict["max_abs_difference"].values()) > CONFIG.tolerance


def test_a_savedmodel_that_does_not_load_is_refused(tmp_path, reviews):
    model_dir = _export(_TextModel(), tmp_path / "truncated")
    graph = tmp_path / "truncated" / "saved_model.pb"
    graph.write_bytes(graph.read_bytes()[:200])
    verdict = canary.judge(model_dir, reviews, "imdb", CONFIG, str(tmp_path))
    assert not verdict["blessed"]
    assert "does not answer in-process" in verdict["why"]


def test_jena_requests_are_the_raw_windows_in_the_models_column_order(tmp_path):
    """Window examples (as JenaWindowExamples writes them) of the real first 20 rows -> the
    `window` tensor a client sends, columns in model_metadata.json's order, not the file's."""
    import csv
    import gzip

    from components import jena_windows
    from core import features
    from core.config import WindowConfig

    with gzip.open(shared_file("jena/jena_climate_first20rows_15cols.csv.gz"), "rt") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    columns = {features.safe_name(name): np.array([float(row[i]) for row in body], np.float32)
               for i, name in enumerate(header) if i > 0}
    stamps = np.arange(len(body), dtype=np.int64) * 600
    window = WindowConfig(lookback=12, step=3, delay=3)
    records = list(jena_windows.serialize_windows(stamps, columns, window, stride=1))
    order = ["t_degc", "rh_pct", "p_mbar"]  # the model's order, not the CSV's
    (tmp_path / "assets.extra").mkdir()
    (tmp_path / "assets.extra" / "model_metadata.json").write_text(
        json.dumps({"columns": [{"feature": name} for name in order]}))
    sent = canary_requests.jena(records, str(tmp_path))["window"]
    starts = np.arange(len(body) - window.span)
    expected = np.stack([np.stack([columns[name][start + np.arange(0, 12, 3)]
                                   for name in order], axis=-1) for start in starts])
    assert sent.dtype == np.float32 and sent.shape == (len(starts), 4, 3)
    np.testing.assert_array_equal(sent, expected)


def _component_run(tmp_path, model_dir: str, records: list[bytes], upstream_blessed: bool):
    """Runs the Canary component's TFX executor on real artifacts; returns its blessing."""
    import os
    import shutil

    from tfx.components.evaluator import constants
    from tfx.types import standard_artifacts

    model = standard_artifacts.Model()
    model.uri, model.id = str(tmp_path / "model"), 7
    shutil.copytree(model_dir, os.path.join(model.uri, "Format-Serving"))
    examples = standard_artifacts.Examples()
    examples.uri, examples.split_names = str(tmp_path / "examples"), '["test"]'
    os.makedirs(os.path.join(examples.uri, "Split-test"))
    with tf.io.TFRecordWriter(os.path.join(examples.uri, "Split-test", "data.gz"),
                              options="GZIP") as writer:
        for record in records:
            writer.write(record)
    upstream = standard_artifacts.ModelBlessing()
    upstream.uri = str(tmp_path / "upstream")
    upstream.set_int_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY,
                                     int(upstream_blessed))
    upstream.set_int_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY, model.id)
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = str(tmp_path / "blessing")
    os.makedirs(blessing.uri)
    executor = canary.Canary.EXECUTOR_SPEC.executor_class()
    executor.Do({"model": [model], "examples": [examples], "upstream_blessing": [upstream]},
                {"blessing": [blessing]},
                {"task": "imdb", "split": "test", "code_version": "x",
                 "canary": json.dumps(CONFIG.to_dict())})
    return blessing


def test_the_component_blesses_only_what_both_the_upstream_and_the_canary_bless(
        tmp_path, reviews):
    import os

    records = [tf.train.Example(features=tf.train.Features(feature={"text": tf.train.Feature(
        bytes_list=tf.train.BytesList(value=[text]))})).SerializeToString()
        for text in reviews["text"]]
    good = _export(_TextModel(), tmp_path / "good")
    blessed = _component_run(tmp_path / "a", good, records, upstream_blessed=True)
    verdict = json.loads(blessed.get_string_custom_property("canary"))
    assert blessed.get_int_custom_property("blessed") == 1 and verdict["blessed"]
    assert verdict["examples"] == 24 and verdict["upstream"]["blessed"]
    assert os.path.exists(os.path.join(blessed.uri, "BLESSED"))
    with open(os.path.join(blessed.uri, "canary.json")) as handle:
        assert json.load(handle) == verdict
    assert os.path.getsize(os.path.join(blessed.uri, "server.log")) > 0
    broken = _export(_TextModel(), tmp_path / "broken")
    (tmp_path / "broken" / "saved_model.pb").write_bytes(b"")
    refused = _component_run(tmp_path / "b", broken, records, upstream_blessed=True)
    assert refused.get_int_custom_property("blessed") == 0
    assert os.path.exists(os.path.join(refused.uri, "NOT_BLESSED"))
    upstream_refused = _component_run(tmp_path / "c", good, records, upstream_blessed=False)
    assert upstream_refused.get_int_custom_property("blessed") == 0
    assert json.loads(upstream_refused.get_string_custom_property("canary"))["blessed"]
