"""A local development server that speaks the REST and gRPC APIs of TF Serving the project uses.

`tensorflow_model_server` cannot be installed here (not on PyPI or Debian, no Docker daemon), so
tests and development serve the Pusher's version folders with this: REST `GET /v1/models/{m}`
(status), `GET .../metadata`, `POST ...:predict`, each also under `/versions/{v}`; gRPC
PredictionService.Predict and GetModelMetadata, ModelService.GetModelStatus; the same JSON, status
codes and HTTP statuses; version polling (serving/registry.py). Other gRPC methods answer
UNIMPLEMENTED. Python threads, no TLS or authentication: it binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import concurrent.futures
import functools
import http.server
import json
import logging
import re
import socket
import threading
import urllib.parse
from collections.abc import Callable

import grpc
import numpy as np
from tensorflow_serving.apis import model_service_pb2_grpc, predict_pb2, prediction_service_pb2_grpc

from serving import errors, json_codec, protos
from serving.registry import ModelConfig, ModelRegistry, SavedModelServable
from serving.signatures import DEFAULT_SIGNATURE, Signature, check_inputs

LOG = logging.getLogger(__name__)
DEFAULT_MAX_REQUEST_BYTES = 16 * 2**20
_VERSION = r"(?:/versions/(\d+))?"
PREDICT_PATH = re.compile(r"/v1/models/([^/:]+)" + _VERSION + r":predict")
STATUS_PATH = re.compile(r"/v1/models/([^/:]+)" + _VERSION + r"(/metadata)?")


class LocalServer:
    """REST and gRPC fronts over one ModelRegistry; a context manager, or start()/stop().

    Args:
      models: the models to serve (serving.models_config.discover).
      host: interface to bind; keep 127.0.0.1 unless the network is trusted.
      rest_port, grpc_port: ports (0: a free port; None: no such front).
      poll_seconds: how often the model folders are listed for new versions.
      max_request_bytes: larger REST bodies and gRPC messages are refused.
      loader: version folder -> Servable (tests pass a fake).
    """

    def __init__(self, models: list[ModelConfig], *, host: str = "127.0.0.1",
                 rest_port: int | None = 8501, grpc_port: int | None = 8500,
                 poll_seconds: float = 1.0, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
                 loader: Callable = SavedModelServable):
        if rest_port is None and grpc_port is None:
            raise ValueError("the local server needs a REST port, a gRPC port or both")
        self.registry = ModelRegistry(models, poll_seconds=poll_seconds, loader=loader)
        self.host, self.max_request_bytes = host, max_request_bytes
        self._ports = {"rest": rest_port, "grpc": grpc_port}
        self._rest: _RestServer | None = None
        self._rest_thread: threading.Thread | None = None
        self._grpc: grpc.Server | None = None

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self._ports['rest']}"

    @property
    def grpc_target(self) -> str:
        return f"{self.host}:{self._ports['grpc']}"

    def start(self) -> LocalServer:
        """Loads the current versions, starts polling and both fronts.

        Raises:
          OSError: a port could not be bound (what had started is stopped).
        """
        try:
            self.registry.start()
            if self._ports["grpc"] is not None:
                self._start_grpc()
            if self._ports["rest"] is not None:
                self._rest = _RestServer((self.host, self._ports["rest"]), self)
                self._ports["rest"] = self._rest.server_address[1]
                self._rest_thread = threading.Thread(
                    target=self._rest.serve_forever, kwargs={"poll_interval": 0.2},
                    name="rest-server", daemon=True)
                self._rest_thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_grpc(self) -> None:
        self._grpc = grpc.server(
            concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="grpc"),
            options=[("grpc.max_receive_message_length", self.max_request_bytes),
                     ("grpc.so_reuseport", 0)])
        servicer = _Servicer(self)
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(servicer, self._grpc)
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(servicer, self._grpc)
        address = f"{self.host}:{self._ports['grpc']}"
        try:
            self._ports["grpc"] = self._grpc.add_insecure_port(address)
        except RuntimeError as error:  # grpcio raises where older versions returned 0
            raise OSError(f"could not bind the gRPC server to {address}: {error}") from None
        self._grpc.start()

    def stop(self) -> None:
        """Stops both fronts (in-flight gRPC calls get a second) and the polling."""
        if self._rest is not None:
            self._rest.shutdown()
            self._rest.close_connections()
            self._rest.server_close()
            self._rest_thread.join()
            self._rest = self._rest_thread = None
        if self._grpc is not None:
            self._grpc.stop(1.0).wait()
            self._grpc = None
        self.registry.stop()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def describe(self) -> str:
        """One line: where it listens and which models it serves."""
        fronts = [f"REST {self.rest_url}"] if self._rest else []
        fronts += [f"gRPC {self.grpc_target}"] if self._grpc else []
        return f"{' and '.join(fronts)}; models: {', '.join(self.registry.configs)}"

    def metadata(self, name: str, version: int | None):
        version, servable = self.registry.resolve(name, version)
        return protos.metadata_response(name, version, servable.signatures)


def _signature(servable, signature_name: str) -> Signature:
    signature = servable.signatures.get(signature_name or DEFAULT_SIGNATURE)
    if signature is None:
        raise errors.InvalidArgumentError(f"the model has no signature {signature_name!r}; it "
                                          f"has {sorted(servable.signatures)}")
    return signature


def _run(servable, signature_name: str,
         inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Checks the tensors against the signature, then runs the model."""
    check_inputs(_signature(servable, signature_name), inputs)
    return servable.run(signature_name or DEFAULT_SIGNATURE, inputs)


class _RestServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # listen backlog; the default 5 drops bursts of new connections

    def __init__(self, address: tuple[str, int], local: LocalServer):
        self.local = local
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__(address, _RestHandler)

    def track(self, connection: socket.socket, is_open: bool) -> None:
        with self._lock:
            (self._connections.add if is_open else self._connections.discard)(connection)

    def close_connections(self) -> None:
        """Shuts kept-alive connections down, so that stopping leaves no handler behind."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed by the peer
                pass


class _RestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as TF Serving's REST server
    server_version = "tfx-text-local-serving"
    timeout = 60  # an idle keep-alive connection is closed after a minute
    server: _RestServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        super().finish()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        LOG.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._answer(self._post)

    def _answer(self, handle: Callable[[str], dict | bytes]) -> None:
        try:
            status, payload = 200, handle(urllib.parse.urlsplit(self.path).path)
        except errors.ServingError as error:
            status, payload = errors.http_status(error), {"error": error.message}
        except Exception as error:  # a bug must not kill the connection thread silently
            LOG.exception("REST request %s %s failed", self.command, self.path)
            status, payload = 500, {"error": f"Internal error: {error}"}
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length", "")
        limit = self.server.local.max_request_bytes
        if not length.isdigit() or int(length) > limit:
            self.close_connection = True  # the body stays unread: this connection is done
            raise errors.ServingError(f"a body needs a Content-Length of at most {limit} bytes, "
                                      f"got {length or 'none'}", code="RESOURCE_EXHAUSTED",
                                      http_status=413)
        return self.rfile.read(int(length))

    def _post(self, path: str) -> bytes:
        body = self._read_body()
        match = PREDICT_PATH.fullmatch(path)
        if match is None:
            raise errors.NotFoundError(f"No handler for POST {path}")
        _, servable = self.server.local.registry.resolve(*_parts(match))
        signature_name, inputs, request_format = json_codec.parse_predict_request(
            body, lambda name: _signature(servable, name))
        return json_codec.format_predict_response(_run(servable, signature_name, inputs),
                                                  request_format)

    def _get(self, path: str) -> dict:
        match = STATUS_PATH.fullmatch(path)
        if match is None:
            raise errors.NotFoundError(f"No handler for GET {path}")
        name, version = _parts(match)
        if match.group(3):
            return protos.metadata_json(self.server.local.metadata(name, version))
        return protos.to_json(protos.status_response(self.server.local.registry.status(
            name, version)))


def _parts(match: re.Match) -> tuple[str, int | None]:
    name, version = match.group(1, 2)
    return urllib.parse.unquote(name), int(version) if version else None


def _spec(request) -> tuple[str, int | None]:
    if not request.HasField("model_spec"):
        raise errors.InvalidArgumentError("Missing ModelSpec")
    spec = request.model_spec
    return spec.name, spec.version.value if spec.HasField("version") else None


def _grpc_method(method):
    """Answers a ServingError with its canonical code and message."""
    @functools.wraps(method)
    def wrapper(self, request, context):
        try:
            return method(self, request)
        except errors.ServingError as error:
            context.abort(getattr(grpc.StatusCode, error.code, grpc.StatusCode.UNKNOWN),
                          error.message)
    return wrapper


class _Servicer(prediction_service_pb2_grpc.PredictionServiceServicer,
                model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, local: LocalServer):
        self._local = local

    @_grpc_method
    def Predict(self, request):  # noqa: N802 (gRPC method names)
        name, version = _spec(request)
        version, servable = self._local.registry.resolve(name, version)
        signature_name = request.model_spec.signature_name or DEFAULT_SIGNATURE
        outputs = _run(servable, signature_name, {
            alias: protos.from_tensor_proto(tensor) for alias, tensor in request.inputs.items()})
        response = predict_pb2.PredictResponse(
            model_spec=protos.model_spec(name, version, signature_name))
        for alias, array in outputs.items():
            response.outputs[alias].CopyFrom(protos.to_tensor_proto(array))
        return response

    @_grpc_method
    def GetModelMetadata(self, request):  # noqa: N802
        if list(request.metadata_field) != ["signature_def"]:
            raise errors.InvalidArgumentError("metadata_field must be ['signature_def']")
        return self._local.metadata(*_spec(request))

    @_grpc_method
    def GetModelStatus(self, request):  # noqa: N802
        return protos.status_response(self._local.registry.status(*_spec(request)))
