"""Leaderboard plots (PNG bytes): metric bars against the book and the baseline, training curves.

Matplotlib's object API on the Agg canvas: no pyplot state, no GUI backend.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from pipeline.report_rows import TASK_METRICS, Row, run_label


def _figure(width: float, height: float, subplots: int = 1):
    # Figure + the Agg canvas directly: no pyplot state, no GUI backend.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.subplots(1, subplots, squeeze=False)[0]


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _labels(rows: Sequence[Row]) -> list[str]:
    """Model names, with the run when a model appears more than once (--all-runs)."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.model] = counts.get(row.model, 0) + 1
    return [row.model if counts[row.model] == 1 else f"{row.model}\n{run_label(row.run_id)}"
            for row in rows]


def metric_bars_png(task: str, rows: Sequence[Row]) -> bytes:
    """Grouped bars per model: our test metric, the book's number and the baseline's."""
    import numpy as np

    metric = TASK_METRICS[task]
    unit = f" ({metric.unit})" if metric.unit else ""
    figure, (axes,) = _figure(max(6.0, 1.3 * len(rows) + 2), 4.2)
    positions = np.arange(len(rows))
    series = [("ours (test)", [row.metric for row in rows]),
              ("book", [row.book for row in rows]),
              ("baseline", [row.baseline_metric for row in rows])]
    width = 0.8 / len(series)
    for index, (name, values) in enumerate(series):
        heights = [math.nan if value is None else value for value in values]
        bars = axes.bar(positions + (index - 1) * width, heights, width, label=name)
        axes.bar_label(bars, labels=["" if value is None else f"{value:.3f}" for value in values],
                       fontsize=7, padding=1)
    axes.set_xticks(positions, _labels(rows), rotation=20, ha="right", fontsize=8)
    axes.set_xlim(-0.6, len(rows) - 0.4)
    axes.set_ylabel(f"{metric.label}{unit}")
    axes.set_title(f"{metric.title}: test {metric.label} vs book vs baseline")
    axes.margins(y=0.2)  # room for the legend above the bars
    axes.legend(fontsize=8, ncols=len(series), loc="upper center")
    return _png(figure)


def training_curves_png(task: str, rows: Sequence[Row]) -> bytes | None:
    """Train (solid) and validation (dashed) loss and task metric per epoch; None: no history."""
    from matplotlib.ticker import MaxNLocator

    rows = [row for row in rows if row.history.get("loss")]
    if not rows:
        return None
    metric = TASK_METRICS[task]
    unit = f" ({metric.unit})" if metric.unit else ""
    figure, axes = _figure(11.0, 4.2, subplots=2)
    panels = (("loss", metric.loss_label), (metric.history_key, f"{metric.label}{unit}"))
    for panel, (key, label) in zip(axes, panels, strict=True):
        for index, (row, name) in enumerate(zip(rows, _labels(rows), strict=True)):
            color = f"C{index % 10}"
            name = name.replace("\n", " ")
            for prefix, style in (("", "-"), ("val_", "--")):
                values = row.history.get(prefix + key)
                if values:  # one legend entry per model: the colour; the style is in the title
                    panel.plot(range(1, len(values) + 1), values, style, color=color,
                               marker=".", label=None if prefix else name)
        panel.set_xlabel("epoch")
        panel.xaxis.set_major_locator(MaxNLocator(integer=True))
        panel.set_ylabel(label)
        panel.set_title(f"{key}: train (solid), validation (dashed)")
        panel.legend(fontsize=7)
    return _png(figure)
