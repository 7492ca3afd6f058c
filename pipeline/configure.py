"""The config resolvers `run` and `compile` share: TrainConfig (trainer/resolver.py) and EvalConfig.

`tfx-text run` and `tfx-text compile` both come through here, so a Kubeflow spec is built from
exactly the config a local run would use: the zoo model's book hyperparameters
(`ModelSpec.defaults`) under the user's overrides, with the task's required parts and the
model's representation and window checks applied before any pipeline is built. The TrainConfig
resolver itself lives in the trainer, which re-runs its checks at run start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import config
from trainer.resolver import PART_FIELDS, TRAIN_FIELDS, model_names, train_config

__all__ = ["EVAL_FIELDS", "PART_FIELDS", "TRAIN_FIELDS", "eval_config", "model_names",
           "train_config"]

EVAL_FIELDS = ("min_accuracy", "max_regression", "baseline_margin", "window_stride",
               "max_eval_windows")


def eval_config(overrides: Mapping[str, Any] | None = None) -> config.EvalConfig:
    """EvalConfig defaults under the given blessing rules (None values count as not set)."""
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    unknown = sorted(set(given) - set(EVAL_FIELDS))
    if unknown:
        raise ValueError(f"unknown evaluation settings {unknown}")
    return config.EvalConfig(**given)
