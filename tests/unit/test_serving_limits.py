"""Bounded requests: oversized, malformed and wrong-shape requests get HTTP 400 /
INVALID_ARGUMENT at once, before any tensor is built, and the server keeps answering.

Every call has a one-second socket timeout or deadline: an answer that took longer fails it.
"""

from __future__ import annotations

import http.client
import json
import socket

import grpc
import numpy as np
import pytest
from serving_fakes import FakeServable

from serving import cli, client, errors, json_codec, protos
from serving.local_server import LocalServer
from serving.registry import ModelConfig

LIMIT, MAX_BYTES = 4, 4096


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serving")
    for model, version in (("imdb", 7), ("jena", 2)):
        (root / model / str(version)).mkdir(parents=True)
    configs = [ModelConfig(name, str(root / name)) for name in ("imdb", "jena")]
    with LocalServer(configs, rest_port=0, grpc_port=0, max_batch_size=LIMIT,
                     max_request_bytes=MAX_BYTES, loader=FakeServable) as running:
        yield running


@pytest.fixture
def decoded(monkeypatch):
    """Records every tensor the server builds from a request, REST or gRPC."""
    built = []
    to_array, from_proto = json_codec._to_array, protos.from_tensor_proto
    monkeypatch.setattr(json_codec, "_to_array", lambda *a: built.append(a) or to_array(*a))
    monkeypatch.setattr(protos, "from_tensor_proto",
                        lambda proto: built.append(proto) or from_proto(proto))
    FakeServable.batch_sizes.clear()
    return built


def post(server, body: bytes, path: str = "/v1/models/imdb:predict"):
    host, port = server.rest_url[len("http://"):].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=1)
    connection.request("POST", path, body=body)
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    return response.status, payload.get("error", payload)


def assert_still_serving(server):
    assert post(server, b'{"instances": ["ok"]}') == (200, {"predictions": [0.027]})
    with client.GrpcClient(server.grpc_target, timeout_seconds=1, retries=0) as rpc:
        np.testing.assert_array_equal(rpc.predict_sentiment(["ok"]), np.float32([0.027]))


@pytest.mark.parametrize("body", [
    {"instances": ["w"] * (LIMIT + 1)},
    {"inputs": {"text": ["w"] * (LIMIT + 1)}},
    {"inputs": ["w"] * (LIMIT + 1)},
])
def test_too_many_instances_get_400_naming_the_limit_before_any_tensor(server, decoded, body):
    status, message = post(server, json.dumps(body).encode())
    assert status == 400
    assert f"over the limit of {LIMIT} per request" in message
    assert decoded == [] and FakeServable.batch_sizes == []
    assert_still_serving(server)


def test_a_100000_instance_request_is_refused_by_count_under_a_large_byte_limit(tmp_path):
    (tmp_path / "imdb" / "7").mkdir(parents=True)
    with LocalServer([ModelConfig("imdb", str(tmp_path / "imdb"))], rest_port=0,
                     grpc_port=0, loader=FakeServable) as large:  # the default limits
        body = json.dumps({"instances": ["w"] * 100_000}).encode()
        assert 0.5e6 < len(body) < large.max_request_bytes
        status, message = post(large, body)
        assert status == 400 and "request of 100000 instances is over the limit of 64" in message
        assert_still_serving(large)


def test_grpc_too_many_instances_get_invalid_argument_before_decoding(server, decoded):
    with client.GrpcClient(server.grpc_target, timeout_seconds=1, retries=0) as rpc:
        with pytest.raises(errors.InvalidArgumentError,
                           match=f"request of 5 instances is over the limit of {LIMIT}"):
            rpc.predict("imdb", {"text": ["w"] * (LIMIT + 1)})
        with pytest.raises(errors.ServingError) as caught:  # refused by the gRPC transport
            rpc.predict("imdb", {"text": ["w" * MAX_BYTES]})
        assert caught.value.code == "RESOURCE_EXHAUSTED" and str(MAX_BYTES) in str(caught.value)
    assert decoded == [] and FakeServable.batch_sizes == []
    assert_still_serving(server)


def test_an_oversized_body_is_refused_from_its_content_length_unread(server):
    host, port = server.rest_url[len("http://"):].split(":")
    with socket.create_connection((host, int(port)), timeout=1) as raw:
        raw.sendall(b"POST /v1/models/imdb:predict HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Length: 1000000000\r\n\r\n")  # and no body: none is waited for
        response = http.client.HTTPResponse(raw)
        response.begin()
        error = json.loads(response.read())["error"]
    assert response.status == 400 and response.getheader("Connection") == "close"
    assert error == "request body of 1000000000 bytes is over the limit of 4096 bytes per request"
    # a client that does send its large body gets the answer, not a reset connection
    status, message = post(server, b"x" * 200_000)
    assert status == 400 and "over the limit of 4096 bytes" in message
    assert_still_serving(server)


@pytest.mark.parametrize(("body", "message"), [
    (b'{"instances": ["unclosed}', "JSON Parse error"),
    (b"\xff\xfe", "JSON Parse error"),
    (b'{"instances": [1.5]}', "expected strings"),
    (b'{"inputs": {"text": [["a", "b"]]}}', "not compatible with the signature's shape [-1]"),
])
def test_malformed_and_wrong_shape_requests_get_400(server, body, message):
    status, error = post(server, body)
    assert status == 400 and message in error
    assert_still_serving(server)


def test_grpc_wrong_dtype_and_shape_get_invalid_argument(server):
    with client.GrpcClient(server.grpc_target, timeout_seconds=1, retries=0) as rpc:
        for inputs in ({"text": np.array([0.5], np.float32)}, {"text": [["a", "b"]]}):
            with pytest.raises(errors.InvalidArgumentError):
                rpc.predict("imdb", inputs)
        with pytest.raises(grpc.RpcError) as caught:
            rpc._prediction.Predict(protos.predict_request("imdb", None, "", {}), timeout=1)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert_still_serving(server)


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_clients_split_big_inputs_into_allowed_batches(server, transport):
    texts = [f"review {'x' * i}" for i in range(10)]
    target = server.rest_url if transport == "rest" else server.grpc_target
    FakeServable.batch_sizes.clear()
    with client.connect(**{transport: target}, max_batch_size=LIMIT, retries=0) as serving:
        probabilities = serving.predict_sentiment(texts)
        windows = np.zeros((9, 3, 2), np.float32)
        forecasts = serving.forecast_temperature(windows)
    np.testing.assert_allclose(probabilities, [len(t) / 100 + 0.007 for t in texts], rtol=1e-6)
    np.testing.assert_array_equal(forecasts, np.full(9, 0.5, np.float32))
    assert FakeServable.batch_sizes == [4, 4, 2, 4, 4, 1]


def test_predict_command_splits_and_joins(server, capsys):
    texts = [f"text {i}" for i in range(6)]
    assert cli.main(["predict", "imdb", *texts, "--rest", server.rest_url,
                     "--max-batch-size", str(LIMIT)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[-2:] for line in lines] == [t.split() for t in texts]


def test_grpc_tensors_must_hold_one_value_per_element(server, decoded):
    """A tiny message declaring a huge shape must not make the server build a huge tensor."""
    request = protos.predict_request("jena", None, "", {"window": np.zeros((1, 3, 2), np.float32)})
    proto = request.inputs["window"]
    proto.ClearField("tensor_content")
    proto.float_val.append(1.0)
    proto.tensor_shape.dim[1].size = 10**9
    with client.GrpcClient(server.grpc_target, timeout_seconds=1, retries=0) as rpc:
        with pytest.raises(grpc.RpcError) as caught:
            rpc._prediction.Predict(request, timeout=1)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "needs 2000000000 values, got 1" in caught.value.details()
    assert FakeServable.batch_sizes == []
    assert_still_serving(server)
