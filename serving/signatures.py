"""SignatureDefs as plain data, read from a SavedModel or from a server's metadata.

Clients read a model's input names, dtypes and shapes from them; the local server checks
requests against them before running the model. Dtypes keep TensorFlow's enum names
("DT_STRING"), and TensorFlow's protos are imported only where a proto is read, so the REST
client needs NumPy alone.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from serving import errors

DEFAULT_SIGNATURE = "serving_default"
NUMPY_DTYPES = {name: np.dtype(dtype) for name, dtype in (
    ("DT_FLOAT", np.float32), ("DT_DOUBLE", np.float64), ("DT_HALF", np.float16),
    ("DT_INT8", np.int8), ("DT_INT16", np.int16), ("DT_INT32", np.int32), ("DT_INT64", np.int64),
    ("DT_UINT8", np.uint8), ("DT_BOOL", np.bool_), ("DT_STRING", object))}
_DTYPE_NAMES = {dtype: name for name, dtype in NUMPY_DTYPES.items() if name != "DT_STRING"}


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """One signature input or output: graph tensor name, DataType name, shape (-1: any size)."""

    name: str
    dtype: str
    shape: tuple[int, ...] | None  # None: unknown rank


@dataclasses.dataclass(frozen=True)
class Signature:
    """A SignatureDef: named inputs and outputs and the method name."""

    inputs: dict[str, TensorInfo]
    outputs: dict[str, TensorInfo]
    method_name: str = "tensorflow/serving/predict"


def dtype_name(array: np.ndarray) -> str:
    """DataType name of a NumPy array (object, bytes and str arrays are DT_STRING)."""
    if array.dtype.kind in "OSU":
        return "DT_STRING"
    if array.dtype not in _DTYPE_NAMES:
        raise errors.InvalidArgumentError(f"unsupported array dtype {array.dtype}")
    return _DTYPE_NAMES[array.dtype]


def shape_fits(shape: tuple[int, ...], expected: tuple[int, ...] | None) -> bool:
    """True if `shape` matches `expected`, where -1 is any size and None any shape."""
    return expected is None or len(shape) == len(expected) and all(
        want in (-1, got) for got, want in zip(shape, expected, strict=True))


def check_inputs(signature: Signature, inputs: dict[str, np.ndarray]) -> None:
    """Raises InvalidArgumentError unless the tensors have the signature's names, dtypes, shapes."""
    if set(inputs) != set(signature.inputs):
        raise errors.InvalidArgumentError(
            f"inputs {sorted(inputs)} do not match the signature's {sorted(signature.inputs)}")
    for alias, info in sorted(signature.inputs.items()):
        array = inputs[alias]
        if dtype_name(array) != info.dtype:
            raise errors.InvalidArgumentError(
                f"input '{alias}' is {dtype_name(array)}; the signature expects {info.dtype}")
        if not shape_fits(array.shape, info.shape):
            raise errors.InvalidArgumentError(
                f"input '{alias}' has shape {list(array.shape)}, which is not compatible with "
                f"the signature's shape {list(info.shape)}")


def read_signatures(saved_model_dir: str) -> dict[str, Signature]:
    """The SignatureDefs of the `serve` MetaGraph in a SavedModel folder's saved_model.pb.

    Raises:
      ValueError: no saved_model.pb, or no MetaGraph tagged `serve`.
    """
    from tensorflow.core.protobuf import saved_model_pb2  # TF only where a proto is read

    path = os.path.join(saved_model_dir, "saved_model.pb")
    if not os.path.exists(path):
        raise ValueError(f"no saved_model.pb in {saved_model_dir}")
    saved_model = saved_model_pb2.SavedModel()
    with open(path, "rb") as handle:
        saved_model.ParseFromString(handle.read())
    for meta_graph in saved_model.meta_graphs:
        if "serve" in meta_graph.meta_info_def.tags:
            return {key: from_proto(value) for key, value in meta_graph.signature_def.items()}
    raise ValueError(f"no MetaGraph tagged 'serve' in {path}")


def from_proto(proto) -> Signature:
    """A Signature from a SignatureDef proto."""
    from tensorflow.core.framework import types_pb2  # TF only where a proto is read

    def info(tensor) -> TensorInfo:
        shape = None if tensor.tensor_shape.unknown_rank else tuple(
            int(dim.size) for dim in tensor.tensor_shape.dim)
        return TensorInfo(tensor.name, types_pb2.DataType.Name(tensor.dtype), shape)

    return Signature({k: info(v) for k, v in proto.inputs.items()},
                     {k: info(v) for k, v in proto.outputs.items()}, proto.method_name)


def from_dict(value: dict) -> Signature:
    """A Signature from its proto3 JSON form (the REST metadata's signature_def entries)."""
    def info(tensor: dict) -> TensorInfo:
        shape = tensor.get("tensor_shape", {})
        dims = None if shape.get("unknown_rank") else tuple(
            int(dim.get("size", 0)) for dim in shape.get("dim", []))
        return TensorInfo(tensor.get("name", ""), tensor.get("dtype", "DT_INVALID"), dims)

    return Signature({k: info(v) for k, v in value.get("inputs", {}).items()},
                     {k: info(v) for k, v in value.get("outputs", {}).items()},
                     value.get("method_name", ""))
