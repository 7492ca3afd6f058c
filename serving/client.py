"""Clients for TF Serving or the local server, over REST or gRPC, with typed helpers.

    with client.connect(rest="http://127.0.0.1:8501") as serving:   # or grpc="host:8500"
        serving.predict_sentiment(["a wonderful film"])  # -> array([0.97], dtype=float32)

`predict_sentiment(texts)` (IMDB) and `forecast_temperature(windows)` (Jena) read input and
output names, dtypes and shapes from the model's signature metadata, and send any number of
inputs as requests of at most `max_batch_size` (the servers' limit). Every failure is a
`serving.errors.ServingError` with the canonical code and the server's message; UNAVAILABLE
(server down, restarting, not ready) is retried with exponential backoff. The REST client needs
NumPy only; the gRPC client imports TensorFlow's protos when it is created.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from serving import errors, json_codec, limits
from serving.signatures import DEFAULT_SIGNATURE, Signature, from_dict, from_proto, shape_fits

T = TypeVar("T")


def with_retries(call: Callable[[], T], retries: int, backoff_seconds: float) -> T:
    """Runs `call`, retrying UnavailableError up to `retries` times with jittered backoff."""
    for attempt in range(retries):
        try:
            return call()
        except errors.UnavailableError:
            time.sleep(min(2.0, backoff_seconds * 2**attempt) * (0.5 + random.random() / 2))
    return call()


class ServingClient:
    """What both transports share: the signature cache and the typed helpers.

    Each transport implements `status(name, version)` (TF Serving's REST status JSON),
    `metadata(name, version)` -> (version that answered, Signature by name),
    `predict(name, inputs, version=, signature_name=)` (tensors by name -> arrays by name) and
    `close()`.
    """

    def __init__(self, timeout_seconds: float, retries: int, backoff_seconds: float,
                 max_batch_size: int):
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size {max_batch_size} must be >= 1")
        self.timeout_seconds, self.retries = timeout_seconds, retries
        self.backoff_seconds, self.max_batch_size = backoff_seconds, max_batch_size
        self._signatures: dict[tuple, Signature] = {}

    def close(self) -> None:
        """Releases connections."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def signature(self, name: str, version: int | None = None,
                  signature_name: str = DEFAULT_SIGNATURE) -> Signature:
        """A signature from the model's metadata, fetched once per client."""
        key = (name, version, signature_name)
        if key not in self._signatures:
            signatures = self.metadata(name, version)[1]
            if signature_name not in signatures:
                raise errors.InvalidArgumentError(
                    f"model {name} has no signature {signature_name!r}: {sorted(signatures)}")
            self._signatures[key] = signatures[signature_name]
        return self._signatures[key]

    def predict_sentiment(self, texts: str | Sequence[str], model: str = "imdb",
                          version: int | None = None) -> np.ndarray:
        """Probability that each review is positive, float32 [len(texts)]."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        if not texts or not all(isinstance(text, str) for text in texts):
            raise ValueError("predict_sentiment needs one or more texts (str)")
        alias, _, output = self._single_io(model, version, "DT_STRING")
        return self._predict_batches(model, version, alias, output, texts)

    def forecast_temperature(self, windows: Any, model: str = "jena",
                             version: int | None = None) -> np.ndarray:
        """Forecast (the model's unit, °C) for each window of raw observations, [batch].

        `windows` is [batch, steps, features] or one [steps, features] window, as the signature
        expects; NaN marks a missing value, which the model repairs. ValueError for windows of
        another shape.
        """
        alias, shape, output = self._single_io(model, version, "DT_FLOAT")
        array = np.asarray(windows, dtype=np.float32)
        if shape is not None and array.ndim == len(shape) - 1:
            array = array[np.newaxis]
        if not shape_fits(array.shape, shape):
            raise ValueError(f"model {model} expects windows of shape {list(shape)} (-1: any), "
                             f"got {list(array.shape)}")
        return self._predict_batches(model, version, alias, output, array)

    def _single_io(self, model: str, version: int | None, dtype: str):
        """(input alias, input shape, output alias) of a one-input, one-output signature."""
        signature = self.signature(model, version)
        inputs = list(signature.inputs.items())
        if len(inputs) != 1 or len(signature.outputs) != 1 or inputs[0][1].dtype != dtype:
            raise ValueError(f"model {model}: expected one {dtype} input and one output, got "
                             f"{signature.inputs} -> {sorted(signature.outputs)}")
        return inputs[0][0], inputs[0][1].shape, next(iter(signature.outputs))

    def _predict_batches(self, model: str, version: int | None, alias: str, output: str,
                         values: Sequence) -> np.ndarray:
        """The output for `values`, asked in requests of at most `max_batch_size` of them."""
        size = self.max_batch_size
        return np.concatenate([
            self.predict(model, {alias: values[start:start + size]}, version=version)[output]
            .reshape(-1) for start in range(0, len(values), size)])


def model_path(name: str, version: int | None = None) -> str:
    """/v1/models/{name}[/versions/{version}]."""
    path = "/v1/models/" + urllib.parse.quote(name, safe="")
    return path if version is None else f"{path}/versions/{int(version)}"


class RestClient(ServingClient):
    """TF Serving's REST API over keep-alive HTTP connections, one per thread.

    Args:
      base_url: e.g. http://127.0.0.1:8501.
      timeout_seconds: per request (connect and read).
      retries: extra attempts when the server is UNAVAILABLE (HTTP 503, refused or closed
        connection, which includes a kept-alive connection the server has since closed).
      backoff_seconds: first retry delay, doubled each time (jittered).
      max_batch_size: most inputs the typed helpers send in one request.
    """

    def __init__(self, base_url: str, timeout_seconds: float = 10.0, retries: int = 3,
                 backoff_seconds: float = 0.1, max_batch_size: int = limits.MAX_BATCH_SIZE):
        super().__init__(timeout_seconds, retries, backoff_seconds, max_batch_size)
        parsed = urllib.parse.urlsplit(base_url if "://" in base_url else "http://" + base_url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"expected an http://host:port URL, got {base_url!r}")
        self.base_url, self._address = f"http://{parsed.netloc}", (parsed.hostname, parsed.port)
        self._local, self._lock = threading.local(), threading.Lock()
        self._connections: list[http.client.HTTPConnection] = []

    def _connection(self) -> http.client.HTTPConnection:
        if getattr(self._local, "connection", None) is None:
            connection = http.client.HTTPConnection(*self._address, timeout=self.timeout_seconds)
            connection.connect()
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return self._local.connection

    def _drop_connection(self) -> None:
        if getattr(self._local, "connection", None) is not None:
            self._local.connection.close()
            self._local.connection = None

    def _send(self, method: str, path: str, body: bytes | None) -> bytes:
        target = self.base_url + path
        try:
            connection = self._connection()
            connection.request(method, path, body=body,
                               headers={"Content-Type": "application/json"} if body else {})
            response = connection.getresponse()
            payload = response.read()
        except TimeoutError as error:
            self._drop_connection()
            raise errors.ServingError(f"no answer within {self.timeout_seconds} s ({error})",
                                      code="DEADLINE_EXCEEDED", target=target) from None
        except (OSError, http.client.HTTPException) as error:  # refused, reset, closed
            self._drop_connection()
            raise errors.UnavailableError(f"{type(error).__name__}: {error}",
                                          target=target) from None
        if response.will_close:
            self._drop_connection()
        if response.status == 200:
            return payload
        try:
            message = json.loads(payload)["error"]
        except (ValueError, KeyError, TypeError):
            message = payload.decode("utf-8", errors="replace") or response.reason
        raise errors.from_http(response.status, message, target=target)

    def _call(self, method: str, path: str, body: bytes | None = None) -> bytes:
        return with_retries(lambda: self._send(method, path, body), self.retries,
                            self.backoff_seconds)

    def status(self, name: str, version: int | None = None) -> dict:
        return json.loads(self._call("GET", model_path(name, version)))

    def metadata(self, name: str, version: int | None = None) -> tuple[int, dict[str, Signature]]:
        payload = json.loads(self._call("GET", model_path(name, version) + "/metadata"))
        signatures = payload["metadata"]["signature_def"]["signature_def"]
        return int(payload["model_spec"]["version"]), {
            key: from_dict(value) for key, value in signatures.items()}

    def predict(self, name: str, inputs: Mapping[str, Any], *, version: int | None = None,
                signature_name: str = DEFAULT_SIGNATURE) -> dict[str, np.ndarray]:
        signature = self.signature(name, version, signature_name)
        body = json_codec.request_body(inputs, signature_name)
        payload = self._call("POST", model_path(name, version) + ":predict", body)
        return json_codec.parse_predict_response(
            payload, {alias: info.dtype for alias, info in signature.outputs.items()})

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()


class GrpcClient(ServingClient):
    """TF Serving's gRPC API (PredictionService, ModelService) over one channel, which HTTP/2
    multiplexes across threads. Creating one imports TensorFlow's protos.

    Args:
      target: host:port, e.g. 127.0.0.1:8500.
      timeout_seconds, retries, backoff_seconds, max_batch_size: as for RestClient.
      max_message_bytes: largest message either way.
    """

    def __init__(self, target: str, timeout_seconds: float = 10.0, retries: int = 3,
                 backoff_seconds: float = 0.1, max_batch_size: int = limits.MAX_BATCH_SIZE,
                 max_message_bytes: int = 64 * 2**20):
        super().__init__(timeout_seconds, retries, backoff_seconds, max_batch_size)
        # Imported here so that REST-only use never loads TensorFlow (not to dodge a cycle).
        import grpc
        from tensorflow_serving.apis import model_service_pb2_grpc, prediction_service_pb2_grpc

        from serving import protos

        self.target, self._grpc, self._protos = target, grpc, protos
        self._channel = grpc.insecure_channel(target, options=[
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.max_receive_message_length", max_message_bytes)])
        self._prediction = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)

    def _call(self, method, request):
        def once():
            try:
                return method(request, timeout=self.timeout_seconds)
            except self._grpc.RpcError as error:
                raise errors.from_code(error.code().name, error.details() or "",
                                       target=self.target) from None

        return with_retries(once, self.retries, self.backoff_seconds)

    def status(self, name: str, version: int | None = None) -> dict:
        request = self._protos.status_request(name, version)
        return self._protos.to_json(self._call(self._models.GetModelStatus, request))

    def metadata(self, name: str, version: int | None = None) -> tuple[int, dict[str, Signature]]:
        response = self._call(self._prediction.GetModelMetadata,
                              self._protos.metadata_request(name, version))
        version, signature_defs = self._protos.read_metadata(response)
        return version, {key: from_proto(value) for key, value in signature_defs.items()}

    def predict(self, name: str, inputs: Mapping[str, Any], *, version: int | None = None,
                signature_name: str = DEFAULT_SIGNATURE) -> dict[str, np.ndarray]:
        return self.predict_with_version(name, inputs, version=version,
                                         signature_name=signature_name)[1]

    def predict_with_version(self, name: str, inputs: Mapping[str, Any], *,
                             version: int | None = None, signature_name: str = DEFAULT_SIGNATURE
                             ) -> tuple[int, dict[str, np.ndarray]]:
        """Like `predict`, also returning the version that answered."""
        response = self._call(self._prediction.Predict,
                              self._protos.predict_request(name, version, signature_name, inputs))
        return response.model_spec.version.value, {
            alias: self._protos.from_tensor_proto(tensor)
            for alias, tensor in response.outputs.items()}

    def close(self) -> None:
        self._channel.close()


def connect(rest: str | None = None, grpc: str | None = None, **options) -> ServingClient:
    """A RestClient for `rest` (URL) or a GrpcClient for `grpc` (host:port)."""
    if (rest is None) == (grpc is None):
        raise ValueError("give exactly one of rest= (URL) or grpc= (host:port)")
    return RestClient(rest, **options) if rest is not None else GrpcClient(grpc, **options)
