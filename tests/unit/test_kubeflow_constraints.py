"""Every compiled spec against what its backend accepts, read from the backends' sources.

- kubeflow/pipelines 2.x `backend/src/v2/compiler/argocompiler/dag.go`, `task()`: a task's
  executor is compiled only if it is a `container` or an `importer`; `resolver` fails with
  "resolver executors not implemented", `customJob` with "custom job executors is Google Cloud
  only, it's not supported".
- `backend/src/v2/objectstore/config.go`, `ParseBucketPathToConfig`: the pipeline root must
  match `(^[a-z][a-z0-9]+:///?)([^/?]+)(/[^?]*)?(\\?.+)?$` with scheme gs, s3, minio or mem.
- TFX's executors open the artifact URIs under that root with TensorFlow's file systems, so the
  scheme must also be registered in this TensorFlow (the image installs the same lock).
- Vertex AI: a gs:// root. TFX's KubeflowV2DagRunner raises NotImplementedError on an
  InfraValidator (kubeflow/v2/step_builder.py).

These constants are the sources' rules, not kubeflow/constraints.py's: the spec is checked
against them, and the compile's own check is tested to refuse what they refuse.
"""

from __future__ import annotations

import argparse
import re

import pytest
import tensorflow as tf

from cli import compile as kubeflow_compile
from cli.exit_codes import ExitCode
from kubeflow import runner

IMAGE = "europe-docker.pkg.dev/my-project/pipelines/tfx-text:1.0"
OSS_EXECUTOR_KINDS = {"container", "importer"}  # dag.go: every other kind is an error
OSS_BUCKET = re.compile(r"(^[a-z][a-z0-9]+:///?)([^/?]+)(/[^?]*)?(\?.+)?$")  # config.go
OSS_SCHEMES = {"gs://", "s3://", "minio://", "mem://"}
VERTEX_SCHEMES = {"gs://"}
SPECS = [(task, target) for task in ("imdb", "jena") for target in ("kubeflow", "vertex")]


def parse_args(task: str, target: str, root: str, output) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    kubeflow_compile.add_arguments(parser)
    return parser.parse_args(["--target", target, "--task", task, "--image", IMAGE,
                              "--pipeline-root", root, "--data-root", "gs://my-bucket/data",
                              "--output", str(output), "--epochs", "2"])


@pytest.fixture(scope="module", params=SPECS, ids=[f"{t}-{g}" for t, g in SPECS])
def compiled(request, tmp_path_factory):
    """(target, PipelineSpec dict) compiled by the CLI, as written to disk."""
    task, target = request.param
    suffix = "yaml" if target == "kubeflow" else "json"  # kfp.Client reads YAML packages
    output = tmp_path_factory.mktemp(f"{task}-{target}") / f"pipeline.{suffix}"
    args = parse_args(task, target, "gs://my-bucket/tfx-text", output)
    assert kubeflow_compile.run(args) == ExitCode.OK
    return target, runner.load_spec(str(output))


def test_every_executor_is_a_kind_the_oss_backend_compiles(compiled):
    _, spec = compiled
    executors = spec["deploymentSpec"]["executors"]
    assert executors
    for label, executor in executors.items():
        (kind,) = executor  # ExecutorSpec is a oneof
        assert kind != "resolver", f"{label}: resolver executors not implemented (dag.go)"
        assert kind != "customJob", f"{label}: custom job executors is Google Cloud only"
        assert kind in OSS_EXECUTOR_KINDS, (label, kind)


def test_every_component_runs_an_executor_and_no_infra_validator(compiled):
    _, spec = compiled
    executors = spec["deploymentSpec"]["executors"]
    for name, component in spec["components"].items():
        assert "dag" not in component, name  # TFX emits no sub-DAGs here
        args = executors[component["executorLabel"]].get("container", {}).get("args", [])
        assert "infra_validator" not in " ".join(args), name


def test_pipeline_root_is_one_the_backend_and_the_executors_take(compiled):
    target, spec = compiled
    root = spec["defaultPipelineRoot"]
    match = OSS_BUCKET.match(root)
    assert match, root
    assert match.group(1) in (OSS_SCHEMES if target == "kubeflow" else VERTEX_SCHEMES)
    assert match.group(1).removesuffix("://") in tf.io.gfile.get_registered_schemes()


@pytest.mark.parametrize("target, root", [
    ("kubeflow", "minio://mlpipeline/v2/artifacts"),  # KFP's default: no TF file system
    ("kubeflow", "s3://my-bucket/tfx"),  # no s3 file system in this image's TensorFlow
    ("kubeflow", "/mnt/pipelines"),  # a path is no bucket URL (config.go)
    ("kubeflow", "file:///mnt/pipelines"),
    ("vertex", "s3://my-bucket/tfx"),
])
def test_compile_refuses_a_root_the_backend_or_the_executors_cannot_use(
        target, root, tmp_path, capsys):
    # What the sources say, checked here first, so the case is not just the compile's opinion.
    scheme = (OSS_BUCKET.match(root) or [None, None])[1]
    registered = {f"{s}://" for s in tf.io.gfile.get_registered_schemes() if s}
    assert scheme not in (OSS_SCHEMES if target == "kubeflow" else VERTEX_SCHEMES) & registered
    output = tmp_path / "pipeline.yaml"
    assert kubeflow_compile.run(parse_args("imdb", target, root, output)) == (
        ExitCode.BAD_CONFIG)
    assert "pipeline root" in capsys.readouterr().err
    assert not output.exists()


def test_kubeflow_v2_runner_refuses_an_infra_validator_and_so_does_the_check():
    from tfx import v1 as tfx
    from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner as v2_runner

    from kubeflow import constraints

    model = tfx.dsl.Importer(source_uri="gs://my-bucket/model",
                             artifact_type=tfx.types.standard_artifacts.Model).with_id("model")
    infra = tfx.components.InfraValidator(
        model=model.outputs["result"],
        serving_spec=tfx.proto.ServingSpec(
            tensorflow_serving=tfx.proto.TensorFlowServing(tags=["latest"]),
            local_docker=tfx.proto.LocalDockerConfig()))
    pipeline = tfx.dsl.Pipeline(pipeline_name="with-infra", pipeline_root="gs://my-bucket/r",
                                components=[model, infra])
    with pytest.raises(ValueError, match="InfraValidator"):
        constraints.check_nodes(pipeline)
    dag_runner = v2_runner.KubeflowV2DagRunner(
        config=v2_runner.KubeflowV2DagRunnerConfig(default_image=IMAGE))
    with pytest.raises(NotImplementedError, match="not supported"):
        dag_runner.run(pipeline, write_out=False)
