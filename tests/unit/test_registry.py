"""The task registry (core/tasks.py): one entry per task, every path it names is real."""

from __future__ import annotations

import pytest

from core import tasks


@pytest.mark.parametrize("path", tasks.registry_paths())
def test_every_registry_path_names_an_object(path):
    assert tasks.load(path) is not None


def test_the_entries_stage_objects_are_of_their_task():
    from trainer import models
    from trainer.task import TrainerTask, get_task

    for name, spec in tasks.TASKS.items():
        assert isinstance(get_task(name), TrainerTask) and get_task(name).name == name
        zoo = tasks.load(spec.models)
        assert zoo and all(model.task == name for model in zoo.values())
        assert spec.default_model in zoo
        assert spec.fixed_baseline is None or not zoo[spec.fixed_baseline].trainable
        assert set(zoo) <= set(models.MODELS)
        for field in ("example_gen", "preprocessing_fn", "eval_config", "resolve_data"):
            assert callable(tasks.load(getattr(spec, field))), (name, field)


def test_a_bad_path_fails_with_the_path_in_the_message():
    with pytest.raises(ValueError, match="no_such_module.thing"):
        tasks.load("no_such_module.thing")
    with pytest.raises(ValueError, match="unknown task 'x'"):
        tasks.get_task_spec("x")

