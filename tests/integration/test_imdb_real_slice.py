"""The IMDB pipeline through the CLI on a real slice of ../shared/data/imdb (as a tarball)."""

from __future__ import annotations

import os
import shutil
import tarfile

import imdb_fixture
import numpy as np
import pytest
from shared_data import shared_file

from cli import main as cli
from pipeline import results
from rawdata import locate

pytestmark = pytest.mark.integration
PER_FOLDER = 60  # reviews kept from each of train/pos, train/neg, test/pos, test/neg


@pytest.fixture(scope="module")
def real_slice_tarball(tmp_path_factory):
    tarball = shared_file("imdb/aclImdb_v1_labeled.tar.gz")
    work = tmp_path_factory.mktemp("imdb_real")
    full = locate.resolve_imdb(tarball, work / "cache")
    slice_root = work / "slice" / "aclImdb"
    for folder in ("train/pos", "train/neg", "test/pos", "test/neg"):
        (slice_root / folder).mkdir(parents=True)
        for path in sorted((full / folder).iterdir())[:PER_FOLDER]:
            shutil.copy(path, slice_root / folder / path.name)
    shutil.rmtree(work / "cache")  # 50k files; the slice is all the test needs
    out = work / "aclImdb_slice.tar.gz"
    with tarfile.open(out, "w:gz") as archive:
        archive.add(slice_root, arcname="aclImdb")
    return out, work


def test_cli_run_on_real_reviews(real_slice_tarball, capsys):
    tarball, work = real_slice_tarball
    output_dir = work / "outputs"
    code = cli.main(["run", "imdb", "--data-dir", str(tarball), "--output-dir", str(output_dir),
                     "--cache-dir", str(work / "cache"), "--epochs", "2",
                     "--sequence-length", "64", "--max-tokens", "500", "--min-accuracy", "0"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "Test metrics (candidate):" in printed and "Pushed to:" in printed

    summary = results.summarize(str(output_dir / "metadata" / "imdb-pipeline.sqlite"))
    train_and_eval = 2 * PER_FOLDER
    assert summary.ingest_report["eval"]["examples"] == round(0.2 * train_and_eval)
    assert summary.ingest_report["train"]["examples"] == train_and_eval - round(
        0.2 * train_and_eval)
    assert summary.ingest_report["test"]["examples"] == 2 * PER_FOLDER
    assert summary.metrics["example_count"] == 2 * PER_FOLDER

    import tensorflow as tf
    import tensorflow_transform as tft

    vocab = tft.TFTransformOutput(
        summary.artifacts["Transform"]["transform_graph"]).vocabulary_by_name("imdb_vocab")
    assert b"the" in vocab[:5] and b"<br" not in b" ".join(vocab)
    review = next((work / "slice" / "aclImdb" / "test" / "pos").glob("*.txt"))
    served = tf.saved_model.load(summary.pushed_to)
    probability = served.signatures["serving_default"](
        text=tf.constant([review.read_text(encoding="utf-8")]))["probability"].numpy()
    assert probability.shape == (1,) and 0.0 <= probability[0] <= 1.0
    assert os.path.dirname(summary.pushed_to) == str(output_dir / "serving" / "imdb")

    # The skew test on real review files: served as they are, each must score what the
    # Evaluator's signature gave the ingested example of the same review.
    by_file, by_example, texts = imdb_fixture.raw_files_vs_evaluated_examples(
        summary.pushed_to, summary.artifacts["ImdbExampleGen"]["examples"],
        work / "slice" / "aclImdb")
    assert len(texts) == 2 * PER_FOLDER
    assert sum(b"<br />" in text for text in texts) > PER_FOLDER // 2  # real markup is common
    np.testing.assert_allclose(by_file, by_example, rtol=0, atol=1e-5)
