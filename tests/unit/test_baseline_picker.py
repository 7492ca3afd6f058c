"""LatestPushedBaseline: the Evaluator's baseline is the newest comparable pushed model.

The push folder is laid out as the atomic Pusher leaves it (numeric versions, a staging folder
of an unfinished push, extra files inside versions); the artifact is checked with TFX's own
`path_utils.serving_model_path`, the path the Evaluator executor hands to TFMA.
"""

from __future__ import annotations

import json
import os

from tfx.types import standard_artifacts
from tfx.utils import path_utils

from components import atomic_push, baseline
from core.names import MODEL_METADATA_FILE

WINDOW = {"lookback": 48, "step": 6, "delay": 12}


def push(root, version: int, metadata: dict | None, complete: bool = True) -> str:
    folder = root / str(version)
    (folder / "variables").mkdir(parents=True)
    (folder / "variables" / "variables.index").write_bytes(b"v%d" % version)
    if complete:
        (folder / "saved_model.pb").write_bytes(b"model %d" % version)
    if metadata is not None:
        (folder / MODEL_METADATA_FILE).parent.mkdir()
        (folder / MODEL_METADATA_FILE).write_text(json.dumps(metadata))
    return str(folder)


def pick(push_dir, task: str, match: dict, tmp_path) -> standard_artifacts.Model:
    model = standard_artifacts.Model()
    model.uri = str(tmp_path / "artifact")
    os.makedirs(model.uri)
    baseline.LatestPushedBaseline.test_call(
        baseline=model, push_dir=str(push_dir), task=task,
        match=json.dumps(match), code_version="test")
    return model


def test_newest_comparable_complete_version_is_copied_where_tfma_loads_it(tmp_path):
    root = tmp_path / "serving" / "jena"
    jena = {"task": "jena", "window": {**WINDOW, "sequence_length": 8}}
    push(root, 100, jena)
    wanted = push(root, 200, jena)
    (tmp_path / "serving" / "jena" / "200" / "PUSH_COMPLETE").write_text("")  # a marker file
    push(root, 300, {"task": "jena", "window": {**WINDOW, "delay": 36}})  # another window
    push(root, 400, {**jena, "task": "imdb"})  # another task's model in the wrong folder
    push(root, 500, jena, complete=False)  # a half-copied version
    (root / (atomic_push.STAGING_PREFIX + "abc")).mkdir()  # an unfinished push's staging
    (root / "notes.txt").write_text("not a version")

    model = pick(root, "jena", {"window": WINDOW}, tmp_path)
    assert model.get_int_custom_property(baseline.FOUND_PROPERTY) == 1
    assert model.get_string_custom_property(baseline.SOURCE_PROPERTY) == wanted
    served = path_utils.serving_model_path(model.uri)
    assert served == os.path.join(model.uri, "Format-Serving")
    assert open(os.path.join(served, "saved_model.pb"), "rb").read() == b"model 200"
    assert os.path.exists(os.path.join(served, "variables", "variables.index"))
    assert baseline.has_model(model)


def test_versions_compare_as_numbers_and_models_without_metadata_count_for_their_folder(
        tmp_path):
    root = tmp_path / "imdb"
    push(root, 99, None)
    newest = push(root, 1000, None)  # "1000" < "99" as strings
    model = pick(root, "imdb", {}, tmp_path)
    assert model.get_string_custom_property(baseline.SOURCE_PROPERTY) == newest


def test_no_comparable_version_leaves_an_empty_artifact_the_evaluator_ignores(tmp_path):
    root = tmp_path / "jena"
    push(root, 100, {"task": "jena", "window": {**WINDOW, "lookback": 96}})
    for push_dir in (root, tmp_path / "never_pushed"):
        model = pick(push_dir, "jena", {"window": WINDOW}, tmp_path / push_dir.name)
        assert model.get_int_custom_property(baseline.FOUND_PROPERTY) == 0
        assert not baseline.has_model(model)
        assert os.listdir(model.uri) == []


def test_matches_is_a_recursive_subset():
    assert baseline.matches({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}})
    assert not baseline.matches({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}})
    assert baseline.matches({"a": 1}, {})
