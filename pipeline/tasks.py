"""Task registry: what differs between IMDB and Jena, so `create_pipeline` never branches."""

from __future__ import annotations

import dataclasses
import json
import pathlib
from collections.abc import Callable, Mapping
from typing import Any

import tensorflow_model_analysis as tfma
from tfx.dsl.components.base import base_component
from tfx.types import channel

from components import imdb_gen, jena_gen, jena_windows
from pipeline import eval_configs
from pipeline.code_version import code_version
from pipeline.config import EvalConfig, IngestConfig, PipelineConfig
from rawdata import locate


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """One task's data, ingestion, preprocessing, model defaults and evaluation."""

    name: str
    # (--data-dir or None, cache folder) -> the resolved raw data path (PipelineConfig.data_root)
    resolve_data: Callable[[pathlib.Path | None, pathlib.Path], pathlib.Path]
    # (data root, ingest config, code version) -> the ExampleGen; its module is versioned.
    example_gen: Callable[[Any, IngestConfig, str], base_component.BaseComponent]
    preprocessing_fn: str  # dotted path, found by module path in any container
    eval_config: Callable[[EvalConfig], tfma.EvalConfig]  # vs the latest blessed model
    eval_split: str  # split the Evaluator judges the model on
    default_model: str
    transform_config_keys: tuple[str, ...]  # parts of TrainConfig that Transform needs
    train_parts: tuple[str, ...] = ()  # optional TrainConfig parts the task requires
    # (config, ExampleGen's examples) -> a component whose `examples` the Evaluators read
    # instead, when raw examples are not model samples (Jena: one example per window).
    eval_examples: Callable[[PipelineConfig, channel.BaseChannel],
                            base_component.BaseComponent] | None = None
    # A zoo model exported untrained as a fixed baseline, judged by a second Evaluator with
    # `baseline_eval_config`; the Pusher then needs both blessings.
    fixed_baseline: str | None = None
    baseline_eval_config: Callable[[EvalConfig], tfma.EvalConfig] | None = None
    metric_units: Mapping[str, str] = dataclasses.field(default_factory=dict)  # for reports
    # The Evaluator metric a leaderboard ranks by, and whether higher is better.
    report_metric: str = "binary_accuracy"
    higher_is_better: bool = True
    # Model metadata a blessed model must hold to be compared with this run's candidate
    # (components/latest_blessed.py); None: any blessed model of the pipeline.
    comparable_on: Callable[[PipelineConfig], dict] | None = None

    def __post_init__(self) -> None:
        if (self.fixed_baseline is None) != (self.baseline_eval_config is None):
            raise ValueError(f"task {self.name}: fixed_baseline and baseline_eval_config go "
                             "together")

    def check(self, cfg: PipelineConfig) -> None:
        """Raises ValueError when `cfg` lacks a config part this task needs."""
        missing = [part for part in self.train_parts if getattr(cfg.train, part) is None]
        if missing:
            raise ValueError(f"task {self.name} needs TrainConfig parts {missing}")


def _jena_eval_examples(cfg: PipelineConfig, examples: channel.BaseChannel):
    return jena_windows.JenaWindowExamples(
        row_examples=examples, window=json.dumps(cfg.train.window.to_dict()),
        split=get_task_spec("jena").eval_split, stride=cfg.eval.window_stride,
        code_version=code_version(jena_windows.__name__),
    ).with_id("JenaWindowExamples")


TASKS: dict[str, TaskSpec] = {
    "imdb": TaskSpec(
        name="imdb",
        resolve_data=locate.resolve_imdb,
        example_gen=imdb_gen.create_example_gen,
        preprocessing_fn="transform.imdb.preprocessing_fn",
        eval_config=eval_configs.imdb_eval_config,
        eval_split="test",
        default_model="imdb_lstm",
        transform_config_keys=("text",),
        train_parts=("text",),
    ),
    "jena": TaskSpec(
        name="jena",
        resolve_data=locate.resolve_jena,
        example_gen=jena_gen.create_example_gen,
        preprocessing_fn="transform.jena.preprocessing_fn",
        eval_config=eval_configs.jena_eval_config,
        eval_split="test",
        default_model="jena_gru",  # the book's first model to beat the common-sense baseline
        transform_config_keys=(),  # the columns come from the data
        train_parts=("window",),
        eval_examples=_jena_eval_examples,
        fixed_baseline="jena_common_sense",
        baseline_eval_config=eval_configs.jena_baseline_eval_config,
        metric_units={"loss": "(MAE, normalized)", "mean_absolute_error": "°C",
                      "mean_squared_error": "°C²", "mae_degc": "°C"},
        # Another window is another input shape and forecast horizon: not comparable.
        comparable_on=lambda cfg: {"window": cfg.train.window.to_dict()},
        report_metric="mean_absolute_error",  # °C (the Evaluator de-normalizes)
        higher_is_better=False,
    ),
}

RUN_FN = "trainer.run.run_fn"


def get_task_spec(name: str) -> TaskSpec:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {sorted(TASKS)}")
    return TASKS[name]
