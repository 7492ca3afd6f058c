"""TF Serving's REST JSON: request bodies, server-side parsing and errors, responses (no server)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from serving import errors, json_codec
from serving.signatures import Signature, TensorInfo

TEXT = Signature(inputs={"text": TensorInfo("serving_default_text:0", "DT_STRING", (-1,))},
                 outputs={"probability": TensorInfo("out:0", "DT_FLOAT", (-1,))})
WINDOW = Signature(inputs={"window": TensorInfo("w:0", "DT_FLOAT", (-1, 3, 2))},
                   outputs={"forecast": TensorInfo("f:0", "DT_FLOAT", (-1,))})
TWO = Signature(inputs={"x": TensorInfo("x:0", "DT_FLOAT", (-1, 2)),
                        "n": TensorInfo("n:0", "DT_INT64", (-1,))},
                outputs={"y": TensorInfo("y:0", "DT_FLOAT", (-1,))})


def parse(body, signature=TEXT):
    return json_codec.parse_predict_request(
        body if isinstance(body, bytes) else json.dumps(body).encode(), lambda _: signature, 64)


def error_of(body, signature=TEXT) -> errors.ServingError:
    with pytest.raises(errors.InvalidArgumentError) as caught:
        parse(body, signature)
    assert errors.http_status(caught.value) == 400
    return caught.value


def test_bodies_are_rows_for_one_input_and_columns_for_several():
    assert json.loads(json_codec.request_body({"text": ["good film", "bad film"]})) == {
        "instances": ["good film", "bad film"]}
    window = np.arange(6, dtype=np.float32).reshape(1, 3, 2)
    assert json.loads(json_codec.request_body({"x": window, "n": [7]}, "other")) == {
        "inputs": {"x": [[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]], "n": [7]},
        "signature_name": "other"}


def test_bytes_are_sent_as_b64_text_as_strings_and_float32_in_shortest_form():
    body = json.loads(json_codec.request_body({"text": [b"\x00\xffraw", "text"]}))
    assert body == {"instances": [{"b64": "AP9yYXc="}, "text"]}
    assert json_codec.request_body({"x": np.array([0.1, 1 / 3], np.float32)}) == \
        b'{"instances": [0.1, 0.33333334]}'


def test_client_bodies_parse_back_on_the_server():
    _, tensors, request_format = parse(json_codec.request_body({"x": [[1.0, 2.0]], "n": [7]}),
                                       TWO)
    assert request_format == json_codec.COLUMNAR
    np.testing.assert_array_equal(tensors["x"], np.array([[1, 2]], np.float32))
    assert tensors["x"].dtype == np.float32 and tensors["n"].dtype == np.int64
    _, tensors, request_format = parse({"instances": [{"x": [1.0, 2.0], "n": 7}]}, TWO)
    assert request_format == json_codec.ROW and tensors["n"].tolist() == [7]


def test_nan_and_infinity_pass_through_as_tf_serving_accepts_them():
    """A Jena window with a missing value (NaN) and the -9999 sentinel reaches the model as is."""
    window = np.array([[[np.nan, -9999.0], [np.inf, -np.inf], [1.5, 2.0]]], np.float32)
    body = json_codec.request_body({"window": window})
    assert b"NaN" in body and b"-Infinity" in body and b"-9999.0" in body
    _, tensors, _ = parse(body, WINDOW)
    np.testing.assert_array_equal(tensors["window"], window)  # NaN == NaN for this assert
    # the bare tokens as a curl user would type them, the way TF Serving's parser reads them
    _, tensors, _ = parse(b'{"inputs": [[[NaN, 1], [Infinity, 2], [-Infinity, 3]]]}', WINDOW)
    assert np.isnan(tensors["window"][0, 0, 0]) and tensors["window"][0, 2, 0] == -np.inf


def test_row_strings_and_b64_become_a_bytes_batch():
    name, tensors, request_format = parse({"instances": ["a", {"b64": "Yg=="}]})
    assert (name, request_format) == ("", json_codec.ROW)
    assert tensors["text"].tolist() == [b"a", b"b"] and tensors["text"].shape == (2,)


def test_columnar_window_keeps_its_shape_and_the_signature_name_is_looked_up():
    seen = []
    _, tensors, request_format = json_codec.parse_predict_request(
        b'{"signature_name": "other", "inputs": {"window": [[[1, 2], [3, 4], [5, 6.5]]]}}',
        lambda name: seen.append(name) or WINDOW, 64)
    assert seen == ["other"] and request_format == json_codec.COLUMNAR
    assert tensors["window"].shape == (1, 3, 2) and tensors["window"].dtype == np.float32


@pytest.mark.parametrize(("body", "message"), [
    (b"", "JSON Parse error"),
    (b'{"instances": ["unclosed}', "JSON Parse error"),
    (b"[1, 2]", "must be a JSON object"),
    ({"signature_name": 3, "instances": ["a"]}, "string 'signature_name'"),
    ({"instances": ["a"], "inputs": ["b"]}, "exactly one of 'instances' or 'inputs'"),
    ({"text": ["a"]}, "exactly one of 'instances' or 'inputs'"),
    ({"instances": "a"}, "must be a non-empty list"),
    ({"instances": []}, "must be a non-empty list"),
    ({"instances": [1.5]}, "expected strings"),
    ({"instances": [{"b64": "%%%"}]}, "invalid base64"),
    ({"inputs": {"other": ["a"]}}, "must name the inputs ['text']"),
    (b"[" * 100_000 + b"]" * 100_000, "JSON Parse error"),
    (b'{"instances": ' + b"[" * 900 + b'"a"' + b"]" * 900 + b"}", "nested too deeply"),
])
def test_malformed_requests_are_invalid_arguments(body, message):
    assert message in error_of(body).message


def test_wrong_dtypes_and_ragged_tensors_are_rejected():
    assert "must hold DT_FLOAT" in error_of({"inputs": [[["a", 1], [1, 1], [1, 1]]]},
                                            WINDOW).message
    assert "must hold DT_FLOAT" in error_of({"inputs": [[[None, 1], [1, 1], [1, 1]]]},
                                            WINDOW).message
    assert "must hold DT_INT64" in error_of({"instances": [{"x": [1.0, 2.0], "n": 1.5}]},
                                            TWO).message
    assert "ragged" in error_of({"inputs": [[[1, 2], [3]], [[1, 2], [3, 4]]]}, WINDOW).message
    assert "ragged" in error_of({"instances": [["a", "b"], ["c"]]}).message
    deep = json.loads("[" * 900 + "1" + "]" * 900)
    assert "nested too deeply" in error_of({"inputs": deep}, WINDOW).message


def test_row_objects_must_name_every_input():
    assert "keys ['n', 'x']" in error_of({"instances": [{"x": [1.0, 2.0]}]}, TWO).message
    assert "keys ['n', 'x']" in error_of({"instances": [[1.0, 2.0]]}, TWO).message


def test_responses_name_outputs_only_when_there_are_several():
    one = {"probability": np.array([0.25, 0.1], np.float32)}
    assert json.loads(json_codec.format_predict_response(one, json_codec.ROW)) == {
        "predictions": [0.25, 0.1]}
    two = {"y": np.array([1.5, 2.0], np.float32), "tag": np.array([b"a", b"z"], dtype=object)}
    assert json.loads(json_codec.format_predict_response(two, json_codec.ROW)) == {
        "predictions": [{"tag": "a", "y": 1.5}, {"tag": "z", "y": 2.0}]}
    assert json.loads(json_codec.format_predict_response(two, json_codec.COLUMNAR)) == {
        "outputs": {"tag": ["a", "z"], "y": [1.5, 2.0]}}


def test_float32_outputs_round_trip_exactly_and_keep_nan():
    values = np.array([0.1, 1 / 3, 1e-7, np.nan, np.inf], dtype=np.float32)
    body = json_codec.format_predict_response({"y": values}, json_codec.COLUMNAR)
    assert b"NaN" in body and b"Infinity" in body
    parsed = json_codec.parse_predict_response(body, {"y": "DT_FLOAT"})["y"]
    assert parsed.dtype == np.float32
    np.testing.assert_array_equal(parsed, values)
    with pytest.raises(ValueError, match="neither"):
        json_codec.parse_predict_response(b'{"result": []}', {"y": "DT_FLOAT"})
