"""Three zoo models through one `tfx-text run` on fixture reviews: the TF-IDF bag (sparse
Transform output, sparse model inputs), frozen GloVe (vectors for this run's vocabulary) and
NBSVM (NB ratios from the train split's labels), ~4 minutes."""

from __future__ import annotations

import gzip
import re

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
                     "--model", "bag_of_ngrams,glove,nbsvm", "--glove", str(glove_path),
                     "--epochs", "5", "--max-tokens", "40", "--min-accuracy", "0.5"])
    assert code == 0
    summaries = results.summarize_runs(str(output_dir / "metadata" / "imdb-pipeline.sqlite"))
    return summaries, vectors


def test_each_model_was_trained_and_evaluated_in_its_own_run(zoo_run):
    from pipeline import results

    summaries, _ = zoo_run
    trained = [results.read_training_summary(s.artifacts["Trainer"]["model_run"])["model"]
               for s in summaries]
    assert trained == ["imdb_bag_of_ngrams", "imdb_glove", "imdb_nbsvm"]
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


def _ngrams(raw: bytes, n: int = 3) -> set[str]:
    """The review's distinct 1..n-grams, tokenized as transform/text.py documents it."""
    text = re.sub(r"(?i)<br\s*/?>", " ", raw.decode()).lower()
    words = re.sub(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])", r" \1 ", text).split()
    return {" ".join(words[i:i + k]) for k in range(1, n + 1) for i in range(len(words) - k + 1)}


def test_nbsvm_weights_are_nb_ratios_of_the_train_split_alone(zoo_run):
    import imdb_fixture
    import tensorflow as tf
    import tensorflow_transform as tft

    from trainer.task import dense_to_raw_feature

    summary = zoo_run[0][2]
    examples = summary.artifacts["ImdbExampleGen"]["examples"]
    transform = tft.TFTransformOutput(summary.artifacts["Transform"]["transform_graph"])
    vocabulary = [w.decode() for w in transform.vocabulary_by_name("imdb_vocab")]
    present, labels = [], []
    for record in imdb_fixture.split_records(examples, "train"):
        feature = tf.train.Example.FromString(record).features.feature
        grams = _ngrams(feature["text"].bytes_list.value[0])
        present.append([gram in grams for gram in vocabulary])
        labels.append(feature["label"].int64_list.value[0])
    present, labels = np.array(present, float), np.array(labels)
    p, q = 1 + present[labels == 1].sum(0), 1 + present[labels == 0].sum(0)
    ratio = np.log((p / p.sum()) / (q / q.sum()))
    probe = tf.constant([b"great film, awful plot"])
    transformed = transform.transform_features_layer()(
        {"text": dense_to_raw_feature(probe, transform.raw_feature_spec()["text"])})
    ids = transformed["text_xf_ids"].values.numpy()
    assert sorted(vocabulary[i] for i in ids) == sorted(
        _ngrams(b"great film, awful plot") & set(vocabulary))
    np.testing.assert_allclose(transformed["text_xf_weights"].values, ratio[ids], rtol=1e-5)
    served = tf.saved_model.load(summary.artifacts["Trainer"]["model"] + "/Format-Serving")
    served = tf.saved_model.load(summary.artifacts["Trainer"]["model"] + "/Format-Serving")
    by_text = served.signatures["serving_default"](
        text=tf.constant(["great wonderful superb film", "awful boring terrible mess"]))
    assert by_text["probability"][0] > 0.5 > by_text["probability"][1]
