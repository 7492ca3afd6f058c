"""The real tensorflow_model_server and the local server answer alike (needs the binary).

Skipped unless `tensorflow_model_server` is on PATH: it is not on PyPI or Debian and there is
no Docker daemon here, so this runs nowhere in this project's CI; the local server's protocol
tests (tests/unit/test_serving_local_server.py, tests/pipeline/test_serving_e2e.py) stand in.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from serving import cli, client, errors, limits, models_config
from serving.local_server import LocalServer

BINARY = shutil.which(cli.SERVER_BINARY)
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(BINARY is None, reason=(
        "tensorflow_model_server is not on PATH (not installable from PyPI/Debian, no Docker "
        "daemon): skipped here and in CI; the local server tests cover the protocol")),
]
TEXTS = ["short", "a somewhat longer review text"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def serving_root(tmp_path_factory):
    """A tiny SavedModel with the IMDB interface: text [None] -> probability [None]."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def serve(self, text):
            return {"probability": tf.sigmoid(tf.cast(tf.strings.length(text), tf.float32) / 10)}

    root = tmp_path_factory.mktemp("serving")
    model = Model()
    tf.saved_model.save(model, str(root / "imdb" / "3"),
                        signatures={"serving_default": model.serve.get_concrete_function()})
    return root


@pytest.fixture(scope="module")
def real_server(serving_root, tmp_path_factory):
    args = argparse.Namespace(grpc_port=free_port(), rest_port=free_port(), poll_seconds=1)
    folder = tmp_path_factory.mktemp("config")
    models_config.write(str(folder / "models.config"), models_config.discover(str(serving_root)))
    (folder / "batching.txt").write_text(cli.batching_parameters(limits.MAX_BATCH_SIZE))
    process = subprocess.Popen(cli.model_server_command(
        BINARY, str(folder / "models.config"), str(folder / "batching.txt"), args))
    rest_url = f"http://127.0.0.1:{args.rest_port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{rest_url}/v1/models/imdb/metadata", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("tensorflow_model_server did not come up") from None
                time.sleep(0.5)
        yield rest_url, f"127.0.0.1:{args.grpc_port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def local_server(serving_root):
    with LocalServer(models_config.discover(str(serving_root)), rest_port=0,
                     grpc_port=0) as running:
        yield running.rest_url, running.grpc_target


def both(real_server, local_server, transport: str):
    index = 0 if transport == "rest" else 1
    return [client.connect(**{transport: server[index]}, retries=0)
            for server in (real_server, local_server)]


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_status_metadata_and_predictions_match(real_server, local_server, transport):
    real, local = both(real_server, local_server, transport)
    with real, local:
        assert real.status("imdb") == local.status("imdb")
        assert real.metadata("imdb") == local.metadata("imdb")
        np.testing.assert_array_equal(real.predict_sentiment(TEXTS),
                                      local.predict_sentiment(TEXTS))


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_errors_match(real_server, local_server, transport):
    real, local = both(real_server, local_server, transport)
    with real, local:
        for call in (lambda c: c.metadata("nope"), lambda c: c.status("imdb", version=9),
                     lambda c: c.predict("imdb", {"text": np.array([1.5], np.float32)})):
            caught = []
            for serving in (real, local):
                with pytest.raises(errors.ServingError) as error:
                    call(serving)
                caught.append(error.value)
            assert caught[0].code == caught[1].code
            assert caught[0].http_status == caught[1].http_status


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_both_refuse_a_request_over_max_batch_size(real_server, local_server, transport):
    """The real server refuses, not splits, a request over max_batch_size (batching on)."""
    real, local = both(real_server, local_server, transport)
    with real, local:
        for serving in (real, local):
            with pytest.raises(errors.InvalidArgumentError) as caught:
                serving.predict("imdb", {"text": ["w"] * (limits.MAX_BATCH_SIZE + 1)})
            assert caught.value.http_status in (None, 400)


def test_rest_bodies_match(real_server, local_server):
    for body in (b'{"instances": ["a", "bb"]}', b'{"inputs": {"text": ["a"]}}'):
        answers = []
        for rest_url, _ in (real_server, local_server):
            request = urllib.request.Request(f"{rest_url}/v1/models/imdb:predict", data=body)
            answers.append(json.loads(urllib.request.urlopen(request, timeout=10).read()))
        assert answers[0] == answers[1]
