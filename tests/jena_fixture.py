"""The real Jena fragments for module-scoped fixtures, which cannot use conftest's fixtures.

`damaged_csv` breaks a real fragment the way the station's data goes wrong (the -9999 sentinel,
empty and unparseable fields, missing rows), and `read_raw` reads a CSV back with nothing but
the standard library and NumPy, as a reference the project's own ingestion did not produce.
"""

from __future__ import annotations

import datetime
import gzip
import pathlib

import numpy as np
from shared_data import shared_file

FRAGMENT = "jena/jena_climate_partial_2009-01-01_to_2009-01-28_12cols.csv.gz"
FIFTEEN_COLUMNS = "jena/jena_climate_first20rows_15cols.csv.gz"
SENTINEL = -9999.0


def plain_csv(relative: str, folder: pathlib.Path) -> pathlib.Path:
    """Unpacks a gzipped fragment into `folder`; returns the CSV path."""
    path = pathlib.Path(folder) / pathlib.Path(relative).name.removesuffix(".gz")
    with gzip.open(shared_file(relative), "rb") as handle:
        path.write_bytes(handle.read())
    return path


def damaged_csv(folder: pathlib.Path, damage: dict[tuple[int, str], str],
                drop_rows: tuple[int, ...] = ()) -> pathlib.Path:
    """The real fragment with fields replaced ({(data row, column): text}) and rows removed."""
    path = plain_csv(FRAGMENT, folder)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    for (row, column), text in damage.items():
        fields = lines[row + 1].split(",")
        fields[header.index(column)] = text
        lines[row + 1] = ",".join(fields)
    dropped = {row + 1 for row in drop_rows}
    kept = [line for number, line in enumerate(lines) if number not in dropped]
    path.write_text("\n".join(kept), encoding="utf-8")
    return path


def read_raw(path: pathlib.Path, sentinel_as_nan: bool = True
             ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(int64 UTC seconds, {original column: float64 values, NaN where not measured}).

    Args:
      sentinel_as_nan: False keeps -9999.0 as it is in the file (what a client may send).
    """
    lines = pathlib.Path(path).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    stamps, rows = [], []
    for line in lines[1:]:
        fields = line.split(",")
        moment = datetime.datetime.strptime(fields[0], "%d.%m.%Y %H:%M:%S")
        stamps.append(int(moment.replace(tzinfo=datetime.timezone.utc).timestamp()))
        rows.append([_measurement(text, sentinel_as_nan) for text in fields[1:]])
    values = np.array(rows, np.float64)
    return np.array(stamps, np.int64), {name: values[:, j] for j, name in enumerate(header[1:])}


def _measurement(text: str, sentinel_as_nan: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        return np.nan
    return np.nan if value == SENTINEL and sentinel_as_nan else value
