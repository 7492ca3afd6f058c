"""Benchmark: serving latency and throughput, in-process SavedModel call vs REST vs gRPC.

For each model under the serving root (IMDB; Jena when pushed), with 1 and 50 concurrent
clients, each sending one example per request: p50/p99 latency of successful requests,
throughput, and failed requests. REST and gRPC go to the local server (serving/local_server.py)
in its own process; the clients are threads of this process. Writes
bench/results/serving_latency.{json,md}.

Usage: python -m bench.serving_latency --serving-root outputs/serving
         [--requests 300] [--concurrent-requests 1500] [--rounds 3] [--max-seconds 60]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys
import threading
import time

import numpy as np

from bench import common

REPO = pathlib.Path(__file__).resolve().parents[1]
CLIENT_COUNTS = (1, 50)
REVIEW = ("I went in expecting little and came out moved. The lead performance is restrained "
          "and honest, the script avoids the usual clichés, and the final act earns every "
          "emotion it asks for. A few scenes drag and the score is too insistent, but this is "
          "the rare drama that trusts its audience. ")


def start_server(serving_root: str, models: list[str],
                 *extra: str) -> tuple[subprocess.Popen, str, str]:
    """Starts the local server in its own process; returns it, the REST URL, the gRPC target."""
    command = [sys.executable, "-m", "serving.cli", "serve", "--serving-root", serving_root,
               "--rest-port", "0", "--grpc-port", "0", "--local", "--models", *models, *extra]
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, env=env)
    line = process.stdout.readline()
    match = re.search(r"REST (http://\S+) and gRPC (\S+);", line)
    if match is None:
        process.kill()
        sys.exit(f"the local server did not start: {line!r}")
    return process, match.group(1), match.group(2)


def example(model: str, signature) -> object:
    """One request's input: a review for text models, a plausible raw window otherwise."""
    (alias, info), = signature.inputs.items()
    if info.dtype == "DT_STRING":
        return alias, [REVIEW * 2]
    rng = np.random.default_rng(0)
    shape = [1] + [dim for dim in info.shape[1:]]
    return alias, rng.normal(10.0, 5.0, size=shape).astype(np.float32)


def measure(call, clients: int, total: int, max_seconds: float) -> tuple[list, list, float]:
    """Runs `call` about `total` times over `clients` threads.

    Returns:
      (latencies in seconds of the successful calls, failure reprs, wall seconds).
    """
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    per_client = max(1, total // clients)
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        for _ in range(per_client):
            if time.monotonic() > deadline:
                return
            start = time.perf_counter()
            try:
                call()
            except Exception as error:  # counted, not raised: the run goes on
                with lock:
                    failures.append(repr(error))
                continue
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures, time.perf_counter() - start


def summarize(latencies: list[float], failures: list[str], wall: float) -> dict:
    ms = np.array(latencies) * 1000
    return {"requests": len(latencies) + len(failures), "errors": len(failures),
            "first_error": failures[0] if failures else None,
            "p50_ms": round(float(np.percentile(ms, 50)), 2) if len(ms) else None,
            "p99_ms": round(float(np.percentile(ms, 99)), 2) if len(ms) else None,
            "throughput_per_s": round(len(latencies) / wall, 1), "wall_seconds": round(wall, 2)}


def bench_model(model: str, version_dir: str, rest_url: str, grpc_target: str,
                args: argparse.Namespace) -> list[dict]:
    """Rows for one model: in-process, then REST and gRPC to the local server."""
    import tensorflow as tf

    from serving import client

    connections = [("REST", client.connect(rest=rest_url, timeout_seconds=60)),
                   ("gRPC", client.connect(grpc=grpc_target, timeout_seconds=60))]
    alias, value = example(model, connections[0][1].signature(model))
    function = tf.saved_model.load(version_dir).signatures["serving_default"]
    calls = {"in-process": lambda: function(**{alias: tf.constant(value)})}
    for path, serving in connections:
        calls[path] = lambda serving=serving: serving.predict(model, {alias: value})
    for call in calls.values():
        for _ in range(args.warmup):  # tracing, connections, allocator and cache warm-up
            call()
    rows = []
    for clients in CLIENT_COUNTS:
        total = args.requests if clients == 1 else args.concurrent_requests
        runs: dict[str, list] = {path: [[], [], 0.0] for path in calls}
        # Rounds alternate the paths, so background load on the shared cores hits all alike.
        for _ in range(args.rounds):
            for path, call in calls.items():
                latencies, failures, wall = measure(call, clients, total // args.rounds,
                                                    args.max_seconds / args.rounds)
                runs[path][0] += latencies
                runs[path][1] += failures
                runs[path][2] += wall
        for path, (latencies, failures, wall) in runs.items():
            result = {"model": model, "path": path, "clients": clients,
                      **summarize(latencies, failures, wall)}
            rows.append(result)
            print(result, flush=True)
    for _, serving in connections:
        serving.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serving-root", required=True, help="<root>/<model>/<version>/")
    parser.add_argument("--models", nargs="+", default=["imdb", "jena"])
    parser.add_argument("--requests", type=int, default=300, help="with 1 client")
    parser.add_argument("--concurrent-requests", type=int, default=1500,
                        help="in total with 50 clients")
    parser.add_argument("--max-seconds", type=float, default=60.0,
                        help="per path and client count, over all rounds")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds per client count")
    parser.add_argument("--warmup", type=int, default=30, help="calls per path before timing")
    args = parser.parse_args()
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from serving import models_config

    root = os.path.abspath(args.serving_root)
    available = {c.name: c for c in models_config.discover(root)}
    models = [name for name in args.models if name in available]
    skipped = sorted(set(args.models) - set(models))
    if not models:
        sys.exit(f"none of {args.models} has a pushed version under {root}")
    process, rest_url, grpc_target = start_server(root, models)
    try:
        rows = []
        for model in models:
            config = available[model]
            version = max(int(v) for v in os.listdir(config.base_path) if v.isdigit())
            rows += bench_model(model, os.path.join(config.base_path, str(version)), rest_url,
                                grpc_target, args)
    finally:
        process.terminate()
        process.wait(timeout=30)
    payload = {"machine": common.machine(), "load_average_1m_at_end": os.getloadavg()[0],
               "serving_root": root, "skipped_models": skipped,
               "settings": {key: getattr(args, key) for key in
                            ("requests", "concurrent_requests", "max_seconds", "rounds")},
               "server": "local development server (python -m serving.cli serve --local) in "
                         "its own process; clients are threads of the benchmark process",
               "rows": rows}
    table = [["model", "path", "clients", "requests", "errors", "p50 ms", "p99 ms",
              "throughput req/s"]]
    table += [[r["model"], r["path"], str(r["clients"]), str(r["requests"]), str(r["errors"]),
               str(r["p50_ms"]), str(r["p99_ms"]), str(r["throughput_per_s"])] for r in rows]
    print(common.write_results("serving_latency", payload, table).read_text())


if __name__ == "__main__":
    main()
