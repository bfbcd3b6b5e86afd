"""API key rules: the only module that queries `ApiKeyDocument`."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from beanie import PydanticObjectId

from modelyard.domain.api_keys.documents import ApiKeyDocument
from modelyard.lib.clock import utcnow
from modelyard.lib.db import find_owned
from modelyard.lib.errors import ConflictError, FieldError, ValidationFailedError
from modelyard.lib.key_access import API_KEY_PREFIX, KEY_SCOPES_ALL
from modelyard.lib.pagination import Window, newest_first

PREFIX_LENGTH = len(API_KEY_PREFIX) + 8
SECRET_MAX_LENGTH = 128
"""Longer bearer values are not keys of ours: refused without hashing or a lookup."""

OwnedModels = Callable[[PydanticObjectId, list[str]], Awaitable[set[str]]]
"""Which of these model ids are the owner's (the model registry answers; see workflows)."""


def new_secret() -> str:
    """`myk_` + 256 random bits, URL-safe: a key cannot be guessed, so its SHA-256 is a safe digest."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _invalid(message: str, location: str) -> ValidationFailedError:
    return ValidationFailedError(message, errors=[FieldError(message, location)])


class ApiKeyService:
    """Create, list, read and revoke an owner's API keys; look keys up by secret; record their use."""

    def __init__(self, max_per_user: int = 100) -> None:
        self.max_per_user = max_per_user

    async def create(
        self,
        owner_id: PydanticObjectId,
        *,
        name: str,
        scopes: list[str],
        model_ids: list[str] | None,
        expires_at: datetime | None,
        owned_models: OwnedModels,
    ) -> tuple[ApiKeyDocument, str]:
        """Store a new key; returns it with its secret (the only time the secret exists in full)."""
        scopes = [scope for scope in KEY_SCOPES_ALL if scope in scopes]  # one order, no repeats
        if expires_at is not None:
            expires_at = _as_utc(expires_at)
            if expires_at <= utcnow():
                raise _invalid("`expires_at` must be in the future.", "body.expires_at")
        if model_ids is not None:
            model_ids = list(dict.fromkeys(model_ids))
            await self._check_models(owner_id, scopes, model_ids, owned_models)
        if await ApiKeyDocument.find({"owner_id": owner_id}).count() >= self.max_per_user:
            raise ConflictError(
                f"You hold {self.max_per_user} API keys, the most allowed; delete one you no longer use."
            )
        secret = new_secret()
        document = ApiKeyDocument(
            owner_id=owner_id,
            name=name.strip() or name,
            prefix=secret[:PREFIX_LENGTH],
            secret_sha256=secret_digest(secret),
            scopes=scopes,
            model_ids=None if model_ids is None else [PydanticObjectId(m) for m in model_ids],
            expires_at=expires_at,
        )
        await document.insert()
        return document, secret

    async def _check_models(
        self, owner_id: PydanticObjectId, scopes: list[str], model_ids: list[str], owned: OwnedModels
    ) -> None:
        if "predict" not in scopes:
            message = "`model_ids` limits the `predict` scope; add `predict` or leave it out."
            raise _invalid(message, "body.model_ids")
        if not model_ids:
            raise _invalid(
                "`model_ids` is empty: list at least one model, or leave it out for all your models.",
                "body.model_ids",
            )
        found = await owned(owner_id, model_ids)
        missing = [(i, m) for i, m in enumerate(model_ids) if m not in found]
        if missing:
            errors = [FieldError(f"No model with id {m}.", f"body.model_ids.{i}") for i, m in missing]
            raise ValidationFailedError(
                f"No model with id {missing[0][1]} (at body.model_ids.{missing[0][0]}).", errors=errors
            )

    async def list(
        self, owner_id: PydanticObjectId, limit: int, offset: int = 0, cursor: str | None = None
    ) -> Window[ApiKeyDocument]:
        query = {"owner_id": owner_id}
        return await newest_first(ApiKeyDocument, query, limit=limit, offset=offset, cursor=cursor)

    async def get_owned(self, owner_id: PydanticObjectId, key_id: str) -> ApiKeyDocument:
        return await find_owned(ApiKeyDocument, owner_id, key_id, "API key")

    async def revoke(self, owner_id: PydanticObjectId, key_id: str) -> ApiKeyDocument:
        """Delete the owner's key (404 for an unknown or another user's); the removed record."""
        document = await self.get_owned(owner_id, key_id)
        await ApiKeyDocument.get_pymongo_collection().delete_one({"_id": document.id})
        return document

    async def delete_all_owned(self, owner_id: PydanticObjectId) -> int:
        result = await ApiKeyDocument.get_pymongo_collection().delete_many({"owner_id": owner_id})
        return int(result.deleted_count)

    async def find_by_secret(self, secret: str) -> ApiKeyDocument | None:
        if not secret.startswith(API_KEY_PREFIX) or len(secret) > SECRET_MAX_LENGTH:
            return None
        return await ApiKeyDocument.find_one({"secret_sha256": secret_digest(secret)})

    async def record_uses(self, uses: dict[str, tuple[int, datetime]]) -> None:
        """Add counted uses and move `last_used_at` forward: one write per key per usage flush.
        Every key is attempted; a key deleted meanwhile matches nothing. The first failure is
        raised after the others were written, with the keys still to write in `uses`."""
        collection = ApiKeyDocument.get_pymongo_collection()
        failure: BaseException | None = None
        for key_id, (count, last) in list(uses.items()):
            if not PydanticObjectId.is_valid(key_id):
                del uses[key_id]
                continue
            try:
                await collection.update_one(
                    {"_id": PydanticObjectId(key_id)},
                    {"$inc": {"use_count": count}, "$max": {"last_used_at": last}},
                )
            except Exception as exc:
                failure = failure or exc
                continue
            del uses[key_id]
        if failure is not None:
            raise failure

    # -- counts for the business metrics ----------------------------------------------------

    async def count_by_state(self, now: datetime | None = None) -> dict[str, int]:
        """Keys stored, as `active` (usable) and `expired`."""
        now = now or utcnow()
        total = await ApiKeyDocument.find({}).count()
        expired = await ApiKeyDocument.find({"expires_at": {"$lte": now}}).count()
        return {"active": total - expired, "expired": expired}

    async def count_used_since(self, since: datetime) -> int:
        return int(await ApiKeyDocument.find({"last_used_at": {"$gte": since}}).count())
