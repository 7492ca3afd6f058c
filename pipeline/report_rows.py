"""Leaderboard rows: one trained model of one run, and what each task ranks them by.

Shared by the renderers (pipeline/report_render.py) and the plots (pipeline/report_plots.py);
pipeline/report.py builds the rows from MLMD and TFMA.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from core import tasks


@dataclasses.dataclass(frozen=True)
class TaskMetric:
    """What a task's leaderboard ranks by, and where the numbers come from."""

    title: str
    name: str  # TFMA metric key of the Evaluators' overall slice
    label: str  # short header text
    unit: str  # "" or e.g. "°C" (as pipeline.tasks' metric_units)
    higher_is_better: bool
    history_key: str  # per-epoch Keras metric in training_summary.json (val_ prefixed too)
    loss_label: str
    baseline_evaluator: str  # node id whose baseline_metrics give the baseline column
    blessing_evaluators: tuple[str, ...]  # node ids whose blessings together bless the model
    extras: tuple[tuple[str, str], ...] = ()  # (TFMA key, header) shown after the metric
    note: str = ""


def _difference(value: float | None, reference: float | None) -> float | None:
    return None if value is None or reference is None else value - reference


def task_metric(task: str) -> TaskMetric:
    """The leaderboard view of a task's registry entry (core/tasks.py)."""
    spec = tasks.get_task_spec(task)
    report = spec.report
    return TaskMetric(
        title=report.title, name=spec.report_metric, label=report.label, unit=report.unit,
        higher_is_better=spec.higher_is_better, history_key=report.history_key,
        loss_label=report.loss_label, baseline_evaluator=spec.baseline_evaluator,
        blessing_evaluators=spec.blessing_evaluators, extras=report.extras, note=report.note)


TASK_METRICS: dict[str, TaskMetric] = {name: task_metric(name) for name in tasks.TASK_NAMES}


@dataclasses.dataclass
class Row:
    """One trained candidate model of one pipeline run (a leaderboard line)."""

    task: str
    model: str
    run_id: str
    metric: float | None = None  # TASK_METRICS[task].name on the test split
    extra_metrics: dict[str, float] = dataclasses.field(default_factory=dict)  # e.g. auc
    book: float | None = None
    book_reference: str = ""
    baseline_model: str | None = None
    baseline_metric: float | None = None
    blessed: bool | None = None
    params: int | None = None
    epochs_run: int | None = None
    best_epoch: int | None = None
    train_seconds: float | None = None
    model_uri: str = ""  # the Trainer's model artifact: one row per trained model
    history: dict[str, list[float]] = dataclasses.field(default_factory=dict)  # per epoch

    @property
    def delta_book(self) -> float | None:
        return _difference(self.metric, self.book)

    @property
    def delta_baseline(self) -> float | None:
        return _difference(self.metric, self.baseline_metric)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields plus the derived deltas (ignored by `from_dict`)."""
        return {**dataclasses.asdict(self), "delta_book": self.delta_book,
                "delta_baseline": self.delta_baseline}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Row:
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in raw.items() if key in names})


def run_label(run_id: str) -> str:
    """"2026-11-28T14:58:23.652080" -> "2026-11-28 14:58:23" (run ids are start times)."""
    return run_id.replace("T", " ").split(".")[0]
