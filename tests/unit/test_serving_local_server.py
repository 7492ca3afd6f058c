"""The local server's REST and gRPC protocol, and the clients, over fake models (seconds).

The same checks against real pushed SavedModels run in tests/pipeline/test_serving_e2e.py.
"""

from __future__ import annotations

import http.client
import json
import os
import time

import grpc
import numpy as np
import pytest
from serving_fakes import PAIR, FakeServable

from serving import client, errors
from serving.local_server import LocalServer
from serving.registry import ModelConfig


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serving")
    for model, version in (("imdb", 7), ("jena", 2)):
        (root / model / str(version)).mkdir(parents=True)
    configs = [ModelConfig(name, str(root / name)) for name in ("imdb", "jena")]
    with LocalServer(configs, rest_port=0, grpc_port=0, max_request_bytes=4096,
                     max_batch_size=4, loader=FakeServable) as running:
        yield running


@pytest.fixture(params=["rest", "grpc"])
def serving(request, server):
    options = {"rest": server.rest_url} if request.param == "rest" else {
        "grpc": server.grpc_target}
    with client.connect(**options, timeout_seconds=5, retries=0, max_batch_size=4) as connected:
        yield connected


def http_call(server, method: str, path: str, body: bytes | None = None):
    host, port = server.rest_url[len("http://"):].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request(method, path, body=body)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, response.getheader("Content-Type"), json.loads(payload)


def test_status_json_is_tf_servings(server):
    status, content_type, payload = http_call(server, "GET", "/v1/models/imdb")
    assert (status, content_type) == (200, "application/json")
    assert payload == {"model_version_status": [{
        "version": "7", "state": "AVAILABLE",
        "status": {"error_code": "OK", "error_message": ""}}]}


def test_metadata_json_is_tf_servings(server):
    status, _, payload = http_call(server, "GET", "/v1/models/imdb/versions/7/metadata")
    assert status == 200
    assert payload["model_spec"] == {"name": "imdb", "signature_name": "", "version": "7"}
    text = payload["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert text == {
        "inputs": {"text": {"dtype": "DT_STRING", "name": "serving_default_text:0",
                            "tensor_shape": {"dim": [{"size": "-1", "name": ""}],
                                             "unknown_rank": False}}},
        "outputs": {"probability": {"dtype": "DT_FLOAT", "name": "Identity:0",
                                    "tensor_shape": {"dim": [{"size": "-1", "name": ""}],
                                                     "unknown_rank": False}}},
        "method_name": "tensorflow/serving/predict", "defaults": {}}


def test_row_and_columnar_predict_with_several_outputs(server):
    body = {"signature_name": "pair", "instances": [{"x": [1, 2], "n": 3}, {"x": [0, 0], "n": 1}]}
    status, _, payload = http_call(server, "POST", "/v1/models/imdb:predict",
                                   json.dumps(body).encode())
    assert status == 200
    assert payload == {"predictions": [{"y": 6.0, "tag": "ok"}, {"y": 1.0, "tag": "ok"}]}
    body = {"signature_name": "pair", "inputs": {"x": [[1, 2]], "n": [3]}}
    _, _, payload = http_call(server, "POST", "/v1/models/imdb/versions/7:predict",
                              json.dumps(body).encode())
    assert payload == {"outputs": {"y": [6.0], "tag": ["ok"]}}


@pytest.mark.parametrize(("method", "path", "body", "status", "message"), [
    ("POST", "/v1/models/nope:predict", b'{"instances": ["a"]}', 404,
     "Servable not found for request: Latest(nope)"),
    ("POST", "/v1/models/imdb/versions/8:predict", b'{"instances": ["a"]}', 404,
     "Servable not found for request: Specific(imdb, 8)"),
    ("POST", "/v1/models/imdb:predict", b'{"instances": [1]}', 400, "expected strings"),
    ("POST", "/v1/models/imdb:predict", b"not json", 400, "JSON Parse error"),
    ("POST", "/v1/models/imdb:predict", b'{"inputs": {"text": [["a", "b"]]}}', 400,
     "has shape [1, 2], which is not compatible with the signature's shape [-1]"),
    ("POST", "/v1/models/imdb:predict", b'{"signature_name": "x", "instances": ["a"]}', 400,
     "has no signature 'x'"),
    ("POST", "/v1/models/imdb:classify", b'{"examples": []}', 404, "No handler for POST"),
    ("POST", "/v1/models/imdb:predict", b'{"instances": ["' + b"a" * 5000 + b'"]}', 400,
     "bytes is over the limit of 4096 bytes per request"),
    ("POST", "/v1/models/imdb:predict", b'{"instances": ["a", "b", "c", "d", "e"]}', 400,
     "request of 5 instances is over the limit of 4 per request"),
    ("GET", "/v1/models/imdb/versions/8", None, 404, "Could not find version 8 of model imdb"),
    ("GET", "/v1/models", None, 404, "No handler for GET /v1/models"),
])
def test_rest_errors(server, method, path, body, status, message):
    got_status, content_type, payload = http_call(server, method, path, body)
    assert (got_status, content_type) == (status, "application/json")
    assert message in payload["error"]


def test_keep_alive_connection_serves_several_requests(server):
    host, port = server.rest_url[len("http://"):].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    for _ in range(3):
        connection.request("POST", "/v1/models/imdb:predict", body=b'{"instances": ["ab"]}')
        response = connection.getresponse()
        assert response.status == 200 and not response.will_close
        assert json.loads(response.read()) == {"predictions": [0.027]}
    connection.close()


def test_clients_agree_on_status_metadata_and_predictions(serving):
    assert serving.status("jena")["model_version_status"][0]["version"] == "2"
    version, signatures = serving.metadata("imdb")
    assert version == 7 and signatures["pair"] == PAIR
    np.testing.assert_array_equal(serving.predict_sentiment(["ab", "abcd"]),
                                  np.array([0.027, 0.047], np.float32))
    outputs = serving.predict("imdb", {"x": np.ones((2, 2), np.float32), "n": [1, 2]},
                              signature_name="pair")
    np.testing.assert_array_equal(outputs["y"], np.array([3.0, 4.0], np.float32))
    assert outputs["tag"].tolist() == (["ok", "ok"] if isinstance(serving, client.RestClient)
                                       else [b"ok", b"ok"])


def test_forecast_temperature_reads_the_window_shape_from_metadata(serving):
    window = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_array_equal(serving.forecast_temperature(window), [4.5])
    np.testing.assert_array_equal(serving.forecast_temperature(np.stack([window, window])),
                                  [4.5, 4.5])
    raw = window.copy()
    raw[2, 0], raw[1, 1] = -9999.0, np.nan  # the sentinel and a missing value: the model's job
    missing = raw.copy()
    missing[2, 0] = np.nan
    np.testing.assert_array_equal(serving.forecast_temperature(np.stack([raw, missing])),
                                  [-9998.5, -1.0])
    with pytest.raises(ValueError, match=r"expects windows of shape \[-1, 3, 2\]"):
        serving.forecast_temperature(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="DT_STRING"):
        serving.forecast_temperature(window, model="imdb")


def test_client_errors_carry_code_and_server_message(serving):
    with pytest.raises(errors.NotFoundError, match=r"Latest\(nope\)") as caught:
        serving.metadata("nope")
    assert caught.value.code == "NOT_FOUND"
    with pytest.raises(errors.NotFoundError, match="Could not find version 3 of model imdb"):
        serving.status("imdb", version=3)


def test_grpc_specifics(server):
    from tensorflow_serving.apis import get_model_metadata_pb2, predict_pb2

    from serving import protos

    with client.GrpcClient(server.grpc_target, retries=0) as serving:
        version, outputs = serving.predict_with_version("imdb", {"text": ["abc"]})
        assert version == 7 and outputs["probability"].dtype == np.float32
        stub = serving._prediction
        with pytest.raises(grpc.RpcError) as caught:
            stub.Predict(predict_pb2.PredictRequest())
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert caught.value.details() == "Missing ModelSpec"
        bare = get_model_metadata_pb2.GetModelMetadataRequest(
            model_spec=protos.model_spec("imdb"))
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetModelMetadata(bare)
        assert "metadata_field must be ['signature_def']" in caught.value.details()
        with pytest.raises(errors.ServingError) as caught:  # refused by the gRPC transport
            serving.predict("imdb", {"text": ["a" * 5000]})
        assert caught.value.code == "RESOURCE_EXHAUSTED"


def test_clients_retry_unavailable_servers_a_bounded_number_of_times(tmp_path):
    with LocalServer([ModelConfig("imdb", str(tmp_path))], rest_port=0, grpc_port=0,
                     loader=FakeServable) as stopped:
        rest_url, grpc_target = stopped.rest_url, stopped.grpc_target
    for options in ({"rest": rest_url}, {"grpc": grpc_target}):
        with client.connect(**options, retries=2, backoff_seconds=0.05,
                            timeout_seconds=2) as serving:
            start = time.monotonic()
            with pytest.raises(errors.UnavailableError):
                serving.status("imdb")
            assert 0.05 < time.monotonic() - start < 5  # two jittered backoffs, then give up


def test_rest_client_reconnects_when_its_kept_alive_connection_was_closed(tmp_path):
    (tmp_path / "imdb" / "7").mkdir(parents=True)
    config = ModelConfig("imdb", str(tmp_path / "imdb"))
    first = LocalServer([config], rest_port=0, grpc_port=None, loader=FakeServable).start()
    port = int(first.rest_url.rsplit(":", 1)[1])
    with client.RestClient(first.rest_url, retries=1, backoff_seconds=0.01) as rest:
        assert rest.status("imdb")["model_version_status"][0]["version"] == "7"
        first.stop()  # closes the client's kept-alive connection too: one retry reconnects
        with LocalServer([config], rest_port=port, grpc_port=None, loader=FakeServable):
            assert rest.status("imdb")["model_version_status"][0]["state"] == "AVAILABLE"


def test_with_retries_retries_only_unavailable():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise errors.UnavailableError("restarting")
        return "ok"

    assert client.with_retries(flaky, retries=2, backoff_seconds=0.001) == "ok"
    assert len(calls) == 3
    calls.clear()

    def bad_request():
        calls.append(1)
        raise errors.InvalidArgumentError("no")

    with pytest.raises(errors.InvalidArgumentError):
        client.with_retries(bad_request, retries=5, backoff_seconds=0.001)
    assert len(calls) == 1


def test_error_mapping_and_paths():
    assert isinstance(errors.from_http(404, "x"), errors.NotFoundError)
    assert errors.from_http(503, "x").code == "UNAVAILABLE"
    assert errors.from_code("FAILED_PRECONDITION", "x").http_status is None
    assert errors.http_status(errors.from_code("FAILED_PRECONDITION", "x")) == 400
    assert errors.http_status(errors.from_code("INTERNAL", "x")) == 500
    assert client.model_path("my model") == "/v1/models/my%20model"
    assert client.model_path("imdb", 3) == "/v1/models/imdb/versions/3"
    with pytest.raises(ValueError):
        client.RestClient("ftp://host")


def test_rest_only_use_loads_no_tensorflow():
    import subprocess
    import sys

    code = ("import sys; from serving import cli, client; "
            "client.RestClient('http://127.0.0.1:1'); assert 'tensorflow' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
