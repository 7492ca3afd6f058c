"""Session-wide small pipeline runs, shared by the e2e, serving and report tests (each ~90 s)."""

from __future__ import annotations

import imdb_fixture
import pytest


@pytest.fixture(scope="session")
def imdb_small_run(tmp_path_factory):
    """Runs the IMDB pipeline once on 400 fixture reviews; returns (config, RunSummary)."""
    from pipeline import config, local_runner

    root = tmp_path_factory.mktemp("imdb_e2e")
    data_root = imdb_fixture.write_aclimdb(root / "data", per_class=100)
    cfg = config.PipelineConfig(
        task="imdb", data_root=str(data_root), output_dir=str(root / "outputs"),
        train=config.TrainConfig(
            epochs=10, batch_size=32, learning_rate=0.01, embedding_dim=16, units=16,
            text=config.TextConfig(max_tokens=50, sequence_length=24)),
        eval=config.EvalConfig(min_accuracy=0.7))
    return cfg, local_runner.run(cfg)
