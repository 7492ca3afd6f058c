"""Model zoo: every selectable model by name, gathered from each task's registry entry.

Each task's models live in its module (`trainer/models/imdb.py`, `trainer/models/jena.py`),
named by `TaskSpec.models` (core/tasks.py). A Trainer loads only its own task's zoo (its code
version covers exactly that module); `MODELS` is all of them, by full name, loaded on first use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from core import tasks
from core.config import TrainConfig
from trainer.models.spec import ModelSpec


def zoo(task: str) -> dict[str, ModelSpec]:
    """The task's models, by full name."""
    return tasks.load(tasks.get_task_spec(task).models)


class _AllModels(Mapping):
    """Every task's zoo, loaded when first read (the CLI listing, the leaderboard)."""

    def _models(self) -> dict[str, ModelSpec]:
        return {name: spec for task in tasks.TASK_NAMES for name, spec in zoo(task).items()}

    def __getitem__(self, name: str) -> ModelSpec:
        return self._models()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._models())

    def __len__(self) -> int:
        return len(self._models())


MODELS: Mapping[str, ModelSpec] = _AllModels()


def representations(spec: ModelSpec) -> tuple[str, ...]:
    """The text representations a model reads (IMDB): its own default's kind.

    Sequence models read token ids, the dense bag head reads tfidf or multi_hot weights, and
    NBSVM reads only NB-weighted n-grams (its linear head needs the ratios as weights).
    """
    default = spec.defaults.get("text", {}).get("representation", "sequence")
    return ("tfidf", "multi_hot") if default in ("tfidf", "multi_hot") else (default,)


def check_config(config: TrainConfig) -> None:
    """Rejects a config the model cannot be built from (before any pipeline work is done).

    Raises:
      ValueError: unknown model, a text representation the model does not read, or windows
        too short for it.
    """
    spec = get_model_spec(config.model, config.task)
    if config.text is not None and config.text.representation not in representations(spec):
        wanted = {"sequence": "the sequence", "nb": "the nb (NB-weighted n-grams)"}.get(
            representations(spec)[0], "a bag (tfidf or multi_hot)")
        raise ValueError(f"{config.model} reads {wanted} representation, not "
                         f"{config.text.representation!r}")
    if config.window is not None and config.window.sequence_length < spec.min_steps:
        raise ValueError(
            f"{config.model} needs windows of >= {spec.min_steps} observations; lookback "
            f"{config.window.lookback} / step {config.window.step} gives "
            f"{config.window.sequence_length}")


def resolve_model_name(name: str, task: str) -> str:
    """Full zoo name for `name` or its short form without the task prefix (`gru` -> `jena_gru`)."""
    models = zoo(task)
    for candidate in (name, f"{task}_{name}"):
        if candidate in models:
            return candidate
    known = sorted(models)
    short = [n.removeprefix(f"{task}_") for n in known]
    raise ValueError(f"unknown {task} model {name!r}; choose one of {known} (or {short})")


def get_model_spec(name: str, task: str) -> ModelSpec:
    """Looks a model up by name, checking that it belongs to the task."""
    models = zoo(task)
    if name not in models:
        raise ValueError(f"unknown {task} model {name!r}; choose one of {sorted(models)}")
    return models[name]
