"""Which exceptions mean a dependency (the database, the object store) is unreachable right now.

The error handlers answer those with a 503 and `Retry-After`, and the job runner gives such a job
back instead of failing it: the same call may work later.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from pymongo.errors import ConnectionFailure, PyMongoError


def unavailable_dependency(exc: BaseException) -> str | None:
    """`"database"` or `"object store"` when `exc`, or an error it was raised from, says that
    dependency is unreachable or overloaded right now (the same call may work later); else None.

    Connection refused, selection and operation timeouts, a cancelled operation and 5xx answers
    are transient. Everything else (a duplicate key, a missing bucket, access denied) is not.
    """
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, ConnectionFailure) or (isinstance(seen, PyMongoError) and seen.timeout):
            return "database"
        if isinstance(seen, (BotoConnectionError, HTTPClientError)):
            return "object store"
        if isinstance(seen, ClientError) and _http_status(seen) >= 500:
            return "object store"
        if isinstance(seen, BotoCoreError) and "timeout" in type(seen).__name__.lower():
            return "object store"
        seen = seen.__cause__
    return None


def _http_status(exc: ClientError) -> int:
    metadata = exc.response.get("ResponseMetadata", {})
    return int(metadata.get("HTTPStatusCode") or 0)
