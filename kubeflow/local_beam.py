"""Runs a tiny Beam pipeline (no TFX) in the modes that work on one machine, to check them.

`python -m kubeflow.local_beam check --mode MODE --report FILE` with MODE:

* `direct`: the args `PipelineConfig(beam_workers=N).beam_pipeline_args` gives the pipeline
  (in-memory for N = 1, `multi_processing` with N worker processes otherwise).
* `portable`: starts Beam's Python job service
  (`apache_beam.runners.portability.local_job_service_main`) and an external worker pool, both
  on localhost with ports picked by the OS, then runs `beam_presets.portable(...)`: the job
  service runs the pipeline and hands bundles to SDK workers started by the worker pool.

The report (JSON) holds the result, the expected result and the pids that ran the user code, so
a caller can tell that the work left the driver process. Flink, Spark and Prism job servers
download jars or binaries at run time and are not started here.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

from core.config import PipelineConfig
from kubeflow import beam_presets

MODES = ("direct", "portable")
_POLL_SECONDS = 0.1
_STOP_SECONDS = 10.0


@dataclasses.dataclass(frozen=True)
class Service:
    """A service this module started: its localhost address and process id."""

    address: str
    pid: int


def _square_with_pid(value: int) -> tuple[int, int]:
    return os.getpid(), value * value


def run_pipeline(beam_args: list[str], output_dir: str, size: int = 1000) -> dict:
    """Sums the squares of range(size) on Beam with `beam_args`; reports result and worker pids.

    Returns:
      {"sum_of_squares", "expected", "worker_pids", "driver_pid", "seconds"}.
    """
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    prefix = os.path.join(output_dir, "smoke")
    started = time.monotonic()
    with beam.Pipeline(options=PipelineOptions(beam_args)) as pipeline:
        pairs = (pipeline
                 | "Create" >> beam.Create(range(size), reshuffle=True)
                 | "Square" >> beam.Map(_square_with_pid))
        total = (pairs | "Values" >> beam.Values()
                 | "Sum" >> beam.CombineGlobally(sum))
        pids = (pairs | "Pids" >> beam.Keys() | "Distinct" >> beam.Distinct()
                | "AllPids" >> beam.combiners.ToList())
        _ = (total | "Report" >> beam.Map(
                 lambda value, worker_pids: json.dumps(
                     {"sum_of_squares": value, "worker_pids": sorted(worker_pids)}),
                 worker_pids=beam.pvalue.AsSingleton(pids))
             | "Write" >> beam.io.WriteToText(prefix, shard_name_template=""))
    seconds = time.monotonic() - started
    report = json.loads(pathlib.Path(prefix).read_text())
    report.update(expected=sum(v * v for v in range(size)), driver_pid=os.getpid(),
                  seconds=round(seconds, 3))
    return report


def _wait_for_port(process: subprocess.Popen, port_file: pathlib.Path, timeout: float,
                   log: pathlib.Path) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            return int(port_file.read_text())
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode} before "
                               f"listening:\n{log.read_text()[-2000:]}")
        time.sleep(_POLL_SECONDS)
    raise TimeoutError(f"{process.args} did not listen within {timeout:.0f}s:\n"
                       f"{log.read_text()[-2000:]}")


@contextlib.contextmanager
def _service(command: list[str], name: str, workdir: pathlib.Path,
             timeout: float) -> Iterator[Service]:
    """Starts `command --port_file FILE`, yields it once it listens, and stops it on exit."""
    port_file, log = workdir / f"{name}.port", workdir / f"{name}.log"
    with log.open("w") as log_handle:
        process = subprocess.Popen([*command, "--port_file", str(port_file)],
                                   stdout=log_handle, stderr=subprocess.STDOUT)
    try:
        port = _wait_for_port(process, port_file, timeout, log)
        yield Service(address=f"localhost:{port}", pid=process.pid)
    finally:
        process.terminate()
        try:
            process.wait(_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def job_service(workdir: pathlib.Path, timeout: float = 60.0):
    """Beam's Python job service on localhost (it binds the loopback address)."""
    return _service([sys.executable, "-m", "apache_beam.runners.portability."
                     "local_job_service_main", "--port", "0"], "job_service", workdir, timeout)


def worker_pool(workdir: pathlib.Path, timeout: float = 60.0):
    """An external worker pool on localhost (see `serve_worker_pool`)."""
    return _service([sys.executable, "-m", "kubeflow.local_beam", "worker-pool"],
                    "worker_pool", workdir, timeout)


def serve_worker_pool(port_file: str) -> None:
    """Serves Beam's worker pool API on localhost until terminated.

    Same servicer as `python -m apache_beam.runners.worker.worker_pool_main` (the entrypoint of
    `boot --worker_pool` in Beam's SDK image), but bound to the loopback address instead of all
    interfaces, and starting SDK workers as threads of this process rather than `python`
    subprocesses found on PATH.
    """
    import grpc
    from apache_beam.portability.api import beam_fn_api_pb2_grpc
    from apache_beam.runners.worker import worker_pool_main
    from apache_beam.utils import thread_pool_executor

    server = grpc.server(thread_pool_executor.shared_unbounded_instance())
    port = server.add_insecure_port("localhost:0")
    beam_fn_api_pb2_grpc.add_BeamFnExternalWorkerPoolServicer_to_server(
        worker_pool_main.BeamFnExternalWorkerPoolServicer(use_process=False), server)
    server.start()
    pathlib.Path(port_file + ".tmp").write_text(str(port))
    os.replace(port_file + ".tmp", port_file)
    server.wait_for_termination()


def check(mode: str, workers: int = 2, timeout: float = 60.0) -> dict:
    """Runs the smoke pipeline in `mode` and returns its report (see `run_pipeline`)."""
    with tempfile.TemporaryDirectory(prefix="local_beam_") as scratch:
        workdir = pathlib.Path(scratch)
        if mode == "direct":
            args = PipelineConfig(task="imdb", data_root="unused",
                                  beam_workers=workers).beam_pipeline_args
            report = run_pipeline(args, scratch)
        elif mode == "portable":
            with job_service(workdir, timeout) as jobs, worker_pool(workdir, timeout) as pool:
                args = beam_presets.portable(jobs.address, pool.address)
                report = run_pipeline(args, scratch)
                report["service_pids"] = {"job_service": jobs.pid, "worker_pool": pool.pid}
        else:
            raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    return report | {"mode": mode, "beam_args": args}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubeflow.local_beam",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="run the smoke pipeline in one mode")
    check_parser.add_argument("--mode", choices=MODES, required=True)
    check_parser.add_argument("--workers", type=int, default=2,
                              help="direct mode: Beam worker processes (default: 2)")
    check_parser.add_argument("--timeout", type=float, default=60.0,
                              help="seconds to wait for each service to listen")
    check_parser.add_argument("--report", help="write the JSON report here (default: stdout)")
    pool_parser = commands.add_parser("worker-pool", help="serve a loopback worker pool")
    pool_parser.add_argument("--port_file", required=True)
    args = parser.parse_args(argv)
    if args.command == "worker-pool":
        serve_worker_pool(args.port_file)
        return 0
    report = json.dumps(check(args.mode, args.workers, args.timeout), indent=2)
    if args.report:
        pathlib.Path(args.report).write_text(report + "\n")
    else:
        print(report)
    return 0


if __name__ == "__main__":
    # Run the importable module, not __main__: Beam pickles module functions by reference, and
    # SDK workers (other processes) must find them as kubeflow.local_beam.*.
    from kubeflow import local_beam

    sys.exit(local_beam.main())
