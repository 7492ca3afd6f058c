"""Client side of TF Serving's REST JSON: `:predict` request bodies and responses.

The server side (parsing these bodies, writing the responses) is serving/json_tensors.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from serving.json_tensors import COLUMNAR, ROW, to_json_value
from serving.signatures import NUMPY_DTYPES


def request_body(
    inputs: Any, request_format: str = ROW, signature_name: str | None = None
) -> bytes:
    """A `:predict` body in row ("instances") or columnar ("inputs") format.

    Args:
      inputs: one tensor (array-like; its first axis is the batch in row format) or a mapping
        of input name -> tensor. `bytes` values are sent as `{"b64": ...}`, `str` as text.
      request_format: ROW or COLUMNAR.
      signature_name: left out of the body when None (the server uses serving_default).

    Raises:
      ValueError: unknown format, or named inputs with different batch sizes in row format.
    """
    named = isinstance(inputs, Mapping)
    tensors = {name: _client_value(value) for name, value in inputs.items()} if named else {}
    if request_format == COLUMNAR:
        payload = {"inputs": tensors if named else _client_value(inputs)}
    elif request_format == ROW:
        if not named:
            payload = {"instances": _as_batch(_client_value(inputs))}
        elif len(tensors) == 1:  # one input: the plain list is the compact row form
            payload = {"instances": _as_batch(next(iter(tensors.values())))}
        else:
            columns = {name: _as_batch(value) for name, value in tensors.items()}
            sizes = {name: len(value) for name, value in columns.items()}
            if len(set(sizes.values())) != 1:
                raise ValueError(f"row format needs one batch size for all inputs, got {sizes}; "
                                 "use the columnar format")
            payload = {"instances": [dict(zip(columns, row, strict=True))
                                    for row in zip(*columns.values(), strict=True)]}
    else:
        raise ValueError(f"unknown request format {request_format!r}; expected {ROW!r} or "
                         f"{COLUMNAR!r}")
    if signature_name is not None:
        payload["signature_name"] = signature_name
    return json.dumps(payload).encode("utf-8")


def _as_batch(value: Any) -> list:
    if not isinstance(value, list):
        raise ValueError(f"row format needs a batch (a list), got {type(value).__name__}")
    return value


def _client_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OS":
            return _client_value(value.tolist())
        return to_json_value(value)
    if isinstance(value, (bytes, bytearray)):
        return {"b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [_client_value(item) for item in value]
    if isinstance(value, np.generic):
        return _client_value(value.item())
    return value


def parse_predict_response(
    body: bytes, outputs: Mapping[str, str] | None = None
) -> dict[str, np.ndarray] | np.ndarray:
    """Reads a `:predict` response body.

    Args:
      body: the response body.
      outputs: the signature's output name -> dtype ("DT_FLOAT"), from the model's metadata.
        TF Serving leaves the name out when there is a single output; with `outputs` the
        result is always a dict, and each array gets its signature dtype.

    Returns:
      Arrays by output name, or a single array when the response names none and `outputs`
      is not given. Strings come back as `str`, b64 values as `bytes`.

    Raises:
      ValueError: the body has neither "predictions" nor "outputs".
    """
    payload = json.loads(body)
    if "predictions" in payload:
        rows = payload["predictions"]
        named = bool(rows) and isinstance(rows[0], dict) and not _is_b64(rows[0])
        values: Any = {name: [row[name] for row in rows] for name in rows[0]} if named else rows
    elif "outputs" in payload:
        values = payload["outputs"]
        named = isinstance(values, dict) and not _is_b64(values)
    else:
        raise ValueError(f"response has neither 'predictions' nor 'outputs': {sorted(payload)}")
    dtypes = dict(outputs or {})
    if not named:
        if len(dtypes) != 1:
            return _decoded(values, None)
        values = {next(iter(dtypes)): values}
    return {name: _decoded(value, dtypes.get(name)) for name, value in values.items()}


def _is_b64(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


def _decoded(value: Any, dtype: str | None) -> np.ndarray:
    def walk(item):
        if isinstance(item, list):
            return [walk(element) for element in item]
        return base64.b64decode(item["b64"]) if _is_b64(item) else item

    decoded = walk(value)
    leaf = decoded
    while isinstance(leaf, list) and leaf:
        leaf = leaf[0]
    if isinstance(leaf, (str, bytes)):
        return np.array(decoded, dtype=object)
    return np.array(decoded, dtype=NUMPY_DTYPES.get(dtype) if dtype else None)
