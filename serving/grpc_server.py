"""The local server's gRPC front: PredictionService and ModelService of tensorflow-serving-api.

Predict, GetModelMetadata and GetModelStatus behave as in tensorflow_model_server (status
codes and messages of predict_util.cc, get_model_metadata_impl.cc, get_model_status_impl.cc).
Classify, Regress, MultiInference and HandleReloadConfigRequest answer UNIMPLEMENTED.
"""

from __future__ import annotations

import concurrent.futures

import grpc
from tensorflow_serving.apis import model_service_pb2_grpc, predict_pb2, prediction_service_pb2_grpc

from serving import errors, protos, service
from serving.registry import ModelRegistry
from serving.signatures import DEFAULT_SIGNATURE


def _spec(request) -> tuple[str, int | None, str | None]:
    if not request.HasField("model_spec"):
        raise errors.InvalidArgumentError("Missing ModelSpec")
    spec = request.model_spec
    version = spec.version.value if spec.HasField("version") else None
    label = spec.version_label if spec.WhichOneof("version_choice") == "version_label" else None
    return spec.name, version, label


def _abort(context: grpc.ServicerContext, error: errors.ServingError):
    context.abort(getattr(grpc.StatusCode, error.code, grpc.StatusCode.UNKNOWN), error.message)


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    """Predict and GetModelMetadata over the registry."""

    def __init__(self, registry: ModelRegistry, runner: service.Runner | None = None):
        self._registry = registry
        self._runner = runner

    def Predict(self, request, context):  # noqa: N802 (gRPC method names)
        try:
            name, version, label = _spec(request)
            version, servable = self._registry.resolve(name, version, label)
            signature_name = request.model_spec.signature_name or DEFAULT_SIGNATURE
            inputs = {alias: protos.from_tensor_proto(tensor)
                      for alias, tensor in request.inputs.items()}
            outputs = service.run_predict(servable, signature_name, inputs,
                                          request.output_filter, runner=self._runner)
        except errors.ServingError as error:
            _abort(context, error)
        response = predict_pb2.PredictResponse(
            model_spec=protos.model_spec(name, version, signature_name))
        for alias, array in outputs.items():
            response.outputs[alias].CopyFrom(protos.to_tensor_proto(array))
        return response

    def GetModelMetadata(self, request, context):  # noqa: N802
        try:
            name, version, label = _spec(request)
            if not request.metadata_field:
                raise errors.InvalidArgumentError(
                    "GetModelMetadataRequest must specify at least one metadata_field")
            unsupported = [field for field in request.metadata_field if field != "signature_def"]
            if unsupported:
                raise errors.InvalidArgumentError(
                    f"Metadata field {unsupported[0]} is not supported")
            version, signatures = service.model_metadata(self._registry, name, version, label)
        except errors.ServingError as error:
            _abort(context, error)
        return protos.metadata_response(name, version, signatures)


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    """GetModelStatus over the registry."""

    def __init__(self, registry: ModelRegistry):
        self._registry = registry

    def GetModelStatus(self, request, context):  # noqa: N802
        try:
            states = self._registry.status(*_spec(request))
        except errors.ServingError as error:
            _abort(context, error)
        return protos.status_response(states)


def create_server(registry: ModelRegistry, address: str, max_request_bytes: int,
                  workers: int = 16, runner: service.Runner | None = None
                  ) -> tuple[grpc.Server, int]:
    """A started-later gRPC server bound to `address` ("127.0.0.1:0"); returns it and its port.

    Raises:
      OSError: the address could not be bound.
    """
    server = grpc.server(
        concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc"),
        options=[("grpc.max_receive_message_length", max_request_bytes),
                 ("grpc.max_send_message_length", max_request_bytes),
                 ("grpc.so_reuseport", 0)])
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionServicer(registry, runner), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(registry), server)
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as error:  # grpcio raises where older versions returned 0
        raise OSError(f"could not bind the gRPC server to {address}: {error}") from None
    if port == 0:
        raise OSError(f"could not bind the gRPC server to {address}")
    return server, port

