"""SignatureDefs as plain data: what the local server checks requests against.

`read_signatures` parses a SavedModel's `saved_model.pb` (the `serve` MetaGraph), the same
SignatureDefs TF Serving reports through GetModelMetadata. Dtypes keep TensorFlow's enum names
("DT_STRING"), so the JSON codec and the clients need NumPy only.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from serving import errors

DEFAULT_SIGNATURE = "serving_default"
PREDICT_METHOD = "tensorflow/serving/predict"

# TensorFlow DataType enum name -> NumPy dtype (strings: object arrays of bytes).
NUMPY_DTYPES: dict[str, np.dtype] = {
    "DT_FLOAT": np.dtype(np.float32),
    "DT_DOUBLE": np.dtype(np.float64),
    "DT_HALF": np.dtype(np.float16),
    "DT_INT8": np.dtype(np.int8),
    "DT_INT16": np.dtype(np.int16),
    "DT_INT32": np.dtype(np.int32),
    "DT_INT64": np.dtype(np.int64),
    "DT_UINT8": np.dtype(np.uint8),
    "DT_UINT32": np.dtype(np.uint32),
    "DT_UINT64": np.dtype(np.uint64),
    "DT_BOOL": np.dtype(np.bool_),
    "DT_STRING": np.dtype(object),
}
# Names TensorFlow uses in errors such as "Expects arg[0] to be string but float is provided".
SHORT_NAMES = {name: name[3:].lower() for name in NUMPY_DTYPES}


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """One signature input or output."""

    name: str  # graph tensor name, e.g. "serving_default_text:0"
    dtype: str  # DataType enum name, e.g. "DT_STRING"
    shape: tuple[int, ...] | None  # -1 for an unknown dimension; None for an unknown rank


@dataclasses.dataclass(frozen=True)
class Signature:
    """A SignatureDef: named inputs and outputs and the method name."""

    inputs: dict[str, TensorInfo]
    outputs: dict[str, TensorInfo]
    method_name: str = PREDICT_METHOD


def dtype_of_array(array: np.ndarray) -> str:
    """DataType enum name of a NumPy array (object and bytes/str arrays are DT_STRING)."""
    if array.dtype.kind in "OSU":
        return "DT_STRING"
    for name, dtype in NUMPY_DTYPES.items():
        if dtype == array.dtype:
            return name
    raise errors.InvalidArgumentError(f"unsupported array dtype {array.dtype}")


def shape_string(shape: tuple[int, ...] | None) -> str:
    """TF Serving's shape notation: [-1,120,14], or [?] for an unknown rank."""
    return "[?]" if shape is None else "[" + ",".join(str(d) for d in shape) + "]"


def check_inputs(signature: Signature, inputs: dict[str, np.ndarray]) -> None:
    """Validates names, dtypes and shapes of request tensors against `signature`.

    Raises:
      InvalidArgumentError: with TF Serving's wording for the name and dtype checks.
    """
    sent, expected = set(inputs), set(signature.inputs)
    if len(sent) == len(expected) and sent != expected:
        raise errors.InvalidArgumentError(
            f"input tensor alias not found in signature: {min(sent - expected)}. Inputs "
            f"expected to be in the set {{{','.join(sorted(expected))}}}.")
    if sent != expected:
        raise errors.InvalidArgumentError(
            f"input size does not match signature: {len(sent)}!={len(expected)} "
            f"len({{{','.join(sorted(sent))}}}) != len({{{','.join(sorted(expected))}}}). "
            f"Sent extra: {{{','.join(sorted(sent - expected))}}}. "
            f"Missing but required: {{{','.join(sorted(expected - sent))}}}.")
    for index, (alias, info) in enumerate(sorted(signature.inputs.items())):
        array = inputs[alias]
        sent_dtype = dtype_of_array(array)
        if sent_dtype != info.dtype:
            raise errors.InvalidArgumentError(
                f"Expects arg[{index}] to be {SHORT_NAMES.get(info.dtype, info.dtype)} but "
                f"{SHORT_NAMES.get(sent_dtype, sent_dtype)} is provided")
        if info.shape is not None and not _compatible(array.shape, info.shape):
            raise errors.InvalidArgumentError(
                f"input '{alias}' has shape {shape_string(array.shape)}, which is not "
                f"compatible with the signature's shape {shape_string(info.shape)}")


def _compatible(shape: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    return len(shape) == len(expected) and all(
        want in (-1, got) for got, want in zip(shape, expected, strict=True))


def read_signatures(saved_model_dir: str, tag: str = "serve") -> dict[str, Signature]:
    """The SignatureDefs of the MetaGraph tagged `tag` in a SavedModel folder.

    Raises:
      ValueError: no saved_model.pb, or no MetaGraph with that tag.
    """
    from tensorflow.core.protobuf import saved_model_pb2

    path = os.path.join(saved_model_dir, "saved_model.pb")
    if not os.path.exists(path):
        raise ValueError(f"no saved_model.pb in {saved_model_dir}")
    saved_model = saved_model_pb2.SavedModel()
    with open(path, "rb") as handle:
        saved_model.ParseFromString(handle.read())
    for meta_graph in saved_model.meta_graphs:
        if tag in meta_graph.meta_info_def.tags:
            return {key: from_proto(value) for key, value in meta_graph.signature_def.items()}
    raise ValueError(f"no MetaGraph tagged {tag!r} in {path}")


def from_proto(proto) -> Signature:
    """A Signature from a SignatureDef proto."""
    return Signature(inputs={k: _tensor_info(v) for k, v in proto.inputs.items()},
                     outputs={k: _tensor_info(v) for k, v in proto.outputs.items()},
                     method_name=proto.method_name)


def _tensor_info(proto) -> TensorInfo:
    from tensorflow.core.framework import types_pb2

    shape = None if proto.tensor_shape.unknown_rank else tuple(
        int(dim.size) for dim in proto.tensor_shape.dim)
    return TensorInfo(name=proto.name, dtype=types_pb2.DataType.Name(proto.dtype), shape=shape)


def from_dict(value: dict) -> Signature:
    """A Signature from its proto3 JSON form (the REST metadata's signature_def entries)."""
    def info(tensor: dict) -> TensorInfo:
        shape = tensor.get("tensor_shape", {})
        dims = None if shape.get("unknown_rank") else tuple(
            int(dim.get("size", 0)) for dim in shape.get("dim", []))
        return TensorInfo(name=tensor.get("name", ""), dtype=tensor.get("dtype", "DT_INVALID"),
                          shape=dims)

    return Signature(inputs={k: info(v) for k, v in value.get("inputs", {}).items()},
                     outputs={k: info(v) for k, v in value.get("outputs", {}).items()},
                     method_name=value.get("method_name", ""))
