"""Idempotency keys on the POSTs that create something (IETF draft "The Idempotency-Key HTTP Header
Field"): a retried request with the same key gets the first answer again instead of a second job.

Keys are scoped per user and kept 24 hours. The same key with the same request (method, path
and a fingerprint of the body) replays the stored response, marked `Idempotent-Replayed: true`;
with a different request it is a 422; while the first request is still being handled, a 409.
A request that fails (any error) stores nothing, so it can be retried with the same key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from beanie import Document, PydanticObjectId
from litestar import Response
from litestar.openapi.spec import Example
from litestar.params import HeaderParameter
from pydantic import Field
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from modelyard.lib import examples
from modelyard.lib.clock import utcnow
from modelyard.lib.errors import ConflictError, FieldError, ValidationFailedError

KEEP_FOR = timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Makes a retry safe: the same key with the same request within 24 hours returns "
        "the first response again (with `Idempotent-Replayed: true`) instead of creating a second "
        "resource. The same key with a different request is a 422; while the first request is still "
        "being handled, a 409. Keys are yours alone: other users' keys never collide with yours.",
        examples=[Example(summary="A UUID per logical request", value=examples.IDEMPOTENCY_KEY)],
    ),
]


class IdempotencyRecord(Document):
    """One key of one user: what it was used for and, once done, the response it got."""

    owner_id: PydanticObjectId
    key: str
    operation: str
    fingerprint: str
    state: Literal["in_progress", "done"] = "in_progress"
    status_code: int | None = None
    body: bytes | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "idempotency_keys"
        indexes = [IndexModel([("owner_id", ASCENDING), ("key", ASCENDING)], unique=True, name="owner_key")]


def fingerprint(*parts: bytes | str) -> str:
    """A digest of what makes two requests the same request."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\x00")
    return digest.hexdigest()


async def _begin(
    owner_id: PydanticObjectId, key: str, operation: str, print_: str
) -> IdempotencyRecord | None:
    """Claim the key for this request, or return the finished record to replay."""
    record = IdempotencyRecord(owner_id=owner_id, key=key, operation=operation, fingerprint=print_)
    try:
        await record.insert()
        return None
    except DuplicateKeyError:
        pass
    found = await IdempotencyRecord.find_one({"owner_id": owner_id, "key": key})
    if found is None or found.created_at < utcnow() - KEEP_FOR:
        if found is not None:  # expired: the key is free again
            await IdempotencyRecord.get_pymongo_collection().delete_one({"_id": found.id})
        return await _begin(owner_id, key, operation, print_)
    if found.operation != operation or found.fingerprint != print_:
        message = "This Idempotency-Key was used for a different request; use a new key for a new request."
        raise ValidationFailedError(message, errors=[FieldError(message, "header.Idempotency-Key")])
    if found.state != "done":
        raise ConflictError(
            "A request with this Idempotency-Key is still being handled; retry after it finished.",
            headers={"Retry-After": "1"},
        )
    return found


async def respond_once(
    owner_id: PydanticObjectId,
    key: str | None,
    operation: str,
    print_: str,
    create: Callable[[], Awaitable[Response[Any]]],
    kept: Callable[[Any], Any] | None = None,
) -> Response[Any]:
    """Run `create` once per key: store its response, or replay the stored one.

    `kept` maps the response body to what is stored for replays, when part of it must never be
    stored (an API key's secret): a replay then answers with that part left out."""
    if key is None:
        return await create()
    done = await _begin(owner_id, key, operation, print_)
    if done is not None:
        headers = {**done.headers, REPLAYED_HEADER: "true"}
        return Response(
            done.body, status_code=done.status_code or 200, headers=headers, media_type="application/json"
        )
    try:
        response = await create()
    except BaseException:
        await IdempotencyRecord.get_pymongo_collection().delete_one({"owner_id": owner_id, "key": key})
        raise
    body = msgspec.json.encode(kept(response.content) if kept is not None else response.content)
    headers = {name: value for name, value in response.headers.items() if name.lower() == "location"}
    await IdempotencyRecord.get_pymongo_collection().update_one(
        {"owner_id": owner_id, "key": key},
        {"$set": {"state": "done", "status_code": response.status_code, "body": body, "headers": headers}},
    )
    return response
