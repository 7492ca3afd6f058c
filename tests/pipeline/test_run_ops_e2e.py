"""Day-to-day `tfx-text run` as a user sees it, in one run directory (about 4 minutes):

a run killed by SIGTERM during training, the same command resuming from MLMD's cache, a third
identical run that pushes nothing, `tfx-text runs` over the three, and the exit codes of a
failed component and of data anomalies (both stop before Transform, on cached ingestion).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import imdb_fixture
import pytest

pytestmark = pytest.mark.e2e

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPSTREAM = ("ImdbExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator",
            "AnomaliesGate", "Transform")
# What TFX, Beam, absl and TF print when their logs reach the terminal.
LOG_LINE = re.compile(r"^(INFO|WARNING|ERROR|I\d{4}|W\d{4}|E\d{4})[: ]"
                      r"|^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"  # logging's asctime, TF C++
                      r"|absl|apache_beam|tensorflow/|FutureWarning")


def run_args(data, output_dir) -> list[str]:
    # 10 epochs as on the full data; killed after the first, the Trainer still has at least
    # two more (early stopping's patience) and the export ahead of it.
    return [sys.executable, "-m", "cli", "run", "imdb", "--data-dir", str(data),
            "--output-dir", str(output_dir), "--epochs", "10", "--batch-size", "16",
            "--learning-rate", "0.001", "--max-tokens", "50", "--sequence-length", "24",
            "--min-accuracy", "0"]


def component_lines(stdout: str) -> dict[str, str]:
    """{component: outcome} from the progress lines ("  Name   ran   12.3 s")."""
    found = re.findall(r"^  (\w+) +(ran|cache hit|done) +[\d.]+ s$", stdout, re.MULTILINE)
    return dict(found)


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ops_e2e")
    data = imdb_fixture.write_aclimdb(root / "data", per_class=60)
    output_dir = root / "outputs"
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "PYTHONUNBUFFERED": "1"}
    killed = subprocess.Popen(run_args(data, output_dir), cwd=REPO, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = []
    for line in killed.stdout:  # the Trainer prints a line per epoch: it is training now
        seen.append(line)
        if line.startswith("    epoch 1/"):
            killed.send_signal(signal.SIGTERM)
            break
    rest, err = killed.communicate(timeout=300)
    first = ("".join(seen) + rest, err, killed.returncode)
    later = [subprocess.run(run_args(data, output_dir), cwd=REPO, env=env, text=True,
                            capture_output=True, timeout=900) for _ in range(2)]
    return output_dir, first, [(r.stdout, r.stderr, r.returncode) for r in later], data


def test_a_killed_run_says_so_and_exits_130(three_runs):
    _, (stdout, stderr, code), _, _ = three_runs
    assert code == 130, stderr[-3000:]
    assert "interrupted (SIGTERM) while Trainer was running" in stderr
    assert component_lines(stdout).keys() >= set(UPSTREAM)  # they had finished


def test_the_rerun_takes_every_finished_component_from_the_cache(three_runs):
    output_dir, _, [(stdout, stderr, code), _], _ = three_runs
    assert code == 0, stderr[-3000:]
    outcomes = component_lines(stdout)
    assert all(outcomes[name] == "cache hit" for name in UPSTREAM), stdout
    assert outcomes["Trainer"] == "ran" and outcomes["Evaluator"] == "ran"
    assert "Pushed to: " in stdout


def test_the_terminal_shows_progress_and_summary_and_the_logs_go_to_the_file(three_runs):
    output_dir, _, [(stdout, _, _), _], _ = three_runs
    lines = stdout.splitlines()
    assert len(lines) <= 60, stdout
    assert [line for line in lines if LOG_LINE.search(line)] == [], stdout
    assert "\r" not in stdout and "\x1b" not in stdout  # a pipe: no bar, no control codes
    [log] = re.findall(r"^Log: (\S+)$", stdout, re.MULTILINE)[:1]
    with open(log, encoding="utf-8") as handle:
        logged = handle.read()
    assert "Component Trainer is running." in logged and "absl" in logged
    assert os.path.dirname(log) == str(output_dir / "logs")


def test_an_identical_rerun_pushes_nothing_and_names_the_served_version(three_runs):
    output_dir, _, [(second, _, _), (third, stderr, code)], _ = three_runs
    assert code == 0, stderr[-3000:]
    assert component_lines(third)["Trainer"] == "cache hit"
    [pushed] = re.findall(r"^Pushed to: .*/(\d+)$", second, re.MULTILINE)
    assert f"model unchanged, serving as version {pushed}" in third
    assert os.listdir(output_dir / "serving" / "imdb") == [pushed]


def test_runs_lists_the_three_runs_from_mlmd(three_runs, capsys):
    from cli import main as cli

    output_dir, _, [(second, _, _), _], _ = three_runs
    assert cli.main(["runs", "--output-dir", str(output_dir), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["status"] for row in rows] == ["killed", "complete", "complete"]
    assert [row["model"] for row in rows] == ["imdb_lstm"] * 3
    assert rows[0]["pushed_version"] is None and rows[0]["metric_value"] is None
    assert rows[1]["pushed_version"] == rows[2]["pushed_version"]
    assert rows[2]["push_unchanged"] and not rows[1]["push_unchanged"]
    assert rows[1]["blessed"] and rows[1]["metric"] == "binary_accuracy"
    assert 0 <= rows[1]["metric_value"] <= 1 and rows[1]["duration_s"] > 0
    assert cli.main(["runs", "--output-dir", str(output_dir), "--task", "jena"]) == 0
    assert capsys.readouterr().out.strip() == "no runs recorded"


def test_a_failing_component_exits_1_and_data_anomalies_exit_3(three_runs, tmp_path, capfd):
    from cli import main as cli

    output_dir, _, _, data = three_runs
    broken = tmp_path / "broken.pbtxt"
    broken.write_text("feature { name: 'text' type: BYTES  this is not a schema")
    incomplete = tmp_path / "text_only.pbtxt"  # the other columns are unexpected
    incomplete.write_text("feature { name: 'text' type: BYTES }")
    common = ["run", "imdb", "--data-dir", str(data), "--output-dir", str(output_dir)]
    assert cli.main([*common, "--schema", str(broken)]) == 1
    err = capfd.readouterr().err
    assert "error: ImportSchemaGen failed" in err and "the full traceback is in" in err
    assert cli.main([*common, "--schema", str(incomplete)]) == 3
    assert "anomal" in capfd.readouterr().err.lower()
