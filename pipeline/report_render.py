"""Leaderboard rows and their renderings: markdown, a self-contained HTML page with PNG plots, JSON.

No TensorFlow here: `pipeline/report.py` reads the runs (MLMD + TFMA) into `Row`s
(pipeline/report_rows.py), this module only formats them, so the renderers are tested on
hand-built rows.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Sequence

from pipeline.report_rows import TASK_METRICS, Row, TaskMetric, run_label


def sort_rows(rows: Sequence[Row]) -> list[Row]:
    """By task, then best metric first (accuracy descending, MAE ascending); no metric last."""
    def key(row: Row):
        metric = TASK_METRICS.get(row.task)
        sign = -1 if metric is None or metric.higher_is_better else 1
        return (row.task, row.metric is None, sign * (row.metric or 0.0), row.model, row.run_id)
    return sorted(rows, key=key)


# --- tables -------------------------------------------------------------------------------

def _number(value: float | None, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:+.4f}" if signed else f"{value:.4f}"


TEXT_COLUMNS = ("model", "run", "baseline", "blessed")  # left-aligned; the rest are numbers


def columns(task: str) -> list[str]:
    """Table headers of a task, units included."""
    metric = TASK_METRICS[task]
    unit = f" ({metric.unit})" if metric.unit else ""
    return (["model", "run", f"test {metric.label}{unit}"]
            + [header for _, header in metric.extras]
            + [f"book{unit}", f"Δ vs book{unit}", "baseline", f"baseline {metric.label}{unit}",
               f"Δ vs baseline{unit}", "blessed", "params", "epochs (best)", "train time (s)"])


def cells(row: Row) -> list[str]:
    """A row's table cells, in `columns(row.task)` order; missing values are empty."""
    metric = TASK_METRICS[row.task]
    epochs = "" if row.epochs_run is None else str(row.epochs_run)
    if epochs and row.best_epoch is not None:
        epochs += f" ({row.best_epoch})"
    return ([row.model, run_label(row.run_id), _number(row.metric)]
            + [_number(row.extra_metrics.get(key)) for key, _ in metric.extras]
            + [_number(row.book), _number(row.delta_book, signed=True), row.baseline_model or "",
               _number(row.baseline_metric), _number(row.delta_baseline, signed=True),
               {True: "yes", False: "no", None: ""}[row.blessed],
               "" if row.params is None else f"{row.params:,}", epochs,
               "" if row.train_seconds is None else f"{row.train_seconds:.1f}"])


def by_task(rows: Sequence[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for row in sort_rows(rows):
        grouped.setdefault(row.task, []).append(row)
    return grouped


def _direction(metric: TaskMetric) -> str:
    return ("Δ = ours − reference; positive is better." if metric.higher_is_better else
            "Δ = ours − reference; negative is better.")


def _references(rows: Sequence[Row]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for row in rows:
        if row.book_reference:
            seen.setdefault(row.model, row.book_reference)
    return sorted(seen.items())


def render_markdown(rows: Sequence[Row]) -> str:
    """A markdown table per task, with its notes and the book references."""
    lines = ["# Leaderboard", ""]
    for task, task_rows in by_task(rows).items():
        metric = TASK_METRICS[task]
        headers = columns(task)
        lines += [f"## {metric.title} ({task})", "",
                  "| " + " | ".join(headers) + " |",
                  "|" + "|".join("---" if h in TEXT_COLUMNS else "---:" for h in headers) + "|"]
        for row in task_rows:
            values = cells(row)
            values[0] = f"`{values[0]}`"
            lines.append("| " + " | ".join(values) + " |")
        lines += ["", f"{metric.note} {_direction(metric)}"]
        references = _references(task_rows)
        if references:
            lines += ["", "Book references:", ""]
            lines += [f"- `{model}`: {text}" for model, text in references]
        lines.append("")
    return "\n".join(lines)


# --- HTML and files -----------------------------------------------------------------------

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.better { color: #1a7f37; } td.worse { color: #c62828; }
p.note { color: #555; max-width: 60em; }
img { max-width: 100%; display: block; margin: 1em 0; }
"""


def _cell_class(header: str, text: str, better_sign: str) -> str:
    classes = [] if header in TEXT_COLUMNS else ["num"]
    if header.startswith("Δ") and text.strip("+-0."):
        classes.append("better" if text.startswith(better_sign) else "worse")
    return f' class="{" ".join(classes)}"' if classes else ""


def _image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def render_html(rows: Sequence[Row], images: dict[str, dict[str, bytes]]) -> str:
    """One page: per task a table, its notes, and the PNGs in `images[task]` embedded inline."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>Leaderboard</title>", f"<style>{CSS}</style></head><body>",
             "<h1>Leaderboard</h1>"]
    for task, task_rows in by_task(rows).items():
        metric = TASK_METRICS[task]
        headers = columns(task)
        better_sign = "+" if metric.higher_is_better else "-"
        parts += [f"<h2>{html.escape(metric.title)} ({html.escape(task)})</h2>", "<table>",
                  "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>"]
        for row in task_rows:
            parts.append("<tr>" + "".join(
                f"<td{_cell_class(h, text, better_sign)}>{html.escape(text)}</td>"
                for h, text in zip(headers, cells(row), strict=True)) + "</tr>")
        parts += ["</table>",
                  f'<p class="note">{html.escape(metric.note)} {_direction(metric)}</p>']
        references = _references(task_rows)
        if references:
            parts.append("<p class=\"note\">Book references:</p><ul>" + "".join(
                f"<li><code>{html.escape(m)}</code>: {html.escape(t)}</li>"
                for m, t in references) + "</ul>")
        for name, png in images.get(task, {}).items():
            parts.append(_image(png, f"{task} {name}"))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_rows_json(rows: Sequence[Row], path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"rows": [row.to_dict() for row in sort_rows(rows)]}, handle, indent=1,
                  ensure_ascii=False)


def read_rows_json(path: str) -> list[Row]:
    with open(path, encoding="utf-8") as handle:
        return [Row.from_dict(raw) for raw in json.load(handle)["rows"]]
