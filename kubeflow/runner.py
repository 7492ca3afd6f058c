"""Compiles `create_pipeline(cfg)` into a KFP v2 spec with KubeflowV2DagRunner, for a target.

The graph is the local runner's: only the runner, the paths and two runtime parameters differ.
Targets (kubeflow/constraints.py): `kubeflow`, open-source Kubeflow Pipelines 2.x, and
`vertex`, Vertex AI Pipelines. The spec is the same for both (container and importer executors
only: the Evaluator's baseline comes from components/baseline.py, not a resolver); the targets
differ in the pipeline roots their backends take, checked with the spec before it is written.

Runtime parameters. TFX 1.16 substitutes a `RuntimeParameter` only where it stands for a whole
execution property: ExampleGen's `input_base` (a str) can be one, but a parameter nested inside a
`custom_config` dict is JSON-dumped as an opaque object and never replaced, and Transform dumps
even a whole-`custom_config` parameter. So the per-run values are:

* `data_root` (STRING): ExampleGen's `input_base`, the data folder on the cluster.
* `trainer_custom_config` (STRING): the Trainer's whole `custom_config` JSON
  (`{"train": TrainConfig, "request": {"model", "overrides"}, "code_version": ...}`); epochs,
  model, batch size and the other training settings change per run through it.
  `parameter_values()` builds a value with the one resolver (trainer/resolver.py), and the
  Trainer re-checks it at run start (`checked_train_config`), failing with a clear error.

TFX's builder drops a RuntimeParameter's default and description; `compile_pipeline` passes the
defaults as `runtimeConfig.parameterValues` (Vertex AI merges user values over them) and writes
them into the root `inputDefinitions` (`defaultValue`, `isOptional`), where Kubeflow Pipelines
looks for them. It also sets `defaultPipelineRoot`. The output holds no timestamp or run id: the
same config, code and lock compile to the same bytes. The baseline picker's task has KFP
caching off (pipeline.NEVER_CACHED): it reads the push destination, outside its inputs.
"""

from __future__ import annotations

import json
import os
from typing import Any

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
from tfx import v1 as tfx
from tfx.dsl.io import fileio
from tfx.orchestration.kubeflow.v2 import compiler_utils
from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner as v2_runner
from tfx.utils import json_utils

from core import tasks
from core.config import PipelineConfig
from kubeflow import constraints
from pipeline.pipeline import (
    NEVER_CACHED,
    RuntimeParameters,
    create_pipeline,
    trainer_custom_config,
)
from trainer import resolver

DATA_ROOT = "data_root"
TRAINER_CUSTOM_CONFIG = "trainer_custom_config"


def runtime_parameters(cfg: PipelineConfig,
                       request: dict[str, Any] | None = None) -> RuntimeParameters:
    """The pipeline's runtime parameters, with `cfg`'s values as defaults.

    Args:
      request: what `cfg.train` was resolved from (`resolver.request(model, overrides)`, as
        `compile` passes it); default: `resolver.request_for(cfg.train)`.
    """
    custom_config = {**trainer_custom_config(cfg.train),
                     resolver.REQUEST_KEY: request or resolver.request_for(cfg.train)}
    return RuntimeParameters(
        data_root=tfx.dsl.experimental.RuntimeParameter(
            name=DATA_ROOT, ptype=str, default=cfg.data_root,
            description="Raw data folder on the cluster (ExampleGen input_base)."),
        trainer_custom_config=tfx.dsl.experimental.RuntimeParameter(
            name=TRAINER_CUSTOM_CONFIG, ptype=str,
            # The string the local runner passes: Trainer json_utils.dumps its dict.
            default=json_utils.dumps(custom_config),
            description='Trainer custom_config JSON, {"train": TrainConfig, "request": ..., '
                        '"code_version": ...}; build it with kubeflow.runner.parameter_values() '
                        '(the Trainer re-checks it at run start).'),
    )


def build_pipeline_job(cfg: PipelineConfig, image: str, target: str = "kubeflow",
                       request: dict[str, Any] | None = None) -> dict[str, Any]:
    """Compiles `cfg`'s pipeline into a PipelineJob dict (pipelineSpec + runtimeConfig).

    Args:
      cfg: the same config the local runner takes; `cfg.data_root` and `cfg.output_dir` are
        cluster paths (gs://..., /mnt/...) and are not resolved or read here.
      image: container image of every component (see kubeflow/Dockerfile).
      target: "kubeflow" (open-source KFP 2.x) or "vertex" (Vertex AI Pipelines).
      request: what `cfg.train` was resolved from (see `runtime_parameters`).

    Raises:
      ValueError: a pipeline root, data or serving path, node or executor the target's
        backend does not take (kubeflow/constraints.py).
    """
    constraints.check_pipeline_root(target, cfg.pipeline_root)
    constraints.check_task_path("data root", cfg.data_root)
    constraints.check_task_path("serving root", cfg.push_dir)
    parameters = runtime_parameters(cfg, request)
    declared = [parameters.data_root, parameters.trainer_custom_config]
    pipeline = create_pipeline(cfg, runtime=parameters)
    constraints.check_nodes(pipeline)
    runner = v2_runner.KubeflowV2DagRunner(
        config=v2_runner.KubeflowV2DagRunnerConfig(
            default_image=image,
            # Schema 2.1 (parameterType, parameterValues) is what KFP 2.x backends expect;
            # Vertex AI accepts it too.
            use_pipeline_spec_2_1=True))
    job = runner.run(pipeline, parameter_values={p.name: p.default for p in declared},
                     write_out=False)

    spec = pipeline_spec_pb2.PipelineSpec()
    json_format.ParseDict(job["pipelineSpec"], spec)  # strict: fails on unknown fields
    for parameter in declared:
        definition = spec.root.input_definitions.parameters[parameter.name]
        definition.default_value.CopyFrom(compiler_utils.get_google_value(parameter.default))
        definition.is_optional = True
        definition.description = parameter.description
    spec.default_pipeline_root = cfg.pipeline_root
    for name, task in spec.root.dag.tasks.items():
        if name in NEVER_CACHED:
            task.ClearField("caching_options")  # KFP: run it every time
    job["pipelineSpec"] = json_format.MessageToDict(spec)
    constraints.check_spec(target, job["pipelineSpec"])
    return job


def write_spec(job: dict[str, Any], output: str) -> None:
    """Writes the PipelineJob as JSON, or (for .yaml/.yml) its PipelineSpec as YAML.

    JSON is what `aiplatform.PipelineJob(template_path=...)` takes; `kfp.Client` reads only
    .yaml/.yml/.zip/.tar.gz packages holding a PipelineSpec.
    """
    parent = os.path.dirname(output)
    if parent:
        fileio.makedirs(parent)
    with fileio.open(output, "w") as handle:
        if output.endswith((".yaml", ".yml")):
            handle.write(f"# PIPELINE DEFINITION\n# Name: {job['displayName']}\n")
            handle.write(yaml.safe_dump(job["pipelineSpec"], sort_keys=True))
        else:
            handle.write(json.dumps(job, indent=2, sort_keys=True) + "\n")


def compile_pipeline(cfg: PipelineConfig, image: str, output: str, target: str = "kubeflow",
                     request: dict[str, Any] | None = None) -> dict[str, Any]:
    """Compiles `cfg`'s pipeline for `target` and writes it to `output` (.json, or .yaml)."""
    job = build_pipeline_job(cfg, image, target, request)
    write_spec(job, output)
    return job


def parameter_values(spec: dict[str, Any], *, data_root: str | None = None,
                     **overrides: Any) -> dict[str, str]:
    """Runtime parameter values for one run of a compiled pipeline, checked before submission.

    The compiled request (model and the compile's overrides) is updated with the given ones and
    resolved by the one resolver `run` and `compile` use (`trainer.resolver.train_config`): a
    new `model` gets its zoo defaults under the overrides, and the representation and window
    checks apply, e.g. `parameter_values(spec, epochs=3, model="imdb_bilstm")`. The task and the
    TrainConfig parts that shape the data (text, window: what Transform and the windows read)
    must stay as compiled: changing them needs a new compile.

    Raises:
      ValueError: unknown or fixed setting, invalid value, a model of another task, or a model
        whose settings differ from the compiled data parts.
    """
    definitions = spec["root"]["inputDefinitions"]["parameters"]
    custom_config = json.loads(definitions[TRAINER_CUSTOM_CONFIG]["defaultValue"])
    compiled = resolver.checked_train_config(custom_config)
    task = tasks.get_task_spec(compiled.task)
    fixed_parts = sorted({*task.train_parts, *task.transform_config_keys})
    fixed = ({"task", *fixed_parts} | {field for part in fixed_parts
                                        for field in resolver.PART_FIELDS.get(part, ())})
    refused = sorted(fixed & set(overrides))
    if refused:
        raise ValueError(f"{refused} are fixed at compile time (the data and Transform "
                         "depend on them); compile again to change them")
    asked = custom_config[resolver.REQUEST_KEY]
    model = overrides.pop("model", asked["model"])
    request = resolver.request(model, {**asked["overrides"], **overrides})
    train = resolver.train_config(compiled.task, model, request["overrides"])
    changed = [part for part in fixed_parts if getattr(train, part) != getattr(compiled, part)]
    if changed:
        raise ValueError(
            f"{train.model} resolves to other {', '.join(changed)} settings than the "
            f"compiled ones ({', '.join(f'{p}: {getattr(train, p)}' for p in changed)} vs "
            f"{', '.join(f'{p}: {getattr(compiled, p)}' for p in changed)}); compile again "
            "with this model")
    custom_config.update({"train": train.to_dict(), resolver.REQUEST_KEY: request})
    return {
        DATA_ROOT: data_root or definitions[DATA_ROOT]["defaultValue"],
        TRAINER_CUSTOM_CONFIG: json_utils.dumps(custom_config),
    }


def executor_kinds(job: dict[str, Any]) -> dict[str, str]:
    """{executor label: kind} of a compiled PipelineJob (container, importer, ...)."""
    return constraints.executor_kinds(job["pipelineSpec"])


def load_spec(path: str) -> dict[str, Any]:
    """The PipelineSpec dict of a compiled file, .json (PipelineJob) or .yaml (PipelineSpec)."""
    with fileio.open(path) as handle:
        text = handle.read()
    if path.endswith((".yaml", ".yml")):
        return yaml.safe_load(text)
    return json.loads(text)["pipelineSpec"]
