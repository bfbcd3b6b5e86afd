"""The one error hierarchy, and its rendering as RFC 9457 problem details.

Every error response of the API is `application/problem+json` with a stable
`type` URI per kind of error; the docs' error guide lists each kind.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from modelyard.lib.outage_errors import unavailable_dependency

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://modelyard.dev/problems/"
RETRY_AFTER_SECONDS = 5
"""What a 503 tells clients to wait: about one database heartbeat, so a returning dependency is seen."""

log = structlog.get_logger("modelyard.errors")


class FieldError(msgspec.Struct, omit_defaults=True):
    """One invalid input: what is wrong and where."""

    message: Annotated[
        str, msgspec.Meta(description="What is wrong.", examples=["Expected `str` of length >= 8"])
    ]
    location: Annotated[
        str | None,
        msgspec.Meta(
            description="Where: `body.<field>`, `query.<name>`, `path.<name>`, `file`, `column:<name>`, "
            "or a dependency name for readiness.",
            examples=["body.password"],
        ),
    ] = None


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem details object."""

    type: Annotated[
        str,
        msgspec.Meta(
            description="Stable URI of the kind of problem; the errors guide lists each one.",
            examples=["https://modelyard.dev/problems/not-found"],
        ),
    ]
    title: Annotated[
        str, msgspec.Meta(description="Short summary of the kind.", examples=["Resource not found"])
    ]
    status: Annotated[int, msgspec.Meta(ge=400, le=599, description="HTTP status code.", examples=[404])]
    detail: Annotated[
        str,
        msgspec.Meta(
            description="What went wrong in this occurrence, for people.",
            examples=["No dataset with id 665f1c2a9b1e8a3d4c5b6a79."],
        ),
    ]
    instance: Annotated[
        str | None,
        msgspec.Meta(description="The request path.", examples=["/api/v1/datasets/665f1c2a9b1e8a3d4c5b6a79"]),
    ] = None
    request_id: Annotated[
        str | None,
        msgspec.Meta(
            description="The request id (also the `X-Request-ID` header); quote it when reporting a problem.",
            examples=["5d0c6c1b2f7e4a7f9a3b0d1e2c3f4a5b"],
        ),
    ] = None
    errors: Annotated[
        list[FieldError] | None, msgspec.Meta(description="Each invalid input, when there are several.")
    ] = None


# kind -> (status, title). The kinds are part of the API contract: never rename one.
PROBLEM_KINDS: dict[str, tuple[int, str]] = {
    "bad-request": (400, "Bad request"),
    "malformed-body": (400, "Malformed request body"),
    "unauthenticated": (401, "Authentication required"),
    "forbidden": (403, "Forbidden"),
    "not-found": (404, "Resource not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "conflict": (409, "Conflict"),
    "precondition-failed": (412, "Precondition failed"),
    "payload-too-large": (413, "Payload too large"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "validation-error": (422, "Validation error"),
    "rate-limited": (429, "Too many requests"),
    "internal-error": (500, "Internal server error"),
    "service-unavailable": (503, "Service unavailable"),
}

_KIND_BY_STATUS = {status: kind for kind, (status, _) in reversed(PROBLEM_KINDS.items())}


def problem_type(kind: str) -> str:
    return PROBLEM_TYPE_BASE + kind


class AppError(Exception):
    """Base of every error the API reports on purpose."""

    kind: ClassVar[str] = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return PROBLEM_KINDS[self.kind][0]


class BadRequestError(AppError):
    kind = "bad-request"


class MalformedBodyError(AppError):
    """The body cannot be read as the media type it claims (a broken or truncated multipart body)."""

    kind = "malformed-body"


class AuthenticationError(AppError):
    kind = "unauthenticated"

    def __init__(self, detail: str = "Missing or invalid credentials.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class ForbiddenError(AppError):
    """The credentials are valid but do not reach this operation (an API key outside its scopes)."""

    kind = "forbidden"


class NotFoundError(AppError):
    kind = "not-found"


class ConflictError(AppError):
    kind = "conflict"


class PayloadTooLargeError(AppError):
    kind = "payload-too-large"


class UnsupportedMediaTypeError(AppError):
    kind = "unsupported-media-type"


class ValidationFailedError(AppError):
    kind = "validation-error"


class ServiceUnavailableError(AppError):
    kind = "service-unavailable"

    def __init__(
        self, detail: str, *, errors: list[FieldError] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(
            detail, errors=errors, headers={"Retry-After": str(RETRY_AFTER_SECONDS), **(headers or {})}
        )


def unavailable_error(dependency: str) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        f"The {dependency} is unreachable right now; retry after the number of seconds in `Retry-After`."
    )


def problem_response(
    request: Request[Any, Any, Any],
    kind: str,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    status, title = PROBLEM_KINDS[kind]
    body = Problem(
        type=problem_type(kind),
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=request.scope.get("state", {}).get("request_id"),
        errors=errors or None,
    )
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


_UNKNOWN_FIELD = re.compile(
    r"^Object contains unknown field `(?P<name>[^`]*)`(?P<path> - at `\$(?P<at>[^`]*)`)?$"
)
_MAX_ECHOED_NAME = 64


_MISSING_FIELD = re.compile(r"^Object missing required field `(?P<name>[^`]*)`$")
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE"})


def _source(request: Request[Any, Any, Any], source: Any, key: Any) -> Any:
    """Where a parameter came from. Litestar files every key starting with `data` under the body
    (its body parameter is named `data`), so `dataset_id` in a path or query would read
    `body.dataset_id`; the request itself says where such a name really was."""
    if source == "body" and isinstance(key, str) and key.startswith("data") and "." not in key:
        if key in request.path_params:
            return "path"
        if key in request.query_params and request.method in _NO_BODY_METHODS:
            return "query"
    return source


def _field_errors(extra: Any, request: Request[Any, Any, Any]) -> list[FieldError]:
    """Litestar's validation `extra` is a list of {message, key, source}; say where each one is,
    in the words the client used (`query.limit`, `body.nickname`), never echoing long input."""
    found: list[FieldError] = []
    if isinstance(extra, list):
        for item in extra:
            if not isinstance(item, dict):
                continue
            source, key = item.get("source"), item.get("key")
            source = _source(request, getattr(source, "value", source), key)  # ParamType.QUERY -> "query"
            message = str(item.get("message", "invalid value"))
            missing = _MISSING_FIELD.match(message)
            if missing and source == "body" and key == "data":  # a form body: name the field it lacks
                key = missing["name"]
            unknown = _UNKNOWN_FIELD.match(message)
            if unknown:
                name = unknown["name"]
                if len(name) > _MAX_ECHOED_NAME or not name.isprintable():
                    message, name = "Object contains an unknown field", ""
                else:
                    message = f"Unknown field `{name}`"
                prefix = str(source or "body") + (unknown["at"] or "").replace("[", ".").replace("]", "")
                found.append(FieldError(message=message, location=f"{prefix}.{name}" if name else prefix))
                continue
            if source == "header" and key:  # the header as sent, not the handler's parameter name
                key = "-".join(part.capitalize() for part in str(key).split("_"))
            location = ".".join(str(part) for part in (source, key) if part) or None
            found.append(FieldError(message=message, location=location))
    return found


def handle_app_error(request: Request[Any, Any, Any], exc: AppError) -> Response[Problem]:
    return problem_response(request, exc.kind, exc.detail, errors=exc.errors, headers=exc.headers)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    if status >= HTTP_500_INTERNAL_SERVER_ERROR:
        return handle_unexpected(request, exc)
    headers = dict(exc.headers or {})
    if isinstance(exc, ValidationException):
        errors = _field_errors(exc.extra, request)
        if errors:
            # A well-formed request whose values break the documented constraints.
            return problem_response(request, "validation-error", _validation_summary(errors), errors=errors)
        return problem_response(request, "malformed-body", _malformed_detail(exc.detail), headers=headers)
    if status == 400:
        # Litestar raises a plain 400 when it cannot decode the body (bad JSON, form, multipart).
        return problem_response(request, "malformed-body", _malformed_detail(exc.detail), headers=headers)
    kind = _KIND_BY_STATUS.get(status, "bad-request")
    detail = (
        exc.detail if exc.detail and exc.detail != PROBLEM_KINDS[kind][1] else _DEFAULT_DETAIL.get(kind, "")
    )
    if kind == "rate-limited" and "retry-after" not in {k.lower() for k in headers}:
        headers["Retry-After"] = str(max(1, int(headers.get("RateLimit-Reset", "60"))))
    if kind == "unauthenticated":
        headers.setdefault("WWW-Authenticate", "Bearer")
        detail = _auth_detail(f"{exc.detail} {exc.__cause__ or ''}")
    return problem_response(request, kind, detail or PROBLEM_KINDS[kind][1], headers=headers)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    request_id = request.scope.get("state", {}).get("request_id")
    dependency = unavailable_dependency(exc)
    if dependency is not None:
        # An outage, not a bug: a 503 the client can retry, and one log line without a traceback.
        log.warning(
            "dependency unavailable",
            dependency=dependency,
            error=f"{type(exc).__name__}: {str(exc)[:300]}",
            path=request.url.path,
            request_id=request_id,
        )
        return handle_app_error(request, unavailable_error(dependency))
    log.error(
        "unhandled error", exc_info=exc, path=request.url.path, method=request.method, request_id=request_id
    )
    return problem_response(
        request,
        "internal-error",
        "The server failed to handle this request. Quote the request id when reporting it.",
    )


def _validation_summary(errors: list[FieldError]) -> str:
    first = errors[0]
    where = f" at {first.location}" if first.location else ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first.message}{where}{more}"


def _malformed_detail(detail: str) -> str:
    return (
        f"The request body could not be read: {detail}" if detail else "The request body could not be read."
    )


def _auth_detail(detail: str) -> str:
    lowered = detail.lower()
    if "api key" in lowered:
        return detail.strip()  # already written for the caller (see the API-key authenticator)
    if "expired" in lowered:
        return "The access token has expired; request a new one from /api/v1/auth/token."
    if "no jwt token found" in lowered or ("authorization" in lowered and "header" in lowered):
        return "This operation needs a bearer token: send `Authorization: Bearer {token}`."
    if "invalid" in lowered or "signature" in lowered or "decode" in lowered:
        return "The access token is invalid."
    return detail.strip() or "Missing or invalid credentials."


_DEFAULT_DETAIL = {
    "not-found": "No resource exists at this path.",
    "method-not-allowed": "This path does not accept that HTTP method.",
    "payload-too-large": "The request body is larger than this operation accepts.",
    "rate-limited": "Too many requests; retry after the number of seconds in `Retry-After`.",
}


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    AppError: handle_app_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_KINDS",
    "PROBLEM_MEDIA_TYPE",
    "RETRY_AFTER_SECONDS",
    "AppError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "FieldError",
    "ForbiddenError",
    "MalformedBodyError",
    "NotFoundError",
    "PayloadTooLargeError",
    "Problem",
    "ServiceUnavailableError",
    "UnsupportedMediaTypeError",
    "ValidationFailedError",
    "problem_response",
    "problem_type",
    "unavailable_dependency",
    "unavailable_error",
]
