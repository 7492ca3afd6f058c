"""`predict` and `serve` commands (registered into `tfx-text` by pipeline/cli.py).

    tfx-text predict imdb "some review" [--rest URL | --grpc HOST:PORT]
    tfx-text predict jena --window window.csv [--metadata model_metadata.json]
    tfx-text serve --serving-root DIR [--rest-port 8501] [--grpc-port 8500]

`serve` runs tensorflow_model_server with a generated models.config when the binary is on PATH,
and the local development server (serving/local_server.py) otherwise. Also runnable as
`python -m serving.cli ...`. The handlers import the serving modules they need, so that
`tfx-text --help` loads no TensorFlow, and `predict --rest` none either.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

from core import tasks
from serving import limits

DEFAULT_REST = "http://127.0.0.1:8501"
DEPLOY_DIR = pathlib.Path(__file__).resolve().parent / "deploy"
SERVER_BINARY = "tensorflow_model_server"


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Adds `predict` and `serve`; each sets `handler` (args -> exit code)."""
    predict = subparsers.add_parser("predict", help="ask a served model over REST or gRPC")
    predict.add_argument("task", choices=tasks.TASK_NAMES)
    predict.add_argument("texts", nargs="*", help="imdb: one or more review texts")
    predict.add_argument("--window", type=pathlib.Path,
                         help="jena: CSV of raw observations, a row each (oldest first); "
                              "non-numeric columns are ignored, empty cells are missing values")
    predict.add_argument("--metadata", type=pathlib.Path,
                         help="jena: the model's assets.extra/model_metadata.json; picks and "
                              "orders the CSV columns by header and subsamples raw 10-minute "
                              "rows every `step` rows")
    where = predict.add_mutually_exclusive_group()
    where.add_argument("--rest", help=f"REST base URL (default: {DEFAULT_REST})")
    where.add_argument("--grpc", help="gRPC host:port, e.g. 127.0.0.1:8500")
    predict.add_argument("--model", help="served model name (default: the task name)")
    predict.add_argument("--version", type=int, help="model version (default: the latest)")
    predict.add_argument("--timeout", type=float, default=10.0, help="seconds per call")
    predict.add_argument("--max-batch-size", type=int, default=limits.MAX_BATCH_SIZE,
                         help="inputs per request: more are sent as several requests "
                              "(default: the servers' limit, %(default)s)")
    predict.set_defaults(handler=predict_command)

    serve = subparsers.add_parser("serve", help="serve pushed models over REST and gRPC")
    serve.add_argument("--serving-root", required=True,
                       help="the Pusher's root: <root>/<model>/<version>/")
    serve.add_argument("--rest-port", type=int, default=8501)
    serve.add_argument("--grpc-port", type=int, default=8500)
    serve.add_argument("--models", nargs="+",
                       help="models to serve (default: every folder holding a version)")
    serve.add_argument("--num-versions", type=int, default=1, help="latest N served per model")
    serve.add_argument("--poll-seconds", type=float, default=1.0,
                       help="how often new versions are looked for")
    serve.add_argument("--host", default="127.0.0.1", help="local server: interface to bind")
    serve.add_argument("--config-out", type=pathlib.Path,
                       help="where models.config is written (default: a temporary folder)")
    serve.add_argument("--max-batch-size", type=int, default=limits.MAX_BATCH_SIZE,
                       help="instances per request; larger requests get HTTP 400 / "
                            "INVALID_ARGUMENT (default: max_batch_size of "
                            "deploy/batching_parameters.txt, %(default)s)")
    serve.add_argument("--max-request-bytes", type=int, default=limits.MAX_REQUEST_BYTES,
                       help="local server: larger bodies are refused unread (default: "
                            "%(default)s)")
    serve.add_argument("--local", action="store_true",
                       help="use the local server even when tensorflow_model_server is on PATH")
    serve.set_defaults(handler=serve_command)


def predict_command(args: argparse.Namespace) -> int:
    from serving import client, errors

    try:
        with client.connect(rest=None if args.grpc else (args.rest or DEFAULT_REST),
                            grpc=args.grpc, timeout_seconds=args.timeout,
                            max_batch_size=args.max_batch_size) as serving:
            # The task's input adapter (serving/predict.py), named by its registry entry.
            adapter = tasks.load(tasks.get_task_spec(args.task).predict)
            for line in adapter(serving, args, args.model or args.task):
                print(line)
    except (errors.ServingError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1 if isinstance(error, errors.ServingError) else 2
    return 0


def serve_command(args: argparse.Namespace) -> int:
    from serving import models_config

    try:
        configs = models_config.discover(args.serving_root, args.models, args.num_versions)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    binary = shutil.which(SERVER_BINARY)
    if args.config_out or (binary and not args.local):
        config_path = args.config_out or pathlib.Path(
            tempfile.mkdtemp(prefix="tfx-text-serving-")) / "models.config"
        models_config.write(str(config_path), configs)
    if not binary or args.local:
        return _run_local_server(configs, args)
    batching = config_path.parent / "batching_parameters.txt"
    batching.write_text(batching_parameters(args.max_batch_size))
    command = model_server_command(binary, str(config_path), str(batching), args)
    print(f"Running {' '.join(command)}", flush=True)
    return subprocess.call(command)


def batching_parameters(max_batch_size: int) -> str:
    """deploy/batching_parameters.txt with another max_batch_size: the real server's limit."""
    text = (DEPLOY_DIR / "batching_parameters.txt").read_text()
    return re.sub(r"max_batch_size \{ value: \d+ \}",
                  f"max_batch_size {{ value: {max_batch_size} }}", text)


def model_server_command(binary: str, config_path: str, batching_path: str,
                         args: argparse.Namespace) -> list[str]:
    """The tensorflow_model_server command line `serve` runs: batching on, so that the server
    refuses requests over max_batch_size as the local one does."""
    return [binary, f"--port={args.grpc_port}", f"--rest_api_port={args.rest_port}",
            f"--model_config_file={config_path}", "--model_config_file_poll_wait_seconds=60",
            f"--file_system_poll_wait_seconds={max(1, round(args.poll_seconds))}",
            "--allow_version_labels_for_unavailable_models=true",
            "--enable_batching=true", f"--batching_parameters_file={batching_path}",
            f"--monitoring_config_file={DEPLOY_DIR / 'monitoring.config'}"]


def _run_local_server(configs, args: argparse.Namespace) -> int:
    from serving import local_server

    server = local_server.LocalServer(
        configs, host=args.host, rest_port=args.rest_port, grpc_port=args.grpc_port,
        poll_seconds=args.poll_seconds, max_batch_size=args.max_batch_size,
        max_request_bytes=args.max_request_bytes)
    try:
        server.start()
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{SERVER_BINARY} is not on PATH{' (or --local)' if args.local else ''}: started the "
          f"local development server instead, not for production: {server.describe()}",
          flush=True)
    stopped = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = argparse.ArgumentParser(prog="python -m serving.cli",
                                     description=__doc__.split("\n")[0])
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
