"""Shared pytest fixtures: the real data folder and the legacy-Keras switch."""

import os
import pathlib

import pytest

# TFT and the trainer use Keras 2 (tf_keras); every process must agree before TF is imported.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from shared_data import shared_file  # noqa: E402  (after the environment is set)


@pytest.fixture
def imdb_tarball() -> pathlib.Path:
    return shared_file("imdb/aclImdb_v1_labeled.tar.gz")


@pytest.fixture
def jena_fragment() -> pathlib.Path:
    return shared_file("jena/jena_climate_partial_2009-01-01_to_2009-01-28_12cols.csv.gz")


@pytest.fixture
def jena_15cols() -> pathlib.Path:
    return shared_file("jena/jena_climate_first20rows_15cols.csv.gz")


@pytest.fixture
def glove_50d() -> pathlib.Path:
    return shared_file("glove/glove.6B.50d.top100k.txt.gz")
