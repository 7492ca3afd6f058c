"""Cache keys: each component carries the version of exactly the code it runs.

A copy of the project's packages is edited, the pipelines are built from the copy, and the
versions in the components' execution properties (what TFX's cache key is made of) are compared
with those of the untouched tree.
"""

from __future__ import annotations

import json
import shutil

import pytest

from core import code_version, config
from pipeline import pipeline

SOURCES = code_version.SOURCE_ROOT  # the real tree, before any test points elsewhere


def versions(cfg: config.PipelineConfig) -> dict[str, str]:
    """{node id: code version} from the built pipeline's execution properties."""
    found = {}
    for component in pipeline.create_pipeline(cfg).components:
        props = component.exec_properties
        if "code_version" in props:
            found[component.id] = props["code_version"]
        elif isinstance(props.get("custom_config"), str):
            custom = json.loads(props["custom_config"] or "null") or {}
            if "code_version" in custom:
                found[component.id] = custom["code_version"]
    return found


def configs(tmp_path) -> list[config.PipelineConfig]:
    imdb = config.PipelineConfig(task="imdb", data_root=str(tmp_path),
                                 output_dir=str(tmp_path / "out"))
    jena = config.PipelineConfig(
        task="jena", data_root=str(tmp_path / "jena.csv"), output_dir=str(tmp_path / "out"),
        train=config.TrainConfig(task="jena", model="jena_gru", text=None,
                                 window=config.WindowConfig()))
    return [imdb, jena]


@pytest.fixture
def edited_tree(tmp_path, monkeypatch):
    """A copy of the packages; returns edit(relative path) that changes one file's code."""
    root = tmp_path / "src"
    for package in code_version.PACKAGES:
        shutil.copytree(SOURCES / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(code_version, "SOURCE_ROOT", root)
    code_version.code_version.cache_clear()

    def edit(relative: str) -> None:
        path = root / relative
        path.write_text(path.read_text(encoding="utf-8") + "\nCHANGED = True\n",
                        encoding="utf-8")
        code_version.code_version.cache_clear()

    yield edit
    code_version.code_version.cache_clear()


def test_every_component_running_our_code_carries_a_version(tmp_path):
    imdb, jena = (versions(cfg) for cfg in configs(tmp_path))
    assert set(imdb) == {"ImdbExampleGen", "AnomaliesGate", "Transform", "Trainer", "Canary",
                         "Pusher"}
    assert set(jena) == {"JenaExampleGen", "AnomaliesGate", "Transform", "Trainer",
                         "FixedBaseline", "JenaWindowExamples", "BlessingMerger", "Canary",
                         "Pusher"}


@pytest.mark.parametrize(("edited", "changed"), [
    ("components/imdb_gen.py", {"imdb": {"ImdbExampleGen"}, "jena": set()}),
    ("components/example_gen.py", {"imdb": {"ImdbExampleGen"}, "jena": {"JenaExampleGen"}}),
    ("transform/text.py", {"imdb": {"Transform"}, "jena": {"Transform"}}),
    # A Trainer loads only its own task's trainer and zoo modules (by registry path).
    ("trainer/models/jena.py", {"imdb": set(), "jena": {"Trainer", "FixedBaseline"}}),
    ("trainer/models/spec.py", {"imdb": {"Trainer"}, "jena": {"Trainer", "FixedBaseline"}}),
    ("trainer/windows.py", {"imdb": set(), "jena": {"Trainer", "FixedBaseline"}}),
    ("core/windows.py", {"imdb": set(),
                         "jena": {"Trainer", "FixedBaseline", "JenaWindowExamples"}}),
    # The Canary reuses the merger's blessing writers.
    ("components/blessing.py", {"imdb": {"Canary"}, "jena": {"BlessingMerger", "Canary"}}),
    ("components/canary_requests.py", {"imdb": {"Canary"}, "jena": {"Canary"}}),
    ("components/atomic_push.py", {"imdb": {"Pusher"}, "jena": {"Pusher"}}),
    ("pipeline/report_render.py", {"imdb": set(), "jena": set()}),
    # The Canary runs `python -m serving.cli serve`: the serving code it runs is its code.
    ("serving/local_server.py", {"imdb": {"Canary"}, "jena": {"Canary"}}),
    ("serving/client.py", {"imdb": {"Canary"}, "jena": {"Canary"}}),
    ("rawdata/locate.py", {"imdb": set(), "jena": set()}),
])
def test_a_code_change_changes_exactly_the_components_that_run_it(
        tmp_path, edited_tree, edited, changed):
    cfgs = configs(tmp_path)
    before = {cfg.task: versions(cfg) for cfg in cfgs}  # the unedited copy
    edited_tree(edited)
    after = {cfg.task: versions(cfg) for cfg in cfgs}
    for task in ("imdb", "jena"):
        differ = {node for node in before[task] if before[task][node] != after[task][node]}
        assert differ == changed[task], (task, edited)


def test_closure_follows_imports_inside_functions_and_relative_imports(tmp_path):
    root = tmp_path / "src"
    (root / "components").mkdir(parents=True)
    (root / "pipeline").mkdir()
    for package in ("components", "pipeline"):
        (root / package / "__init__.py").write_text("")
    (root / "components" / "a.py").write_text(
        "from . import b\n\ndef f():\n    from pipeline import c\n")
    (root / "components" / "b.py").write_text("import numpy\n")
    (root / "pipeline" / "c.py").write_text("")
    (root / "pipeline" / "unused.py").write_text("")
    assert code_version.ModuleSources(root).closure("components.a") == [
        "components", "components.a", "components.b", "pipeline", "pipeline.c"]
    with pytest.raises(ValueError, match="not a module of the project"):
        code_version.ModuleSources(root).closure("components.missing")
