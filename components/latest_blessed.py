"""Resolver strategy: the latest blessed model that is comparable with the candidate.

`LatestBlessedModelStrategy` returns the pipeline's newest blessed model. A Jena model trained
for another window (lookback, step, delay) parses window examples of another length and
forecasts another horizon, so the Evaluator would fail on it, or compare two different
problems. This strategy first keeps the models whose stored metadata
(`assets.extra/model_metadata.json`, trainer/export.py) contains every item of `match`; a
changed window thus starts a new lineage (the candidate must still beat the fixed baseline).
With an empty `match` (IMDB) it is exactly `LatestBlessedModelStrategy`.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import tensorflow as tf
from tfx import v1 as tfx
from tfx.utils import path_utils

from core.names import MODEL_METADATA_FILE


def matches(metadata: Any, match: Any) -> bool:
    """Whether `metadata` holds `match`: equal values, dicts compared key by key (a subset)."""
    if isinstance(match, dict):
        return isinstance(metadata, dict) and all(
            key in metadata and matches(metadata[key], value) for key, value in match.items())
    return metadata == match


def model_metadata(model_uri: str) -> dict[str, Any]:
    """A Model artifact's stored metadata; empty when the model has none."""
    path = os.path.join(path_utils.serving_model_dir(model_uri), MODEL_METADATA_FILE)
    if not tf.io.gfile.exists(path):
        return {}
    with tf.io.gfile.GFile(path) as handle:
        return json.loads(handle.read())


class LatestComparableBlessedModelStrategy(tfx.dsl.experimental.LatestBlessedModelStrategy):
    """LatestBlessedModelStrategy over the models whose metadata contains `match`."""

    def __init__(self, match: dict[str, Any] | None = None):
        super().__init__()
        self._match = match or {}

    def resolve_artifacts(self, store, input_dict):
        if self._match:
            input_dict = {key: [a for a in artifacts if not isinstance(
                a, tfx.types.standard_artifacts.Model) or self._comparable(a)]
                for key, artifacts in input_dict.items()}
        return super().resolve_artifacts(store, input_dict)

    def _comparable(self, model) -> bool:
        comparable = matches(model_metadata(model.uri), self._match)
        if not comparable:
            logging.info("Model %s is not comparable (needs %s); not a baseline", model.uri,
                         self._match)
        return comparable
