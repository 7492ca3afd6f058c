"""A zoo entry: a named model's builder, output kind, the book's hyperparameters and result.

Each task's zoo (`MODELS` in trainer/models/imdb.py and jena.py) is named by its registry
entry (core/tasks.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import tf_keras as keras

from trainer import glove


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A named model: its builder, its task, its output kind and whether it is trained.

    Builders take the TrainConfig plus data-dependent keyword arguments: the task's
    (`TrainerTask.model_kwargs`, e.g. the Jena window columns) and the model's own (`prepare`).
    """

    task: str
    builder: Callable[..., keras.Model]
    # "probability", "logit" (export applies the sigmoid, serving sees p) or "value" (regression).
    output: str = "probability"
    trainable: bool = True  # False: a fixed baseline, exported as built
    # The book's hyperparameters for this experiment, as TrainConfig fields (parts as dicts);
    # they replace TrainConfig's defaults, and CLI flags replace them.
    defaults: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The chapter's result for this experiment, in the task's report metric (IMDB: accuracy;
    # Jena: validation MAE in °C on the full 2009-2016 series), and where it comes from.
    book: float | None = None
    reference: str = ""
    # Extra builder keyword arguments computed from the run's data at train time, e.g. the
    # GloVe matrix for the Transform vocabulary: (config, TFTransformOutput) -> kwargs.
    prepare: Callable[..., dict[str, Any]] | None = None
    min_steps: int = 1  # shortest time axis (Jena window observations) the model accepts

    @property
    def needs_glove(self) -> bool:
        return self.prepare is glove.pretrained_embedding
