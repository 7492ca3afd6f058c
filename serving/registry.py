"""The local server's models: version polling, loading and unloading.

As tensorflow_model_server with `latest { num_versions: N }`: every `poll_seconds` the numeric
version folders under each model's base path (the Pusher's <serving_root>/<model>/<version>/) are
listed, the newest N loaded, and older ones unloaded only once a newer one is AVAILABLE, so a
model is never left empty; a request keeps the servable it resolved. The Pusher renames finished
versions into place (components/atomic_push.py), so a folder is loaded as soon as it appears. A
version that fails to load stays END with its error.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

from serving import errors
from serving.signatures import DEFAULT_SIGNATURE, Signature, check_inputs, read_signatures

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """One served model: name, folder of versions, versions served, labels (models.config)."""

    name: str
    base_path: str
    num_versions: int = 1
    labels: Mapping[str, int] = dataclasses.field(default_factory=dict)


class SavedModelServable:
    """A loaded SavedModel version: `signatures` (Signature by name) and `run`.

    Tests load fakes with the same two members instead.
    """

    def __init__(self, path: str):
        import tensorflow as tf  # here: the registry tests, with fake models, need no TensorFlow

        self._tf = tf
        self.signatures = read_signatures(path)
        self._functions = dict(tf.saved_model.load(path).signatures)

    def run(self, signature_name: str, inputs: dict) -> dict:
        """Calls a signature on checked NumPy inputs; TF runtime errors keep code and message."""
        if signature_name not in self._functions:  # e.g. __saved_model_init_op
            raise errors.InvalidArgumentError(f"signature {signature_name!r} cannot be called")
        try:
            outputs = self._functions[signature_name](
                **{name: self._tf.constant(value) for name, value in inputs.items()})
        except self._tf.errors.OpError as error:
            raise errors.from_code(errors.CODE_NAMES[error.error_code], error.message) from None
        return {name: tensor.numpy() for name, tensor in outputs.items()}


def signature(servable, name: str) -> Signature:
    """A loaded version's signature by name ("" for serving_default)."""
    if (name or DEFAULT_SIGNATURE) not in servable.signatures:
        raise errors.InvalidArgumentError(
            f"the model has no signature {name!r}: {sorted(servable.signatures)}")
    return servable.signatures[name or DEFAULT_SIGNATURE]


def run(servable, signature_name: str, inputs: dict) -> dict:
    """Checks the tensors against the signature, then runs the model on them."""
    check_inputs(signature(servable, signature_name), inputs)
    return servable.run(signature_name or DEFAULT_SIGNATURE, inputs)


@dataclasses.dataclass
class _Version:
    state: str = "LOADING"  # then AVAILABLE, then END (ModelVersionStatus states)
    code: str = "OK"
    message: str = ""
    servable: Any = None


def versions_on_disk(base_path: str) -> list[int]:
    """The numeric version folders under a model's base path, oldest first."""
    try:
        names = os.listdir(base_path)
    except OSError:
        return []
    return sorted(int(name) for name in names
                  if name.isdigit() and os.path.isdir(os.path.join(base_path, name)))


class ModelRegistry:
    """The models and versions the local server answers for; `loader` opens a version folder."""

    def __init__(self, configs: list[ModelConfig], poll_seconds: float = 1.0,
                 loader: Callable[[str], Any] = SavedModelServable):
        names = [config.name for config in configs]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must be unique, got {names}")
        self.configs = {config.name: config for config in configs}
        self.poll_seconds, self._loader = poll_seconds, loader
        self._lock = threading.Lock()
        self._versions: dict[str, dict[int, _Version]] = {name: {} for name in names}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Loads what is on disk now, then polls in a background thread."""
        self.poll()
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

    def poll(self) -> None:
        """One pass: load the newest versions, then unload the versions no longer served."""
        for config in self.configs.values():
            on_disk = versions_on_disk(config.base_path)
            aspired = set(on_disk[-config.num_versions:])
            for version in sorted(aspired - set(self._versions[config.name]), reverse=True):
                self._load(config, version)
            with self._lock:
                entries = self._versions[config.name]
                keep = any(entries[v].state == "AVAILABLE" for v in aspired if v in entries)
                for version, entry in entries.items():
                    if entry.state == "AVAILABLE" and version not in aspired and (
                            keep or version not in on_disk):
                        entry.servable, entry.state = None, "END"  # requests keep theirs
                        LOG.info("Unloaded %s version %d", config.name, version)

    def _load(self, config: ModelConfig, version: int) -> None:
        path = os.path.join(config.base_path, str(version))
        with self._lock:
            entry = self._versions[config.name][version] = _Version()
        LOG.info("Loading %s version %d from %s", config.name, version, path)
        try:
            servable = self._loader(path)
        except Exception as error:  # any load failure: END with the error, as TF Serving
            LOG.error("Loading %s version %d failed: %s", config.name, version, error)
            with self._lock:
                entry.state, entry.code, entry.message = "END", "UNKNOWN", str(error)
            return
        with self._lock:
            entry.servable, entry.state = servable, "AVAILABLE"

    def resolve(self, name: str, version: int | None = None):
        """(version, servable) for a request: the given version, or the latest; NotFoundError
        for an unknown model or a version that is not AVAILABLE."""
        with self._lock:
            entries = self._versions.get(name, {})
            available = [v for v, entry in entries.items() if entry.state == "AVAILABLE"]
            if version is None and available:
                version = max(available)
            if version not in available:
                wanted = f"Latest({name})" if version is None else f"Specific({name}, {version})"
                raise errors.NotFoundError(f"Servable not found for request: {wanted}")
            return version, entries[version].servable

    def status(self, name: str, version: int | None = None) -> list[tuple[int, str, str, str]]:
        """(version, state, error code, error message) of one or all versions; NotFoundError
        for an unknown model or version."""
        with self._lock:
            entries = dict(self._versions.get(name, {}))
        if version is not None:
            entries = {version: entries[version]} if version in entries else {}
        if not entries:
            which = "any versions" if version is None else f"version {version}"
            raise errors.NotFoundError(f"Could not find {which} of model {name}")
        return [(v, e.state, e.code, e.message) for v, e in sorted(entries.items())]
