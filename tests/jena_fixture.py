"""The real Jena fragments for module-scoped fixtures, which cannot use conftest's fixtures.

`import conftest` is ambiguous once a test folder has its own conftest.py, so the root one's
`shared_file` (skip locally, fail in CI when the data is missing) is loaded by path.
"""

from __future__ import annotations

import gzip
import importlib.util
import pathlib

FRAGMENT = "jena/jena_climate_partial_2009-01-01_to_2009-01-28_12cols.csv.gz"
FIFTEEN_COLUMNS = "jena/jena_climate_first20rows_15cols.csv.gz"

_spec = importlib.util.spec_from_file_location(
    "_root_conftest", pathlib.Path(__file__).with_name("conftest.py"))
_root_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root_conftest)


def shared_file(relative: str) -> pathlib.Path:
    """A file under ../shared/data (see tests/conftest.py)."""
    return _root_conftest.shared_file(relative)


def plain_csv(relative: str, folder: pathlib.Path) -> pathlib.Path:
    """Unpacks a gzipped fragment into `folder`; returns the CSV path."""
    path = pathlib.Path(folder) / pathlib.Path(relative).name.removesuffix(".gz")
    with gzip.open(shared_file(relative), "rb") as handle:
        path.write_bytes(handle.read())
    return path
