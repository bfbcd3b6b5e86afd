"""Typed exceptions: every API problem (RFC 9457) becomes one, carrying the problem details."""

from __future__ import annotations

import msgspec

from modelyard_client.models import FieldError, Problem


class ModelyardError(Exception):
    """Base of every error this client raises."""


class TransportError(ModelyardError):
    """The server could not be reached, or did not answer in time (after retries)."""


class ApiError(ModelyardError):
    """The API answered with an error status; `problem` holds its problem details."""

    def __init__(self, problem: Problem, *, retry_after: float | None = None) -> None:
        self.problem = problem
        self.status = problem.status
        self.retry_after = retry_after
        super().__init__(f"{problem.status} {problem.title}: {problem.detail}")

    @property
    def errors(self) -> list[FieldError]:
        """Per-field errors (validation problems), empty when the problem has none."""
        return list(self.problem.errors or [])

    @property
    def request_id(self) -> str | None:
        return self.problem.request_id


class BadRequest(ApiError):
    """400: the request could not be read."""


class Unauthorized(ApiError):
    """401: no token, a wrong password, or an expired or invalid token."""


class Forbidden(ApiError):
    """403."""


class NotFound(ApiError):
    """404: no such resource (or it belongs to someone else)."""


class Conflict(ApiError):
    """409: the resource's state does not allow this (e.g. an email already registered)."""


class PayloadTooLarge(ApiError):
    """413: the upload is larger than the server accepts."""


class UnsupportedMediaType(ApiError):
    """415: the file is not a table the server reads (CSV/TSV, Excel, Parquet, JSON Lines)."""


class ValidationFailed(ApiError):
    """422 (or a 400 with field errors): `errors` says which input is wrong and why."""


class RateLimited(ApiError):
    """429: too many requests; `retry_after` is how long to wait, in seconds."""


class ServiceUnavailable(ApiError):
    """503: a dependency is down; try again after `retry_after` seconds."""


class JobFailed(ModelyardError):
    """A job ended `failed` or `cancelled`; `problem` is its error when it has one."""

    def __init__(self, kind: str, job_id: str, status: str, problem: Problem | None) -> None:
        self.job_id = job_id
        self.status = status
        self.problem = problem
        why = f": {problem.title}: {problem.detail}" if problem else ""
        super().__init__(f"{kind} {job_id} {status}{why}")


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationFailed,
    429: RateLimited,
    503: ServiceUnavailable,
}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds form; an HTTP date is read as 1 s)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return 1.0


def error_for(status: int, body: bytes, retry_after: str | None, reason: str = "") -> ApiError:
    """The typed exception for an error response; a body that is no problem document still gives one."""
    try:
        problem = msgspec.json.decode(body, type=Problem)
    except (msgspec.DecodeError, msgspec.ValidationError):
        text = body.decode("utf-8", "replace").strip()[:500]
        problem = Problem(
            status=status, title=reason or "HTTP error", detail=text or reason, type="about:blank"
        )
    cls = _BY_STATUS.get(status, ApiError)
    if status == 400 and problem.errors:
        cls = ValidationFailed
    return cls(problem, retry_after=parse_retry_after(retry_after))
