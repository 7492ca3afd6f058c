"""A local development server that speaks TF Serving's REST and gRPC APIs.

For development and tests where `tensorflow_model_server` is not available (it is not on
PyPI): the same REST paths and JSON formats, the same gRPC services, status codes and error
messages, over the Pusher's versioned SavedModel folders, with version polling and a version
policy (serving/registry.py). It is not a production server: Python threads and the GIL, no
request batching, TLS, authentication or metrics. It binds 127.0.0.1 unless told otherwise,
and refuses requests larger than `max_request_bytes`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import grpc

from serving import grpc_server, rest_server
from serving.batching import Batcher
from serving.registry import ModelConfig, ModelRegistry, SavedModelServable, Servable

LOG = logging.getLogger(__name__)
DEFAULT_MAX_REQUEST_BYTES = 16 * 2**20


class LocalServer:
    """REST + gRPC fronts over one ModelRegistry; use as a context manager or start()/stop().

    Args:
      models: the models to serve (serving.models_config.discover or .parse).
      host: interface to bind; keep 127.0.0.1 unless the network is trusted.
      rest_port: REST port (0: a free port; None: no REST front).
      grpc_port: gRPC port (0: a free port; None: no gRPC front).
      poll_seconds: how often the model folders are checked for versions
        (tensorflow_model_server's --file_system_poll_wait_seconds).
      max_request_bytes: larger requests are refused (HTTP 413 / RESOURCE_EXHAUSTED).
      grpc_workers: threads answering gRPC calls.
      batcher: merges concurrent requests into model calls (serving/batching.py); None: each
        request is its own call, as tensorflow_model_server without --enable_batching.
      loader: version folder -> Servable (tests can pass a fake).
    """

    def __init__(self, models: list[ModelConfig], *, host: str = "127.0.0.1",
                 rest_port: int | None = 8501, grpc_port: int | None = 8500,
                 poll_seconds: float = 1.0,
                 max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES, grpc_workers: int = 64,
                 batcher: Batcher | None = None,
                 loader: Callable[[str], Servable] = SavedModelServable):
        if rest_port is None and grpc_port is None:
            raise ValueError("the local server needs a REST port, a gRPC port or both")
        self.registry = ModelRegistry(models, poll_seconds=poll_seconds, loader=loader)
        self.host = host
        self._ports = {"rest": rest_port, "grpc": grpc_port}
        self._max_request_bytes = max_request_bytes
        self._grpc_workers = grpc_workers
        self._runner = batcher.run if batcher is not None else None
        self._rest: rest_server.RestServer | None = None
        self._rest_thread: threading.Thread | None = None
        self._grpc: grpc.Server | None = None

    @property
    def rest_url(self) -> str:
        """Base URL of the REST API, e.g. http://127.0.0.1:8501."""
        if self._rest is None:
            raise RuntimeError("the REST front is not running")
        return f"http://{self.host}:{self._rest.server_address[1]}"

    @property
    def grpc_target(self) -> str:
        """host:port of the gRPC API."""
        if self._grpc is None:
            raise RuntimeError("the gRPC front is not running")
        return f"{self.host}:{self._ports['grpc']}"

    def start(self) -> LocalServer:
        """Loads the current versions, starts polling and both fronts.

        Raises:
          OSError: a port could not be bound (everything started so far is stopped).
        """
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            LOG.warning("local development server bound to %s: it has no authentication",
                        self.host)
        try:
            self.registry.start()
            if self._ports["grpc"] is not None:
                self._grpc, self._ports["grpc"] = grpc_server.create_server(
                    self.registry, f"{self.host}:{self._ports['grpc']}",
                    self._max_request_bytes, self._grpc_workers, self._runner)
                self._grpc.start()
            if self._ports["rest"] is not None:
                self._rest = rest_server.RestServer(
                    (self.host, self._ports["rest"]), self.registry, self._max_request_bytes,
                    self._runner)
                self._rest_thread = threading.Thread(
                    target=self._rest.serve_forever, kwargs={"poll_interval": 0.2},
                    name="rest-server", daemon=True)
                self._rest_thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, grace_seconds: float = 1.0) -> None:
        """Stops both fronts (in-flight gRPC calls get `grace_seconds`) and the polling."""
        if self._rest is not None:
            self._rest.shutdown()
            self._rest.close_connections()
            self._rest.server_close()
            self._rest_thread.join()
            self._rest = self._rest_thread = None
        if self._grpc is not None:
            self._grpc.stop(grace_seconds).wait()
            self._grpc = None
        self.registry.stop()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def describe(self) -> str:
        """One line: where it listens and which versions are loaded."""
        fronts = []
        if self._rest is not None:
            fronts.append(f"REST {self.rest_url}")
        if self._grpc is not None:
            fronts.append(f"gRPC {self.grpc_target}")
        models = []
        for name in self.registry.configs:
            try:
                versions = [str(v) for v, state, *_ in self.registry.status(name)
                            if state == "AVAILABLE"]
            except Exception:  # no version yet: polling will pick it up
                versions = []
            models.append(f"{name} v{','.join(versions) or ' (none loaded yet)'}")
        return f"{' and '.join(fronts)}; models: {'; '.join(models)}"
