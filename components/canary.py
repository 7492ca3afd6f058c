"""Canary: the candidate served as it will be, before the Pusher may push it.

TFX's InfraValidator needs Docker or Kubernetes, and the KFP v2 compiler refuses it. This
component needs neither: it serves the candidate SavedModel in the project's serving stack, in
its own process (components/canary_server.py), sends raw examples of the evaluated split
(components/canary_requests.py: IMDB review texts, Jena windows) over REST and gRPC, and
checks every answer against the same SavedModel called in-process (within
`CanaryConfig.tolerance`) and the slowest request against `max_latency_ms`. A model that does
not load, answers an error, answers differently (a signature that drifts from the in-process
graph: dropout left on, state, a different export) or too slowly is refused, with why.

Its blessing is the upstream blessing (the Evaluator's, or the BlessingMerger's) AND the
canary's verdict, with the Evaluator's properties, so the Pusher reads it as it reads theirs.
"""


import dataclasses
import json
import os
import tempfile
import time

import numpy as np
import tensorflow as tf
from tfx import v1 as tfx
from tfx.utils import io_utils, path_utils

from components import blessing as blessing_lib
from components import canary_requests, canary_server
from core import names, tasks
from core.code_version import code_version
from core.config import CanaryConfig, PipelineConfig

Examples = tfx.types.standard_artifacts.Examples
Model = tfx.types.standard_artifacts.Model
ModelBlessing = tfx.types.standard_artifacts.ModelBlessing
PROTOCOLS = ("rest", "grpc")


def _batches(inputs: dict[str, np.ndarray], size: int) -> list[dict[str, np.ndarray]]:
    count = len(next(iter(inputs.values())))
    return [{name: value[start:start + size] for name, value in inputs.items()}
            for start in range(0, count, size)]


def _max_difference(served: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> float:
    """Largest |served - in-process| over every output value; inf on a shape or NaN mismatch."""
    if set(served) != set(expected):
        return float("inf")
    worst = 0.0
    for name, want in expected.items():
        got = served[name].reshape(-1) if served[name].size == want.size else None
        if got is None or not np.array_equal(np.isnan(got), np.isnan(want.reshape(-1))):
            return float("inf")
        finite = ~np.isnan(got)
        if finite.any():
            worst = max(worst, float(np.max(np.abs(got[finite] - want.reshape(-1)[finite]))))
    return worst


def _stage(model_dir: str, root: str, name: str) -> None:
    """Lays the candidate out as a serving root, <root>/<name>/1/ (linked, or copied if remote)."""
    version = os.path.join(root, name, "1")
    os.makedirs(os.path.dirname(version))
    if "://" not in model_dir:
        os.symlink(os.path.abspath(model_dir), version)
    else:
        io_utils.copy_dir(model_dir, version)


def judge(model_dir: str, inputs: dict[str, np.ndarray], model_name: str,
          canary: CanaryConfig, work_dir: str) -> dict:
    """The canary's verdict on the SavedModel in `model_dir` for these serving_default inputs.

    Returns:
      {"blessed", "why", "examples", "max_abs_difference", "latency_ms": {protocol: slowest}}
      (JSON-safe); `work_dir` (local or remote) receives the server's log.
    """
    verdict = {"blessed": False, "examples": int(len(next(iter(inputs.values())))),
               "tolerance": canary.tolerance, "max_latency_ms": canary.max_latency_ms}
    try:
        signature = tf.saved_model.load(model_dir).signatures[names.DEFAULT_SIGNATURE]
        expected = [{key: value.numpy().astype(np.float64) for key, value in signature(
            **{k: tf.constant(v) for k, v in batch.items()}).items()}
            for batch in _batches(inputs, canary.batch_size)]
    except (OSError, KeyError, ValueError, TypeError, tf.errors.OpError) as error:
        return verdict | {"why": f"the SavedModel does not answer in-process: {error}"[:600]}
    output_names = sorted(expected[0])
    with tempfile.TemporaryDirectory() as root:
        _stage(model_dir, root, model_name)
        log_path = os.path.join(root, "server.log")
        try:
            with canary_server.serve(root, model_name, log_path,
                                     canary.startup_seconds) as (rest, grpc_target):
                probe = canary_server.GrpcProbe(grpc_target)
                try:
                    calls = {"rest": lambda batch: canary_server.rest_predict(
                                 rest, model_name, batch, output_names),
                             "grpc": lambda batch: probe.predict(model_name, batch)}
                    measured = {protocol: _probe(calls[protocol], inputs, expected, canary)
                                for protocol in PROTOCOLS}
                finally:
                    probe.close()
        except canary_server.CanaryError as error:
            return verdict | {"why": str(error)}
        finally:
            if os.path.exists(log_path):
                tf.io.gfile.copy(log_path, os.path.join(work_dir, "server.log"), overwrite=True)
    verdict["max_abs_difference"] = {p: measured[p][0] for p in PROTOCOLS}
    verdict["latency_ms"] = {p: measured[p][1] for p in PROTOCOLS}
    return decide(verdict, canary)


def decide(verdict: dict, canary: CanaryConfig) -> dict:
    """`verdict` (with its measurements) blessed or refused under `canary`'s bounds, and why."""
    differences, latencies = verdict["max_abs_difference"], verdict["latency_ms"]
    reasons = [f"{p.upper()} answers differ from the in-process SavedModel by up to "
               f"{differences[p]:.3g} (tolerance {canary.tolerance:g})"
               for p in PROTOCOLS if not differences[p] <= canary.tolerance]
    reasons += [f"the slowest {p.upper()} request took {latencies[p]:.0f} ms (bound "
                f"{canary.max_latency_ms:g} ms)"
                for p in PROTOCOLS if latencies[p] > canary.max_latency_ms]
    return verdict | {"blessed": not reasons, "why": "; ".join(reasons) or "canary passed",
                      "tolerance": canary.tolerance, "max_latency_ms": canary.max_latency_ms}


def _probe(call, inputs, expected, canary: CanaryConfig) -> tuple[float, float]:
    """(max |difference|, slowest request in ms) of one protocol; a warm-up call goes first."""
    batches = _batches(inputs, canary.batch_size)
    call(batches[0])  # warm-up: the first call traces the graph; it is compared, not timed
    worst, slowest = 0.0, 0.0
    for batch, want in zip(batches, expected, strict=True):
        start = time.perf_counter()
        served = call(batch)
        slowest = max(slowest, (time.perf_counter() - start) * 1000)
        worst = max(worst, _max_difference(served, want))
    return worst, round(slowest, 1)


@tfx.dsl.components.component
def Canary(  # noqa: N802 (TFX component naming)
    model: tfx.dsl.components.InputArtifact[Model],
    examples: tfx.dsl.components.InputArtifact[Examples],
    upstream_blessing: tfx.dsl.components.InputArtifact[ModelBlessing],
    blessing: tfx.dsl.components.OutputArtifact[ModelBlessing],
    task: tfx.dsl.components.Parameter[str],
    split: tfx.dsl.components.Parameter[str],
    canary: tfx.dsl.components.Parameter[str],
    code_version: tfx.dsl.components.Parameter[str],
) -> None:
    """Blesses `model` when `upstream_blessing` did and the served model passes the canary.

    `canary` is the CanaryConfig as JSON; `code_version` (unused here) is the hash of the code
    this component and the server process run: a cache key.
    """
    config = CanaryConfig.from_dict(json.loads(canary))
    model_dir = path_utils.serving_model_path(model.uri, path_utils.is_old_model_artifact(model))
    records = canary_requests.read_split(examples, split, config.examples)
    inputs = tasks.load(tasks.get_task_spec(task).canary_inputs)(records, model_dir)
    verdict = judge(model_dir, inputs, task, config, blessing.uri)
    upstream_ok, upstream_why = blessing_lib.verdict(upstream_blessing, model)
    verdict["upstream"] = {"blessed": upstream_ok, "why": upstream_why}
    io_utils.write_string_file(os.path.join(blessing.uri, names.CANARY_FILE),
                               json.dumps(verdict, indent=2))
    blessing_lib.copy_model_properties(upstream_blessing, blessing, model)
    blessing.set_string_custom_property(names.CANARY_PROPERTY, json.dumps(verdict))
    blessing_lib.set_blessed(blessing, upstream_ok and verdict["blessed"])


def create_canary(cfg: PipelineConfig, model, examples, upstream_blessing, split: str):
    """The Canary for `cfg`: code version over this module, the task's adapter and `serve`."""
    adapter = tasks.module_of(tasks.get_task_spec(cfg.task).canary_inputs)
    return Canary(
        model=model, examples=examples, upstream_blessing=upstream_blessing, task=cfg.task,
        split=split, canary=json.dumps(dataclasses.asdict(cfg.canary), sort_keys=True),
        code_version=code_version(__name__, adapter, canary_server.SERVE_MODULE),
    ).with_id(names.CANARY)
