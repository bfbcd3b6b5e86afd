"""HTTP endpoints of API keys: create (the secret shown once), list, read, revoke."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from modelyard.domain.accounts.auth import UserRequest, owner
from modelyard.domain.api_keys import examples
from modelyard.domain.api_keys.cache import ApiKeyCache
from modelyard.domain.api_keys.documents import ApiKeyDocument
from modelyard.domain.api_keys.schemas import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPage
from modelyard.domain.api_keys.services import ApiKeyService, OwnedModels
from modelyard.lib.clock import utcnow
from modelyard.lib.idempotency import IdempotencyKey, fingerprint, respond_once
from modelyard.lib.key_access import KEY_SCOPES
from modelyard.lib.openapi import AUTHENTICATED, example_response, problem_responses
from modelyard.lib.pagination import Cursor, Limit, Offset
from modelyard.lib.path_ids import ApiKeyPathId


def _fields(doc: ApiKeyDocument) -> dict[str, object]:
    return {
        "id": str(doc.id),
        "name": doc.name,
        "prefix": doc.prefix,
        "scopes": list(doc.scopes),
        "model_ids": None if doc.model_ids is None else [str(m) for m in doc.model_ids],
        "expires_at": doc.expires_at,
        "expired": doc.expires_at is not None and doc.expires_at <= utcnow(),
        "created_at": doc.created_at,
        "last_used_at": doc.last_used_at,
        "use_count": doc.use_count,
    }


def to_api_key(doc: ApiKeyDocument) -> ApiKey:
    return ApiKey(**_fields(doc))  # type: ignore[arg-type]


def _without_secret(created: ApiKeyCreated) -> ApiKeyCreated:
    return msgspec.structs.replace(created, secret=None)


_CREATED = example_response(
    ApiKeyCreated, "Created: the key with its `secret`, shown this once.", {"Created": examples.CREATED}
)
_KEY = example_response(ApiKey, "The key (never its secret).", {"In use": examples.IN_USE})
_PAGE = example_response(ApiKeyPage, "A page of your keys, newest first.", {"One key": examples.PAGE})


class ApiKeyController(Controller):
    path = "/api/v1/api-keys"
    tags = ["api-keys"]
    opt = {KEY_SCOPES: ()}  # keys are managed with an access token, never with a key

    @post(
        "/",
        operation_id="createApiKey",
        summary="Create an API key",
        status_code=HTTP_201_CREATED,
        responses={201: _CREATED, **problem_responses(400, 409, 422, *AUTHENTICATED)},
    )
    async def create(
        self,
        request: UserRequest,
        data: JSONBody[ApiKeyCreate],
        api_keys: NamedDependency[ApiKeyService],
        owned_models: NamedDependency[OwnedModels],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ApiKeyCreated]:
        """Create a key for a machine (a prediction service, a dashboard); 201 with the key's
        `secret`, shown this once.

        Send the secret as `Authorization: Bearer {secret}`. `scopes` says what it reaches:
        `predict` (online and batch predictions, limited to `model_ids` when given) and `read`
        (every GET of your resources). A key never creates, changes or deletes anything else,
        and never lists or creates keys; an operation outside its scopes answers 403 naming
        the scope it needs. Only the secret's SHA-256 is stored: a lost secret cannot be shown
        again (delete the key, create another).

        422 for a `model_ids` entry that is not one of your models, `model_ids` without the
        `predict` scope (or empty), or an `expires_at` in the past; 409 when you already hold the most
        keys allowed (`MODELYARD_API_KEYS_MAX_PER_USER`).
        """

        async def issue() -> Response[ApiKeyCreated]:
            document, secret = await api_keys.create(
                owner(request),
                name=data.name,
                scopes=list(data.scopes),
                model_ids=None if data.model_ids is msgspec.UNSET else list(data.model_ids),
                expires_at=data.expires_at,
                owned_models=owned_models,
            )
            return Response(
                ApiKeyCreated(**_fields(document), secret=secret),  # type: ignore[arg-type]
                status_code=HTTP_201_CREATED,
                headers={"Location": f"/api/v1/api-keys/{document.id}"},
            )

        print_ = fingerprint(msgspec.json.encode(data))
        path = request.url.path
        return await respond_once(owner(request), idempotency_key, path, print_, issue, _without_secret)

    @get(
        "/",
        operation_id="listApiKeys",
        summary="List your API keys",
        responses={200: _PAGE, **problem_responses(422, *AUTHENTICATED)},
    )
    async def list_keys(
        self,
        request: UserRequest,
        api_keys: NamedDependency[ApiKeyService],
        limit: FromQuery[Limit] = 20,
        offset: FromQuery[Offset] = 0,
        cursor: FromQuery[Cursor] = None,
    ) -> ApiKeyPage:
        """Your keys, newest first, with their `prefix`, scopes, expiry and last use (never the
        secret). `last_used_at` and `use_count` are recorded in batches, a few seconds behind."""
        window = await api_keys.list(owner(request), limit, offset, cursor)
        return ApiKeyPage(items=[to_api_key(doc) for doc in window.items], **window.envelope())

    @get(
        "/{key_id:str}",
        operation_id="getApiKey",
        summary="Get an API key",
        responses={200: _KEY, **problem_responses(404, *AUTHENTICATED)},
    )
    async def get_key(
        self, request: UserRequest, key_id: FromPath[ApiKeyPathId], api_keys: NamedDependency[ApiKeyService]
    ) -> ApiKey:
        """One of your keys (never its secret)."""
        return to_api_key(await api_keys.get_owned(owner(request), key_id))

    @delete(
        "/{key_id:str}",
        operation_id="deleteApiKey",
        summary="Revoke an API key",
        responses=problem_responses(404, *AUTHENTICATED),
    )
    async def revoke(
        self,
        request: UserRequest,
        key_id: FromPath[ApiKeyPathId],
        api_keys: NamedDependency[ApiKeyService],
        api_key_cache: NamedDependency[ApiKeyCache],
    ) -> None:
        """Revoke the key for good (it is deleted); 204.

        The server process that answers refuses the key at once; every other process of a
        deployment within `MODELYARD_API_KEYS_CACHE_S` seconds (10 by default), the time it
        trusts a key it checked.
        """
        document = await api_keys.revoke(owner(request), key_id)
        api_key_cache.evict(str(document.id))
