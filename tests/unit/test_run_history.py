"""`tfx-text runs` over a real ml-metadata SQLite store laid out as TFX records runs."""

from __future__ import annotations

import json
import subprocess
import sys

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

from cli import main as cli
from cli.exit_codes import ExitCode
from pipeline import history, run_lock

State = metadata_store_pb2.Execution


def record_runs(output_dir, runs: dict[str, dict[str, int]]) -> None:
    """Writes pipeline_run contexts whose node executions end in the given MLMD states."""
    path = output_dir / "metadata" / "imdb-pipeline.sqlite"
    path.parent.mkdir(parents=True)
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    store = metadata_store.MetadataStore(config)
    run_type = store.put_context_type(metadata_store_pb2.ContextType(name="pipeline_run"))
    node_type = store.put_context_type(metadata_store_pb2.ContextType(name="node"))
    trainer_type = store.put_execution_type(metadata_store_pb2.ExecutionType(
        name="tfx.components.trainer.component.Trainer"))
    nodes = {}
    for run_id, states in runs.items():
        [run] = store.put_contexts([metadata_store_pb2.Context(type_id=run_type, name=run_id)])
        for node, state in states.items():
            if node not in nodes:
                [nodes[node]] = store.put_contexts([metadata_store_pb2.Context(
                    type_id=node_type, name=f"imdb-pipeline.{node}")])
            execution = metadata_store_pb2.Execution(type_id=trainer_type,
                                                     last_known_state=state)
            execution.custom_properties["custom_config"].string_value = json.dumps(
                {"train": {"model": "imdb_gru"}})
            [execution_id] = store.put_executions([execution])
            for context in (run, nodes[node]):
                store.put_attributions_and_associations(
                    [], [metadata_store_pb2.Association(execution_id=execution_id,
                                                        context_id=context)])


RUNS = {"run-1": {"ImdbExampleGen": State.COMPLETE, "Trainer": State.CANCELED},
        "run-2": {"ImdbExampleGen": State.CACHED, "Trainer": State.FAILED},
        "run-3": {"ImdbExampleGen": State.CACHED, "Trainer": State.RUNNING},
        "run-4": {"ImdbExampleGen": State.CACHED, "Trainer": State.COMPLETE},
        "run-5": {"ImdbExampleGen": State.CACHED, "Trainer": State.RUNNING}}


def test_runs_tells_complete_failed_and_killed_runs_apart(tmp_path, capsys):
    record_runs(tmp_path, RUNS)
    assert cli.main(["runs", "--output-dir", str(tmp_path), "--json"]) == ExitCode.OK
    rows = json.loads(capsys.readouterr().out)
    assert [(row["run_id"], row["status"]) for row in rows] == [
        ("run-1", "killed"), ("run-2", "failed"), ("run-3", "killed"), ("run-4", "complete"),
        ("run-5", "killed")]  # nothing holds the output dir: run-5's process is gone
    assert {row["model"] for row in rows} == {"imdb_gru"}
    assert all(row["task"] == "imdb" and row["pushed_version"] is None for row in rows)
    assert cli.main(["runs", "--output-dir", str(tmp_path)]) == ExitCode.OK
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["run", "id", "task", "model"] and len(table) == 6


def test_the_latest_run_is_running_while_a_process_holds_the_output_dir(tmp_path):
    record_runs(tmp_path, RUNS)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; from pipeline import run_lock\n"
         f"with run_lock.hold({str(tmp_path)!r}):\n print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert run_lock.is_held(str(tmp_path))
        statuses = [record.status for record in history.read_runs(str(tmp_path))]
    finally:
        holder.kill()
        holder.wait()
    assert statuses == ["killed", "failed", "killed", "complete", "running"]
    assert not run_lock.is_held(str(tmp_path))  # a killed holder leaves no lock behind


def test_runs_without_a_store_is_a_bad_output_dir(tmp_path, capsys):
    assert cli.main(["runs", "--output-dir", str(tmp_path / "none")]) == ExitCode.BAD_CONFIG
    assert "no MLMD store" in capsys.readouterr().err
