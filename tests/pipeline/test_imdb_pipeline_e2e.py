"""End-to-end IMDB pipeline on a few hundred fixture reviews (LocalDagRunner, ~2 minutes)."""

from __future__ import annotations

import os
import random

import imdb_fixture
import numpy as np
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pipeline_run(imdb_small_run):
    return imdb_small_run


def test_splits_and_ingest_report(pipeline_run):
    _, summary = pipeline_run
    counts = {split: entry["examples"] for split, entry in summary.ingest_report.items()}
    assert counts == {"train": 160, "eval": 40, "test": 200}


def test_model_is_blessed_and_pushed_in_versioned_layout(pipeline_run):
    cfg, summary = pipeline_run
    assert summary.blessed, summary.failures
    assert summary.metrics["example_count"] == 200
    assert summary.metrics["binary_accuracy"] >= 0.7
    versions = os.listdir(cfg.push_dir)
    assert len(versions) == 1 and versions[0].isdigit()
    assert summary.pushed_to == os.path.join(cfg.push_dir, versions[0])
    assert os.path.exists(os.path.join(summary.pushed_to, "saved_model.pb"))


def test_the_canary_served_the_candidate_over_rest_and_grpc_before_the_push(pipeline_run):
    """The Pusher's blessing is the Canary's: test reviews answered as in-process, in time."""
    import json

    cfg, summary = pipeline_run
    verdict = summary.canary
    assert verdict["blessed"] and verdict["upstream"]["blessed"], verdict
    assert verdict["examples"] == cfg.canary.examples  # from the 200 test reviews
    assert max(verdict["max_abs_difference"].values()) <= cfg.canary.tolerance
    assert max(verdict["latency_ms"].values()) <= cfg.canary.max_latency_ms
    with open(os.path.join(summary.artifacts["Canary"]["blessing"], "canary.json")) as handle:
        assert json.load(handle) == verdict


def test_pushed_model_serves_raw_text_like_trained_model_on_transformed_input(pipeline_run):
    import tensorflow as tf
    import tensorflow_transform as tft

    cfg, summary = pipeline_run
    # Reviews like the ones it learned from (a 400-review model is no judge of free text).
    texts = [imdb_fixture.review(random.Random(1), positive=True),
             imdb_fixture.review(random.Random(2), positive=False), "the plot was a plot", ""]
    served = tf.saved_model.load(summary.pushed_to)
    probabilities = served.signatures["serving_default"](text=tf.constant(texts))["probability"]
    assert probabilities.shape == (4,)

    # The same model, fed the Transform graph's output directly.
    transform = tft.TFTransformOutput(summary.artifacts["Transform"]["transform_graph"])
    raw_spec = transform.raw_feature_spec()
    raw = {"text": tf.reshape(tf.constant(texts), [-1, *raw_spec["text"].shape])}
    transformed = transform.transform_raw_features(raw, drop_unused_features=True)
    assert transformed["text_xf"].shape == (4, 24)
    assert transformed["text_xf"].numpy()[3].sum() == 0  # empty review: all padding
    keras_model = served  # the SavedModel keeps the Keras model's call
    direct = keras_model(transformed["text_xf"], training=False).numpy().reshape(-1)
    np.testing.assert_allclose(probabilities.numpy(), direct, rtol=1e-5, atol=1e-6)
    assert probabilities[0] > 0.5 > probabilities[1]


def test_review_files_served_raw_score_what_the_evaluator_scored(pipeline_run):
    """The skew test: the fixture's files, `<br />` tags and all, as a client sends them."""
    import pathlib

    cfg, summary = pipeline_run
    by_file, by_example, texts = imdb_fixture.raw_files_vs_evaluated_examples(
        summary.pushed_to, summary.artifacts["ImdbExampleGen"]["examples"],
        pathlib.Path(cfg.data_root))
    assert len(texts) == 200 and all(b"<br />" in text for text in texts)
    np.testing.assert_allclose(by_file, by_example, rtol=0, atol=1e-5)


def test_tf_example_signature_matches_serving_default(pipeline_run):
    import tensorflow as tf

    _, summary = pipeline_run
    served = tf.saved_model.load(summary.pushed_to)
    texts = ["superb moving story", "dull waste"]
    examples = [tf.train.Example(features=tf.train.Features(feature={
        "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[t.encode()]))}))
        .SerializeToString() for t in texts]
    by_example = served.signatures["serving_tf_example"](examples=tf.constant(examples))
    by_text = served.signatures["serving_default"](text=tf.constant(texts))
    np.testing.assert_allclose(by_example["probability"], by_text["probability"], rtol=1e-6)


def test_rerun_with_new_epochs_reuses_upstream_cache_and_compares_with_the_blessed_model(
        pipeline_run, tmp_path):
    import dataclasses

    from pipeline import local_runner

    cfg, first = pipeline_run
    assert first.blessed and not first.cached  # first run: everything executed
    rerun_cfg = dataclasses.replace(
        cfg, serving_root=str(tmp_path / "serving"),
        train=dataclasses.replace(cfg.train, epochs=cfg.train.epochs - 1))
    second = local_runner.run(rerun_cfg)
    # Only the Trainer's config changed: ingestion, validation and Transform come from the cache.
    assert {"ImdbExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "AnomaliesGate",
            "Transform"} <= set(second.cached)
    assert "Trainer" not in second.cached and "Evaluator" not in second.cached
    # The first run's model is now the blessed baseline of the Evaluator.
    assert second.baseline_metrics["binary_accuracy"] == pytest.approx(
        first.metrics["binary_accuracy"])
    expected = (second.metrics["binary_accuracy"] >= cfg.eval.min_accuracy and
                second.metrics["binary_accuracy"] >= first.metrics["binary_accuracy"]
                - cfg.eval.max_regression)
    assert second.blessed == expected, second.failures
