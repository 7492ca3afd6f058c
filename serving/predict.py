"""`tfx-text predict` input adapters: a task's command-line input -> requests -> printed lines.

The registry (core/tasks.py `TaskSpec.predict`) names one per task. Each takes the connected
client, the parsed `predict` arguments and the served model's name.
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
from collections.abc import Iterator

import numpy as np


def imdb(serving, args: argparse.Namespace, model: str) -> Iterator[str]:
    """One line per review text: P(positive), the label, the start of the text."""
    if not args.texts or args.window:
        raise ValueError("predict imdb takes review texts (and no --window)")
    probabilities = serving.predict_sentiment(args.texts, model, args.version)
    for text, probability in zip(args.texts, probabilities, strict=True):
        label = "positive" if probability >= 0.5 else "negative"
        yield f"{probability:.4f}  {label:8}  {text[:70]}"


def jena(serving, args: argparse.Namespace, model: str) -> Iterator[str]:
    """The forecast for the window in `--window` (columns matched with `--metadata`)."""
    if args.window is None or args.texts:
        raise ValueError("predict jena takes --window FILE.csv (and no texts)")
    metadata = json.loads(args.metadata.read_text()) if args.metadata else None
    forecast = serving.forecast_temperature(read_window_csv(args.window, metadata), model,
                                            args.version)
    yield f"{float(forecast[0]):.2f} °C forecast from {args.window}"


def read_window_csv(path: pathlib.Path, metadata: dict | None = None) -> np.ndarray:
    """One window [steps, features] of raw observations from a CSV file.

    Without `metadata`, the numeric columns are taken in file order, a row per observation. With
    the model's model_metadata.json, columns are picked by header (feature or original name,
    e.g. `t_degc` or `T (degC)`) in the model's order, and a file of raw 10-minute rows (at
    least `lookback` of them) is reduced to its last window, every `step`-th row. Empty cells
    become NaN (a missing value, which the model's graph repairs).

    Raises:
      ValueError: no numeric data, missing columns, or too few rows for a window.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row]
    header = rows[0] if rows and not all(_number(cell) is not None for cell in rows[0]) else None
    body = rows[1:] if header else rows
    if not body:
        raise ValueError(f"{path} has no rows of observations")
    if metadata is not None and header is not None:
        names = {name: i for i, name in enumerate(header)}
        chosen = [names.get(column["feature"], names.get(column.get("original") or ""))
                  for column in metadata["columns"]]
        if None in chosen:
            missing = metadata["columns"][chosen.index(None)]
            raise ValueError(f"{path} has no column {missing['feature']!r} "
                             f"({missing.get('original')!r}); header: {header}")
    else:
        chosen = [i for i in range(len(body[0])) if any(row[i].strip() for row in body)
                  and all(_number(row[i]) is not None for row in body)]
    if not chosen:
        raise ValueError(f"{path} has no numeric columns")
    window = np.array([[_number(row[i]) for i in chosen] for row in body], dtype=np.float32)
    shape = (metadata or {}).get("window")
    if shape and len(window) != shape["sequence_length"]:
        if len(window) < shape["lookback"]:
            raise ValueError(f"{path} has {len(window)} rows: give {shape['sequence_length']} "
                             f"observations or at least {shape['lookback']} raw rows")
        window = window[-shape["lookback"]:][::shape["step"]]
    return window


def _number(cell: str) -> float | None:
    """The cell's value, NaN for an empty cell, None for text."""
    try:
        return float(cell) if cell.strip() else float("nan")
    except ValueError:
        return None


def _number(cell: str) -> float | None:
    """The cell's value, NaN for an empty cell, None for text."""
    try:
        return float(cell) if cell.strip() else float("nan")
    except ValueError:
        return None
