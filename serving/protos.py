"""TensorProtos and TF Serving's status and metadata messages, for the gRPC ends and REST JSON.

Importing this module imports TensorFlow (the tensorflow_serving protos need its framework
protos); the REST client never does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import tensorflow as tf
from google.protobuf import json_format
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_pb2,
    predict_pb2,
)

from serving import errors
from serving.signatures import Signature


def to_tensor_proto(values) -> tensor_pb2.TensorProto:
    """A TensorProto of `values`, typed as NumPy reads them (str items UTF-8 encoded)."""
    return tf.make_tensor_proto(np.asarray(values))


_VALUES = {"DT_STRING": "string_val", "DT_FLOAT": "float_val", "DT_DOUBLE": "double_val",
           "DT_INT64": "int64_val", "DT_BOOL": "bool_val", "DT_HALF": "half_val"}


def from_tensor_proto(proto) -> np.ndarray:
    """The array a TensorProto holds; InvalidArgumentError unless it holds exactly one value per
    element of its shape (TensorFlow would repeat the last value to fill a larger shape, so a
    tiny message could make a huge tensor)."""
    size = int(np.prod([dim.size for dim in proto.tensor_shape.dim], dtype=np.int64))
    name = types_pb2.DataType.Name(proto.dtype)
    count = (len(proto.tensor_content) // max(1, tf.dtypes.as_dtype(proto.dtype).size)
             if proto.tensor_content else len(getattr(proto, _VALUES.get(name, "int_val"))))
    if size != count:
        raise errors.InvalidArgumentError(
            f"a {name} tensor of shape {[dim.size for dim in proto.tensor_shape.dim]} needs "
            f"{size} values, got {count}")
    try:
        return tf.make_ndarray(proto)
    except (TypeError, ValueError) as error:
        raise errors.InvalidArgumentError(f"bad TensorProto: {error}") from None


def model_spec(name: str, version: int | None = None,
               signature_name: str = "") -> model_pb2.ModelSpec:
    spec = model_pb2.ModelSpec(name=name, signature_name=signature_name)
    if version is not None:
        spec.version.value = version
    return spec


def predict_request(name: str, version: int | None, signature_name: str,
                    inputs: Mapping) -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest(model_spec=model_spec(name, version, signature_name))
    for alias, value in inputs.items():
        request.inputs[alias].CopyFrom(to_tensor_proto(value))
    return request


def status_request(name: str, version: int | None) -> get_model_status_pb2.GetModelStatusRequest:
    return get_model_status_pb2.GetModelStatusRequest(model_spec=model_spec(name, version))


def metadata_request(name: str, version: int | None
                     ) -> get_model_metadata_pb2.GetModelMetadataRequest:
    return get_model_metadata_pb2.GetModelMetadataRequest(
        model_spec=model_spec(name, version), metadata_field=["signature_def"])


def read_metadata(response: get_model_metadata_pb2.GetModelMetadataResponse):
    """(version, SignatureDef protos by name) of a GetModelMetadataResponse."""
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    response.metadata["signature_def"].Unpack(signature_map)
    return response.model_spec.version.value, signature_map.signature_def


def metadata_response(name: str, version: int, signatures: Mapping[str, Signature]
                      ) -> get_model_metadata_pb2.GetModelMetadataResponse:
    """GetModelMetadataResponse: the model spec and the packed SignatureDefMap."""
    def info(tensor) -> meta_graph_pb2.TensorInfo:
        shape = tensor_shape_pb2.TensorShapeProto(unknown_rank=tensor.shape is None, dim=[
            tensor_shape_pb2.TensorShapeProto.Dim(size=size) for size in tensor.shape or ()])
        return meta_graph_pb2.TensorInfo(name=tensor.name, tensor_shape=shape,
                                         dtype=types_pb2.DataType.Value(tensor.dtype))

    signature_map = get_model_metadata_pb2.SignatureDefMap()
    for key, signature in signatures.items():
        signature_map.signature_def[key].CopyFrom(meta_graph_pb2.SignatureDef(
            inputs={k: info(v) for k, v in signature.inputs.items()},
            outputs={k: info(v) for k, v in signature.outputs.items()},
            method_name=signature.method_name))
    response = get_model_metadata_pb2.GetModelMetadataResponse(
        model_spec=model_spec(name, version))
    response.metadata["signature_def"].Pack(signature_map)
    return response


def metadata_json(response: get_model_metadata_pb2.GetModelMetadataResponse) -> dict:
    """The REST form of a metadata response: model_spec and the unpacked signature_def."""
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    response.metadata["signature_def"].Unpack(signature_map)
    return {"model_spec": to_json(response.model_spec),
            "metadata": {"signature_def": to_json(signature_map)}}


def status_response(states: Iterable[tuple[int, str, str, str]]
                    ) -> get_model_status_pb2.GetModelStatusResponse:
    """GetModelStatusResponse from (version, state, error code, error message) tuples."""
    response = get_model_status_pb2.GetModelStatusResponse()
    for version, state, code, message in states:
        entry = response.model_version_status.add(
            version=version, state=get_model_status_pb2.ModelVersionStatus.State.Value(state))
        entry.status.error_code = errors.CODE_NAMES.index(code)
        entry.status.error_message = message
    return response


def to_json(message) -> dict:
    """A proto as TF Serving's REST JSON (proto3 JSON with default values)."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                     including_default_value_fields=True)
