"""`tfx-text run jena` on the real fragment with a broken sensor in its test rows: exit code 3.

The issue's case: temperature +500 degC and pressure 0 mbar in the test split. The gate must
stop the run with every anomaly (split, feature, check) on stderr, and nothing after the gate
may run: no Transform, no window examples, no training, no push.
"""

from __future__ import annotations

import jena_fixture
import pytest
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

pytestmark = pytest.mark.e2e

AFTER_THE_GATE = {"Transform", "JenaWindowExamples", "Trainer", "FixedBaseline", "Evaluator",
                  "BaselineEvaluator", "BlessingMerger", "Pusher"}


def _executions(metadata_path) -> dict[str, int]:
    """{node id: last known state} of every execution MLMD recorded."""
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(metadata_path)
    store = metadata_store.MetadataStore(config)
    states = {}
    for execution in store.get_executions():
        node = [c.name for c in store.get_contexts_by_execution(execution.id)
                if c.type == "node"][0]
        states[node.split(".", 1)[1]] = execution.last_known_state
    return states


def test_broken_sensor_stops_at_the_gate_with_exit_code_3(jena_fragment, tmp_path, capsys):
    from cli import main as cli
    from cli.exit_codes import ExitCode

    broken = {(row, "T (degC)"): "500.0" for row in range(3000, 4000)}
    broken |= {(row, "p (mbar)"): "0.0" for row in range(3000, 4000)}
    csv_path = jena_fixture.damaged_csv(tmp_path, broken)
    output_dir = tmp_path / "outputs"
    code = cli.main(["run", "jena", "--data-dir", str(csv_path), "--output-dir",
                     str(output_dir), "--lookback", "288", "--step", "6", "--delay", "36",
                     "--epochs", "1"])
    assert code == ExitCode.DATA_ANOMALIES
    err = capsys.readouterr().err
    assert "test: feature 't_degc': FLOAT_TYPE_BIG_FLOAT" in err
    assert "test: feature 'p_mbar': FLOAT_TYPE_SMALL_FLOAT" in err
    assert "test vs train: feature 't_degc': COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH" in err
    states = _executions(output_dir / "metadata" / "jena-pipeline.sqlite")
    assert states["AnomaliesGate"] == metadata_store_pb2.Execution.FAILED
    assert states["ExampleValidator"] == metadata_store_pb2.Execution.COMPLETE
    assert not AFTER_THE_GATE & set(states)
    assert not (output_dir / "serving").exists()
