"""Recently checked API keys, so an authenticated request does not read MongoDB.

An entry is trusted for `ttl` seconds (`MODELYARD_API_KEYS_CACHE_S`) after it was read. A key
revoked through this process is evicted at once; other server processes notice at their next
look-up, at most `ttl` later: that is the documented revocation bound. Expiry needs no look-up:
the grant carries `expires_at`, checked on every request. Unknown secrets are not cached (each
costs one indexed find; the rate limiter bounds how many). There is no outage grace for keys:
a key whose entry is older than `ttl` needs the database (503 while it is down), so a revoked
key can never come back through a stale entry.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from modelyard.domain.api_keys.documents import ApiKeyDocument
from modelyard.domain.api_keys.services import ApiKeyService, secret_digest
from modelyard.lib.key_access import ApiKeyGrant

MAX_ENTRIES = 10_000


def to_grant(document: ApiKeyDocument) -> ApiKeyGrant:
    return ApiKeyGrant(
        key_id=str(document.id),
        owner_id=str(document.owner_id),
        scopes=frozenset(document.scopes),
        model_ids=None if document.model_ids is None else frozenset(str(m) for m in document.model_ids),
        expires_at=document.expires_at,
    )


class ApiKeyCache:
    """Checks bearer secrets that look like API keys; what the authentication middleware asks."""

    def __init__(
        self,
        service: ApiKeyService,
        ttl: float,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, ApiKeyGrant]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def authenticate(self, secret: str) -> ApiKeyGrant | None:
        """The key's grant, or None for an unknown (or revoked) secret."""
        digest = secret_digest(secret)
        entry = self._entries.get(digest)
        if entry is not None and self.clock() - entry[0] < self.ttl:
            self._entries.move_to_end(digest)
            return entry[1]
        read_at = self.clock()
        document = await self.service.find_by_secret(secret)
        if document is None:
            self._entries.pop(digest, None)
            return None
        grant = to_grant(document)
        self._entries[digest] = (read_at, grant)
        self._entries.move_to_end(digest)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return grant

    def evict(self, key_id: str) -> None:
        """Forget a revoked key in this process at once."""
        self._evict(lambda grant: grant.key_id == key_id)

    def evict_owner(self, owner_id: str) -> None:
        """Forget every key of a deleted account in this process at once."""
        self._evict(lambda grant: grant.owner_id == owner_id)

    def _evict(self, matches: Callable[[ApiKeyGrant], bool]) -> None:
        for digest in [d for d, (_, grant) in self._entries.items() if matches(grant)]:
            del self._entries[digest]
