"""GloVe loader: dimensions from the file, OOV rows zero, coverage; the real 50d file."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from rawdata import download, errors
from rawdata import glove as rawdata_glove
from trainer import glove


def _write(path, lines):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("name", ["vectors.txt", "vectors.txt.gz"])
def test_matrix_rows_follow_transform_ids(tmp_path, name):
    path = _write(tmp_path / name, ["the 0.1 0.2 0.3", "movie 1 2 3", "great -1 -2 -3.5"])
    matrix = glove.embedding_matrix(["movie", "zzz", "great"], path, vocab_size=5)
    assert matrix.weights.shape == (5, 3) and matrix.weights.dtype == np.float32
    np.testing.assert_array_equal(matrix.weights[0], 0)  # padding
    np.testing.assert_array_equal(matrix.weights[1], [1, 2, 3])  # "movie", vocabulary id 0
    np.testing.assert_array_equal(matrix.weights[2], 0)  # "zzz" has no vector
    np.testing.assert_array_equal(matrix.weights[3], [-1, -2, -3.5])
    np.testing.assert_array_equal(matrix.weights[4], 0)  # OOV bucket
    assert (matrix.found, matrix.vocabulary_words) == (2, 3)
    assert matrix.coverage == pytest.approx(2 / 3)


def test_inconsistent_dimensions_and_bad_sizes_are_errors(tmp_path):
    path = _write(tmp_path / "bad.txt", ["the 0.1 0.2", "movie 1 2 3"])
    with pytest.raises(ValueError, match="bad.txt:2: 3 values for 'movie', expected 2"):
        glove.load_vectors(path)
    with pytest.raises(ValueError, match="does not fit vocab_size"):
        glove.embedding_matrix(["a", "b"], path, vocab_size=2)
    with pytest.raises(ValueError, match="does not exist"):
        glove.load_vectors(str(tmp_path / "missing.txt"))


@pytest.mark.integration
def test_real_glove_50d_file(glove_50d):
    matrix = glove.embedding_matrix(["the", "movie", "brilliant", "qwxzzyq"], str(glove_50d),
                                    vocab_size=6)
    assert matrix.weights.shape == (6, 50)
    assert matrix.found == 3
    np.testing.assert_allclose(matrix.weights[1][:3], [0.418, 0.24968, -0.41242], rtol=1e-6)


def test_resolve_glove_uses_a_given_file_and_rejects_a_missing_one(tmp_path):
    path = tmp_path / "vectors.txt"
    _write(path, ["a 1 2"])
    assert rawdata_glove.resolve_glove(path, tmp_path / "cache") == path.resolve()
    with pytest.raises(errors.DatasetPathError, match="does not exist"):
        rawdata_glove.resolve_glove(tmp_path / "missing.txt", tmp_path / "cache")


def test_resolve_glove_extracts_the_dimension_from_the_downloaded_zip(tmp_path, monkeypatch):
    import zipfile

    archive = tmp_path / "glove.6B.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("glove.6B.50d.txt", "the 0.1 0.2\n")
        handle.writestr("glove.6B.100d.txt", "the 0.3 0.4\n")
    calls = []
    monkeypatch.setattr(download, "download", lambda source, cache: calls.append(source) or archive)
    path = rawdata_glove.resolve_glove(None, tmp_path / "cache", dim=100)
    assert path.read_text() == "the 0.3 0.4\n" and calls == [rawdata_glove.GLOVE]
    assert rawdata_glove.resolve_glove(None, tmp_path / "cache", dim=100) == path
    assert len(calls) == 1  # extracted once, then reused
    with pytest.raises(errors.DatasetLayoutError, match="no member glove.6B.200d.txt"):
        rawdata_glove.resolve_glove(None, tmp_path / "cache", dim=200)
    with pytest.raises(errors.DatasetPathError, match="not 64"):
        rawdata_glove.resolve_glove(None, tmp_path / "cache", dim=64)
