"""The real Jena fragments for module-scoped fixtures, which cannot use conftest's fixtures."""

from __future__ import annotations

import gzip
import pathlib

from shared_data import shared_file

FRAGMENT = "jena/jena_climate_partial_2009-01-01_to_2009-01-28_12cols.csv.gz"
FIFTEEN_COLUMNS = "jena/jena_climate_first20rows_15cols.csv.gz"


def plain_csv(relative: str, folder: pathlib.Path) -> pathlib.Path:
    """Unpacks a gzipped fragment into `folder`; returns the CSV path."""
    path = pathlib.Path(folder) / pathlib.Path(relative).name.removesuffix(".gz")
    with gzip.open(shared_file(relative), "rb") as handle:
        path.write_bytes(handle.read())
    return path
