"""Executor for TFX's standard Pusher that makes a pushed model version appear only complete.

TFX's own executor copies the SavedModel file by file straight into <base>/<version>/
(saved_model.pb last), so a model server polling <base> can list the version half copied. This one
runs that same executor (blessing check, versioning, archive copy, output properties) with the
push destination pointed at a staging folder `<base>/.push-<random>/`, then publishes the
finished `<version>/` into <base>. The staging name is never taken for a version: TF Serving's
poller (file_system_storage_path_source.cc) and serving/registry.py load numeric names only.

- Local and other POSIX file systems: the staging folder is a sibling on the same file system,
  so publishing is one os.rename, which is atomic.
- Object stores (gs://, s3://, ...) have no rename, and a "folder" exists as soon as one object
  under its prefix does. The version is uploaded under the staging prefix, then copied object by
  object into <base>/<version>/ with saved_model.pb last, and the staging prefix deleted. TF
  Serving tries to load a version as soon as any object under its number exists; an attempt
  before saved_model.pb lands fails and is retried (--max_num_load_retries), and once
  saved_model.pb is there every other file is too. Uploads that die midway leave only staging
  debris, never a numeric half version.

Each version holds `assets.extra/pushed_from.json` (core/names.py): the Trainer Model artifact
it came from. When the newest version already holds the model being pushed (a rerun whose
Trainer was a cache hit), nothing is copied: the PushedModel points at that version and is
marked `unchanged`, so a model server does not reload the same model.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from typing import Any

from tfx import types
from tfx.components.pusher import executor as pusher_executor
from tfx.dsl.io import fileio
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils, proto_utils

from core import names

LOG = logging.getLogger(__name__)
STAGING_PREFIX = ".push-"
SAVED_MODEL = "saved_model.pb"


class Executor(pusher_executor.Executor):
    """TFX's Pusher executor, copying into a staging folder and publishing the whole version."""

    def Do(self, input_dict: dict[str, list[types.Artifact]],  # noqa: N802 (TFX's name)
           output_dict: dict[str, list[types.Artifact]], exec_properties: dict[str, Any]) -> None:
        key = standard_component_specs.PUSH_DESTINATION_KEY
        destination = proto_utils.json_to_proto(exec_properties[key],
                                                pusher_pb2.PushDestination())
        if destination.WhichOneof("destination") != "filesystem":
            return super().Do(input_dict, output_dict, exec_properties)
        base = destination.filesystem.base_directory
        model = artifact_utils.get_single_instance(
            input_dict[standard_component_specs.MODEL_KEY])
        pushed = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.PUSHED_MODEL_KEY])
        served = latest_version(base)
        if served and self.CheckBlessing(input_dict) and pushed_from(
                os.path.join(base, served)).get("model_uri") == model.uri:
            LOG.info("Model %s is already served as version %s; pushing nothing", model.uri,
                     served)
            self._MarkPushed(pushed, pushed_destination=os.path.join(base, served),
                             pushed_version=served)
            pushed.set_int_custom_property(names.PUSH_UNCHANGED_PROPERTY, 1)
            return None
        staging = os.path.join(base, STAGING_PREFIX + uuid.uuid4().hex)
        destination.filesystem.base_directory = staging
        try:
            super().Do(input_dict, output_dict,
                       {**exec_properties, key: proto_utils.proto_to_json(destination)})
            if pushed.get_int_custom_property("pushed"):
                version = pushed.get_string_custom_property("pushed_version")
                target = os.path.join(base, version)
                _write_pushed_from(os.path.join(staging, version), model)
                publish(os.path.join(staging, version), target)
                self._MarkPushed(pushed, pushed_destination=target, pushed_version=version)
        finally:
            if fileio.exists(staging):
                fileio.rmtree(staging)


def latest_version(base: str) -> str | None:
    """The newest numeric version folder under `base` (what TF Serving serves), or None."""
    if not fileio.isdir(base):
        return None
    numbers = [name.rstrip("/") for name in fileio.listdir(base) if name.rstrip("/").isdigit()]
    return max(numbers, key=int) if numbers else None


def pushed_from(version_dir: str) -> dict[str, Any]:
    """A pushed version's record of its Trainer model; {} for versions pushed without one."""
    path = os.path.join(version_dir, names.PUSHED_FROM_FILE)
    if not fileio.exists(path):
        return {}
    with fileio.open(path) as handle:
        return json.loads(handle.read())


def _write_pushed_from(version_dir: str, model: types.Artifact) -> None:
    path = os.path.join(version_dir, names.PUSHED_FROM_FILE)
    fileio.makedirs(os.path.dirname(path))
    with fileio.open(path, "w") as handle:
        handle.write(json.dumps({"model_uri": model.uri, "model_id": model.id}))


def publish(staged: str, target: str, atomic_rename: bool | None = None) -> bool:
    """Moves a complete version folder `staged` to `target` on the same file system.

    Args:
      staged: the finished version folder.
      target: <base>/<version>.
      atomic_rename: rename (local file systems) or copy with saved_model.pb last (object
        stores, and FUSE mounts of them, whose rename copies); default: by the path's scheme.

    Returns:
      False when `target` already exists (two pushes in one second: TFX's own executor skips
      the second too); the existing version is left as it is.
    """
    if fileio.exists(target):
        LOG.info("Version folder %s already exists; keeping it", target)
        return False
    if atomic_rename is None:
        atomic_rename = "://" not in target
    if atomic_rename:
        try:
            os.rename(staged, target)
        except OSError:
            if os.path.exists(target):  # another push won the race for this version
                return False
            raise
        return True
    io_utils.copy_dir(staged, target, deny_regex_patterns=[r"saved_model\.pb"])
    io_utils.copy_file(os.path.join(staged, SAVED_MODEL), os.path.join(target, SAVED_MODEL))
    return True
