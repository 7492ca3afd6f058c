"""Errors shared by the serving clients and the local server, in TF Serving's terms.

TF Serving reports a canonical status code (the gRPC code; the REST API maps it to an HTTP
status as in tensorflow_serving/model_servers/http_server.cc) and a message. Both ends use one
exception type per code family, so a client sees the same `NotFoundError` with the server's
message whether it spoke REST or gRPC.
"""

from __future__ import annotations

# Canonical code -> HTTP status, as TF Serving's REST server maps them.
HTTP_STATUS = {
    "OK": 200,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
    "UNAUTHENTICATED": 401,
}
CODE_NAMES = list(HTTP_STATUS)  # index = the code's number (grpc.StatusCode, tf.errors)


class ServingError(Exception):
    """A failed serving call: canonical code, the server's message and where it came from.

    Attributes:
      code: canonical status name, e.g. "INVALID_ARGUMENT".
      message: the server's error message (the REST `{"error": ...}` text or gRPC details).
      http_status: the HTTP status of a REST call, None for gRPC or when no response came.
      target: the URL or host:port that was called.
    """

    code = "UNKNOWN"

    def __init__(self, message: str, *, code: str | None = None,
                 http_status: int | None = None, target: str | None = None):
        self.code = code or type(self).code
        self.message = message
        self.http_status = http_status
        self.target = target
        where = f" from {target}" if target else ""
        status = f" (HTTP {http_status})" if http_status else ""
        super().__init__(f"{self.code}{status}{where}: {message}")


class InvalidArgumentError(ServingError):
    """Malformed request: bad JSON, wrong dtype or shape, unknown signature or label."""

    code = "INVALID_ARGUMENT"


class NotFoundError(ServingError):
    """Unknown model, or a version that is not loaded."""

    code = "NOT_FOUND"


class UnavailableError(ServingError):
    """Server unreachable or not ready; the clients retry these."""

    code = "UNAVAILABLE"


class DeadlineExceededError(ServingError):
    """The call did not finish within its timeout."""

    code = "DEADLINE_EXCEEDED"


class ResourceExhaustedError(ServingError):
    """Request over the size limit, or the server is out of capacity."""

    code = "RESOURCE_EXHAUSTED"


class UnimplementedError(ServingError):
    """An API the server does not offer (the local server has no classify/regress)."""

    code = "UNIMPLEMENTED"


_BY_CODE: dict[str, type[ServingError]] = {
    "INVALID_ARGUMENT": InvalidArgumentError,
    "FAILED_PRECONDITION": InvalidArgumentError,
    "OUT_OF_RANGE": InvalidArgumentError,
    "NOT_FOUND": NotFoundError,
    "UNAVAILABLE": UnavailableError,
    "DEADLINE_EXCEEDED": DeadlineExceededError,
    "RESOURCE_EXHAUSTED": ResourceExhaustedError,
    "UNIMPLEMENTED": UnimplementedError,
}
_BY_HTTP = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 413: "RESOURCE_EXHAUSTED",
            429: "RESOURCE_EXHAUSTED", 501: "UNIMPLEMENTED", 503: "UNAVAILABLE",
            504: "DEADLINE_EXCEEDED"}


def from_code(code: str, message: str, **details) -> ServingError:
    """The exception for a canonical code (the base class for codes without their own)."""
    return _BY_CODE.get(code, ServingError)(message, code=code, **details)


def from_http(http_status: int, message: str, target: str | None = None) -> ServingError:
    """The exception for a REST error response; the code is inferred from the status."""
    code = _BY_HTTP.get(http_status, "UNKNOWN" if http_status >= 500 else "INVALID_ARGUMENT")
    return from_code(code, message, http_status=http_status, target=target)


def http_status(error: ServingError) -> int:
    """HTTP status to answer `error` with: its own, else TF Serving's mapping of its code."""
    return error.http_status or HTTP_STATUS.get(error.code, 500)
