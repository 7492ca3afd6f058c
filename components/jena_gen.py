"""Jena climate ExampleGen: one CSV -> chronological train/eval/test tf.Examples.

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
import glob
import io
import json
import logging
import os
import re
from typing import Any

import apache_beam as beam
import numpy as np
import tensorflow as tf
from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec
from tfx.types import artifact_utils, standard_component_specs

from components import example_gen
from core import features, names
from core.code_version import code_version
from core.config import IngestConfig, JenaIngestConfig

SPLITS = ("train", "eval", "test")
SUMMARY_FILE = names.JENA_INGEST_FILE
SUMMARY_PROPERTY = names.JENA_INGEST_PROPERTY
COLUMNS_PROPERTY = names.JENA_COLUMNS_PROPERTY  # JSON {feature name: original column}
_TIME_RE = re.compile(r"^\s*(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})\s*$")
_MISSING = {"", "nan", "na", "n/a", "null", "none"}
_OK, _NA, _BAD, _SENTINEL = 0, 1, 2, 3  # per-value status codes
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


def _header(path: str, header: list[str]) -> list[str]:
    names = [name.strip().strip('"') for name in header]
    for required in (features.JENA_TIME_COLUMN, features.JENA_TEMPERATURE_COLUMN):
        if required not in names:
            raise ValueError(f"{path}: the header has no '{required}' column; found {names}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{path}: columns {repeated} appear more than once in the header")
    return names


def _parse_value(text: str, sentinel: float) -> tuple[float, int]:
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


def read_jena_csv(path: str, config: JenaIngestConfig) -> JenaData:
    """Parses, sorts, de-duplicates, splits and cleans a Jena CSV (see the module docstring)."""
    with tf.io.gfile.GFile(path, "rb") as handle:
        text = handle.read().decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text))
    try:
        header = _header(path, next(reader))
    except StopIteration:
        raise ValueError(f"{path} is empty; expected a Jena climate CSV") from None
    time_index = header.index(features.JENA_TIME_COLUMN)
    columns = [i for i in range(len(header)) if i != time_index]
    stamps, rows, codes = [], [], []
    file_issues: list[tuple[int, str, str]] = []  # (index of the previous good row, kind, why)
    for fields in reader:
        if len(fields) != len(header):
            why = "blank line" if not fields else (
                f"{len(fields)} fields instead of {len(header)}")
            file_issues.append((len(stamps) - 1, example_gen.SKIPPED, f"row with {why}"))
            continue
        try:
            stamp = parse_time(fields[time_index])
        except ValueError:
            file_issues.append((len(stamps) - 1, example_gen.SKIPPED, "unparseable Date Time"))
            continue
        parsed = [_parse_value(fields[i], features.JENA_SENTINEL) for i in columns]
        stamps.append(stamp)
        rows.append([value for value, _ in parsed])
        codes.append([code for _, code in parsed])
    if not stamps:
        raise ValueError(f"{path} has no parseable data row")
    values = np.array(rows, np.float64).reshape(len(stamps), len(columns))
    status = np.array(codes, np.int8).reshape(len(stamps), len(columns))
    names, originals, keep, ignored = _numeric_columns(path, header, columns, status)
    values, status = values[:, keep], status[:, keep]
    file_issues += [(-1, example_gen.SKIPPED, f"non-numeric column '{column}' left out")
                    for column in ignored]  # reported with the train split
    return _split_and_clean(np.array(stamps, np.int64), values, status, names, originals,
                            ignored, file_issues, config)


def _numeric_columns(path, header, columns, status):
    """Safe names of the numeric columns; a mostly unparseable column is left out."""
    names, originals, keep, ignored = [], [], [], []
    for position, index in enumerate(columns):
        column = header[index]
        bad = int(np.sum(status[:, position] == _BAD))
        if bad * 2 > len(status):
            if column == features.JENA_TEMPERATURE_COLUMN:
                raise ValueError(f"{path}: column '{column}' is not numeric ({bad} of "
                                 f"{len(status)} values unparseable)")
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
        for code, reason in _VALUE_REASONS.items():
            if code == _SENTINEL:
                reason = f"sentinel {features.JENA_SENTINEL}"
            count = int(np.sum(status[:, j] == code))
            issues += [(example_gen.KEPT, f"{reason} in '{column}' (the graph fills it)")] * count
    return issues


def _gaps(stamps, split, config):
    """Steps longer than the interval (and irregular ones), as listed gaps and issue records."""
    steps = np.diff(stamps)
    gaps, issues = [], []
    for row in np.flatnonzero(steps != config.interval_seconds):
        step = int(steps[row])
        missing = step // config.interval_seconds - 1 if step % config.interval_seconds == 0 \
            else 0
        gaps.append({"split": split, "after": format_time(stamps[row]),
                     "before": format_time(stamps[row + 1]), "seconds": step,
                     "missing_steps": missing})
        if missing:
            issues += [(example_gen.SKIPPED, "missing 10-minute step in a time gap "
                        "(windows do not cross it)")] * missing
        else:
            issues.append((example_gen.SKIPPED,
                           "irregular time step (windows do not cross it)"))
    return gaps, issues


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


class JenaExampleGenExecutor(example_gen.ReportingExampleGenExecutor):
    """Reads the CSV once on the driver (it is small: 42 MB in full), then writes in Beam."""

    def read_splits(self, pipeline, input_base, splits, custom_config: dict[str, Any]):
        config = JenaIngestConfig.from_dict(custom_config.get("ingest", {}))
        patterns = {split.pattern for split in splits}
        paths = sorted({p for pattern in patterns
                        for p in tf.io.gfile.glob(os.path.join(input_base, pattern))})
        if len(paths) != 1:
            raise ValueError(f"expected exactly one Jena CSV for {sorted(patterns)} under "
                             f"{input_base}, found {paths}")
        data = read_jena_csv(paths[0], config)
        self._jena = data
        outputs = {}
        for split in splits:
            part = data.splits[split.name]
            rows = list(zip(part.timestamps.tolist(), part.values.tolist(), strict=True))
            examples = (pipeline
                        | f"Rows[{split.name}]" >> beam.Create(rows, reshuffle=False)
                        | f"ToExample[{split.name}]" >> beam.Map(
                            lambda row, names=tuple(data.names): to_example(*row, names)))
            issues = pipeline | f"Issues[{split.name}]" >> beam.Create(part.issues)
            outputs[split.name] = (examples, issues)
        return outputs

    def Do(self, input_dict, output_dict, exec_properties) -> None:  # noqa: N802 (TFX API)
        super().Do(input_dict, output_dict, exec_properties)
        examples = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.EXAMPLES_KEY])
        summary = json.dumps(self._jena.summary, sort_keys=True)
        with tf.io.gfile.GFile(os.path.join(examples.uri, SUMMARY_FILE), "w") as handle:
            handle.write(summary)
        examples.set_string_custom_property(SUMMARY_PROPERTY, summary)
        examples.set_string_custom_property(COLUMNS_PROPERTY, json.dumps(
            dict(zip(self._jena.names, self._jena.originals, strict=True))))
        logging.info("Jena splits: %s", self._jena.summary["splits"])


def create_example_gen(data_root, ingest: IngestConfig) -> FileBasedExampleGen:
    """The Jena ExampleGen component over one CSV file (all three splits read it).

    Its custom_config carries the hash of this module's code (core/code_version.py): a cache
    key, so an ingestion change re-runs ExampleGen.

    Args:
      data_root: the CSV file (local runs: what `resolve_jena` returns), or a folder holding
        `ingest.jena.csv_name`; a RuntimeParameter (Kubeflow) always stands for a folder.
    """
    if isinstance(data_root, str) and not tf.io.gfile.isdir(data_root):
        local = "://" not in data_root
        folder, name = os.path.split(os.path.abspath(data_root) if local else data_root)
    else:
        folder, name = data_root, ingest.jena.csv_name
    return FileBasedExampleGen(
        input_base=folder,
        input_config=example_gen.input_config({split: glob.escape(name) for split in SPLITS}),
        custom_config={"ingest": ingest.jena.to_dict(), "code_version": code_version(__name__)},
        custom_executor_spec=executor_spec.BeamExecutorSpec(JenaExampleGenExecutor),
    ).with_id("JenaExampleGen")
