"""What each target's backend accepts, checked on the compiled spec before it is written.

Read from the sources (docs/kubeflow.md cites the files and the release):
- open-source KFP 2.x, `backend/src/v2/compiler/argocompiler/dag.go`: a task's executor must be
  a `container` or an `importer`; `resolver` fails ("resolver executors not implemented") and
  `customJob` too ("custom job executors is Google Cloud only").
- its pipeline root, `backend/src/v2/objectstore/config.go` (`ParseBucketPathToConfig`): a
  bucket URL of scheme gs://, s3://, minio:// or mem://; a file path does not parse.
- TFX's executors then read and write the artifact URIs under that root themselves, through
  TensorFlow's file systems (`tf.io.gfile`): the root's scheme must also be one the image's
  TensorFlow registers. With this lock that is gs:// only (no s3:// or minio:// file system).
- Vertex AI Pipelines: a Cloud Storage root (gs://).
- TFX's `KubeflowV2DagRunner` (step_builder.py) refuses an InfraValidator node.
"""

from __future__ import annotations

import re
from typing import Any

import tensorflow as tf
from tfx import v1 as tfx

TARGETS = ("kubeflow", "vertex")
# argocompiler/dag.go: the executor kinds `task()` compiles; any other kind is an error.
OSS_EXECUTOR_KINDS = frozenset({"container", "importer"})
# objectstore/config.go: the bucket schemes a pipeline root may have.
OSS_ROOT_SCHEMES = ("gs", "s3", "minio", "mem")
VERTEX_ROOT_SCHEMES = ("gs",)
_BUCKET = re.compile(r"^([a-z][a-z0-9]+)://([^/?]+)(/[^?]*)?$")
REFUSED_NODE_TYPES = (tfx.components.InfraValidator,)


def file_system_schemes() -> set[str]:
    """URL schemes TensorFlow's file systems open here (the image installs the same lock)."""
    return {scheme for scheme in tf.io.gfile.get_registered_schemes() if scheme}


def check_pipeline_root(target: str, root: str) -> None:
    """Raises ValueError unless `target`'s backend and TFX's executors can both use `root`."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; expected one of {TARGETS}")
    match = _BUCKET.match(root)
    allowed = OSS_ROOT_SCHEMES if target == "kubeflow" else VERTEX_ROOT_SCHEMES
    if match is None or match.group(1) not in allowed:
        raise ValueError(
            f"pipeline root {root!r}: {target} takes a bucket URL of scheme "
            f"{', '.join(s + '://' for s in allowed)} (a mounted path is not a KFP pipeline "
            "root; mount it for --data-root or --serving-root instead)")
    if match.group(1) not in file_system_schemes():
        raise ValueError(
            f"pipeline root {root!r}: TFX's executors write their artifacts through "
            f"TensorFlow, which has no {match.group(1)}:// file system in this image (it has "
            f"{', '.join(sorted(s + '://' for s in file_system_schemes()))}); use gs://")


def check_task_path(name: str, path: str) -> None:
    """A data or serving path the task pods read through TensorFlow: a URL it opens, or an
    absolute path (a volume mounted into every pod)."""
    scheme = path.split("://", 1)[0] if "://" in path else None
    if scheme is None and not path.startswith("/"):
        raise ValueError(f"{name} {path!r} must be absolute (a volume mounted in every pod) "
                         "or a gs:// URL")
    if scheme is not None and scheme not in file_system_schemes():
        raise ValueError(f"{name} {path!r}: TensorFlow has no {scheme}:// file system here")


def check_nodes(pipeline: tfx.dsl.Pipeline) -> None:
    """Raises ValueError on a node KubeflowV2DagRunner cannot compile (InfraValidator)."""
    refused = [node.id for node in pipeline.components if isinstance(node, REFUSED_NODE_TYPES)]
    if refused:
        raise ValueError(f"KubeflowV2DagRunner does not compile {refused} (InfraValidator)")


def executor_kinds(spec: dict[str, Any]) -> dict[str, str]:
    """{executor label: its kind (container, importer, resolver, customJob, ...)}."""
    return {label: next(iter(executor)) for label, executor in
            spec["deploymentSpec"]["executors"].items()}


def check_spec(target: str, spec: dict[str, Any]) -> None:
    """Raises ValueError when a compiled PipelineSpec holds what the backend refuses."""
    wrong = {label: kind for label, kind in executor_kinds(spec).items()
             if kind not in OSS_EXECUTOR_KINDS}
    if wrong:
        raise ValueError(f"executors the open-source KFP backend does not implement: {wrong}")
    check_pipeline_root(target, spec["defaultPipelineRoot"])
