"""The local server's REST front: TF Serving's /v1/models API over http.server.

Paths and formats follow TF Serving's REST API (tensorflow_serving/model_servers/
http_rest_api_util.cc): GET /v1/models/{name}[/versions/{v}|/labels/{l}] (status),
the same plus /metadata, and POST ...:predict. Errors are `{"error": "..."}` with the HTTP status
TF Serving maps the error's code to. Keep-alive connections, Nagle off.
"""

from __future__ import annotations

import http.server
import json
import logging
import re
import socket
import threading
import urllib.parse

from serving import errors, json_tensors, protos, service
from serving.registry import ModelRegistry

LOG = logging.getLogger(__name__)
_VERSION = r"(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?"
PREDICT_PATH = re.compile(r"(?i)/v1/models/([^/:]+)" + _VERSION + r":(classify|regress|predict)")
STATUS_PATH = re.compile(r"(?i)/v1/models(?:/([^/:]+))?" + _VERSION + r"(?:/(metadata))?")


class RestServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server carrying the registry and the request size limit."""

    daemon_threads = True
    request_queue_size = 128  # listen backlog; the default 5 drops bursts of new connections

    def __init__(self, address: tuple[str, int], registry: ModelRegistry, max_request_bytes: int,
                 runner: service.Runner | None = None):
        self.registry = registry
        self.max_request_bytes = max_request_bytes
        self.runner = runner
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, RestHandler)

    def track(self, connection: socket.socket, is_open: bool) -> None:
        with self._connections_lock:
            (self._connections.add if is_open else self._connections.discard)(connection)

    def close_connections(self) -> None:
        """Shuts down kept-alive connections, so that stopping leaves no handler behind."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed by the peer
                pass


class RestHandler(http.server.BaseHTTPRequestHandler):
    """One connection; each request is dispatched to status, metadata or predict."""

    protocol_version = "HTTP/1.1"  # keep-alive, as TF Serving's libevent server
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

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (BaseHTTPRequestHandler's)
        LOG.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._answer(self._post)

    def _answer(self, handle) -> None:
        try:
            status, payload = 200, handle(urllib.parse.urlsplit(self.path).path)
        except errors.ServingError as error:
            status, payload = errors.http_status(error), {"error": error.message}
        except Exception as error:  # a bug must not kill the connection thread silently
            LOG.exception("REST request %s %s failed", self.command, self.path)
            status, payload = 500, {"error": f"Internal error: {error}"}
        body = payload if isinstance(payload, bytes) else json.dumps(payload, indent=1).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise errors.InvalidArgumentError("Missing or invalid Content-Length header")
        if int(length) > self.server.max_request_bytes:
            self.close_connection = True  # the body stays unread: this connection is done
            raise errors.ResourceExhaustedError(
                f"Request body of {length} bytes exceeds the local server's limit of "
                f"{self.server.max_request_bytes} bytes", http_status=413)
        return self.rfile.read(int(length))

    def _post(self, path: str) -> bytes:
        body = self._read_body()
        match = PREDICT_PATH.fullmatch(path)
        if match is None:
            raise _malformed(self.command, path)
        name, version, label, method = _parts(match)
        if method.lower() != "predict":
            raise errors.UnimplementedError(
                f"{method} is not implemented by the local development server; use :predict")
        registry = self.server.registry
        found = {}

        def get_signature(signature_name: str):
            found["version"], found["servable"] = registry.resolve(name, version, label)
            return service.find_signature(found["servable"], signature_name, rest=True)

        signature_name, inputs, request_format = json_tensors.parse_predict_request(
            body, get_signature)
        outputs = service.run_predict(found["servable"], signature_name, inputs, rest=True,
                                      runner=self.server.runner)
        return json_tensors.format_predict_response(outputs, request_format)

    def _get(self, path: str) -> dict:
        match = STATUS_PATH.fullmatch(path)
        if match is None:
            raise _malformed(self.command, path)
        name, version, label, subresource = _parts(match)
        if not name:
            raise errors.InvalidArgumentError("Missing model name in request.")
        registry = self.server.registry
        if subresource:
            version, signatures = service.model_metadata(registry, name, version, label)
            return protos.metadata_json(protos.metadata_response(name, version, signatures))
        return protos.status_json(protos.status_response(registry.status(name, version, label)))


def _parts(match: re.Match) -> tuple[str, int | None, str | None, str | None]:
    name, version, label, last = match.groups()
    return (urllib.parse.unquote(name or ""), int(version) if version else None,
            urllib.parse.unquote(label) if label else None, last)


def _malformed(method: str, path: str) -> errors.ServingError:
    if not path.lower().startswith("/v1/"):
        return errors.NotFoundError(f"No handler for {method} {path}")
    return errors.InvalidArgumentError(f"Malformed request: {method} {path}")
