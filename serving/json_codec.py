"""TF Serving's REST JSON for `:predict`, on both ends: request bodies and responses.

Row ("instances": one item per example) and columnar ("inputs": one tensor per input) requests,
`{"b64": ...}` for bytes; `{"predictions": ...}` / `{"outputs": ...}` responses, the name left out
when the signature has one output (tensorflow_serving/util/json_tensor.cc). NaN, Infinity and
-Infinity travel as bare tokens, which TF Serving's parser accepts (RapidJSON's
kParseNanAndInfFlag) and writes: a Jena window's missing values are sent as NaN.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from serving import errors, limits
from serving.signatures import DEFAULT_SIGNATURE, NUMPY_DTYPES, Signature

ROW, COLUMNAR = "row", "columnar"


def _is_b64(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


def parse_predict_request(body: bytes, get_signature: Callable[[str], Signature],
                          max_batch_size: int) -> tuple[str, dict[str, np.ndarray], str]:
    """Reads a `:predict` body into tensors: (signature name, tensors by input, ROW or COLUMNAR).

    `get_signature` maps the body's signature name ("" for the default) to the Signature. The
    instances are counted before any tensor is built.

    Raises:
      InvalidArgumentError: malformed JSON, more than `max_batch_size` instances, or values
        that do not make the signature's tensors.
    """
    try:
        doc = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise errors.InvalidArgumentError(f"JSON Parse error: {error}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("signature_name", ""), str):
        raise errors.InvalidArgumentError(
            "the body must be a JSON object with an optional string 'signature_name'")
    if ("instances" in doc) == ("inputs" in doc):
        raise errors.InvalidArgumentError("the body needs exactly one of 'instances' or 'inputs'")
    name = doc.get("signature_name", "")
    inputs = get_signature(name).inputs
    if "inputs" in doc:
        value = doc["inputs"]
        if not isinstance(value, dict) or _is_b64(value):  # one input, given without its name
            value = {next(iter(inputs)): value} if len(inputs) == 1 else {}
        if set(value) != set(inputs):
            raise errors.InvalidArgumentError(f"'inputs' must name the inputs {sorted(inputs)}")
        for tensor in value.values():
            limits.check_batch_size(len(tensor) if isinstance(tensor, list) else 1,
                                    max_batch_size)
        return name, {alias: _to_array(value[alias], inputs[alias].dtype, alias)
                      for alias in inputs}, COLUMNAR
    instances = doc["instances"]
    if not isinstance(instances, list) or not instances:
        raise errors.InvalidArgumentError("'instances' must be a non-empty list")
    limits.check_batch_size(len(instances), max_batch_size)
    if len(inputs) == 1 and not (isinstance(instances[0], dict) and not _is_b64(instances[0])):
        (alias, info), = inputs.items()
        return name, {alias: _to_array(instances, info.dtype, alias)}, ROW
    if not all(isinstance(item, dict) and set(item) == set(inputs) for item in instances):
        raise errors.InvalidArgumentError(
            f"each instance must be an object with the keys {sorted(inputs)}")
    return name, {alias: _to_array([item[alias] for item in instances], info.dtype, alias)
                  for alias, info in inputs.items()}, ROW


def _to_array(value: Any, dtype: str, alias: str) -> np.ndarray:
    """A dense tensor of `dtype` from nested JSON lists; ragged or mistyped values are errors."""
    ragged = errors.InvalidArgumentError(f"input '{alias}' is not a dense tensor: its lists are "
                                         "ragged or nested too deeply")
    if dtype == "DT_STRING":
        try:
            array = np.array(_bytes_leaves(value, alias), dtype=object)
        except RecursionError:
            raise errors.InvalidArgumentError(f"input '{alias}' is nested too deeply") from None
        shape, item = [], value
        while isinstance(item, list):
            shape.append(len(item))
            item = item[0] if item else None
        if array.shape != tuple(shape):
            raise ragged
        return array
    try:
        array = np.asarray(value)
    except ValueError:  # NumPy refuses ragged nested lists
        raise ragged from None
    if array.dtype.kind not in ("b" if dtype == "DT_BOOL" else "iu" if "INT" in dtype else "iuf"):
        raise errors.InvalidArgumentError(
            f"input '{alias}' must hold {dtype} values, got JSON that reads as {array.dtype}")
    return array.astype(NUMPY_DTYPES[dtype])


def _bytes_leaves(value: Any, alias: str) -> Any:
    if isinstance(value, list):
        return [_bytes_leaves(item, alias) for item in value]
    if isinstance(value, str):
        return value.encode("utf-8")
    if _is_b64(value):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, ValueError):
            raise errors.InvalidArgumentError(f"input '{alias}': invalid base64") from None
    raise errors.InvalidArgumentError(
        f"input '{alias}' is DT_STRING: expected strings or {{\"b64\": ...}}, got {value!r:.40}")


def format_predict_response(outputs: Mapping[str, np.ndarray], request_format: str) -> bytes:
    """The `:predict` response body for a ROW or COLUMNAR request."""
    values = {name: to_json_value(array) for name, array in sorted(outputs.items())}
    if len(values) == 1:
        payload = next(iter(values.values()))
    elif request_format == COLUMNAR:
        payload = values
    else:
        rows = zip(*values.values(), strict=True)
        payload = [dict(zip(values, row, strict=True)) for row in rows]
    key = "outputs" if request_format == COLUMNAR else "predictions"
    return json.dumps({key: payload}).encode("utf-8")


def to_json_value(array: np.ndarray) -> Any:
    """A tensor as nested lists: float32 in its shortest round-trip form, bytes as UTF-8 text."""
    array = np.asarray(array)
    if array.dtype.kind in "OS":
        flat = [bytes(item).decode("utf-8", errors="replace") for item in array.ravel()]
        return np.array(flat, dtype=object).reshape(array.shape).tolist()
    if array.dtype == np.float32:  # str() of a float32 is its shortest round-trip decimal
        return np.array([float(str(item)) for item in array.ravel()]).reshape(array.shape).tolist()
    return array.tolist()


def request_body(inputs: Mapping[str, Any], signature_name: str = DEFAULT_SIGNATURE) -> bytes:
    """A `:predict` body: row format ("instances") for one input, columnar for several.

    `bytes` values are sent as `{"b64": ...}`, `str` as text, NaN as the bare NaN token.
    """
    tensors = {name: _client_value(value) for name, value in inputs.items()}
    payload: dict[str, Any] = ({"instances": next(iter(tensors.values()))} if len(tensors) == 1
                               else {"inputs": tensors})
    if signature_name != DEFAULT_SIGNATURE:
        payload["signature_name"] = signature_name
    return json.dumps(payload).encode("utf-8")


def _client_value(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind not in "OS":
        return to_json_value(value)
    if isinstance(value, (bytes, bytearray)):
        return {"b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_client_value(item) for item in value]
    return value.item() if isinstance(value, np.generic) else value


def parse_predict_response(body: bytes, outputs: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Reads a `:predict` response into arrays by output name, typed by `outputs` (name -> dtype,
    from the model's signature). Strings come back as `str`.

    Raises:
      ValueError: the body has neither "predictions" nor "outputs".
    """
    payload = json.loads(body)
    if "outputs" in payload:
        values = payload["outputs"]
    elif "predictions" in payload:
        rows = payload["predictions"]
        values = ({name: [row[name] for row in rows] for name in outputs} if len(outputs) > 1
                  else rows)
    else:
        raise ValueError(f"response has neither 'predictions' nor 'outputs': {sorted(payload)}")
    if len(outputs) == 1:
        values = {next(iter(outputs)): values}
    return {name: np.array(value, dtype=NUMPY_DTYPES.get(outputs[name])) for name, value in
            values.items()}
