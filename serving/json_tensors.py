"""TF Serving's REST JSON <-> NumPy tensors, on both ends of `:predict`.

The server half follows tensorflow_serving/util/json_tensor.cc: row ("instances") and columnar
("inputs") requests, `{"b64": ...}` for bytes, the dtype and nesting checks and their error
texts; `{"predictions": ...}` / `{"outputs": ...}` responses, a name omitted when the signature
has a single output, outputs named `*_bytes` written as b64, float32 in its shortest form.
The client half builds the same bodies and reads the responses.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from serving import errors
from serving.signatures import NUMPY_DTYPES, SHORT_NAMES, Signature

ROW, COLUMNAR = "row", "columnar"
_INT_RANGES = {"DT_INT8": (-2**7, 2**7 - 1), "DT_INT16": (-2**15, 2**15 - 1),
               "DT_INT32": (-2**31, 2**31 - 1), "DT_UINT8": (0, 2**8 - 1),
               "DT_INT64": (-2**63, 2**63 - 1), "DT_UINT32": (0, 2**32 - 1),
               "DT_UINT64": (0, 2**64 - 1)}
_FLOATS = {"DT_FLOAT": (2**24 - 1, float(np.finfo(np.float32).max)),
           "DT_HALF": (2**11 - 1, float(np.finfo(np.float16).max)),
           "DT_DOUBLE": (2**53 - 1, float(np.finfo(np.float64).max))}


def _invalid(*parts: object) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError("".join(str(part) for part in parts))


def _show(value: Any) -> str:
    return json.dumps(value, indent=4)


def _json_type(value: Any) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return str(value)
    return {dict: "Object", list: "Array", str: "String"}.get(type(value), "Number")


def _is_b64(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


def _leaf(value: Any, dtype: str) -> Any:
    """One JSON scalar as a value of `dtype` (AddValueToTensor)."""
    if isinstance(value, dict):
        if dtype != "DT_STRING":
            raise _type_error(value, dtype)
        if not _is_b64(value):
            raise _invalid("JSON Value: ", _show(value), " not formatted correctly for base64 data")
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, ValueError):
            raise _invalid("Unable to base64 decode") from None
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if dtype in _FLOATS:
        if not is_number:
            raise _type_error(value, dtype)
        max_int, max_float = _FLOATS[dtype]
        lossy = (abs(value) > max_int if isinstance(value, int)
                 else math.isfinite(value) and abs(value) > max_float)
        if lossy:
            raise _invalid("Cannot convert JSON value: ", _show(value), " to ",
                           SHORT_NAMES[dtype], " without loss of precision.")
        return value
    if dtype in _INT_RANGES:
        low, high = _INT_RANGES[dtype]
        if not is_number or not isinstance(value, int) or not low <= value <= high:
            raise _type_error(value, dtype)
        return value
    if dtype == "DT_STRING":
        if not isinstance(value, str):
            raise _type_error(value, dtype)
        return value.encode("utf-8")
    if dtype == "DT_BOOL":
        if not isinstance(value, bool):
            raise _type_error(value, dtype)
        return value
    raise errors.UnimplementedError(f"Conversion of JSON Value: {_show(value)} to type: {dtype}")


def _type_error(value: Any, dtype: str) -> errors.InvalidArgumentError:
    return _invalid("JSON Value: ", _show(value), " Type: ", _json_type(value),
                    " is not of expected type: ", SHORT_NAMES.get(dtype, dtype))


def _dense_shape(value: Any) -> list[int]:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _fill(value: Any, level: int, shape: list[int], dtype: str, out: list) -> None:
    """Appends the leaves of `value` to `out`, checking it is a dense `shape` (FillTensorProto)."""
    if not isinstance(value, list):
        if level != len(shape):
            raise _invalid("JSON Value: ", _show(value), " found at incorrect level: ", level + 1,
                           " in the JSON DOM. Expected at level: ", len(shape))
        out.append(_leaf(value, dtype))
        return
    if level >= len(shape):
        raise _invalid("Encountered list at unexpected level: ", level, " expected < ", len(shape))
    if len(value) != shape[level]:
        raise _invalid("Encountered list at unexpected size: ", len(value), " at level: ", level,
                       " expected size: ", shape[level])
    for item in value:
        _fill(item, level + 1, shape, dtype, out)


def _to_array(value: Any, dtype: str) -> np.ndarray:
    shape, flat = _dense_shape(value), []
    _fill(value, 0, shape, dtype, flat)
    array = np.empty(len(flat), dtype=NUMPY_DTYPES[dtype])
    array[:] = flat
    return array.reshape(shape)


def _from_instances(instances: list, signature: Signature) -> dict[str, np.ndarray]:
    """Row format: every element is one batch item (FillTensorMapFromInstancesList)."""
    names = sorted(signature.inputs)
    first = instances[0]
    if not isinstance(first, dict) and len(names) > 1:
        raise _invalid("instances is a plain list, but expecting list of objects as multiple "
                       "input tensors required as per tensorinfo_map")
    objects = isinstance(first, dict) and not _is_b64(first)
    items: dict[str, list[np.ndarray]] = {}
    for index, element in enumerate(instances):
        if objects != (isinstance(element, dict) and not _is_b64(element)):
            got, want = ("list", "object") if objects else ("object", "value/list")
            raise _invalid(f"Expecting {want} but got {got} at item {index} of input list")
        pairs = element.items() if objects else [(names[0], element)]
        for name, value in pairs:
            key = f" key: {name}" if objects else ""
            try:
                if name not in signature.inputs:
                    raise _invalid("JSON object: does not have named input: ", name)
                item = _to_array(value, signature.inputs[name].dtype)
                if items.get(name) and items[name][0].shape != item.shape:
                    previous = items[name][0]
                    if previous.size != item.size:
                        raise _invalid("Expecting tensor size: ", previous.size, " but got: ",
                                       item.size)
                    raise _invalid("Expecting shape ", _dims(previous.shape), " but got: ",
                                   _dims(item.shape))
            except errors.ServingError as error:
                raise _invalid("Failed to process element: ", index, key, " of 'instances' list. "
                               "Error: ", error.code, ": ", error.message) from None
            items.setdefault(name, []).append(item)
        if objects and set(element) != set(names):
            raise _invalid("Failed to process element: ", index, " of 'instances' list. JSON "
                           "object: ", _show(element), " keys must be equal to: ", ",".join(names))
    return {name: np.stack(values) for name, values in items.items()}


def _dims(shape: tuple[int, ...]) -> str:
    return "[" + ",".join(str(dim) for dim in shape) + "]"


def _from_inputs(value: Any, signature: Signature) -> dict[str, np.ndarray]:
    """Columnar format: one (possibly named) tensor per input (FillTensorMapFromInputsMap)."""
    if not isinstance(value, dict) or _is_b64(value):
        if len(signature.inputs) > 1:
            raise _invalid("inputs is a plain value/list, but expecting an object as multiple "
                           "input tensors required as per tensorinfo_map")
        (name, info), = signature.inputs.items()
        return {name: _to_array(value, info.dtype)}
    tensors = {}
    for name, info in sorted(signature.inputs.items()):
        if name not in value:
            raise _invalid("Missing named input: ", name, " in 'inputs' object.")
        tensors[name] = _to_array(value[name], info.dtype)
    return tensors


def parse_predict_request(
    body: bytes, get_signature: Callable[[str], Signature]
) -> tuple[str, dict[str, np.ndarray], str]:
    """Parses a `:predict` body (FillPredictRequestFromJson).

    Args:
      body: the raw request body.
      get_signature: signature name ("" for the default) -> Signature; raises for an unknown
        model, version or signature. Called after the JSON is parsed, as TF Serving does.

    Returns:
      (signature name, input tensors by name, ROW or COLUMNAR).

    Raises:
      InvalidArgumentError: malformed JSON or tensors, with TF Serving's messages.
    """
    if not body.strip():
        raise _invalid("JSON Parse error: The document is empty")
    try:
        doc = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        offset = getattr(error, "pos", getattr(error, "start", 0))
        reason = getattr(error, "msg", str(error))
        raise _invalid("JSON Parse error: ", reason, " at offset: ", offset) from None
    if not isinstance(doc, dict):
        raise _invalid("JSON Value: ", _show(doc), " Is not object")
    name = doc.get("signature_name", "")
    if not isinstance(name, str):
        raise _invalid("JSON Value: ", _show(doc), " not formatted correctly. 'signature_name' "
                       "key must be a string value.")
    signature = get_signature(name)
    if not signature.inputs:
        raise _invalid("Failed to get input map for signature: ", name or "DEFAULT")
    if "instances" in doc and "inputs" in doc:
        raise _invalid("JSON Value: ", _show(doc), " Not formatted correctly expecting only one "
                       "of 'inputs' or 'instances' keys to exist ")
    if "instances" in doc:
        instances = doc["instances"]
        if not isinstance(instances, list):
            raise _invalid("JSON Value: ", _show(doc), " Excepting 'instances' to be an list/array")
        if not instances:
            raise _invalid("JSON Value: ", _show(doc), " No values in 'instances' array")
        return name, _from_instances(instances, signature), ROW
    if "inputs" in doc:
        return name, _from_inputs(doc["inputs"], signature), COLUMNAR
    raise _invalid("Missing 'inputs' or 'instances' key")


def to_json_value(array: np.ndarray, as_bytes: bool = False) -> Any:
    """A tensor as nested JSON-ready lists: float32 in its shortest decimal form, bytes as b64."""
    array = np.asarray(array)
    if array.dtype.kind in "OSU":
        flat = [_string_value(value, as_bytes) for value in array.ravel()]
        return np.array(flat, dtype=object).reshape(array.shape).tolist()
    if array.dtype in (np.float32, np.float16):
        # str() of a float32 is its shortest round-trip form; as a double it prints the same.
        flat = np.array([float(str(value)) for value in array.ravel()], dtype=np.float64)
        return flat.reshape(array.shape).tolist()
    return array.tolist()


def _string_value(value: Any, as_bytes: bool) -> Any:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return {"b64": base64.b64encode(raw).decode("ascii")} if as_bytes else raw.decode(
        "utf-8", errors="replace")


def format_predict_response(outputs: Mapping[str, np.ndarray], request_format: str) -> bytes:
    """The `:predict` response body (MakeJsonFromTensors) for a ROW or COLUMNAR request."""
    values = {name: to_json_value(array, as_bytes=name.endswith("_bytes"))
              for name, array in sorted(outputs.items())}
    if request_format == COLUMNAR:
        payload = {"outputs": next(iter(values.values())) if len(values) == 1 else values}
    else:
        batch_size = None
        for name, array in sorted(outputs.items()):
            if np.ndim(array) == 0:
                raise _invalid("Tensor name: ", name, " has no shape information ")
            if batch_size is not None and np.shape(array)[0] != batch_size:
                raise _invalid("Tensor name: ", name, " has inconsistent batch size: ",
                               np.shape(array)[0], " expecting: ", batch_size)
            batch_size = np.shape(array)[0]
        rows = list(zip(*values.values(), strict=True))
        predictions = ([row[0] for row in rows] if len(values) == 1
                       else [dict(zip(values, row, strict=True)) for row in rows])
        payload = {"predictions": predictions}
    return json.dumps(payload).encode("utf-8")

