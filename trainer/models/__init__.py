"""Model zoo: every selectable model by name, with the task it serves and its output kind."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import tf_keras as keras

from trainer.models import imdb, jena


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


MODELS: dict[str, ModelSpec] = {
    "imdb_embedding_flatten": ModelSpec("imdb", imdb.build_embedding_flatten, defaults={
        "embedding_dim": 8, "text": {"sequence_length": 20}}),
    "imdb_simple_rnn": ModelSpec("imdb", imdb.build_simple_rnn),
    "imdb_lstm": ModelSpec("imdb", imdb.build_lstm),
    "imdb_gru": ModelSpec("imdb", imdb.build_gru),
    "imdb_bilstm": ModelSpec("imdb", imdb.build_bilstm),
    "imdb_conv1d": ModelSpec("imdb", imdb.build_conv1d, defaults={
        "embedding_dim": 128, "learning_rate": 1e-4}),
    "jena_common_sense": ModelSpec("jena", jena.build_common_sense, "value", trainable=False),
    "jena_dense": ModelSpec("jena", jena.build_dense, "value"),
    "jena_gru": ModelSpec("jena", jena.build_gru, "value"),
}


def resolve_model_name(name: str, task: str) -> str:
    """Full zoo name for `name` or its short form without the task prefix (`gru` -> `jena_gru`)."""
    for candidate in (name, f"{task}_{name}"):
        if candidate in MODELS and MODELS[candidate].task == task:
            return candidate
    known = sorted(n for n, s in MODELS.items() if s.task == task)
    short = [n.removeprefix(f"{task}_") for n in known]
    raise ValueError(f"unknown {task} model {name!r}; choose one of {known} (or {short})")


def get_model_spec(name: str, task: str) -> ModelSpec:
    """Looks a model up by name, checking that it belongs to the task."""
    spec = MODELS.get(name)
    if spec is None or spec.task != task:
        known = sorted(n for n, s in MODELS.items() if s.task == task)
        raise ValueError(f"unknown {task} model {name!r}; choose one of {known}")
    return spec
