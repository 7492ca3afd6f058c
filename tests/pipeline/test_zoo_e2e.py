"""Two zoo models through one `tfx-text run` on fixture reviews: the TF-IDF bag (sparse Transform
output, sparse model inputs) and frozen GloVe (vectors for this run's vocabulary), ~3 minutes."""

from __future__ import annotations

import gzip

import imdb_fixture
import numpy as np
import pytest

pytestmark = pytest.mark.e2e

GLOVE_WORDS = imdb_fixture.POSITIVE[:4] + imdb_fixture.NEUTRAL  # some cue words missing


@pytest.fixture(scope="module")
def zoo_run(tmp_path_factory):
    from cli import main as cli
    from pipeline import results

    root = tmp_path_factory.mktemp("zoo_e2e")
    data = imdb_fixture.write_aclimdb(root / "data", per_class=60)
    rng = np.random.default_rng(0)
    vectors = {word: rng.normal(size=6).round(4) for word in GLOVE_WORDS}
    glove_path = root / "glove.txt.gz"
    with gzip.open(glove_path, "wt", encoding="utf-8") as handle:
        for word, vector in vectors.items():
            handle.write(word + " " + " ".join(str(v) for v in vector) + "\n")
    output_dir = root / "outputs"
    code = cli.main(["run", "imdb", "--data-dir", str(data), "--output-dir", str(output_dir),
                     "--model", "bag_of_ngrams,glove", "--glove", str(glove_path),
                     "--epochs", "5", "--max-tokens", "40", "--min-accuracy", "0.5"])
    assert code == 0
    summaries = results.summarize_runs(str(output_dir / "metadata" / "imdb-pipeline.sqlite"))
    return summaries, vectors


def test_each_model_was_trained_and_evaluated_in_its_own_run(zoo_run):
    from pipeline import results

    summaries, _ = zoo_run
    trained = [results.read_training_summary(s.artifacts["Trainer"]["model_run"])["model"]
               for s in summaries]
    assert trained == ["imdb_bag_of_ngrams", "imdb_glove"]
    assert all(s.metrics["example_count"] == 120 for s in summaries)
    assert "ImdbExampleGen" in summaries[1].cached  # the second run reused the ingestion


def test_bag_model_serves_raw_text_through_its_sparse_inputs(zoo_run):
    import tensorflow as tf

    summaries, _ = zoo_run
    served = tf.saved_model.load(summaries[0].artifacts["Trainer"]["model"] + "/Format-Serving")
    texts = ["great wonderful superb film", "awful boring terrible mess", ""]
    by_text = served.signatures["serving_default"](text=tf.constant(texts))["probability"]
    examples = [tf.train.Example(features=tf.train.Features(feature={
        "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[t.encode()]))}))
        .SerializeToString() for t in texts]
    by_example = served.signatures["serving_tf_example"](examples=tf.constant(examples))
    np.testing.assert_allclose(by_text, by_example["probability"], rtol=1e-6)
    assert by_text[0] > by_text[1]  # the cue words moved the weights the right way


def test_glove_model_embeds_this_runs_vocabulary_with_the_file_vectors(zoo_run):
    import tensorflow as tf
    import tensorflow_transform as tft

    summaries, vectors = zoo_run
    transform = tft.TFTransformOutput(summaries[1].artifacts["Transform"]["transform_graph"])
    vocabulary = [w.decode() for w in transform.vocabulary_by_name("imdb_vocab")]
    served = tf.saved_model.load(summaries[1].artifacts["Trainer"]["model"] + "/Format-Serving")
    [matrix] = [v.numpy() for v in served.variables if "embedding" in v.name]
    assert matrix.shape[1] == 6  # the file's dimension
    for index, word in enumerate(vocabulary):
        expected = vectors.get(word, np.zeros(6))  # words GloVe lacks stay zero
        np.testing.assert_allclose(matrix[index + 1], expected, rtol=1e-5, err_msg=word)
    assert not matrix[0].any()  # padding
