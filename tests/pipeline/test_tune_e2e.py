"""`run --tune`: a Tuner before the Trainer, its best trial feeding the Trainer (~2 minutes).

One small IMDB run (100 fixture reviews per class, two trials of one epoch each): the search
runs inside TFX's Tuner executor, which writes the best HyperParameters and every trial's
score; the Trainer must train with exactly the best trial's values.
"""

from __future__ import annotations

import json
import os

import imdb_fixture
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tuned_run(tmp_path_factory):
    from core import config
    from pipeline import local_runner

    root = tmp_path_factory.mktemp("tune_e2e")
    data_root = imdb_fixture.write_aclimdb(root / "data", per_class=50)
    cfg = config.PipelineConfig(
        task="imdb", data_root=str(data_root), output_dir=str(root / "outputs"),
        train=config.TrainConfig(
            epochs=2, batch_size=32, embedding_dim=8, units=16,
            text=config.TextConfig(max_tokens=50, sequence_length=16)),
        eval=config.EvalConfig(min_accuracy=0.0),
        tune=config.TuneConfig(max_trials=2, epochs=1))
    return cfg, local_runner.run(cfg)


def test_the_best_trial_feeds_the_trainer(tuned_run):
    from trainer import tune

    cfg, summary = tuned_run
    assert "Tuner" in summary.artifacts and not summary.cached
    tuned = summary.artifacts["Tuner"]
    with open(os.path.join(tuned["best_hyperparameters"], "best_hyperparameters.txt")) as handle:
        best = json.load(handle)["values"]
    space = {hp.name: hp.values for hp in tune.search_space(cfg.train).space}
    assert set(best) == set(space) and all(best[name] in space[name] for name in best)
    with open(os.path.join(tuned["tuner_results"], "tuner_results.json")) as handle:
        trials = json.load(handle)
    assert len(trials) == cfg.tune.max_trials
    assert trials[0]["score"] == min(trial["score"] for trial in trials)  # val_loss: lowest
    assert {name: trials[0][name] for name in space} == best
    trained = summary.training["Trainer"]
    assert trained["hyperparameters"] == best
    # The first trial is the configured model's own values: the best is never worse than it.
    default = next(trial for trial in trials if all(
        trial[name] == getattr(cfg.train, name) for name in space))
    assert trials[0]["score"] <= default["score"]
