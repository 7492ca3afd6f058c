"""Beam presets: options Beam accepts; the modes that run here run a tiny pipeline (no TFX).

The e2e-marked tests start processes (Beam's multi-processing workers, a job service and a
worker pool on localhost) and are bounded by subprocess timeouts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from apache_beam.options import pipeline_options

from kubeflow import beam_presets

RUN_TIMEOUT_SECONDS = 300


def known_option_names(args: list[str]) -> tuple[set[str], set[str]]:
    """(options Beam parsed from `args`, every option name found in `args`)."""
    options = pipeline_options.PipelineOptions(args)
    parsed = set(options.get_all_options(drop_default=True))
    everything = set(options.get_all_options(drop_default=True, retain_unknown_options=True))
    return parsed, everything


@pytest.mark.parametrize("args", [
    beam_presets.portable("localhost:8099"),
    beam_presets.dataflow("my-project", "europe-west1", "gs://b/tmp", "img:1", max_num_workers=8),
    beam_presets.flink("flink-jobmanager:8081", parallelism=4, job_server_jar="/opt/flink.jar"),
], ids=["portable", "dataflow", "flink"])
def test_presets_are_options_beam_knows(args):
    parsed, everything = known_option_names(args)
    assert everything == parsed, f"unknown to Beam: {everything - parsed}"
    assert len(parsed) == len(args)


def test_preset_values_land_in_beams_option_views():
    options = pipeline_options.PipelineOptions(
        beam_presets.dataflow("my-project", "europe-west1", "gs://b/tmp", "img:1"))
    cloud = options.view_as(pipeline_options.GoogleCloudOptions)
    assert (cloud.project, cloud.region, cloud.temp_location) == (
        "my-project", "europe-west1", "gs://b/tmp")
    assert options.view_as(pipeline_options.StandardOptions).runner == "DataflowRunner"
    assert options.view_as(pipeline_options.WorkerOptions).sdk_container_image == "img:1"

    flink = pipeline_options.PipelineOptions(beam_presets.flink("jm:8081"))
    assert flink.view_as(pipeline_options.FlinkRunnerOptions).flink_master == "jm:8081"
    portable = flink.view_as(pipeline_options.PortableOptions)
    assert (portable.environment_type, portable.environment_config) == (
        "EXTERNAL", beam_presets.DEFAULT_WORKER_POOL)


def test_dataflow_needs_a_gcs_temp_location():
    with pytest.raises(ValueError, match="'/tmp' must be a gs:// path"):
        beam_presets.dataflow("p", "r", "/tmp", "img")


def run_check(tmp_path, *args: str) -> dict:
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "kubeflow.local_beam", "check", *args, "--report", str(report)],
        capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS,
        env={**os.environ, "TF_USE_LEGACY_KERAS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(report.read_text())


def assert_gone(pid: int) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.e2e
def test_direct_multi_processing_runs_bundles_in_worker_processes(tmp_path):
    report = run_check(tmp_path, "--mode", "direct", "--workers", "2")
    assert report["beam_args"] == ["--direct_num_workers=2",
                                   "--direct_running_mode=multi_processing"]
    assert report["sum_of_squares"] == report["expected"]
    assert report["worker_pids"] and report["driver_pid"] not in report["worker_pids"]
    for pid in report["worker_pids"]:
        assert_gone(pid)


@pytest.mark.e2e
def test_portable_runner_with_job_service_and_external_worker_pool(tmp_path):
    report = run_check(tmp_path, "--mode", "portable")
    args = dict(arg.split("=", 1) for arg in report["beam_args"])
    assert args["--runner"] == "PortableRunner"
    assert args["--environment_type"] == "EXTERNAL"
    assert args["--job_endpoint"].startswith("localhost:")
    assert args["--environment_config"].startswith("localhost:")
    assert report["sum_of_squares"] == report["expected"]
    # The user code ran in the worker pool, not in the driver or the job service.
    assert report["worker_pids"] == [report["service_pids"]["worker_pool"]]
    for pid in report["service_pids"].values():
        assert_gone(pid)
