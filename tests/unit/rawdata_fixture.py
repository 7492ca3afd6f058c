"""Helpers of the rawdata tests: a local HTTP server to download from, and folder listings.

Downloads are served by http.server on 127.0.0.1, so no test reaches the network.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

from rawdata.download import DatasetSource


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listing(folder: Path) -> list[str]:
    """All entries under `folder` (hidden ones included), relative, sorted."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


class Server(http.server.ThreadingHTTPServer):
    files: dict[str, bytes]
    hits: collections.Counter[str]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        self.server.hits[self.path] += 1
        if self.path == "/error":
            self.send_error(500, "Internal Server Error")
            return
        drop = self.path.startswith("/drop/")
        body = self.server.files.get(self.path.removeprefix("/drop"))
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # /drop/<file> announces the whole file, sends half of it and closes the connection.
        self.wfile.write(body[: len(body) // 2] if drop else body)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def running_server() -> Iterator[Server]:
    """Serves `server.files` on a free port of 127.0.0.1 until the block ends."""
    server = Server(("127.0.0.1", 0), _Handler)
    server.files = {}
    server.hits = collections.Counter()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def url(server: Server, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def serve(
    server: Server, path: str, body: bytes, *, sha256: str | None = "auto"
) -> DatasetSource:
    """Serves `body` at `path`; returns its source, pinned to its own sha256 unless given."""
    server.files[path] = body
    return DatasetSource(
        name="test",
        url=url(server, path),
        sha256=sha256_hex(body) if sha256 == "auto" else sha256,
        filename=Path(path).name,
    )

