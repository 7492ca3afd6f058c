"""Jena climate CSV rules: parsing, chronological splits and cleaning, in memory.

The ExampleGen (components/jena_gen.py) applies these rules with Beam, reading the file through
a source (components/jena_beam.py); `read_jena_csv` applies them to a whole file in memory, for
small files, the benches and as the reference the Beam reader is tested against.

Features: `timestamp` (int64 seconds; `Date Time` read as dd.mm.yyyy HH:MM:SS, taken as UTC) and
every numeric column under a safe name (`T (degC)` -> `t_degc`, core/features.safe_name).
The original names are kept in the `columns` property of the Examples artifact and, with the
split boundaries and every gap, in `jena_ingest.json` next to the splits. The header must hold
`Date Time` and `T (degC)`; other columns are taken as they come.

Rules, in order; each case is counted per split and reason in the ingest report:

1. A row with the wrong number of fields or an unparseable `Date Time` is skipped.
2. Rows are sorted by time (each row that was out of order counts as repaired); a timestamp
   seen again is skipped, the first row kept.
3. Splits are contiguous ranges of the sorted rows (JenaIngestConfig), never hashed.
4. Values are stored as they are in the source. The sentinel -9999.0 (the wind columns of the
   real data) stays -9999.0; a missing or unparseable value is stored as NaN (a float feature
   has no "absent" value). Both are counted as `kept`: the model's own graph treats them as
   missing (transform/jena.py, trainer/windows.py), so training, TFMA and a served raw window
   repair them the same way, from that window's earlier values only.
5. Time gaps (steps longer than the interval) are kept and counted as missing 10-minute steps
   under `skipped`, listed in `jena_ingest.json`; the windows never cross them
   (trainer/windows.py).

A column mostly (over half) non-numeric is left out and reported.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import logging
import re
from typing import Any

import numpy as np
import tensorflow as tf

from components import example_gen
from core import features
from core.config import JenaIngestConfig

SPLITS = ("train", "eval", "test")
_TIME_RE = re.compile(r"^\s*(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})\s*$")
_MISSING = {"", "nan", "na", "n/a", "null", "none"}
_OK, _NA, _BAD, _SENTINEL = 0, 1, 2, 3  # per-value status codes
VALUE_OK, VALUE_BAD = _OK, _BAD
_VALUE_REASONS = {_NA: "missing value", _BAD: "unparseable value", _SENTINEL: "sentinel"}
_MAX_LISTED_GAPS = 100


def parse_time(text: str) -> int:
    """`01.01.2009 00:10:00` -> seconds since the epoch (UTC); ValueError when malformed."""
    match = _TIME_RE.match(text)
    if not match:
        raise ValueError(f"not dd.mm.yyyy HH:MM:SS: {text!r}")
    day, month, year, hour, minute, second = (int(g) for g in match.groups())
    moment = datetime.datetime(year, month, day, hour, minute, second,
                               tzinfo=datetime.timezone.utc)
    return int(moment.timestamp())


def format_time(seconds: int) -> str:
    return datetime.datetime.fromtimestamp(int(seconds), datetime.timezone.utc).strftime(
        "%d.%m.%Y %H:%M:%S")


@dataclasses.dataclass
class Split:
    """One split: sorted timestamps, values as stored [rows, columns] (NaN: none), its issues."""

    timestamps: np.ndarray
    values: np.ndarray
    issues: list[tuple[str, str]]
    gaps: list[dict[str, Any]]


@dataclasses.dataclass
class JenaData:
    """The whole file after ingestion: feature names, splits and a JSON-safe summary."""

    names: list[str]  # safe feature names, in file order
    originals: list[str]  # the CSV column of each name
    splits: dict[str, Split]
    summary: dict[str, Any]


def read_header(path: str, header: list[str]) -> list[str]:
    names = [name.strip().strip('"') for name in header]
    for required in (features.JENA_TIME_COLUMN, features.JENA_TEMPERATURE_COLUMN):
        if required not in names:
            raise ValueError(f"{path}: the header has no '{required}' column; found {names}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{path}: columns {repeated} appear more than once in the header")
    return names


def parse_value(text: str, sentinel: float) -> tuple[float, int]:
    """The value as stored (NaN when there is none) and its status code."""
    if text.strip().lower() in _MISSING:
        return np.nan, _NA
    try:
        value = float(text)
    except ValueError:
        return np.nan, _BAD
    if not np.isfinite(value):
        return np.nan, _BAD
    if value == sentinel:
        return value, _SENTINEL
    return value, _OK


def parse_row(fields: list[str], width: int, time_index: int, columns: list[int]):
    """(timestamp, values, status codes) of one CSV row, or why it is skipped (a str)."""
    if len(fields) != width:
        why = "blank line" if not fields else f"{len(fields)} fields instead of {width}"
        return f"row with {why}"
    try:
        stamp = parse_time(fields[time_index])
    except ValueError:
        return "unparseable Date Time"
    parsed = [parse_value(fields[i], features.JENA_SENTINEL) for i in columns]
    return stamp, [value for value, _ in parsed], [code for _, code in parsed]


def value_reason(code: int, column: str) -> str:
    """The ingest report's reason for a missing, unparseable or sentinel value."""
    reason = f"sentinel {features.JENA_SENTINEL}" if code == _SENTINEL else _VALUE_REASONS[code]
    return f"{reason} in '{column}' (the graph fills it)"


def read_jena_csv(path: str, config: JenaIngestConfig) -> JenaData:
    """Parses, sorts, de-duplicates, splits and cleans a Jena CSV (see the module docstring)."""
    with tf.io.gfile.GFile(path, "rb") as handle:
        text = handle.read().decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text))
    try:
        header = read_header(path, next(reader))
    except StopIteration:
        raise ValueError(f"{path} is empty; expected a Jena climate CSV") from None
    time_index = header.index(features.JENA_TIME_COLUMN)
    columns = [i for i in range(len(header)) if i != time_index]
    stamps, rows, codes = [], [], []
    file_issues: list[tuple[int, str, str]] = []  # (index of the previous good row, kind, why)
    for fields in reader:
        parsed = parse_row(fields, len(header), time_index, columns)
        if isinstance(parsed, str):
            file_issues.append((len(stamps) - 1, example_gen.SKIPPED, parsed))
            continue
        stamps.append(parsed[0])
        rows.append(parsed[1])
        codes.append(parsed[2])
    if not stamps:
        raise ValueError(f"{path} has no parseable data row")
    values = np.array(rows, np.float64).reshape(len(stamps), len(columns))
    status = np.array(codes, np.int8).reshape(len(stamps), len(columns))
    names, originals, keep, ignored = column_plan(
        path, header, np.sum(status == _BAD, axis=0), len(status))
    values, status = values[:, keep], status[:, keep]
    file_issues += [(-1, example_gen.SKIPPED, f"non-numeric column '{column}' left out")
                    for column in ignored]  # reported with the train split
    return _split_and_clean(np.array(stamps, np.int64), values, status, names, originals,
                            ignored, file_issues, config)


def column_plan(path: str, header: list[str], bad_counts, rows: int):
    """(names, originals, kept positions, ignored columns) of the non-time columns.

    A column over half unparseable is left out (the temperature must be numeric).

    Args:
      bad_counts: per non-time column (header order), how many values were unparseable.
      rows: how many data rows were parsed.
    """
    columns = [column for column in header if column != features.JENA_TIME_COLUMN]
    names, originals, keep, ignored = [], [], [], []
    for position, column in enumerate(columns):
        bad = int(bad_counts[position])
        if bad * 2 > rows:
            if column == features.JENA_TEMPERATURE_COLUMN:
                raise ValueError(f"{path}: column '{column}' is not numeric ({bad} of "
                                 f"{rows} values unparseable)")
            logging.warning("Jena column %r is not numeric; left out", column)
            ignored.append(column)
            continue
        name = features.safe_name(column)
        if name in names or name == features.JENA_TIMESTAMP:
            clash = originals[names.index(name)] if name in names else "the timestamp"
            raise ValueError(f"{path}: columns '{column}' and '{clash}' both map to the "
                             f"feature name '{name}'")
        names.append(name)
        originals.append(column)
        keep.append(position)
    return names, originals, keep, ignored


def split_bounds(rows: int, config: JenaIngestConfig) -> tuple[int, int, str]:
    """(end of train, end of eval, rule): the book's row ranges, or fractions when shorter."""
    train_end, eval_end = config.split_rows
    if rows > eval_end:
        return train_end, eval_end, "rows"
    train = int(config.split_fractions[0] * rows)
    return train, train + int(config.split_fractions[1] * rows), "fractions"


def _split_and_clean(stamps, values, status, names, originals, ignored, file_issues, config):
    order = np.argsort(stamps, kind="stable")
    out_of_order = stamps < np.maximum.accumulate(stamps)  # later than a row before it
    stamps, values, status = stamps[order], values[order], status[order]
    duplicate = np.concatenate([[False], stamps[1:] == stamps[:-1]])
    same = np.concatenate([[False], np.all((values[1:] == values[:-1])
                                           | (np.isnan(values[1:]) & np.isnan(values[:-1])),
                                           axis=1)])
    # Positions of the sorted rows in the de-duplicated series (a duplicate -> its first row).
    series_row = np.cumsum(~duplicate) - 1
    kept_stamps = stamps[~duplicate]
    train_end, eval_end, rule = split_bounds(len(kept_stamps), config)
    bounds = {"train": (0, train_end), "eval": (train_end, eval_end),
              "test": (eval_end, len(kept_stamps))}
    for split, (start, end) in bounds.items():
        if end <= start:
            raise ValueError(f"split '{split}' would be empty: {len(kept_stamps)} rows, "
                             f"{rule} rule gives rows [{start}, {end})")

    def split_of(row: int) -> str:
        return "train" if row < train_end else "eval" if row < eval_end else "test"

    issues: dict[str, list[tuple[str, str]]] = {split: [] for split in SPLITS}
    sorted_position = np.empty_like(order)
    sorted_position[order] = np.arange(len(order))
    for previous, kind, reason in file_issues:  # a bad line goes with the good row before it
        row = int(series_row[sorted_position[previous]]) if previous >= 0 else 0
        issues[split_of(row)].append((kind, reason))
    for row in np.flatnonzero(out_of_order[order]):
        issues[split_of(int(series_row[row]))].append(
            (example_gen.REPAIRED, "row out of chronological order (re-sorted)"))
    for row in np.flatnonzero(duplicate):
        why = "identical row" if same[row] else "different values"
        issues[split_of(int(series_row[row]))].append(
            (example_gen.SKIPPED, f"duplicated timestamp, {why} (first kept)"))

    values, status = values[~duplicate], status[~duplicate]
    splits = {}
    for split, (start, end) in bounds.items():
        kept = _value_issues(status[start:end], originals, split)
        gaps, gap_issues = _gaps(kept_stamps[start:end], split, config)
        splits[split] = Split(kept_stamps[start:end], values[start:end],
                              issues[split] + kept + gap_issues, gaps)
    summary = _summary(names, originals, ignored, splits, rule, len(stamps), config)
    return JenaData(names, originals, splits, summary)


def _value_issues(status, originals, split):
    """One `kept` record per missing, unparseable or sentinel value of this split.

    Raises:
      ValueError: a column has no valid value in the train split (no statistics to fit).
    """
    issues = []
    for j, column in enumerate(originals):
        if split == "train" and not np.any(status[:, j] == _OK):
            raise ValueError(f"column '{column}' has no valid value in the train split")
        for code in _VALUE_REASONS:
            count = int(np.sum(status[:, j] == code))
            issues += [(example_gen.KEPT, value_reason(code, column))] * count
    return issues


def _gaps(stamps, split, config):
    """Steps longer than the interval (and irregular ones), as listed gaps and issue records."""
    steps = np.diff(stamps)
    gaps, issues = [], []
    for row in np.flatnonzero(steps != config.interval_seconds):
        gap, gap_issues = gap_record(split, int(stamps[row]), int(stamps[row + 1]),
                                     config.interval_seconds)
        gaps.append(gap)
        issues += gap_issues
    return gaps, issues


def gap_record(split: str, after: int, before: int, interval: int):
    """A listed gap between two consecutive timestamps and its issue records."""
    step = before - after
    missing = step // interval - 1 if step % interval == 0 else 0
    gap = {"split": split, "after": format_time(after), "before": format_time(before),
           "seconds": step, "missing_steps": missing}
    if missing:
        return gap, [(example_gen.SKIPPED, "missing 10-minute step in a time gap "
                      "(windows do not cross it)")] * missing
    return gap, [(example_gen.SKIPPED, "irregular time step (windows do not cross it)")]


def _summary(names, originals, ignored, splits, rule, rows_read, config):
    return {
        "columns": [{"feature": n, "original": o} for n, o in zip(names, originals, strict=True)],
        "ignored_columns": ignored,
        "rows_parsed": rows_read,
        "split_rule": rule,
        "config": config.to_dict(),
        "splits": {split: {"rows": int(len(s.timestamps)),
                           "first": format_time(s.timestamps[0]),
                           "last": format_time(s.timestamps[-1]),
                           "gaps": len(s.gaps)} for split, s in splits.items()},
        "gaps": [gap for s in splits.values() for gap in s.gaps][:_MAX_LISTED_GAPS],
    }


def to_example(stamp: int, row, names) -> tf.train.Example:
    """One row -> tf.Example with `timestamp` and every column by feature name (NaN: none)."""
    feature = {features.JENA_TIMESTAMP: tf.train.Feature(
        int64_list=tf.train.Int64List(value=[int(stamp)]))}
    for name, value in zip(names, row, strict=True):
        feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[float(value)]))
    return tf.train.Example(features=tf.train.Features(feature=feature))
