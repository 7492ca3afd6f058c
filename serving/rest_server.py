"""The local server's REST front: TF Serving's /v1/models paths over http.server.

GET /v1/models/{m}[/versions/{v}] (status), the same + /metadata, and POST ...:predict; errors
are `{"error": ...}` with the HTTP status of their canonical code. A body over the byte limit is
refused from its Content-Length, before it is read; keep-alive connections, Nagle off.
"""

from __future__ import annotations

import http.server
import json
import logging
import re
import socket
import threading
import time
import urllib.parse

from serving import errors, json_codec, limits, protos, registry

LOG = logging.getLogger(__name__)
PATH = re.compile(r"/v1/models/([^/:]+)(?:/versions/(\d+))?(/metadata|:predict)?")


class RestServer(http.server.ThreadingHTTPServer):
    """A thread per connection, answering for `local` (a LocalServer: registry and limits)."""

    daemon_threads = True
    request_queue_size = 128  # listen backlog; the default 5 drops bursts of new connections

    def __init__(self, address: tuple[str, int], local):
        self.local, self._connections, self._lock = local, set(), threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, is_open: bool) -> None:
        with self._lock:
            (self._connections.add if is_open else self._connections.discard)(connection)

    def close_connections(self) -> None:
        """Shuts kept-alive connections down, so that stopping leaves no handler serving."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed by the peer
                pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as TF Serving's REST server
    server_version = "tfx-text-local-serving"
    timeout = 60  # an idle keep-alive connection is closed after a minute
    server: RestServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        super().finish()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        LOG.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._answer(self._post)

    def _answer(self, handle) -> None:
        self._unread = 0  # bytes of a refused body still on the way
        try:
            status, payload = 200, handle(urllib.parse.urlsplit(self.path).path)
        except errors.ServingError as error:
            status, payload = errors.http_status(error), {"error": error.message}
        except Exception as error:  # a bug must not kill the connection thread silently
            LOG.exception("REST request %s %s failed", self.command, self.path)
            status, payload = 500, {"error": f"Internal error: {error}"}
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self._unread:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        if self._unread:
            self._discard_body()

    def _discard_body(self) -> None:
        """Reads a refused body into nothing for up to 5 s, so that a client still sending it
        gets the answer rather than a reset connection; then the connection is closed."""
        self.close_connection = True
        self.connection.settimeout(1.0)
        deadline = time.monotonic() + 5
        try:
            while self._unread > 0 and time.monotonic() < deadline:
                chunk = self.rfile.read1(min(self._unread, 2**16))
                if not chunk:
                    break
                self._unread -= len(chunk)
        except OSError:  # the client gave up first
            pass

    def _route(self, path: str, verb: str | None) -> tuple[str, int | None]:
        match = PATH.fullmatch(path)
        if match is None or match.group(3) != verb:
            raise errors.NotFoundError(f"No handler for {self.command} {path}")
        name, version = match.group(1, 2)
        return urllib.parse.unquote(name), int(version) if version else None

    def _post(self, path: str) -> bytes:
        length, local = self.headers.get("Content-Length", ""), self.server.local
        if not length.isdigit():
            self.close_connection = True
            raise errors.InvalidArgumentError("a request body needs a Content-Length header")
        if int(length) > local.max_request_bytes:
            self._unread = int(length)
        limits.check_body_size(int(length), local.max_request_bytes)
        body = self.rfile.read(int(length))
        _, servable = local.registry.resolve(*self._route(path, ":predict"))
        with local.decoding:
            signature_name, inputs, request_format = json_codec.parse_predict_request(
                body, lambda name: registry.signature(servable, name), local.max_batch_size)
        with local.running:
            outputs = registry.run(servable, signature_name, inputs)
        return json_codec.format_predict_response(outputs, request_format)

    def _get(self, path: str) -> dict:
        local = self.server.local
        if path.endswith("/metadata"):
            return protos.metadata_json(local.metadata(*self._route(path, "/metadata")))
        return protos.to_json(protos.status_response(local.registry.status(
            *self._route(path, None))))
