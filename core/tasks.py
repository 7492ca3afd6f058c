"""The task registry: everything about a task in one entry, stage functions named by dotted path.

A task's stage code lives in the stage folders (`components/imdb_gen.py`, `transform/imdb.py`,
`trainer/imdb.py`, `trainer/models/imdb.py`, ...); its entry here names those functions the
way TFX names `run_fn` and `preprocessing_fn`, so this module imports nothing of the project and
every layer may read it. `load()` imports what a path names when a caller needs it. Adding a
task means writing its stage modules and one entry below.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from typing import Any

from core import names

RUN_FN = "trainer.run.run_fn"  # every task's Trainer entry point
TUNER_FN = "trainer.tune.tuner_fn"  # every task's Tuner entry point (`run --tune`)


@dataclasses.dataclass(frozen=True)
class ReportSpec:
    """How the leaderboard (pipeline/report.py) shows a task's runs."""

    title: str
    label: str  # short header of the ranked metric
    unit: str  # "" or e.g. "°C"
    history_key: str  # per-epoch Keras metric in training_summary.json (val_ prefixed too)
    loss_label: str
    extras: tuple[tuple[str, str], ...] = ()  # (TFMA key, header) shown after the metric
    note: str = ""


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """One task: its stage functions (dotted paths), model defaults, evaluation and reporting."""

    name: str
    # (--data-dir or None, cache folder) -> the resolved raw data path (PipelineConfig.data_root)
    resolve_data: str
    # (data root, IngestConfig, code version) -> the ExampleGen component
    example_gen: str
    preprocessing_fn: str
    trainer_task: str  # trainer.task.TrainerTask: loss, label, data and serving interface
    models: str  # {name: trainer.models.ModelSpec}, the task's zoo
    eval_config: str  # (EvalConfig) -> tfma.EvalConfig, vs the latest blessed model
    # (serving client, `predict` args, served model name) -> lines to print (serving/predict.py).
    predict: str
    # (serialized raw examples, SavedModel folder) -> serving_default inputs by name: what the
    # serving canary sends (components/canary_requests.py).
    canary_inputs: str
    default_model: str
    label_key: str  # label of the Evaluator's examples
    output_key: str  # output of both serving signatures
    report: ReportSpec
    report_metric: str  # the Evaluator metric a leaderboard ranks by
    higher_is_better: bool = True
    eval_split: str = "test"
    transform_config_keys: tuple[str, ...] = ()  # parts of TrainConfig that Transform needs
    train_parts: tuple[str, ...] = ()  # optional TrainConfig parts the task requires
    # (config, ExampleGen's examples) -> a component whose `examples` the Evaluators read
    # instead, when raw examples are not model samples (Jena: one example per window).
    eval_examples: str | None = None
    # A zoo model exported untrained as a fixed baseline, judged by a second Evaluator with
    # `baseline_eval_config`; the Pusher then needs both blessings.
    fixed_baseline: str | None = None
    baseline_eval_config: str | None = None
    # TrainConfig parts a blessed model must share with the candidate to be its baseline
    # (components/latest_blessed.py); empty: any blessed model of the pipeline.
    comparable_on: tuple[str, ...] = ()
    metric_units: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.fixed_baseline is None) != (self.baseline_eval_config is None):
            raise ValueError(f"task {self.name}: fixed_baseline and baseline_eval_config go "
                             "together")

    @property
    def baseline_evaluator(self) -> str:
        """The Evaluator node whose baseline metrics a report shows."""
        return names.BASELINE_EVALUATOR if self.fixed_baseline else names.EVALUATOR

    @property
    def blessing_evaluators(self) -> tuple[str, ...]:
        """The Evaluator nodes whose blessings together bless a model."""
        if self.fixed_baseline:
            return names.EVALUATOR, names.BASELINE_EVALUATOR
        return (names.EVALUATOR,)

    def check(self, train: Any) -> None:
        """Raises ValueError when a TrainConfig lacks a part this task needs."""
        missing = [part for part in self.train_parts if getattr(train, part) is None]
        if missing:
            raise ValueError(f"task {self.name} needs TrainConfig parts {missing}")


TASKS: dict[str, TaskSpec] = {
    "imdb": TaskSpec(
        name="imdb",
        resolve_data="rawdata.locate.resolve_imdb",
        example_gen="components.imdb_gen.create_example_gen",
        preprocessing_fn="transform.imdb.preprocessing_fn",
        trainer_task="trainer.imdb.TASK",
        models="trainer.models.imdb.MODELS",
        eval_config="pipeline.eval_configs.imdb_eval_config",
        predict="serving.predict.imdb",
        canary_inputs="components.canary_requests.imdb",
        default_model="imdb_lstm",
        label_key="label",
        output_key="probability",
        transform_config_keys=("text",),
        train_parts=("text",),
        report_metric="binary_accuracy",
        report=ReportSpec(
            title="IMDB sentiment", label="accuracy", unit="", history_key="accuracy",
            loss_label="binary cross-entropy", extras=(("auc", "AUC"),),
            note="Test accuracy on the run's test split. Book: DLwP chapter 6 (mostly "
                 "validation accuracy, see the references). Baseline: the last blessed model "
                 "the Evaluator compared against, if any."),
    ),
    "jena": TaskSpec(
        name="jena",
        resolve_data="rawdata.locate.resolve_jena",
        example_gen="components.jena_gen.create_example_gen",
        preprocessing_fn="transform.jena.preprocessing_fn",
        trainer_task="trainer.jena.TASK",
        models="trainer.models.jena.MODELS",
        eval_config="pipeline.eval_configs.jena_eval_config",
        predict="serving.predict.jena",
        canary_inputs="components.canary_requests.jena",
        default_model="jena_gru",  # the book's first model to beat the common-sense baseline
        label_key="target",
        output_key="forecast",
        train_parts=("window",),
        eval_examples="components.jena_windows.create_window_examples",
        fixed_baseline="jena_common_sense",
        baseline_eval_config="pipeline.eval_configs.jena_baseline_eval_config",
        # Another window is another input shape and forecast horizon: not comparable.
        comparable_on=("window",),
        metric_units={"loss": "(MAE, normalized)", "mean_absolute_error": "°C",
                      "mean_squared_error": "°C²", "mae_degc": "°C"},
        report_metric="mean_absolute_error",  # °C (the Evaluator de-normalizes)
        higher_is_better=False,
        report=ReportSpec(
            title="Jena temperature forecast", label="MAE", unit="°C", history_key="mae_degc",
            loss_label="MAE (normalized)",
            note="Test MAE in °C on the run's test windows. Book numbers are validation MAE "
                 "on the full 2009–2016 series (the chapter's normalized MAE × 8.85 °C), so a "
                 "run on a fragment is not directly comparable. Baseline: the common-sense "
                 "forecast judged by the BaselineEvaluator."),
    ),
}
TASK_NAMES = tuple(TASKS)


def get_task_spec(name: str) -> TaskSpec:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {sorted(TASKS)}")
    return TASKS[name]


def load(dotted_path: str) -> Any:
    """The object a registry path names (`package.module.attribute`), imported on first use."""
    module, _, attribute = dotted_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"registry path {dotted_path!r} does not name an object: {error}"
                         ) from error


def registry_paths() -> list[str]:
    """Every dotted path the registry names (a container image must import them all)."""
    fields = ("resolve_data", "example_gen", "preprocessing_fn", "trainer_task", "models",
              "eval_config", "predict", "canary_inputs", "eval_examples", "baseline_eval_config")
    paths = {getattr(spec, name) for spec in TASKS.values() for name in fields}
    return sorted(path for path in paths | {RUN_FN, TUNER_FN} if path)


def module_of(dotted_path: str) -> str:
    """`trainer.run.run_fn` -> `trainer.run` (the module whose code version keys a cache)."""
    return dotted_path.rpartition(".")[0]
