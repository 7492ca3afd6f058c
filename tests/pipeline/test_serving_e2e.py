"""REST and gRPC against the local server serving the model pushed by the small IMDB run.

Reuses the session's pipeline run (`imdb_small_run`); the pushed version is copied to a
temporary serving root, so pushing "new versions" here leaves the run's outputs untouched.
Versions appear there as the Pusher publishes them: copied under a staging name, then renamed.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import threading
import time

import numpy as np
import pytest

from components import atomic_push
from serving import client, errors, models_config
from serving.local_server import LocalServer
from serving.signatures import read_signatures

pytestmark = pytest.mark.e2e

TEXTS = ["a great and wonderful film, loved it!", "awful, boring mess. hated it",
         "the plot was a plot", "", "Superb <br /><br /> MOVING story"]


def copy_version(pushed_to: str, root, version: int | None = None) -> int:
    """Publishes a copy of a pushed version under `root`/imdb, as the Pusher does."""
    version = version or int(os.path.basename(pushed_to))
    staged = root / "imdb" / f"{atomic_push.STAGING_PREFIX}copy" / str(version)
    shutil.copytree(pushed_to, staged)
    assert atomic_push.publish(str(staged), str(root / "imdb" / str(version)))
    staged.parent.rmdir()
    return version


@pytest.fixture(scope="module")
def pushed(imdb_small_run):
    _, summary = imdb_small_run
    assert summary.pushed_to, summary.failures
    return summary.pushed_to


@pytest.fixture(scope="module")
def expected(pushed):
    """The in-process SavedModel's probabilities for TEXTS."""
    import tensorflow as tf

    model = tf.saved_model.load(pushed)
    return model.signatures["serving_default"](text=tf.constant(TEXTS))["probability"].numpy()


@pytest.fixture(scope="module")
def server(pushed, tmp_path_factory):
    root = tmp_path_factory.mktemp("serving_root")
    copy_version(pushed, root)
    with LocalServer(models_config.discover(str(root)), rest_port=0, grpc_port=0,
                     poll_seconds=0.2) as running:
        yield running


def post(server, path: str, body: bytes) -> tuple[int, dict]:
    host, port = server.rest_url[len("http://"):].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    return response.status, payload


def test_rest_text_to_probability_equals_in_process(server, expected):
    with client.RestClient(server.rest_url) as rest:
        probabilities = rest.predict_sentiment(TEXTS)
    assert probabilities.dtype == np.float32
    np.testing.assert_array_equal(probabilities, expected)  # float32 survives JSON exactly
    status, payload = post(server, "/v1/models/imdb:predict",
                           json.dumps({"inputs": {"text": TEXTS}}).encode())
    assert status == 200
    np.testing.assert_array_equal(np.array(payload["outputs"], np.float32), expected)


def test_grpc_text_to_probability_equals_in_process(server, expected):
    with client.connect(grpc=server.grpc_target) as grpc_client:
        np.testing.assert_array_equal(grpc_client.predict_sentiment(TEXTS), expected)


def test_tf_example_signature_over_rest_with_b64(server, expected):
    import tensorflow as tf

    examples = [tf.train.Example(features=tf.train.Features(feature={
        "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[text.encode()]))}))
        .SerializeToString() for text in TEXTS]
    with client.RestClient(server.rest_url) as rest:
        outputs = rest.predict("imdb", {"examples": examples}, signature_name="serving_tf_example")
    np.testing.assert_allclose(outputs["probability"], expected, rtol=1e-6)


def test_status_and_metadata_describe_the_pushed_version(server, pushed):
    version = int(os.path.basename(pushed))
    for options in ({"rest": server.rest_url}, {"grpc": server.grpc_target}):
        with client.connect(**options) as serving:
            assert serving.status("imdb") == {"model_version_status": [{
                "version": str(version), "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""}}]}
            answered, signatures = serving.metadata("imdb", version=version)
            assert answered == version
            assert signatures == read_signatures(pushed)
            assert signatures["serving_default"].inputs["text"].dtype == "DT_STRING"


@pytest.mark.parametrize(("path", "body", "status", "message"), [
    ("/v1/models/imdb:predict", b'{"instances": ["unclosed}', 400, "JSON Parse error"),
    ("/v1/models/imdb:predict", b'{"instances": [0.5]}', 400, "expected strings"),
    ("/v1/models/imdb:predict", b'{"inputs": {"text": [["a", "b"]]}}', 400,
     "has shape [1, 2], which is not compatible with the signature's shape [-1]"),
    ("/v1/models/sentiment:predict", b'{"instances": ["a"]}', 404,
     "Servable not found for request: Latest(sentiment)"),
    ("/v1/models/imdb/versions/1:predict", b'{"instances": ["a"]}', 404,
     "Servable not found for request: Specific(imdb, 1)"),
])
def test_rest_errors_get_status_and_message(server, path, body, status, message):
    got_status, payload = post(server, path, body)
    assert got_status == status
    assert message in payload["error"]


def test_grpc_errors_get_status_and_message(server):
    with client.connect(grpc=server.grpc_target, retries=0) as serving:
        with pytest.raises(errors.InvalidArgumentError,
                           match="'text' is DT_FLOAT; the signature expects DT_STRING"):
            serving.predict("imdb", {"text": np.array([0.5], np.float32)})
        with pytest.raises(errors.InvalidArgumentError, match=r"has shape \[1, 2\]"):
            serving.predict("imdb", {"text": [["a", "b"]]})
        with pytest.raises(errors.NotFoundError, match=r"Latest\(sentiment\)") as caught:
            serving.predict("sentiment", {"text": ["a"]})
        assert caught.value.code == "NOT_FOUND"


def test_new_version_pushed_under_load_is_served_without_failed_requests(pushed, expected,
                                                                         tmp_path):
    """Eight clients (REST and gRPC) keep predicting while a higher version is pushed."""
    old = copy_version(pushed, tmp_path)
    new = old + 1
    configs = models_config.discover(str(tmp_path))
    stop, lock = threading.Event(), threading.Lock()
    results = {"ok": 0, "failures": [], "versions": set()}

    def load(options: dict) -> None:
        with client.connect(**options, timeout_seconds=30) as serving:
            while not stop.is_set():
                try:
                    if "grpc" in options:
                        version, outputs = serving.predict_with_version("imdb", {"text": TEXTS})
                        probabilities = outputs["probability"]
                    else:
                        version, probabilities = None, serving.predict_sentiment(TEXTS)
                    np.testing.assert_array_equal(probabilities, expected)
                except Exception as error:  # every kind of failure counts
                    with lock:
                        results["failures"].append(repr(error))
                    continue
                with lock:
                    results["ok"] += 1
                    results["versions"].add(version)

    with LocalServer(configs, rest_port=0, grpc_port=0, poll_seconds=0.2) as server:
        targets = [{"rest": server.rest_url}, {"grpc": server.grpc_target}] * 4
        threads = [threading.Thread(target=load, args=(options,)) for options in targets]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.0)
            copy_version(os.path.join(tmp_path, "imdb", str(old)), tmp_path, new)
            deadline = time.monotonic() + 120
            with client.RestClient(server.rest_url) as rest:
                while time.monotonic() < deadline:
                    states = {int(entry["version"]): entry["state"]
                              for entry in rest.status("imdb")["model_version_status"]}
                    if states == {old: "END", new: "AVAILABLE"}:
                        break
                    time.sleep(0.1)
            time.sleep(1.0)  # keep the load on the new version for a moment
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        assert states == {old: "END", new: "AVAILABLE"}
        with client.connect(grpc=server.grpc_target) as serving:
            assert serving.predict_with_version("imdb", {"text": TEXTS})[0] == new
            assert serving.metadata("imdb")[0] == new

    assert results["failures"] == []
    assert results["ok"] >= 16
    assert {old, new} <= results["versions"]


@pytest.fixture(scope="module")
def jena_pushed(request):
    """The Jena model pushed by a shared small run, once such a session fixture exists."""
    try:
        _, summary = request.getfixturevalue("jena_small_run")
    except pytest.FixtureLookupError:
        pytest.skip("no session fixture jena_small_run (cfg, RunSummary) in "
                    "tests/pipeline/conftest.py yet; the window protocol is covered with a fake "
                    "model in tests/unit/test_serving_local_server.py")
    assert summary.pushed_to, summary.failures
    return summary.pushed_to


def test_jena_window_to_forecast_equals_in_process(jena_pushed, tmp_path):
    import tensorflow as tf

    shutil.copytree(jena_pushed, tmp_path / "jena" / os.path.basename(jena_pushed))
    with open(os.path.join(jena_pushed, "assets.extra", "model_metadata.json")) as handle:
        metadata = json.load(handle)
    steps = metadata["window"]["sequence_length"]
    means = np.array([column["train_mean"] for column in metadata["columns"]], np.float32)
    stds = np.array([column["train_std"] for column in metadata["columns"]], np.float32)
    rng = np.random.default_rng(0)
    windows = (means + stds * rng.normal(size=(3, steps, len(means)))).astype(np.float32)
    model = tf.saved_model.load(jena_pushed)
    expected = model.signatures["serving_default"](window=tf.constant(windows))["forecast"]
    with LocalServer(models_config.discover(str(tmp_path)), rest_port=0, grpc_port=0) as server:
        for options in ({"rest": server.rest_url}, {"grpc": server.grpc_target}):
            with client.connect(**options) as serving:
                np.testing.assert_array_equal(serving.forecast_temperature(windows),
                                              expected.numpy())


def test_serve_process_refuses_bad_requests_at_once_and_keeps_answering(pushed, expected,
                                                                        tmp_path):
    """`tfx-text serve` as its own process on the pushed model: oversized (instances and
    bytes), malformed and wrong-shape requests get 400 / INVALID_ARGUMENT within a second each
    (the socket timeout and gRPC deadline), and valid requests are answered afterwards."""
    import subprocess
    import sys

    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    from serving import limits, protos

    copy_version(pushed, tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "serving.cli", "serve", "--serving-root", str(tmp_path),
         "--rest-port", "0", "--grpc-port", "0", "--local"], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "TF_USE_LEGACY_KERAS": "1"})
    try:
        line = process.stdout.readline()
        rest_url, target = line.split("REST ")[1].split(" and gRPC ")
        target = target.split(";")[0]
        host, port = rest_url[len("http://"):].split(":")
        oversized = json.dumps({"instances": ["w"] * 100_000}).encode()  # 0.5 MB
        for body, message in ((oversized, "over the limit of 64 per request"),
                              (b"x" * (limits.MAX_REQUEST_BYTES + 1), "bytes per request"),
                              (b'{"instances": ["unclosed}', "JSON Parse error"),
                              (b'{"inputs": {"text": [["a", "b"]]}}', "has shape [1, 2]")):
            connection = http.client.HTTPConnection(host, int(port), timeout=1)
            connection.request("POST", "/v1/models/imdb:predict", body=body)
            response = connection.getresponse()
            assert response.status == 400 and message in json.loads(response.read())["error"]
            connection.close()
        stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(target))
        for inputs, message in (({"text": ["w"] * 65}, "over the limit of 64"),
                                ({"text": [["a", "b"]]}, "has shape [1, 2]"),
                                ({"text": np.array([0.5], np.float32)}, "expects DT_STRING")):
            with pytest.raises(grpc.RpcError) as caught:
                stub.Predict(protos.predict_request("imdb", None, "", inputs), timeout=1)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert message in caught.value.details()
        for options in ({"rest": rest_url}, {"grpc": target}):
            with client.connect(**options, retries=0) as serving:
                np.testing.assert_array_equal(serving.predict_sentiment(TEXTS), expected)
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=30)
