"""The one TrainConfig resolver: (task, model, overrides) -> a checked TrainConfig.

`tfx-text run` and `tfx-text compile` come through here (pipeline/configure.py re-exports it),
`kubeflow.runner.parameter_values` builds per-run Kubeflow values with it, and the Trainer's
`run_fn` re-checks its `custom_config` with `checked_train_config` at run start: on Kubeflow
the Trainer's whole custom_config is a runtime parameter, so a value built by hand would
otherwise skip the zoo model's defaults and the representation and window checks. It lives
in the trainer package because the Trainer runs it; the layers above import it from here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from core import config, tasks
from trainer import models

# Override keys that fill an optional TrainConfig part; a task without the part rejects them.
PART_FIELDS = {"text": ("max_tokens", "sequence_length", "representation", "ngrams",
                        "tokenizer"),
               "window": ("lookback", "step", "delay")}
TRAIN_FIELDS = ("epochs", "batch_size", "steps_per_epoch", "mixed_precision", "learning_rate",
                "dropout", "recurrent_dropout", "max_train_examples", "glove_path")
REQUEST_KEY = "request"  # custom_config entry: {"model": name, "overrides": {field: value}}
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
    check(train)
    return train


def check(train: config.TrainConfig) -> None:
    """The task's required parts and the model's representation and window checks."""
    tasks.get_task_spec(train.task).check(train)
    models.check_config(train)


def request(model: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The custom_config entry recording what a TrainConfig was resolved from."""
    return {"model": model, "overrides": {key: value for key, value in
                                          sorted((overrides or {}).items())
                                          if value is not None}}


def request_for(train: config.TrainConfig) -> dict[str, Any]:
    """The request that resolves to `train`: its model and the settings that differ from what
    that model resolves to without overrides.

    Raises:
      ValueError: `train` differs in a field the resolver does not set (built by hand).
    """
    base = train_config(train.task, train.model).to_dict()
    flat = {**train.to_dict(), **{field: (train.to_dict()[part] or {}).get(field)
                                  for part, fields in PART_FIELDS.items() for field in fields}}
    flat_base = {**base, **{field: (base[part] or {}).get(field)
                            for part, fields in PART_FIELDS.items() for field in fields}}
    settable = [*TRAIN_FIELDS, *(field for fields in PART_FIELDS.values() for field in fields)]
    asked = request(train.model, {field: flat[field] for field in settable
                                  if flat[field] != flat_base[field]})
    if train_config(train.task, train.model, asked["overrides"]) != train:
        raise ValueError(f"{train} differs from what any model and overrides resolve to")
    return asked


def checked_train_config(custom_config: Mapping[str, Any]) -> config.TrainConfig:
    """The Trainer's TrainConfig, checked at run start as `run` checks it before a run.

    `custom_config["train"]` must parse and pass `check`; when the config records the request
    it came from (`REQUEST_KEY`, compiled specs and `parameter_values` write it), it must be
    exactly what `train_config` resolves that request to.

    Raises:
      ValueError: naming what is wrong and how to build a valid value; also logged.
    """
    try:
        train = config.TrainConfig.from_dict(dict(custom_config["train"]))
        check(train)
        asked = custom_config.get(REQUEST_KEY)
        if asked is not None:
            expected = train_config(train.task, asked["model"], asked["overrides"])
            wrong = {name: (value, getattr(expected, name))
                     for name, value in train.to_dict().items()
                     if value != expected.to_dict()[name]}
            if wrong:
                shown = ", ".join(f"{name}: {got!r} (resolves to {want!r})"
                                  for name, (got, want) in sorted(wrong.items()))
                raise ValueError(f"'train' is not what model {asked['model']} with overrides "
                                 f"{asked['overrides']} resolves to: {shown}")
    except (KeyError, TypeError, ValueError) as error:
        message = (f"Trainer custom_config rejected: {error}. Build per-run values with "
                   "kubeflow.runner.parameter_values() (docs/kubeflow.md).")
        logging.error(message)
        raise ValueError(message) from error
    return train
