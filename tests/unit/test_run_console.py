"""`tfx-text run`'s terminal: logs and C++ stderr into the log file, one run per output dir."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings

import imdb_fixture
from absl import flags
from absl import logging as absl_logging

from cli import console
from cli import main as cli
from cli.exit_codes import ExitCode

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_log_records_warnings_and_descriptor_2_go_to_the_file_not_the_terminal(tmp_path,
                                                                                capfd):
    log = tmp_path / "logs" / "run.log"
    with console.capture_logs(str(log)):
        logging.getLogger("absl").info("Component %s is running.", "StatisticsGen")
        logging.getLogger().warning("a root logger warning")
        with warnings.catch_warnings():
            warnings.simplefilter("always")  # as a first import shows it
            warnings.warn("a library's deprecation", FutureWarning, stacklevel=1)
        os.write(2, b"E0000 tensorflow/core/fake.cc:1] what TF's C++ runtime writes\n")
        print("error: for the user", file=sys.stderr)
    captured = capfd.readouterr()
    logged = log.read_text()
    for text in ("Component StatisticsGen is running.", "a root logger warning",
                 "a library's deprecation", "what TF's C++ runtime writes"):
        assert text in logged
        assert text not in captured.out + captured.err
    assert "error: for the user" in captured.err
    os.write(2, b"after the run\n")  # descriptor 2 is the terminal again
    assert "after the run" in capfd.readouterr().err


def test_a_second_run_on_a_busy_output_dir_stops_with_bad_config(tmp_path, capfd):
    """A real other process holds the output dir: this run neither waits nor touches MLMD."""
    data = imdb_fixture.write_aclimdb(tmp_path / "data", per_class=5)
    output_dir = tmp_path / "outputs"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pipeline import run_lock\n"
         f"with run_lock.hold({str(output_dir)!r}):\n print('held', flush=True); time.sleep(120)"],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code = cli.main(["run", "imdb", "--data-dir", str(data), "--output-dir",
                         str(output_dir)])
    finally:
        holder.kill()
        holder.wait()
    err = capfd.readouterr().err
    assert code == ExitCode.BAD_CONFIG
    assert f"output dir {output_dir} is in use by a run still going (pid {holder.pid}" in err
    assert not (output_dir / "metadata").exists() and not (output_dir / "pipeline_root").exists()


def test_progress_lines_survive_absl_reapplying_its_verbosity_flag(tmp_path, capsys):
    """A full IMDB run lost every line after Transform started: absl re-applied its default
    --verbosity (WARNING) to its logger mid-run, dropping TFX's INFO 'Component ...' records."""
    with console.capture_logs(str(tmp_path / "run.log")):
        flags.FLAGS["verbosity"]._update_logging_levels()  # what absl does on a re-parse
        absl_logging.info(console.RUNNING, "Trainer")
        absl_logging.info(console.NEW_EXECUTION, 7)
        absl_logging.info(console.FINISHED, "Trainer")
    out = capsys.readouterr().out
    assert "Trainer" in out and "ran" in out
    assert "Component Trainer is finished." in (tmp_path / "run.log").read_text()
