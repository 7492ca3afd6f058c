"""TF Serving's REST JSON: request bodies, server-side parsing and errors, responses (no server)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from serving import errors, json_bodies, json_tensors
from serving.signatures import Signature, TensorInfo

TEXT = Signature(inputs={"text": TensorInfo("serving_default_text:0", "DT_STRING", (-1,))},
                 outputs={"probability": TensorInfo("out:0", "DT_FLOAT", (-1,))})
WINDOW = Signature(inputs={"window": TensorInfo("w:0", "DT_FLOAT", (-1, 3, 2))},
                   outputs={"forecast": TensorInfo("f:0", "DT_FLOAT", (-1,))})
TWO = Signature(inputs={"x": TensorInfo("x:0", "DT_FLOAT", (-1, 2)),
                        "n": TensorInfo("n:0", "DT_INT64", (-1,))},
                outputs={"y": TensorInfo("y:0", "DT_FLOAT", (-1,))})


def parse(body, signature=TEXT):
    return json_tensors.parse_predict_request(
        body if isinstance(body, bytes) else json.dumps(body).encode(), lambda _: signature)


def error_of(body, signature=TEXT) -> errors.ServingError:
    with pytest.raises(errors.ServingError) as caught:
        parse(body, signature)
    return caught.value


# Request bodies (client side)


def test_row_body_of_one_unnamed_input_is_a_plain_instances_list():
    body = json.loads(json_bodies.request_body(["good film", "bad film"]))
    assert body == {"instances": ["good film", "bad film"]}


def test_row_body_of_several_inputs_is_a_list_of_objects():
    body = json.loads(json_bodies.request_body({"x": [[1.0, 2.0], [3.0, 4.0]], "n": [1, 2]}))
    assert body == {"instances": [{"x": [1.0, 2.0], "n": 1}, {"x": [3.0, 4.0], "n": 2}]}


def test_row_body_rejects_inputs_with_different_batch_sizes():
    with pytest.raises(ValueError, match="columnar"):
        json_bodies.request_body({"x": [[1.0, 2.0]], "n": [1, 2]})


def test_columnar_body_keeps_names_and_signature_name():
    window = np.arange(6, dtype=np.float32).reshape(1, 3, 2)
    body = json.loads(json_bodies.request_body({"window": window}, json_bodies.COLUMNAR,
                                               signature_name="serving_default"))
    assert body == {"inputs": {"window": [[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]]},
                    "signature_name": "serving_default"}


def test_bytes_are_sent_as_b64_objects_and_text_as_strings():
    body = json.loads(json_bodies.request_body([b"\x00\xffraw", "text"]))
    assert body == {"instances": [{"b64": "AP9yYXc="}, "text"]}


def test_float32_values_are_written_in_their_shortest_form():
    body = json_bodies.request_body(np.array([0.1, 1 / 3], dtype=np.float32))
    assert body == b'{"instances": [0.1, 0.33333334]}'


def test_client_bodies_parse_back_on_the_server():
    for request_format in (json_bodies.ROW, json_bodies.COLUMNAR):
        body = json_bodies.request_body({"x": [[1.0, 2.0]], "n": [7]}, request_format)
        _, tensors, parsed_format = parse(body, TWO)
        assert parsed_format == request_format
        np.testing.assert_array_equal(tensors["x"], np.array([[1, 2]], np.float32))
        assert tensors["x"].dtype == np.float32 and tensors["n"].dtype == np.int64


# Server-side parsing


def test_row_strings_and_b64_become_a_bytes_batch():
    name, tensors, request_format = parse({"instances": ["a", {"b64": "Yg=="}]})
    assert (name, request_format) == ("", json_tensors.ROW)
    assert tensors["text"].tolist() == [b"a", b"b"] and tensors["text"].shape == (2,)


def test_columnar_window_keeps_its_shape_and_dtype():
    window = [[[1, 2], [3, 4], [5, 6.5]]]
    _, tensors, request_format = parse({"inputs": {"window": window}}, WINDOW)
    assert request_format == json_tensors.COLUMNAR
    assert tensors["window"].shape == (1, 3, 2) and tensors["window"].dtype == np.float32


def test_signature_name_is_passed_to_the_lookup():
    seen = []
    json_tensors.parse_predict_request(
        b'{"signature_name": "other", "instances": ["a"]}',
        lambda name: seen.append(name) or TEXT)
    assert seen == ["other"]


@pytest.mark.parametrize(("body", "message"), [
    (b"", "JSON Parse error: The document is empty"),
    (b"{", "JSON Parse error: "),
    (b"[1, 2]", "Is not object"),
    ({"instances": ["a"], "inputs": ["b"]},
     "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist"),
    ({"instances": "a"}, "Excepting 'instances' to be an list/array"),
    ({"instances": []}, "No values in 'instances' array"),
    ({"text": ["a"]}, "Missing 'inputs' or 'instances' key"),
    ({"signature_name": 3, "instances": ["a"]}, "'signature_name' key must be a string value."),
    ({"instances": [1.5]}, "JSON Value: 1.5 Type: Number is not of expected type: string"),
    ({"instances": [{"b64": "%%%"}]}, "Unable to base64 decode"),
    ({"inputs": {"other": ["a"]}, "signature_name": ""}, None),
])
def test_malformed_requests_get_tf_serving_messages(body, message):
    if message is None:  # single-input columnar object without the input's name
        message = "Missing named input: text in 'inputs' object."
    error = error_of(body)
    assert isinstance(error, errors.InvalidArgumentError) and error.code == "INVALID_ARGUMENT"
    assert message in error.message
    assert errors.http_status(error) == 400


def test_wrong_dtypes_are_rejected_per_value():
    assert "is not of expected type: float" in error_of({"inputs": [[[True, 1], [1, 1], [1, 1]]]},
                                                        WINDOW).message
    assert "is not of expected type: int64" in error_of(
        {"instances": [{"x": [1.0, 2.0], "n": 1.5}]}, TWO).message
    lossy = error_of({"inputs": [[[16777217, 0], [0, 0], [0, 0]]]}, WINDOW)
    assert "without loss of precision" in lossy.message


def test_ragged_and_misnested_tensors_are_rejected():
    ragged = error_of({"inputs": [[[1, 2], [3]], [[1, 2], [3, 4]]]}, WINDOW)
    assert "Encountered list at unexpected size: 1 at level: 2 expected size: 2" in ragged.message
    deep = error_of({"inputs": [[1, [2]]]}, WINDOW)
    assert "Encountered list at unexpected level: 2 expected < 2" in deep.message
    shallow = error_of({"inputs": [[[1, 2]], 3]}, WINDOW)
    assert "JSON Value: 3 found at incorrect level: 2 in the JSON DOM. Expected at level: 3" \
        in shallow.message
    rows = error_of({"instances": [[[1, 2], [3, 4], [5, 6]], [[1, 2], [3, 4]]]}, WINDOW)
    assert rows.message.startswith("Failed to process element: 1 of 'instances' list. Error: ")
    assert "Expecting tensor size: 6 but got: 4" in rows.message


def test_row_objects_must_name_every_input():
    error = error_of({"instances": [{"x": [1.0, 2.0]}]}, TWO)
    assert "keys must be equal to: n,x" in error.message
    plain = error_of({"instances": [[1.0, 2.0]]}, TWO)
    assert "instances is a plain list, but expecting list of objects" in plain.message


# Responses


def test_row_response_omits_the_name_of_a_single_output():
    body = json_tensors.format_predict_response(
        {"probability": np.array([0.25, 0.1], np.float32)}, json_tensors.ROW)
    assert json.loads(body) == {"predictions": [0.25, 0.1]}


def test_responses_with_several_outputs_name_them():
    outputs = {"y": np.array([1.5, 2.0], np.float32), "tag_bytes": np.array([b"\x01", b"z"],
                                                                             dtype=object)}
    row = json.loads(json_tensors.format_predict_response(outputs, json_tensors.ROW))
    assert row == {"predictions": [{"tag_bytes": {"b64": "AQ=="}, "y": 1.5},
                                   {"tag_bytes": {"b64": "eg=="}, "y": 2.0}]}
    columnar = json.loads(json_tensors.format_predict_response(outputs, json_tensors.COLUMNAR))
    assert columnar == {"outputs": {"tag_bytes": [{"b64": "AQ=="}, {"b64": "eg=="}],
                                    "y": [1.5, 2.0]}}


def test_float32_outputs_round_trip_exactly_and_keep_nan():
    values = np.array([0.1, 1 / 3, 1e-7, np.nan, np.inf], dtype=np.float32)
    body = json_tensors.format_predict_response({"y": values}, json_tensors.COLUMNAR)
    assert b"NaN" in body and b"Infinity" in body
    parsed = json_bodies.parse_predict_response(body, {"y": "DT_FLOAT"})["y"]
    assert parsed.dtype == np.float32
    np.testing.assert_array_equal(parsed, values)


def test_unnamed_response_without_metadata_is_one_array():
    parsed = json_bodies.parse_predict_response(b'{"predictions": [0.5, 0.25]}')
    np.testing.assert_array_equal(parsed, [0.5, 0.25])
    with pytest.raises(ValueError, match="neither"):
        json_bodies.parse_predict_response(b'{"result": []}')
