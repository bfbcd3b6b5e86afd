"""Password hashing (argon2) and the generated development signing secret."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified against when the user does not exist, so unknown users cost the same time.
_DUMMY_HASH = _hasher.hash("modelyard-timing-equaliser")


async def hash_password(password: str) -> str:
    # argon2 is deliberately slow (tens of ms): keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def read_or_create_secret(path: Path) -> str:
    """The secret kept in `path`, generated (URL-safe, 48 bytes, mode 0600) if the file does not exist.

    Several processes starting at once agree on one secret: exactly one creates the file (O_EXCL),
    the others read it once written. Empty when the file exists but stays empty.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            if existing := path.read_text().strip():
                return existing
            time.sleep(0.01)  # the creator is between open and write
        return ""
    generated = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(generated)
    return generated
