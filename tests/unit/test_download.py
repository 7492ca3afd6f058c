"""Tests for rawdata.download: streamed, sha256-verified, atomic downloads from a local server."""

from __future__ import annotations

import io
import logging
import os
import socket
from collections.abc import Iterator

import pytest
from rawdata_fixture import Server, listing, running_server, serve, sha256_hex, url

from rawdata import download
from rawdata.download import DatasetSource
from rawdata.errors import ChecksumError, DownloadError


@pytest.fixture
def http_server() -> Iterator[Server]:
    with running_server() as server:
        yield server


def test_download_fetches_verifies_and_reuses(http_server, tmp_path, caplog):
    body = os.urandom(3 * 1024 * 1024 + 123)
    source = serve(http_server, "/data.bin", body)
    cache = tmp_path / "cache"

    with caplog.at_level(logging.INFO, logger=download.__name__):
        path = download.download(source, cache)

    assert path == cache / "data.bin"
    assert path.read_bytes() == body
    assert listing(cache) == ["data.bin"]
    assert "(100%)" in caplog.text and "MB" in caplog.text

    assert download.download(source, cache) == path
    assert http_server.hits["/data.bin"] == 1


def test_download_replaces_a_corrupt_cached_file(http_server, tmp_path):
    body = b"the real content"
    source = serve(http_server, "/data.bin", body)
    (tmp_path / "data.bin").write_bytes(b"stale or truncated")

    path = download.download(source, tmp_path)

    assert path.read_bytes() == body
    assert http_server.hits["/data.bin"] == 1


def test_download_checksum_mismatch_leaves_no_file(http_server, tmp_path):
    body = b"tampered content"
    expected = "0" * 64
    source = serve(http_server, "/data.bin", body, sha256=expected)

    with pytest.raises(ChecksumError) as excinfo:
        download.download(source, tmp_path)

    assert expected in str(excinfo.value) and sha256_hex(body) in str(excinfo.value)
    assert listing(tmp_path) == []


def test_download_http_error_leaves_no_file(http_server, tmp_path):
    source = DatasetSource("test", url(http_server, "/error"), "0" * 64, "data.bin")

    with pytest.raises(DownloadError, match="HTTP 500"):
        download.download(source, tmp_path)

    assert listing(tmp_path) == []


def test_download_dropped_connection_leaves_no_file(http_server, tmp_path):
    body = os.urandom(200_000)
    serve(http_server, "/data.bin", body)
    source = DatasetSource("test", url(http_server, "/drop/data.bin"), sha256_hex(body), "data.bin")

    with pytest.raises(DownloadError, match="100,000 of 200,000 bytes"):
        download.download(source, tmp_path)

    assert listing(tmp_path) == []


def test_download_unreachable_server_leaves_no_file(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = DatasetSource("test", f"http://127.0.0.1:{port}/data.bin", "0" * 64, "data.bin")

    with pytest.raises(DownloadError, match="data.bin"):
        download.download(source, tmp_path, timeout=5)

    assert listing(tmp_path) == []


def test_download_interrupted_leaves_no_file(tmp_path, monkeypatch):
    class _Response(io.BytesIO):
        headers = {"Content-Length": str(2 * 1024 * 1024)}

        def read(self, size: int = -1) -> bytes:
            if self.tell():
                raise KeyboardInterrupt
            return super().read(size)

    monkeypatch.setattr(
        download.urllib.request,
        "urlopen",
        lambda url, timeout: _Response(os.urandom(2 * 1024 * 1024)),
    )
    source = DatasetSource("test", "https://example.invalid/data.bin", "0" * 64, "data.bin")

    with pytest.raises(KeyboardInterrupt):
        download.download(source, tmp_path)

    assert listing(tmp_path) == []


def test_download_without_checksum_warns_and_logs_digest(http_server, tmp_path, caplog):
    body = b"unverifiable content"
    source = serve(http_server, "/data.bin", body, sha256=None)

    with caplog.at_level(logging.WARNING, logger=download.__name__):
        path = download.download(source, tmp_path)

    assert path.read_bytes() == body
    assert "cannot be verified" in caplog.text
    assert sha256_hex(body) in caplog.text


def test_download_refuses_non_http_urls(tmp_path):
    source = DatasetSource("test", f"file://{tmp_path}/x", None, "x")

    with pytest.raises(DownloadError, match="only http and https"):
        download.download(source, tmp_path / "cache")
