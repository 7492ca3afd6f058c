"""Compiles `create_pipeline(cfg)` into a Kubeflow Pipelines v2 spec with KubeflowV2DagRunner.

The graph is the local runner's: only the runner, the paths and two runtime parameters differ.

Runtime parameters. TFX 1.16 substitutes a `RuntimeParameter` only where it stands for a whole
execution property: ExampleGen's `input_base` (a str) can be one, but a parameter nested inside a
`custom_config` dict is JSON-dumped as an opaque object and never replaced, and Transform dumps
even a whole-`custom_config` parameter. So the per-run values are:

* `data_root` (STRING): ExampleGen's `input_base`, the data folder on the cluster.
* `trainer_custom_config` (STRING): the Trainer's whole `custom_config` JSON
  (`{"train": TrainConfig, "code_version": ...}`); epochs, model, batch size and the other
  training settings change per run through it. `parameter_values()` builds a validated value.

TFX's builder drops a RuntimeParameter's default and description; `compile_pipeline` passes the
defaults as `runtimeConfig.parameterValues` (Vertex AI merges user values over them) and writes
them into the root `inputDefinitions` (`defaultValue`, `isOptional`), where Kubeflow Pipelines
looks for them. It also sets `defaultPipelineRoot`. The output holds no timestamp or run id: the
same config, code and lock compile to the same bytes.
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
from core.config import PipelineConfig, TrainConfig
from pipeline.pipeline import RuntimeParameters, create_pipeline, trainer_custom_config
from trainer import models

DATA_ROOT = "data_root"
TRAINER_CUSTOM_CONFIG = "trainer_custom_config"


def runtime_parameters(cfg: PipelineConfig) -> RuntimeParameters:
    """The pipeline's runtime parameters, with `cfg`'s values as defaults."""
    return RuntimeParameters(
        data_root=tfx.dsl.experimental.RuntimeParameter(
            name=DATA_ROOT, ptype=str, default=cfg.data_root,
            description="Raw data folder on the cluster (ExampleGen input_base)."),
        trainer_custom_config=tfx.dsl.experimental.RuntimeParameter(
            name=TRAINER_CUSTOM_CONFIG, ptype=str,
            # The string the local runner passes: Trainer json_utils.dumps its dict.
            default=json_utils.dumps(trainer_custom_config(cfg.train)),
            description='Trainer custom_config JSON, {"train": TrainConfig, "code_version": '
                        '...}; build it with kubeflow.runner.parameter_values().'),
    )


def build_pipeline_job(cfg: PipelineConfig, image: str) -> dict[str, Any]:
    """Compiles `cfg`'s pipeline into a PipelineJob dict (pipelineSpec + runtimeConfig).

    Args:
      cfg: the same config the local runner takes; `cfg.data_root` and `cfg.output_dir` are
        cluster paths (gs://..., /mnt/...) and are not resolved or read here.
      image: container image of every component (see kubeflow/Dockerfile).
    """
    parameters = runtime_parameters(cfg)
    declared = [parameters.data_root, parameters.trainer_custom_config]
    pipeline = create_pipeline(cfg, runtime=parameters)
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
    job["pipelineSpec"] = json_format.MessageToDict(spec)
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


def compile_pipeline(cfg: PipelineConfig, image: str, output: str) -> dict[str, Any]:
    """Compiles `cfg`'s pipeline and writes it to `output` (.json, or .yaml for kfp.Client)."""
    job = build_pipeline_job(cfg, image)
    write_spec(job, output)
    return job


def resolver_tasks(job: dict[str, Any]) -> list[str]:
    """Tasks run by a `resolver` executor, which only Vertex AI Pipelines implements.

    The open-source KFP 2.x backend accepts container and importer executors only, so a spec
    with resolver tasks (the Evaluator's latest-blessed-model baseline) runs on Vertex AI.
    """
    executors = job["pipelineSpec"]["deploymentSpec"]["executors"]
    return sorted(label.removesuffix("_executor") for label, executor in executors.items()
                  if "resolver" in executor)


def parameter_values(spec: dict[str, Any], *, data_root: str | None = None,
                     **train_overrides: Any) -> dict[str, str]:
    """Runtime parameter values for one run of a compiled pipeline, validated before submission.

    Starts from the defaults compiled into the PipelineSpec (`load_spec`) and changes the given
    TrainConfig fields, e.g. `parameter_values(spec, epochs=3, model="imdb_bilstm")`. The task
    and the TrainConfig parts that shape the data (the task's `train_parts`, what Transform
    reads) stay as compiled: changing them needs a new compile.

    Raises:
      ValueError: unknown or fixed field, invalid value, or a model of another task.
    """
    definitions = spec["root"]["inputDefinitions"]["parameters"]
    custom_config = json.loads(definitions[TRAINER_CUSTOM_CONFIG]["defaultValue"])
    train = dict(custom_config["train"])
    task = tasks.get_task_spec(train["task"])
    fixed = {"task", *task.train_parts, *task.transform_config_keys} & set(train_overrides)
    if fixed:
        raise ValueError(f"{sorted(fixed)} are fixed at compile time (the data and Transform "
                         "depend on them); compile again to change them")
    train.update(train_overrides)
    config = TrainConfig.from_dict(train)  # rejects unknown fields and invalid values
    models.get_model_spec(config.model, config.task)
    custom_config["train"] = config.to_dict()
    return {
        DATA_ROOT: data_root or definitions[DATA_ROOT]["defaultValue"],
        TRAINER_CUSTOM_CONFIG: json_utils.dumps(custom_config),
    }


def load_spec(path: str) -> dict[str, Any]:
    """The PipelineSpec dict of a compiled file, .json (PipelineJob) or .yaml (PipelineSpec)."""
    with fileio.open(path) as handle:
        text = handle.read()
    if path.endswith((".yaml", ".yml")):
        return yaml.safe_load(text)
    return json.loads(text)["pipelineSpec"]
