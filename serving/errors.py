"""Errors of the clients and the local server: a canonical (gRPC) code and the server's message.

TF Serving's REST API turns the code into an HTTP status (http_server.cc). A caller catches the
same `NotFoundError` whether it spoke REST or gRPC.
"""

from __future__ import annotations

# The canonical codes in number order (grpc.StatusCode, tf.errors error_code).
CODE_NAMES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
              "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
              "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
              "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]
HTTP_STATUS = {"INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "NOT_FOUND": 404,
               "RESOURCE_EXHAUSTED": 429, "UNAVAILABLE": 503, "DEADLINE_EXCEEDED": 504}


class ServingError(Exception):
    """A failed call: canonical `code`, server `message`, `http_status` (REST), `target`."""

    code = "UNKNOWN"

    def __init__(self, message: str, *, code: str | None = None,
                 http_status: int | None = None, target: str | None = None):
        self.code = code or type(self).code
        self.message, self.http_status, self.target = message, http_status, target
        status = f" (HTTP {http_status})" if http_status else ""
        super().__init__(f"{self.code}{status}{f' from {target}' if target else ''}: {message}")


class InvalidArgumentError(ServingError):
    """Malformed or oversized request: bad JSON, wrong dtype or shape, unknown signature."""

    code = "INVALID_ARGUMENT"


class NotFoundError(ServingError):
    """Unknown model, or a version that is not loaded."""

    code = "NOT_FOUND"


class UnavailableError(ServingError):
    """Server unreachable or not ready; the clients retry these."""

    code = "UNAVAILABLE"


_BY_CODE = {"INVALID_ARGUMENT": InvalidArgumentError, "FAILED_PRECONDITION": InvalidArgumentError,
            "NOT_FOUND": NotFoundError, "UNAVAILABLE": UnavailableError}
_BY_STATUS = {status: code for code, status in HTTP_STATUS.items() if code != "FAILED_PRECONDITION"}


def from_code(code: str, message: str, **details) -> ServingError:
    """The exception for a canonical code."""
    return _BY_CODE.get(code, ServingError)(message, code=code, **details)


def from_http(http_status: int, message: str, target: str | None = None) -> ServingError:
    """The exception for a REST error response, its code inferred from the status."""
    code = _BY_STATUS.get(http_status, "UNKNOWN" if http_status >= 500 else "INVALID_ARGUMENT")
    return from_code(code, message, http_status=http_status, target=target)


def http_status(error: ServingError) -> int:
    """The HTTP status a REST server answers `error` with."""
    return error.http_status or HTTP_STATUS.get(error.code, 500)
