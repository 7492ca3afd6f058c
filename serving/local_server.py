"""A local development server that speaks the REST and gRPC APIs of TF Serving the project uses.

`tensorflow_model_server` cannot be installed here (not on PyPI or Debian, no Docker daemon), so
tests and development serve the Pusher's version folders with this: REST status, metadata and
predict (serving/rest_server.py), gRPC PredictionService.Predict and GetModelMetadata and
ModelService.GetModelStatus (other methods answer UNIMPLEMENTED), the same JSON, codes and HTTP
statuses, version polling (serving/registry.py) and the request limits of serving/limits.py.
Python threads, no TLS or authentication: it binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import concurrent.futures
import functools
import threading
from collections.abc import Callable

import grpc
from tensorflow_serving.apis import model_service_pb2_grpc, predict_pb2, prediction_service_pb2_grpc

from serving import errors, limits, protos, registry
from serving.registry import ModelConfig, ModelRegistry, SavedModelServable
from serving.rest_server import RestServer
from serving.signatures import DEFAULT_SIGNATURE


class LocalServer:
    """REST and gRPC fronts over one ModelRegistry; a context manager, or start()/stop().

    Args:
      models: the models to serve (serving.models_config.discover).
      host: interface to bind; keep 127.0.0.1 unless the network is trusted.
      rest_port, grpc_port: ports (0: a free port; None: no such front).
      poll_seconds: how often the model folders are listed for new versions.
      max_batch_size: requests of more instances are refused (INVALID_ARGUMENT, HTTP 400)
        before any tensor is built.
      max_request_bytes: larger REST bodies are refused from their Content-Length, unread
        (HTTP 400); larger gRPC messages by the gRPC transport (RESOURCE_EXHAUSTED).
      max_concurrent: requests decoded at once, and requests run at once; the others wait
        their turn, so memory stays bounded whatever the number of clients. The two stages
        have their own slots, so that a request refused while decoding (too many instances,
        malformed) need not wait for the model.
      loader: version folder -> servable (tests pass a fake).
    """

    def __init__(self, models: list[ModelConfig], *, host: str = "127.0.0.1",
                 rest_port: int | None = 8501, grpc_port: int | None = 8500,
                 poll_seconds: float = 1.0, max_batch_size: int = limits.MAX_BATCH_SIZE,
                 max_request_bytes: int = limits.MAX_REQUEST_BYTES,
                 max_concurrent: int = limits.MAX_CONCURRENT_PREDICTS,
                 loader: Callable = SavedModelServable):
        if rest_port is None and grpc_port is None:
            raise ValueError("the local server needs a REST port, a gRPC port or both")
        self.registry = ModelRegistry(models, poll_seconds=poll_seconds, loader=loader)
        self.host, self.max_batch_size, self.max_request_bytes = (host, max_batch_size,
                                                                  max_request_bytes)
        self.decoding = threading.Semaphore(max_concurrent)
        self.running = threading.Semaphore(max_concurrent)
        self._ports = {"rest": rest_port, "grpc": grpc_port}
        self._rest: RestServer | None = None
        self._grpc: grpc.Server | None = None

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self._ports['rest']}"

    @property
    def grpc_target(self) -> str:
        return f"{self.host}:{self._ports['grpc']}"

    def start(self) -> LocalServer:
        """Loads the current versions, starts polling and both fronts; OSError (and nothing left
        running) when a port cannot be bound."""
        try:
            self.registry.start()
            if self._ports["grpc"] is not None:
                self._grpc = grpc.server(concurrent.futures.ThreadPoolExecutor(16), options=[
                    ("grpc.max_receive_message_length", self.max_request_bytes),
                    ("grpc.so_reuseport", 0)])
                servicer = _Servicer(self)
                prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
                    servicer, self._grpc)
                model_service_pb2_grpc.add_ModelServiceServicer_to_server(servicer, self._grpc)
                try:
                    self._ports["grpc"] = self._grpc.add_insecure_port(self.grpc_target)
                except RuntimeError as error:  # grpcio raises where older versions returned 0
                    raise OSError(f"cannot bind gRPC to {self.grpc_target}: {error}") from None
                self._grpc.start()
            if self._ports["rest"] is not None:
                self._rest = RestServer((self.host, self._ports["rest"]), self)
                self._ports["rest"] = self._rest.server_address[1]
                threading.Thread(target=self._rest.serve_forever, kwargs={"poll_interval": 0.2},
                                 name="rest-server", daemon=True).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stops both fronts (in-flight gRPC calls get a second) and the polling."""
        if self._rest is not None:
            self._rest.shutdown()  # returns once serve_forever has
            self._rest.close_connections()
            self._rest.server_close()
            self._rest = None
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
        """GetModelMetadataResponse of a loaded version."""
        version, servable = self.registry.resolve(name, version)
        return protos.metadata_response(name, version, servable.signatures)


def _spec(request) -> tuple[str, int | None]:
    if not request.HasField("model_spec"):
        raise errors.InvalidArgumentError("Missing ModelSpec")
    spec = request.model_spec
    return spec.name, spec.version.value if spec.HasField("version") else None


def _answers_errors(method):
    """A gRPC method that answers a ServingError with its canonical code and message."""
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

    @_answers_errors
    def Predict(self, request):  # noqa: N802 (gRPC method names)
        version, servable = self._local.registry.resolve(*_spec(request))
        for tensor in request.inputs.values():  # counted from the shape, nothing decoded yet
            dims = tensor.tensor_shape.dim
            limits.check_batch_size(dims[0].size if dims else 1, self._local.max_batch_size)
        with self._local.decoding:
            inputs = {alias: protos.from_tensor_proto(tensor)
                      for alias, tensor in request.inputs.items()}
        with self._local.running:
            outputs = registry.run(servable, request.model_spec.signature_name, inputs)
        response = predict_pb2.PredictResponse(model_spec=protos.model_spec(
            request.model_spec.name, version,
            request.model_spec.signature_name or DEFAULT_SIGNATURE))
        for alias, array in outputs.items():
            response.outputs[alias].CopyFrom(protos.to_tensor_proto(array))
        return response

    @_answers_errors
    def GetModelMetadata(self, request):  # noqa: N802
        if list(request.metadata_field) != ["signature_def"]:
            raise errors.InvalidArgumentError("metadata_field must be ['signature_def']")
        return self._local.metadata(*_spec(request))

    @_answers_errors
    def GetModelStatus(self, request):  # noqa: N802
        return protos.status_response(self._local.registry.status(*_spec(request)))
