"""The Evaluator's baseline: the latest pushed model of the same task (Jena: the same window).

One mechanism for every orchestrator. TFX's `Resolver` compiles to a KFP `resolver` executor,
which only Vertex AI implements (the open-source KFP backend refuses it), so the baseline is
read from where the Pusher publishes instead: `LatestPushedBaseline` lists
`<push_dir>/<version>/`, takes the newest numeric version that is complete (saved_model.pb)
and comparable (its `assets.extra/model_metadata.json` names the same task and holds every item
of `match`), and copies it into its Model artifact in TFX's layout (`<uri>/Format-Serving`),
which TFMA loads. The Pusher pushes blessed models only, so this is the latest blessed one.

With no such version (a first run, or a new Jena window) the artifact stays empty and
`Evaluator` (TFX's, with `Executor` below) evaluates without a baseline: TFX then drops the
change thresholds (rubber stamp) and judges the value thresholds alone, as with an empty
resolver. The picker reads state outside its inputs, so it must never be served from a cache
(pipeline/pipeline.py `NEVER_CACHED`).
"""

import json
import logging
import os
from typing import Any

from tfx import types
from tfx import v1 as tfx
from tfx.components.evaluator import executor as evaluator_executor
from tfx.dsl.components.base import executor_spec
from tfx.dsl.io import fileio
from tfx.types import standard_component_specs
from tfx.utils import io_utils, path_utils

from core.names import MODEL_METADATA_FILE

LOG = logging.getLogger(__name__)
SAVED_MODEL = "saved_model.pb"
FOUND_PROPERTY = "found"  # 1: the artifact holds a pushed model, 0: no baseline
SOURCE_PROPERTY = "pushed_from"  # the version folder copied


def matches(metadata: Any, match: Any) -> bool:
    """Whether `metadata` holds `match`: equal values, dicts compared key by key (a subset)."""
    if isinstance(match, dict):
        return isinstance(metadata, dict) and all(
            key in metadata and matches(metadata[key], value) for key, value in match.items())
    return metadata == match


def read_metadata(model_dir: str) -> dict[str, Any]:
    """A SavedModel folder's stored metadata; empty when it has none (IMDB models)."""
    path = os.path.join(model_dir, MODEL_METADATA_FILE)
    if not fileio.exists(path):
        return {}
    with fileio.open(path) as handle:
        return json.loads(handle.read())


def latest_comparable_version(push_dir: str, task: str, match: dict[str, Any]) -> str | None:
    """The newest complete version folder under `push_dir` comparable with the candidate.

    Numeric folder names only (as TF Serving loads them): the Pusher's staging folders and any
    other file are ignored. A model whose metadata names another task, or lacks an item of
    `match`, is skipped; a model without metadata counts for its folder's task.
    """
    if not fileio.isdir(push_dir):
        return None
    versions = sorted((name.rstrip("/") for name in fileio.listdir(push_dir)
                       if name.rstrip("/").isdigit()), key=int, reverse=True)
    for version in versions:
        folder = os.path.join(push_dir, version)
        if not fileio.exists(os.path.join(folder, SAVED_MODEL)):
            continue
        metadata = read_metadata(folder)
        if metadata.get("task", task) == task and matches(metadata, match):
            return folder
        LOG.info("Pushed model %s is not comparable (needs task %s and %s)", folder, task,
                 match)
    return None


def has_model(model: types.Artifact) -> bool:
    """Whether a Model artifact holds a SavedModel where TFMA looks for one."""
    return fileio.exists(os.path.join(path_utils.serving_model_dir(model.uri), SAVED_MODEL))


@tfx.dsl.components.component
def LatestPushedBaseline(  # noqa: N802 (TFX component naming)
    baseline: tfx.dsl.components.OutputArtifact[tfx.types.standard_artifacts.Model],
    push_dir: tfx.dsl.components.Parameter[str],
    task: tfx.dsl.components.Parameter[str],
    match: tfx.dsl.components.Parameter[str],
    code_version: tfx.dsl.components.Parameter[str],
) -> None:
    """Copies the latest comparable pushed model into `baseline`, or leaves it empty.

    Args:
      push_dir: the Pusher's destination, <serving_root>/<task>.
      match: JSON object every item of which the model's metadata must hold (Jena: window).
      code_version: hash of this module's code (unused here): a cache key.
    """
    source = latest_comparable_version(push_dir, task, json.loads(match))
    baseline.set_int_custom_property(FOUND_PROPERTY, int(source is not None))
    if source is None:
        LOG.info("No comparable pushed model under %s: evaluating without a baseline", push_dir)
        return
    io_utils.copy_dir(source, path_utils.serving_model_dir(baseline.uri))
    baseline.set_string_custom_property(SOURCE_PROPERTY, source)
    LOG.info("Baseline: pushed model %s", source)


class Executor(evaluator_executor.Executor):
    """TFX's Evaluator executor; an empty baseline Model artifact counts as no baseline."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:  # noqa: N802 (TFX's name)
        key = standard_component_specs.BASELINE_MODEL_KEY
        baselines = input_dict.get(key) or []
        if baselines and not all(has_model(model) for model in baselines):
            LOG.info("No baseline model: judging the value thresholds alone")
            input_dict = {name: value for name, value in input_dict.items() if name != key}
        super().Do(input_dict, output_dict, exec_properties)


class Evaluator(tfx.components.Evaluator):
    """TFX's Evaluator with `Executor`: evaluates without a baseline when the picker found none."""

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(Executor)
