"""One config resolver: (task, model, overrides) -> a checked TrainConfig and EvalConfig.

`tfx-text run` and `tfx-text compile` both come through here, so a Kubeflow spec is built from
exactly the config a local run would use: the zoo model's book hyperparameters
(`ModelSpec.defaults`) under the user's overrides, with the task's required parts and the
model's representation and window checks applied before any pipeline is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core import config, tasks
from trainer import models, tune

# Override keys that fill an optional TrainConfig part; a task without the part rejects them.
PART_FIELDS = {"text": ("max_tokens", "sequence_length", "representation", "ngrams",
                        "tokenizer"),
               "window": ("lookback", "step", "delay")}
TRAIN_FIELDS = ("epochs", "batch_size", "steps_per_epoch", "mixed_precision", "learning_rate",
                "dropout", "recurrent_dropout", "max_train_examples", "glove_path")
EVAL_FIELDS = ("min_accuracy", "max_regression", "baseline_margin", "window_stride")
_PART_TYPES = {"text": config.TextConfig, "window": config.WindowConfig}


def model_names(task: str, given: Sequence[str] = ()) -> list[str]:
    """Full zoo names for `given` (short or full names; default: the task's model), deduplicated."""
    names = [models.resolve_model_name(name, task) for name in given if name]
    names = names or [tasks.get_task_spec(task).default_model]
    return list(dict.fromkeys(names))


def train_config(task: str, model: str | None = None,
                 overrides: Mapping[str, Any] | None = None) -> config.TrainConfig:
    """The TrainConfig for `model` of `task`: config defaults < book defaults < `overrides`.

    Args:
      overrides: flat {field: value} of what the user set (TrainConfig fields and the fields
        of its text/window parts); None values count as not set.

    Raises:
      ValueError: unknown task, model or field, a field of a part the task lacks, a bad value,
        or a config the model cannot be built from.
    """
    spec = tasks.get_task_spec(task)
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    unknown = sorted(set(given) - set(TRAIN_FIELDS) - {f for fs in PART_FIELDS.values()
                                                      for f in fs})
    if unknown:
        raise ValueError(f"unknown training settings {unknown}")
    model = model_names(task, [model] if model else [])[0]
    defaults = dict(models.get_model_spec(model, task).defaults)
    parts = {}
    for part, fields in PART_FIELDS.items():
        set_here = {name: given[name] for name in fields if name in given}
        if part in spec.train_parts:
            parts[part] = _PART_TYPES[part](**{**defaults.pop(part, {}), **set_here})
        elif set_here:
            flags = ", ".join("--" + name.replace("_", "-") for name in set_here)
            raise ValueError(f"{flags} do not apply to task {task}")
        else:
            defaults.pop(part, None)
            parts[part] = None
    train = config.TrainConfig(
        task=task, model=model, **parts,
        **{**defaults, **{name: given[name] for name in TRAIN_FIELDS if name in given}})
    spec.check(train)
    models.check_config(train)
    return train


def eval_config(overrides: Mapping[str, Any] | None = None) -> config.EvalConfig:
    """EvalConfig defaults under the given blessing rules (None values count as not set)."""
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    unknown = sorted(set(given) - set(EVAL_FIELDS))
    if unknown:
        raise ValueError(f"unknown evaluation settings {unknown}")
    return config.EvalConfig(**given)


def tune_config(model: str, max_trials: int | None = None) -> config.TuneConfig:
    """The search `run --tune` adds before the Trainer of `model` (a tunable zoo model)."""
    tune.check_tunable(model)
    return config.TuneConfig(**({} if max_trials is None else {"max_trials": max_trials}))
