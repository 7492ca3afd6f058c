"""Version polling and availability-preserving swaps, with fake models."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

from serving import errors
from serving.registry import ModelConfig, ModelRegistry
from serving.signatures import Signature, TensorInfo

SIGNATURE = Signature(inputs={"text": TensorInfo("text:0", "DT_STRING", (-1,))},
                      outputs={"probability": TensorInfo("p:0", "DT_FLOAT", (-1,))})


class FakeServable:
    """Loads any folder, unless it holds a file named `fail`."""

    def __init__(self, path: str):
        if os.path.exists(os.path.join(path, "fail")):
            raise ValueError(f"corrupt SavedModel in {path}")
        self.version = int(os.path.basename(path))
        self.signatures = {"serving_default": SIGNATURE}

    def run(self, signature_name, inputs):
        return {"probability": np.full(len(inputs["text"]), self.version, np.float32)}


def push(base: pathlib.Path, version: int, fail: bool = False) -> None:
    folder = base / str(version)
    folder.mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"x")
    if fail:
        (folder / "fail").write_text("broken")


def registry_for(tmp_path, versions, num_versions=1) -> ModelRegistry:
    for version in versions:
        push(tmp_path / "imdb", version)
    config = ModelConfig("imdb", str(tmp_path / "imdb"), num_versions)
    registry = ModelRegistry([config], poll_seconds=3600, loader=FakeServable)
    registry.poll()
    return registry


def states(registry: ModelRegistry) -> dict[int, str]:
    return {version: state for version, state, _, _ in registry.status("imdb")}


def test_latest_policy_loads_only_the_newest_version(tmp_path):
    registry = registry_for(tmp_path, [3, 12])
    assert states(registry) == {12: "AVAILABLE"}
    assert registry.resolve("imdb")[0] == 12
    assert registry.status("imdb", 12) == [(12, "AVAILABLE", "OK", "")]


def test_a_new_version_replaces_the_old_one_on_the_next_poll(tmp_path):
    registry = registry_for(tmp_path, [3])
    version, old = registry.resolve("imdb")
    push(tmp_path / "imdb", 4)
    registry.poll()
    assert states(registry) == {3: "END", 4: "AVAILABLE"}
    assert registry.resolve("imdb")[0] == 4
    # a request that resolved version 3 before the swap still completes
    assert old.run("serving_default", {"text": np.array([b"x"])})["probability"][0] == 3
    with pytest.raises(errors.NotFoundError, match=r"Specific\(imdb, 3\)"):
        registry.resolve("imdb", 3)


def test_a_failed_load_keeps_the_old_version_served_and_is_not_retried(tmp_path):
    registry = registry_for(tmp_path, [3])
    push(tmp_path / "imdb", 4, fail=True)
    registry.poll()
    (version, state, code, message), = registry.status("imdb", 4)
    assert (state, code) == ("END", "UNKNOWN") and "corrupt SavedModel" in message
    assert registry.resolve("imdb")[0] == 3
    (tmp_path / "imdb" / "4" / "fail").unlink()
    registry.poll()
    assert states(registry) == {3: "AVAILABLE", 4: "END"}


def test_removing_the_newest_version_brings_back_the_previous_one(tmp_path):
    registry = registry_for(tmp_path, [3, 4])
    (tmp_path / "imdb" / "4" / "saved_model.pb").unlink()
    (tmp_path / "imdb" / "4").rmdir()
    registry.poll()
    assert states(registry) == {3: "AVAILABLE", 4: "END"}


def test_latest_two_keeps_two_versions_served(tmp_path):
    registry = registry_for(tmp_path, [3, 4, 5], num_versions=2)
    assert states(registry) == {4: "AVAILABLE", 5: "AVAILABLE"}
    assert registry.resolve("imdb", 4)[0] == 4
    with pytest.raises(errors.NotFoundError, match=r"Servable not found for request: "
                                                   r"Specific\(imdb, 3\)"):
        registry.resolve("imdb", 3)


def test_unknown_models_and_versions_get_tf_serving_errors(tmp_path):
    registry = registry_for(tmp_path, [3])
    with pytest.raises(errors.NotFoundError, match=r"Servable not found for request: Latest\(x\)"):
        registry.resolve("x")
    with pytest.raises(errors.NotFoundError, match="Could not find any versions of model x"):
        registry.status("x")
    with pytest.raises(errors.NotFoundError, match="Could not find version 9 of model imdb"):
        registry.status("imdb", 9)


def test_missing_base_path_serves_nothing_until_a_version_appears(tmp_path):
    config = ModelConfig("jena", str(tmp_path / "jena"))
    registry = ModelRegistry([config], loader=FakeServable)
    registry.poll()
    with pytest.raises(errors.NotFoundError):
        registry.resolve("jena")
    push(tmp_path / "jena", 1)
    registry.poll()
    assert registry.resolve("jena")[0] == 1


def test_duplicate_model_names_are_rejected(tmp_path):
    config = ModelConfig("imdb", str(tmp_path))
    with pytest.raises(ValueError, match="unique"):
        ModelRegistry([config, config])
