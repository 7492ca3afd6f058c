"""Session-wide small pipeline runs, shared by the e2e, serving and report tests (each ~90 s)."""

from __future__ import annotations

import imdb_fixture
import jena_fixture
import pytest


@pytest.fixture(scope="session")
def imdb_small_run(tmp_path_factory):
    """Runs the IMDB pipeline once on 400 fixture reviews; returns (config, RunSummary)."""
    from core import config
    from pipeline import local_runner

    root = tmp_path_factory.mktemp("imdb_e2e")
    data_root = imdb_fixture.write_aclimdb(root / "data", per_class=100)
    cfg = config.PipelineConfig(
        task="imdb", data_root=str(data_root), output_dir=str(root / "outputs"),
        train=config.TrainConfig(
            epochs=10, batch_size=32, learning_rate=0.01, embedding_dim=16, units=16,
            text=config.TextConfig(max_tokens=50, sequence_length=24)),
        eval=config.EvalConfig(min_accuracy=0.7))
    return cfg, local_runner.run(cfg)


# The real fragment, damaged as the station's data goes wrong (data rows of the original file;
# train is about rows 0-1999, eval 2000-2999, test 3000-3999): the -9999 sentinel, empty and
# unparseable fields (some on a temperature a window ends on), and two time gaps.
JENA_DAMAGE = {(500, "p (mbar)"): "-9999.0", (501, "p (mbar)"): "-9999.0",
               (700, "T (degC)"): "", (3100, "p (mbar)"): "-9999.0",
               (3101, "p (mbar)"): "-9999.0", (3102, "p (mbar)"): "-9999.0",
               (3150, "rh (%)"): "abc", (3400, "T (degC)"): "", (3406, "T (degC)"): "",
               (3450, "VPdef (mbar)"): ""}
JENA_DROPPED_ROWS = (1000, 1001, 1002, 3600, 3601, 3602, 3603, 3604, 3605)


@pytest.fixture(scope="session")
def jena_small_run(tmp_path_factory):
    """Runs the Jena pipeline once on the damaged real fragment; returns (config, RunSummary).

    Two days of history (lookback 288, hourly steps), a 6-hour forecast, the GRU for 2 epochs.
    """
    from core import config
    from pipeline import local_runner

    root = tmp_path_factory.mktemp("jena_e2e")
    csv_path = jena_fixture.damaged_csv(root, JENA_DAMAGE, JENA_DROPPED_ROWS)
    window = config.WindowConfig(lookback=288, step=6, delay=36)
    cfg = config.PipelineConfig(
        task="jena", data_root=str(csv_path), output_dir=str(root / "outputs"),
        train=config.TrainConfig(task="jena", model="jena_gru", epochs=2, text=None,
                                 window=window))
    return cfg, local_runner.run(cfg)
