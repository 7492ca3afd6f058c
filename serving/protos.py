"""NumPy <-> TensorProto and the TF Serving response protos the local server builds.

Importing this module imports TensorFlow (the tensorflow_serving protos depend on its
framework protos); the REST-only client code does not need it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from google.protobuf import json_format
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, model_pb2

from serving import errors
from serving.signatures import NUMPY_DTYPES, Signature, dtype_of_array

# TensorProto field holding each dtype's values (TF Serving answers in these, not in
# tensor_content: Tensor::AsProtoField).
_VALUE_FIELDS = {
    "DT_FLOAT": "float_val", "DT_DOUBLE": "double_val", "DT_HALF": "half_val",
    "DT_INT8": "int_val", "DT_INT16": "int_val", "DT_INT32": "int_val", "DT_UINT8": "int_val",
    "DT_INT64": "int64_val", "DT_UINT32": "uint32_val", "DT_UINT64": "uint64_val",
    "DT_BOOL": "bool_val", "DT_STRING": "string_val",
}


def to_tensor_proto(values, dtype: str | None = None,
                    as_content: bool = False) -> tensor_pb2.TensorProto:
    """A TensorProto of `values` (array-like; `str` items are UTF-8 encoded).

    Args:
      values: the tensor.
      dtype: DataType enum name; default: inferred from the array.
      as_content: numeric values as packed `tensor_content` bytes (compact, what
        `tf.make_tensor_proto` sends) instead of the typed `*_val` fields.
    """
    array = np.asarray(values)
    dtype = dtype or dtype_of_array(array)
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DataType.Value(dtype))
    proto.tensor_shape.CopyFrom(tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=size) for size in array.shape]))
    if dtype == "DT_STRING":
        proto.string_val.extend(
            item.encode("utf-8") if isinstance(item, str) else bytes(item)
            for item in array.ravel().tolist())
    elif as_content:
        proto.tensor_content = np.ascontiguousarray(array, dtype=NUMPY_DTYPES[dtype]).tobytes()
    else:
        flat = array.astype(NUMPY_DTYPES[dtype]).ravel()
        if dtype == "DT_HALF":
            flat = flat.view(np.uint16)
        getattr(proto, _VALUE_FIELDS[dtype]).extend(flat.tolist())
    return proto


def from_tensor_proto(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """The array a TensorProto holds (typed fields or tensor_content; one value fills all).

    Raises:
      InvalidArgumentError: unsupported dtype, or a value count that does not fit the shape.
    """
    dtype = types_pb2.DataType.Name(proto.dtype)
    if dtype not in _VALUE_FIELDS:
        raise errors.InvalidArgumentError(f"unsupported tensor dtype {dtype}")
    shape = tuple(dim.size for dim in proto.tensor_shape.dim)
    size = int(np.prod(shape, dtype=np.int64))
    numpy_dtype = NUMPY_DTYPES[dtype]
    if proto.tensor_content and dtype != "DT_STRING":
        flat = np.frombuffer(proto.tensor_content, dtype=numpy_dtype)
    else:
        values = list(getattr(proto, _VALUE_FIELDS[dtype]))
        if dtype == "DT_HALF":
            flat = np.array(values, dtype=np.uint16).view(np.float16)
        else:
            flat = np.empty(len(values), dtype=numpy_dtype)
            flat[:] = values
    if flat.size == size:
        return flat.reshape(shape).copy()
    if flat.size == 1 or (flat.size == 0 and dtype != "DT_STRING"):
        return np.full(shape, flat[0] if flat.size else 0, dtype=numpy_dtype)
    raise errors.InvalidArgumentError(
        f"tensor of shape {list(shape)} needs {size} values, got {flat.size}")


def signature_def(signature: Signature) -> meta_graph_pb2.SignatureDef:
    """The SignatureDef proto of a Signature."""
    def info(tensor) -> meta_graph_pb2.TensorInfo:
        shape = tensor_shape_pb2.TensorShapeProto(unknown_rank=tensor.shape is None, dim=[
            tensor_shape_pb2.TensorShapeProto.Dim(size=size) for size in tensor.shape or ()])
        return meta_graph_pb2.TensorInfo(name=tensor.name, tensor_shape=shape,
                                         dtype=types_pb2.DataType.Value(tensor.dtype))

    return meta_graph_pb2.SignatureDef(
        inputs={name: info(tensor) for name, tensor in signature.inputs.items()},
        outputs={name: info(tensor) for name, tensor in signature.outputs.items()},
        method_name=signature.method_name)


def metadata_response(name: str, version: int, signatures: Mapping[str, Signature]
                      ) -> get_model_metadata_pb2.GetModelMetadataResponse:
    """GetModelMetadataResponse: model spec and the packed SignatureDefMap."""
    response = get_model_metadata_pb2.GetModelMetadataResponse()
    response.model_spec.name = name
    response.model_spec.version.value = version
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    for key, signature in signatures.items():
        signature_map.signature_def[key].CopyFrom(signature_def(signature))
    response.metadata["signature_def"].Pack(signature_map)
    return response


def metadata_json(response: get_model_metadata_pb2.GetModelMetadataResponse) -> dict:
    """The REST form of a metadata response (model_spec + unpacked signature_def)."""
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    response.metadata["signature_def"].Unpack(signature_map)
    return {"model_spec": _json(response.model_spec),
            "metadata": {"signature_def": _json(signature_map)}}


def status_response(states: Iterable[tuple[int, str, str, str]]
                    ) -> get_model_status_pb2.GetModelStatusResponse:
    """GetModelStatusResponse from (version, state, error code, error message) tuples."""
    response = get_model_status_pb2.GetModelStatusResponse()
    for version, state, code, message in states:
        entry = response.model_version_status.add(
            version=version, state=get_model_status_pb2.ModelVersionStatus.State.Value(state))
        entry.status.SetInParent()
        entry.status.error_code = entry.status.DESCRIPTOR.fields_by_name[
            "error_code"].enum_type.values_by_name[code].number
        entry.status.error_message = message
    return response


def status_json(response: get_model_status_pb2.GetModelStatusResponse) -> dict:
    """The REST form of a status response (proto3 JSON, default values included)."""
    return _json(response)


def model_spec(name: str, version: int | None = None, signature_name: str = "",
               label: str | None = None) -> model_pb2.ModelSpec:
    spec = model_pb2.ModelSpec(name=name, signature_name=signature_name)
    if version is not None:
        spec.version.value = version
    elif label is not None:
        spec.version_label = label
    return spec


def _json(message) -> dict:
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                     including_default_value_fields=True)
