"""Task registry: what differs between IMDB and Jena, so `create_pipeline` never branches."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import tensorflow_model_analysis as tfma
from tfx.dsl.components.base import base_component

from components import imdb_gen
from pipeline import eval_configs
from pipeline.config import EvalConfig, PipelineConfig


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """One task's ingestion, preprocessing, model defaults and evaluation."""

    name: str
    example_gen: Callable[[PipelineConfig], base_component.BaseComponent]
    preprocessing_fn: str  # dotted path, found by module path in any container
    eval_config: Callable[[EvalConfig], tfma.EvalConfig]
    eval_split: str  # split the Evaluator judges the model on
    default_model: str
    transform_config_keys: tuple[str, ...]  # parts of TrainConfig that Transform needs


TASKS: dict[str, TaskSpec] = {
    "imdb": TaskSpec(
        name="imdb",
        example_gen=lambda cfg: imdb_gen.create_example_gen(cfg.data_root, cfg.ingest),
        preprocessing_fn="transform.imdb.preprocessing_fn",
        eval_config=eval_configs.imdb_eval_config,
        eval_split="test",
        default_model="imdb_lstm",
        transform_config_keys=("text",),
    ),
}

RUN_FN = "trainer.run.run_fn"


def get_task_spec(name: str) -> TaskSpec:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {sorted(TASKS)}")
    return TASKS[name]
