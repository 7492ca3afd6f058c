"""The canary's server process and its two probes (TF Serving's REST and gRPC APIs).

The candidate is served by the project's serving stack as it is deployed: `python -m
serving.cli serve` in its own process (tensorflow_model_server when it is on PATH, the local
server otherwise). Components sit below `serving/` in the layers, so the canary starts it by
module path and talks to it only over the wire, with clients of its own written against TF
Serving's documented API (REST `:predict` in columnar form with `{"b64": ...}` strings and bare
NaN tokens; gRPC `PredictionService.Predict`), not the project's client: what it checks is
the server a client of TF Serving would meet.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

SERVE_MODULE = "serving.cli"  # run by module path: components may not import serving/


class CanaryError(Exception):
    """The served model could not be reached, loaded or asked: a reason to refuse it."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serve(serving_root: str, model: str, log_path: str,
          startup_seconds: float) -> Iterator[tuple[str, str]]:
    """Serves `serving_root` in a new process until exit; yields (REST host:port, gRPC target).

    Raises:
      CanaryError: the process exits, or the model is not AVAILABLE within `startup_seconds`
        (the server's own error message when it reports one).
    """
    rest, grpc_port = free_port(), free_port()
    command = [sys.executable, "-m", SERVE_MODULE, "serve", "--serving-root", serving_root,
               "--models", model, "--rest-port", str(rest), "--grpc-port", str(grpc_port),
               "--poll-seconds", "1"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_available(process, f"127.0.0.1:{rest}", model, startup_seconds, log_path)
        yield f"127.0.0.1:{rest}", f"127.0.0.1:{grpc_port}"
    finally:
        process.terminate()  # `serve` stops both fronts on SIGTERM
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_available(process, rest: str, model: str, seconds: float, log_path: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CanaryError(f"the server exited with code {process.returncode}: "
                              f"{_tail(log_path)}")
        try:
            status = _rest_call(rest, "GET", f"/v1/models/{model}", None, 5.0)
        except (OSError, http.client.HTTPException, CanaryError):
            time.sleep(0.5)
            continue
        states = status.get("model_version_status", [])
        if any(state.get("state") == "AVAILABLE" for state in states):
            return
        errors = [state["status"]["error_message"] for state in states
                  if state.get("state") == "END" and state.get("status", {}).get("error_message")]
        if errors:
            raise CanaryError(f"the server could not load the model: {errors[0][:500]}")
        time.sleep(0.5)
    raise CanaryError(f"the model was not AVAILABLE after {seconds:g} s: {_tail(log_path)}")


def _tail(path: str, size: int = 600) -> str:
    with open(path, "rb") as handle:
        return handle.read()[-size:].decode("utf-8", "replace").strip()


def _rest_call(target: str, method: str, path: str, body: dict | None, timeout: float) -> dict:
    host, port = target.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=payload,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        text = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise CanaryError(f"REST {method} {path}: HTTP {response.status} "
                          f"{text[:300].decode('utf-8', 'replace')}")
    return json.loads(text)


def _json_value(array: np.ndarray):
    """TF Serving's JSON for a tensor: nested lists, bytes as {"b64": ...}, NaN as a bare token."""
    if array.dtype == object:
        return [{"b64": base64.b64encode(value).decode("ascii")} for value in array.tolist()]
    return array.tolist()  # json.dumps writes NaN as the bare token TF Serving accepts


def rest_predict(target: str, model: str, inputs: dict[str, np.ndarray],
                 output_names: list[str], timeout: float = 60.0) -> dict[str, np.ndarray]:
    """serving_default over REST, columnar (`{"inputs": ...}` -> `{"outputs": ...}`)."""
    body = {"inputs": {name: _json_value(value) for name, value in inputs.items()}}
    try:
        answer = _rest_call(target, "POST", f"/v1/models/{model}:predict", body,
                            timeout)["outputs"]
    except (OSError, http.client.HTTPException, KeyError) as error:
        raise CanaryError(f"REST predict failed: {error!r}") from None
    # One output comes back unnamed, several by name (tensorflow_serving/util/json_tensor.cc).
    named = answer if len(output_names) > 1 else {output_names[0]: answer}
    return {name: np.array(named[name], dtype=np.float64) for name in output_names}


class GrpcProbe:
    """PredictionService.Predict on one channel."""

    def __init__(self, target: str):
        self._channel = grpc.insecure_channel(target)
        self._stub = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)

    def predict(self, model: str, inputs: dict[str, np.ndarray],
                timeout: float = 60.0) -> dict[str, np.ndarray]:
        request = predict_pb2.PredictRequest()
        request.model_spec.name = model
        request.model_spec.signature_name = "serving_default"
        for name, value in inputs.items():
            request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
        try:
            response = self._stub.Predict(request, timeout=timeout)
        except grpc.RpcError as error:
            raise CanaryError(f"gRPC Predict: {error.code().name} {error.details()}") from None
        return {name: tf.make_ndarray(proto).astype(np.float64)
                for name, proto in response.outputs.items()}

    def close(self) -> None:
        self._channel.close()
