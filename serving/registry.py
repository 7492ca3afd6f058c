"""Versioned models for the local server: polling, loading, version policy, labels.

Mirrors what tensorflow_model_server does with a model_config_list: every `poll_seconds` it
lists the numeric version folders under each model's base path (the Pusher's
<serving_root>/<model>/<version>/ layout), loads the versions its policy aspires to, and
unloads the others only once an aspired version is AVAILABLE (the availability-preserving
policy), so requests never find the model empty. Requests hold a reference to the version
they resolved, so an unload never interrupts them. States and messages follow TF Serving's
ServableStateMonitor and ServerCore.

Unlike TF Serving, a folder that appears while the server runs is loaded only once its file
list (names, sizes, mtimes) is unchanged over one poll: the Pusher copies versions in place,
and a half-copied folder must not be loaded. A version that failed to load is retried when
its files change.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Protocol

import numpy as np

from serving import errors
from serving.signatures import Signature, read_signatures

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class VersionPolicy:
    """Which versions to serve, as ModelConfig.model_version_policy: latest N, all, specific."""

    kind: str = "latest"  # "latest" | "all" | "specific"
    num_versions: int = 1  # latest
    versions: tuple[int, ...] = ()  # specific

    def __post_init__(self) -> None:
        if self.kind not in ("latest", "all", "specific"):
            raise ValueError(f"version policy {self.kind!r} is not latest, all or specific")
        if self.kind == "latest" and self.num_versions < 1:
            raise ValueError(f"latest num_versions {self.num_versions} must be >= 1")
        if self.kind == "specific" and not self.versions:
            raise ValueError("a specific version policy needs at least one version")

    def select(self, on_disk: list[int]) -> set[int]:
        """The aspired versions among those on disk."""
        if self.kind == "all":
            return set(on_disk)
        if self.kind == "specific":
            return set(on_disk) & set(self.versions)
        return set(sorted(on_disk)[-self.num_versions:])


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """One served model: name, folder of version folders, policy and version labels."""

    name: str
    base_path: str
    policy: VersionPolicy = VersionPolicy()
    labels: Mapping[str, int] = dataclasses.field(default_factory=dict)


class Servable(Protocol):
    """A loaded model version."""

    signatures: dict[str, Signature]

    def run(self, signature_name: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Runs one signature on validated inputs."""


class SavedModelServable:
    """A SavedModel version, called through its signatures' concrete functions."""

    def __init__(self, path: str):
        import tensorflow as tf

        self._tf = tf
        self.signatures = read_signatures(path)
        self._model = tf.saved_model.load(path)
        self._functions = dict(self._model.signatures)

    def run(self, signature_name: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Calls the signature; TensorFlow's runtime errors keep their code and message."""
        function = self._functions.get(signature_name)
        if function is None:  # e.g. __saved_model_init_op: in the SignatureDefs, not callable
            raise errors.InvalidArgumentError(
                f'Serving signature key "{signature_name}" not found.', code="FAILED_PRECONDITION")
        try:
            outputs = function(**{name: self._tf.constant(value)
                                  for name, value in inputs.items()})
        except self._tf.errors.OpError as error:
            raise errors.from_code(errors.CODE_NAMES[error.error_code], error.message) from None
        return {name: tensor.numpy() for name, tensor in outputs.items()}


@dataclasses.dataclass
class _Version:
    path: str
    state: str = "START"  # START, LOADING, AVAILABLE, UNLOADING, END (ModelVersionStatus)
    code: str = "OK"
    message: str = ""
    servable: Servable | None = None
    files: tuple | None = None  # file snapshot at the last load attempt


def _snapshot(path: str) -> tuple:
    files = []
    for folder, _, names in os.walk(path):
        for name in names:
            try:
                stat = os.stat(os.path.join(folder, name))
            except OSError:  # removed while listing: not settled
                continue
            files.append((os.path.relpath(os.path.join(folder, name), path), stat.st_size,
                          stat.st_mtime_ns))
    return tuple(sorted(files))


def versions_on_disk(base_path: str) -> dict[int, str]:
    """Version number -> folder, for the numeric folders under a model's base path."""
    try:
        names = os.listdir(base_path)
    except OSError:
        return {}
    return {int(name): os.path.join(base_path, name) for name in names
            if name.isdigit() and os.path.isdir(os.path.join(base_path, name))}


class ModelRegistry:
    """The models and versions the local server answers for."""

    def __init__(self, configs: list[ModelConfig], poll_seconds: float = 1.0,
                 loader: Callable[[str], Servable] = SavedModelServable):
        names = [config.name for config in configs]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must be unique, got {names}")
        self.configs = {config.name: config for config in configs}
        self.poll_seconds = poll_seconds
        self._loader = loader
        self._lock = threading.Lock()
        self._versions: dict[str, dict[int, _Version]] = {name: {} for name in names}
        self._pending: dict[tuple[str, int], tuple] = {}  # snapshots of unsettled folders
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Loads what is on disk now, then polls in a background thread."""
        self.poll(settle=False)
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll_loop, name="model-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _poll_loop(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.poll()
            except Exception:  # keep serving what is loaded; report and poll again
                LOG.exception("polling the model folders failed")

    def poll(self, settle: bool = True) -> None:
        """One pass: load new aspired versions, then unload the versions no longer aspired."""
        for config in self.configs.values():
            on_disk = versions_on_disk(config.base_path)
            aspired = config.policy.select(list(on_disk))
            for version in sorted(aspired, reverse=True):
                self._maybe_load(config.name, version, on_disk[version], settle)
            with self._lock:
                entries = self._versions[config.name]
                keep = any(entries[v].state == "AVAILABLE" for v in aspired if v in entries)
                retire = [v for v, entry in entries.items() if entry.state == "AVAILABLE"
                          and v not in aspired and (keep or v not in on_disk)]
                for version in retire:
                    entries[version].state = "UNLOADING"
            for version in retire:
                self._unload(config.name, version)

    def _maybe_load(self, name: str, version: int, path: str, settle: bool) -> None:
        with self._lock:
            entry = self._versions[name].get(version)
            if entry is not None and entry.state in ("LOADING", "AVAILABLE", "UNLOADING"):
                return
        files = _snapshot(path)
        if entry is not None and entry.code != "OK" and entry.files == files:
            return  # failed to load, and unchanged since
        if settle and self._pending.get((name, version)) != files:
            self._pending[(name, version)] = files  # load once unchanged for one poll
            return
        self._pending.pop((name, version), None)
        with self._lock:
            entry = self._versions[name][version] = _Version(path, "LOADING", files=files)
        LOG.info("Loading servable: {name: %s version: %d} from %s", name, version, path)
        try:
            servable = self._loader(path)
        except Exception as error:  # any load failure: END with the error, as TF Serving
            LOG.error("Loading servable: {name: %s version: %d} failed: %s", name, version, error)
            with self._lock:
                entry.state, entry.code, entry.message = "END", "UNKNOWN", str(error)
            return
        with self._lock:
            entry.servable, entry.state = servable, "AVAILABLE"
        LOG.info("Successfully loaded servable version {name: %s version: %d}", name, version)

    def _unload(self, name: str, version: int) -> None:
        with self._lock:
            entry = self._versions[name][version]
            entry.servable, entry.state = None, "END"  # in-flight requests keep their reference
        LOG.info("Unloaded servable version {name: %s version: %d}", name, version)

    def resolve(self, name: str, version: int | None = None,
                label: str | None = None) -> tuple[int, Servable]:
        """The version a request is served by: the given one, the label's, or the latest.

        Raises:
          NotFoundError: unknown model, or the version is not AVAILABLE.
          InvalidArgumentError: unknown version label.
        """
        if label is not None:
            version = self._label_version(name, label)
        with self._lock:
            entries = self._versions.get(name, {})
            if version is None:
                available = [v for v, entry in entries.items() if entry.state == "AVAILABLE"]
                if available:
                    return max(available), entries[max(available)].servable
                raise errors.NotFoundError(f"Servable not found for request: Latest({name})")
            entry = entries.get(version)
            if entry is None or entry.state != "AVAILABLE":
                raise errors.NotFoundError(
                    f"Servable not found for request: Specific({name}, {version})")
            return version, entry.servable

    def _label_version(self, name: str, label: str) -> int:
        config = self.configs.get(name)
        if config is None or label not in config.labels:
            raise errors.InvalidArgumentError(f"Unrecognized servable version label: {label}")
        return config.labels[label]

    def status(self, name: str, version: int | None = None,
               label: str | None = None) -> list[tuple[int, str, str, str]]:
        """(version, state, error code, error message) of one or all versions of a model.

        Raises:
          NotFoundError: unknown model or version, with GetModelStatus's messages.
        """
        if label is not None:
            version = self._label_version(name, label)
        with self._lock:
            entries = dict(self._versions.get(name, {}))
        if version is not None:
            if version not in entries:
                raise errors.NotFoundError(f"Could not find version {version} of model {name}")
            entries = {version: entries[version]}
        if not entries:
            raise errors.NotFoundError(f"Could not find any versions of model {name}")
        return [(v, e.state, e.code, e.message) for v, e in sorted(entries.items())]
