"""Session-wide small pipeline runs, shared by the e2e, serving and report tests (each ~90 s)."""

from __future__ import annotations

import imdb_fixture
import jena_fixture
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


@pytest.fixture(scope="session")
def jena_small_run(tmp_path_factory):
    """Runs the Jena pipeline once on the real 4,000-row fragment; returns (config, RunSummary).

    Two days of history (lookback 288, hourly steps), a 6-hour forecast, the GRU for 2 epochs.
    """
    from components import datasets
    from pipeline import config, local_runner

    root = tmp_path_factory.mktemp("jena_e2e")
    csv_path = datasets.resolve_jena(
        jena_fixture.shared_file(jena_fixture.FRAGMENT), root / "cache")
    window = config.WindowConfig(lookback=288, step=6, delay=36)
    cfg = config.PipelineConfig(
        task="jena", data_root=str(csv_path), output_dir=str(root / "outputs"),
        train=config.TrainConfig(task="jena", model="jena_gru", epochs=2, text=None,
                                 window=window))
    return cfg, local_runner.run(cfg)
