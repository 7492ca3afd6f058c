"""gRPC client: PredictionService.Predict / GetModelMetadata and ModelService.GetModelStatus.

Through the tensorflow-serving-api stubs over one channel (HTTP/2 multiplexes concurrent calls,
so one client serves many threads). Importing this module imports TensorFlow's protos.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc
import numpy as np
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving import errors, protos
from serving.client import ServingClient, with_retries
from serving.signatures import DEFAULT_SIGNATURE, Signature, from_proto

DEFAULT_MAX_MESSAGE_BYTES = 64 * 2**20  # the default 4 MB is small for batches of windows


class GrpcClient(ServingClient):
    """TF Serving's gRPC API.

    Args:
      target: host:port, e.g. 127.0.0.1:8500.
      timeout_seconds: deadline of each call.
      retries: extra attempts when the call fails with UNAVAILABLE.
      backoff_seconds: first retry delay, doubled each time (jittered).
      max_message_bytes: largest request or response message.
    """

    def __init__(self, target: str, timeout_seconds: float = 10.0, retries: int = 3,
                 backoff_seconds: float = 0.1,
                 max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES):
        super().__init__()
        self.target = target
        self.timeout_seconds, self.retries = timeout_seconds, retries
        self.backoff_seconds = backoff_seconds
        self._channel = grpc.insecure_channel(target, options=[
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.max_receive_message_length", max_message_bytes)])
        self._prediction = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)

    def _call(self, method, request):
        def once():
            try:
                return method(request, timeout=self.timeout_seconds)
            except grpc.RpcError as error:
                raise errors.from_code(error.code().name, error.details() or "",
                                       target=self.target) from None

        return with_retries(once, self.retries, self.backoff_seconds)

    def status(self, name: str, version: int | None = None, label: str | None = None) -> dict:
        request = get_model_status_pb2.GetModelStatusRequest(
            model_spec=protos.model_spec(name, version, label=label))
        return protos.status_json(self._call(self._models.GetModelStatus, request))

    def metadata(self, name: str, version: int | None = None,
                 label: str | None = None) -> tuple[int, dict[str, Signature]]:
        request = get_model_metadata_pb2.GetModelMetadataRequest(
            model_spec=protos.model_spec(name, version, label=label),
            metadata_field=["signature_def"])
        response = self._call(self._prediction.GetModelMetadata, request)
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(signature_map)
        return response.model_spec.version.value, {
            key: from_proto(value) for key, value in signature_map.signature_def.items()}

    def predict(self, name: str, inputs: Any, *, version: int | None = None,
                label: str | None = None, signature_name: str = DEFAULT_SIGNATURE
                ) -> dict[str, np.ndarray]:
        return self.predict_with_version(name, inputs, version=version, label=label,
                                         signature_name=signature_name)[1]

    def predict_with_version(self, name: str, inputs: Any, *, version: int | None = None,
                             label: str | None = None,
                             signature_name: str = DEFAULT_SIGNATURE
                             ) -> tuple[int, dict[str, np.ndarray]]:
        """Like `predict`, also returning the version that answered (response model_spec)."""
        if not isinstance(inputs, Mapping):
            (alias, _), = self.signature(name, version, label, signature_name).inputs.items()
            inputs = {alias: inputs}
        request = predict_pb2.PredictRequest(
            model_spec=protos.model_spec(name, version, signature_name, label))
        for alias, value in inputs.items():
            request.inputs[alias].CopyFrom(protos.to_tensor_proto(value, as_content=True))
        response = self._call(self._prediction.Predict, request)
        return response.model_spec.version.value, {
            alias: protos.from_tensor_proto(tensor) for alias, tensor in response.outputs.items()}

    def close(self) -> None:
        self._channel.close()
