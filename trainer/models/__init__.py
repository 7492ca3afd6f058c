"""Model zoo: every selectable model by name, with the task it serves and its output kind."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import tf_keras as keras

from pipeline.config import TrainConfig
from trainer.models import imdb


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A named model: its builder, its task and whether it outputs a probability or a logit."""

    task: str
    builder: Callable[[TrainConfig], keras.Model]
    output: str = "probability"  # or "logit": export applies the sigmoid, serving sees p


MODELS: dict[str, ModelSpec] = {
    "imdb_lstm": ModelSpec("imdb", imdb.build_lstm),
}


def get_model_spec(name: str, task: str) -> ModelSpec:
    """Looks a model up by name, checking that it belongs to the task."""
    spec = MODELS.get(name)
    if spec is None or spec.task != task:
        known = sorted(n for n, s in MODELS.items() if s.task == task)
        raise ValueError(f"unknown {task} model {name!r}; choose one of {known}")
    return spec
