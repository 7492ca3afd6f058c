"""The atomic Pusher executor: a poller never sees a half-pushed version (no pipeline run)."""

from __future__ import annotations

import itertools
import os
import threading

import pytest
from tfx.components.pusher import executor as tfx_pusher
from tfx.proto import pusher_pb2
from tfx.types import standard_artifacts, standard_component_specs
from tfx.utils import proto_utils

from components import atomic_push

VARIABLES = {"variables.index": 4096, "variables.data-00000-of-00001": 24 * 2**20}


def trained_model(root, name: str = "model") -> standard_artifacts.Model:
    """A Model artifact whose Format-Serving folder looks like a SavedModel (24 MB of variables)."""
    serving = root / name / "Format-Serving"
    (serving / "variables").mkdir(parents=True)
    (serving / "assets").mkdir()
    (serving / "saved_model.pb").write_bytes(b"\x08\x01" * 5000)
    for file_name, size in VARIABLES.items():
        (serving / "variables" / file_name).write_bytes(os.urandom(1024) * (size // 1024))
    model = standard_artifacts.Model()
    model.uri = str(root / name)
    return model


def blessing(root, blessed: bool = True) -> standard_artifacts.ModelBlessing:
    artifact = standard_artifacts.ModelBlessing()
    artifact.uri = str(root / "blessing")
    artifact.set_int_custom_property("blessed", int(blessed))
    return artifact


def push(executor, model, model_blessing, base, root, index: int):
    pushed = standard_artifacts.PushedModel()
    pushed.uri = str(root / f"pushed_{index}")
    destination = proto_utils.proto_to_json(pusher_pb2.PushDestination(
        filesystem={"base_directory": str(base)}))
    executor.Do({standard_component_specs.MODEL_KEY: [model],
                 standard_component_specs.MODEL_BLESSING_KEY: [model_blessing]},
                {standard_component_specs.PUSHED_MODEL_KEY: [pushed]},
                {standard_component_specs.PUSH_DESTINATION_KEY: destination})
    return pushed


class Poller(threading.Thread):
    """Lists `base` as a model server would, recording versions it sees incomplete."""

    def __init__(self, base):
        super().__init__(daemon=True)
        self.base, self.stop, self.partial, self.seen = base, threading.Event(), [], set()

    def complete(self, folder) -> bool:
        sizes = {}
        for name in VARIABLES:
            try:
                sizes[name] = os.path.getsize(os.path.join(folder, "variables", name))
            except OSError:
                return False
        return os.path.exists(os.path.join(folder, "saved_model.pb")) and sizes == VARIABLES

    def run(self) -> None:
        while True:
            done = self.stop.is_set()  # one last look after the pushes
            names = os.listdir(self.base) if os.path.isdir(self.base) else []
            for name in names:
                if name.isdigit():
                    self.seen.add(int(name))
                    if not self.complete(os.path.join(self.base, name)):
                        self.partial.append(name)
            if done:
                return


@pytest.fixture
def versions(monkeypatch):
    """TFX versions a push by int(time.time()); give each push its own second."""
    clock = itertools.count(1_800_000_000)
    monkeypatch.setattr(tfx_pusher.time, "time", lambda: float(next(clock)))


def run_pushes(executor, tmp_path, count: int = 4):
    """`count` pushes of distinct models (a model already served is not pushed again)."""
    models = [trained_model(tmp_path, f"model_{index}") for index in range(count)]
    base = tmp_path / "serving" / "imdb"
    poller = Poller(str(base))
    poller.start()
    try:
        pushed = [push(executor, model, blessing(tmp_path), base, tmp_path, index)
                  for index, model in enumerate(models)]
    finally:
        poller.stop.set()
        poller.join()
    return base, pushed, poller


def test_a_poller_never_sees_a_version_without_saved_model_and_variables(tmp_path, versions):
    base, pushed, poller = run_pushes(atomic_push.Executor(), tmp_path)
    assert poller.partial == []
    assert poller.seen == {1_800_000_000 + i for i in range(4)}  # it did watch every push
    assert sorted(os.listdir(base)) == [str(1_800_000_000 + i) for i in range(4)]  # no staging
    for index, artifact in enumerate(pushed):
        version = str(1_800_000_000 + index)
        assert artifact.get_int_custom_property("pushed") == 1
        assert artifact.get_string_custom_property("pushed_version") == version
        assert artifact.get_string_custom_property("pushed_destination") == str(base / version)
        assert os.path.exists(os.path.join(artifact.uri, "saved_model.pb"))  # TFX's archive copy


def test_tfx_s_own_executor_is_caught_half_way(tmp_path, versions):
    """The same poller on TFX's in-place copy: what the atomic executor prevents."""
    _, _, poller = run_pushes(tfx_pusher.Executor(), tmp_path, count=2)
    assert poller.partial


def test_unblessed_models_are_not_pushed_and_leave_nothing_behind(tmp_path, versions):
    base = tmp_path / "serving" / "imdb"
    pushed = push(atomic_push.Executor(), trained_model(tmp_path), blessing(tmp_path, False),
                  base, tmp_path, 0)
    assert pushed.get_int_custom_property("pushed") == 0
    assert not base.exists() or os.listdir(base) == []


def test_an_existing_version_is_kept_as_tfx_does(tmp_path, monkeypatch):
    monkeypatch.setattr(tfx_pusher.time, "time", lambda: 1_800_000_000.0)
    base = tmp_path / "serving" / "imdb"
    (base / "1800000000").mkdir(parents=True)
    (base / "1800000000" / "keep").write_text("the earlier push")
    pushed = push(atomic_push.Executor(), trained_model(tmp_path), blessing(tmp_path), base,
                  tmp_path, 0)
    assert os.listdir(base) == ["1800000000"]
    assert os.listdir(base / "1800000000") == ["keep"]
    assert pushed.get_string_custom_property("pushed_destination") == str(base / "1800000000")


def test_object_store_publishing_copies_saved_model_last(tmp_path):
    """Without a rename, a poller may list the version early but never sees saved_model.pb
    before every variable file is complete."""
    staged = trained_model(tmp_path)
    base = tmp_path / "bucket" / "imdb"
    base.mkdir(parents=True)
    seen_early, broken, stop = [], [], threading.Event()

    def poll():
        while not stop.is_set():
            folder = base / "7"
            if (folder / "saved_model.pb").exists():
                sizes = {name: (folder / "variables" / name).stat().st_size for name in VARIABLES}
                if sizes != VARIABLES:
                    broken.append(sizes)
            elif folder.exists():
                seen_early.append(True)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        assert atomic_push.publish(os.path.join(staged.uri, "Format-Serving"), str(base / "7"),
                                   atomic_rename=False)
    finally:
        stop.set()
        poller.join()
    assert broken == []
    assert (base / "7" / "saved_model.pb").exists()


def test_the_served_model_pushed_again_keeps_its_version(tmp_path, versions):
    """A rerun whose Trainer was a cache hit: same Model artifact, nothing new to serve."""
    model, base = trained_model(tmp_path), tmp_path / "serving" / "imdb"
    first = push(atomic_push.Executor(), model, blessing(tmp_path), base, tmp_path, 0)
    again = push(atomic_push.Executor(), model, blessing(tmp_path), base, tmp_path, 1)
    assert os.listdir(base) == ["1800000000"]
    assert atomic_push.pushed_from(str(base / "1800000000"))["model_uri"] == model.uri
    assert again.get_int_custom_property("pushed") == 1
    assert again.get_int_custom_property("unchanged") == 1
    assert not first.get_int_custom_property("unchanged")
    assert again.get_string_custom_property("pushed_version") == "1800000000"
    assert again.get_string_custom_property("pushed_destination") == str(base / "1800000000")


def test_a_new_model_or_an_older_one_served_again_gets_a_new_version(tmp_path, versions):
    old, new = trained_model(tmp_path, "old"), trained_model(tmp_path, "new")
    base = tmp_path / "serving" / "imdb"
    for index, model in enumerate([old, new, old]):
        pushed = push(atomic_push.Executor(), model, blessing(tmp_path), base, tmp_path, index)
        assert not pushed.get_int_custom_property("unchanged")
    assert sorted(os.listdir(base)) == ["1800000000", "1800000001", "1800000002"]
    assert atomic_push.pushed_from(str(base / "1800000002"))["model_uri"] == old.uri

