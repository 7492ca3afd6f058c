"""Clients for TF Serving (or the local server): REST here, gRPC in serving/grpc_client.py.

Both share `ServingClient`: `status`, `metadata`, `predict`, and the typed helpers
`predict_sentiment(texts)` (IMDB) and `forecast_temperature(windows)` (Jena), which read the
input and output names, dtypes and shapes from the model's signature metadata instead of
hard-coding them. Calls have a timeout; UNAVAILABLE (server down, restarting, or not ready)
is retried a bounded number of times with exponential backoff; every failure is a
`serving.errors.ServingError` carrying the canonical code and the server's message.

    with client.connect(rest="http://127.0.0.1:8501") as serving:
        serving.predict_sentiment(["a wonderful film"])  # -> array([0.97], dtype=float32)
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from serving import errors, json_bodies
from serving.signatures import DEFAULT_SIGNATURE, Signature, TensorInfo, from_dict

T = TypeVar("T")
_FLOATS = ("DT_FLOAT", "DT_DOUBLE", "DT_HALF")


def with_retries(call: Callable[[], T], retries: int, backoff_seconds: float,
                 max_backoff_seconds: float = 2.0) -> T:
    """Runs `call`, retrying UnavailableError up to `retries` times with jittered backoff."""
    for attempt in range(retries + 1):
        try:
            return call()
        except errors.UnavailableError:
            if attempt == retries:
                raise
            delay = min(max_backoff_seconds, backoff_seconds * 2**attempt)
            time.sleep(delay * (0.5 + random.random() / 2))
    raise AssertionError("unreachable")


def model_path(name: str, version: int | None = None, label: str | None = None) -> str:
    """/v1/models/{name}[/versions/{v}|/labels/{l}]."""
    if version is not None and label is not None:
        raise ValueError(f"give a version ({version}) or a label ({label!r}), not both")
    path = "/v1/models/" + urllib.parse.quote(name, safe="")
    if version is not None:
        path += f"/versions/{int(version)}"
    elif label is not None:
        path += "/labels/" + urllib.parse.quote(label, safe="")
    return path


class ServingClient:
    """What the REST and gRPC clients share: metadata cache and the typed helpers."""

    def __init__(self) -> None:
        self._signatures: dict[tuple, Signature] = {}

    def status(self, name: str, version: int | None = None, label: str | None = None) -> dict:
        """GetModelStatus, as TF Serving's REST JSON ({"model_version_status": [...]})."""
        raise NotImplementedError

    def metadata(self, name: str, version: int | None = None,
                 label: str | None = None) -> tuple[int, dict[str, Signature]]:
        """GetModelMetadata: (version that answered, signatures by name)."""
        raise NotImplementedError

    def predict(self, name: str, inputs: Any, *, version: int | None = None,
                label: str | None = None, signature_name: str = DEFAULT_SIGNATURE
                ) -> dict[str, np.ndarray]:
        """Predict: input tensors (one array-like, or a mapping by input name) -> outputs."""
        raise NotImplementedError

    def close(self) -> None:
        """Releases connections."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def signature(self, name: str, version: int | None = None, label: str | None = None,
                  signature_name: str = DEFAULT_SIGNATURE) -> Signature:
        """A signature from the model's metadata, cached per client (`forget` clears it)."""
        key = (name, version, label, signature_name)
        if key not in self._signatures:
            _, signatures = self.metadata(name, version, label)
            if signature_name not in signatures:
                raise errors.InvalidArgumentError(
                    f"model {name} has no signature {signature_name!r}; it has "
                    f"{sorted(signatures)}")
            self._signatures[key] = signatures[signature_name]
        return self._signatures[key]

    def forget(self) -> None:
        """Drops cached signatures (after a push that changes a model's interface)."""
        self._signatures.clear()

    def predict_sentiment(self, texts: str | Sequence[str], model: str = "imdb",
                          version: int | None = None) -> np.ndarray:
        """Probability that each review is positive, float32 [len(texts)]."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        if not texts or not all(isinstance(text, str) for text in texts):
            raise ValueError("predict_sentiment needs one or more texts (str)")
        alias, output = _single_io(self.signature(model, version), model, "DT_STRING")
        return self.predict(model, {alias: texts}, version=version)[output].reshape(-1)

    def forecast_temperature(self, windows: Any, model: str = "jena",
                             version: int | None = None) -> np.ndarray:
        """Forecast for each window of raw observations, in the model's unit (°C), [batch].

        Args:
          windows: [batch, steps, features] or one [steps, features] window of raw
            (unnormalized) observations, as the model's signature expects them.
          model: served model name.
          version: a specific version; default: the latest.

        Raises:
          ValueError: the windows do not have the signature's shape.
        """
        signature = self.signature(model, version)
        alias, output = _single_io(signature, model, *_FLOATS)
        info = signature.inputs[alias]
        array = np.asarray(windows, dtype=np.float32)
        if info.shape is not None and array.ndim == len(info.shape) - 1:
            array = array[np.newaxis]
        _check_shape(array, info, model)
        return self.predict(model, {alias: array}, version=version)[output].reshape(-1)


def _single_io(signature: Signature, model: str, *dtypes: str) -> tuple[str, str]:
    if len(signature.inputs) != 1 or len(signature.outputs) != 1:
        raise ValueError(f"model {model}: expected one input and one output in its "
                         f"signature, got {sorted(signature.inputs)} -> "
                         f"{sorted(signature.outputs)}")
    (alias, info), = signature.inputs.items()
    if info.dtype not in dtypes:
        raise ValueError(f"model {model}: input {alias!r} is {info.dtype}, expected one of "
                         f"{list(dtypes)}")
    return alias, next(iter(signature.outputs))


def _check_shape(array: np.ndarray, info: TensorInfo, model: str) -> None:
    if info.shape is None:
        return
    fits = array.ndim == len(info.shape) and all(
        want in (-1, got) for got, want in zip(array.shape, info.shape, strict=True))
    if not fits:
        raise ValueError(f"model {model} expects windows of shape {list(info.shape)} (-1: any), "
                         f"got {list(array.shape)}")


class RestClient(ServingClient):
    """TF Serving's REST API over keep-alive HTTP connections (one per thread).

    Args:
      base_url: e.g. http://127.0.0.1:8501.
      timeout_seconds: per request (connect and read).
      retries: extra attempts when the server is UNAVAILABLE (HTTP 503, refused connection).
      backoff_seconds: first retry delay, doubled each time (jittered).
      request_format: json_bodies.ROW ("instances") or json_bodies.COLUMNAR ("inputs").
    """

    def __init__(self, base_url: str, timeout_seconds: float = 10.0, retries: int = 3,
                 backoff_seconds: float = 0.1, request_format: str = json_bodies.ROW):
        super().__init__()
        parsed = urllib.parse.urlsplit(base_url if "://" in base_url else "http://" + base_url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"expected an http://host:port URL, got {base_url!r}")
        self.base_url = f"http://{parsed.netloc}"
        self._host, self._port = parsed.hostname, parsed.port or 80
        self.timeout_seconds, self.retries = timeout_seconds, retries
        self.backoff_seconds, self.request_format = backoff_seconds, request_format
        self._local = threading.local()
        self._connections: list[http.client.HTTPConnection] = []
        self._connections_lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self._host, self._port,
                                                    timeout=self.timeout_seconds)
            connection.connect()
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _exchange(self, method: str, path: str,
                  body: bytes | None) -> tuple[http.client.HTTPResponse, bytes]:
        reused = getattr(self._local, "connection", None) is not None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            connection = self._connection()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response, response.read()
        except (ConnectionError, http.client.RemoteDisconnected):
            if not reused:
                raise
        # A kept-alive connection the server had closed (idle timeout): one fresh attempt,
        # outside the UNAVAILABLE retry budget, as HTTP clients commonly do.
        self._drop_connection()
        connection = self._connection()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response, response.read()

    def _send(self, method: str, path: str, body: bytes | None) -> bytes:
        target = self.base_url + path
        try:
            response, payload = self._exchange(method, path, body)
        except TimeoutError as error:
            self._drop_connection()
            raise errors.DeadlineExceededError(f"no answer within {self.timeout_seconds} s "
                                               f"({error})", target=target) from None
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

    def status(self, name: str, version: int | None = None, label: str | None = None) -> dict:
        return json.loads(self._call("GET", model_path(name, version, label)))

    def metadata(self, name: str, version: int | None = None,
                 label: str | None = None) -> tuple[int, dict[str, Signature]]:
        payload = json.loads(self._call("GET", model_path(name, version, label) + "/metadata"))
        signatures = payload["metadata"]["signature_def"]["signature_def"]
        return int(payload["model_spec"]["version"]), {
            key: from_dict(value) for key, value in signatures.items()}

    def predict(self, name: str, inputs: Any, *, version: int | None = None,
                label: str | None = None, signature_name: str = DEFAULT_SIGNATURE
                ) -> dict[str, np.ndarray]:
        signature = self.signature(name, version, label, signature_name)
        body = json_bodies.request_body(
            inputs, self.request_format,
            None if signature_name == DEFAULT_SIGNATURE else signature_name)
        payload = self._call("POST", model_path(name, version, label) + ":predict", body)
        dtypes = {alias: info.dtype for alias, info in signature.outputs.items()}
        return json_bodies.parse_predict_response(payload, dtypes)

    def close(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()


def connect(rest: str | None = None, grpc: str | None = None, **options) -> ServingClient:
    """A REST client for `rest` (URL) or a gRPC client for `grpc` (host:port)."""
    if (rest is None) == (grpc is None):
        raise ValueError("give exactly one of rest= (URL) or grpc= (host:port)")
    if rest is not None:
        return RestClient(rest, **options)
    from serving.grpc_client import GrpcClient  # imports TensorFlow's protos

    return GrpcClient(grpc, **options)

