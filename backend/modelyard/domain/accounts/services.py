"""Account rules: registration, credential checks, lookups."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from modelyard.domain.accounts.documents import UserDocument
from modelyard.lib.clock import utcnow
from modelyard.lib.errors import AuthenticationError, ConflictError, FieldError, ValidationFailedError
from modelyard.lib.security import hash_password, verify_password

# How stale `last_active_at` may get before an authenticated request refreshes it.
ACTIVITY_RESOLUTION = timedelta(minutes=15)


def normalise_email(email: str) -> str:
    """One spelling per address: NFKC (fullwidth and compatibility forms fold), trimmed, lower case."""
    return unicodedata.normalize("NFKC", email).strip().lower()


# Control, format (zero-width, bidi overrides and isolates), surrogate, private-use, unassigned,
# and line/paragraph separators: invisible or reordering characters that make look-alike accounts.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def checked_email(email: str) -> str:
    """The normalised email, or a 422 at `body.email` naming the first invisible character or the
    part that mixes scripts."""
    normalised = normalise_email(email)
    for char in normalised:
        if unicodedata.category(char) in _REFUSED_CATEGORIES or char.isspace():
            message = (
                f"The email contains an invisible or control character (U+{ord(char):04X}); "
                "type the address again."
            )
            raise ValidationFailedError(message, errors=[FieldError(message, "body.email")])
    local, _, domain = normalised.rpartition("@")
    for part in [local, *domain.split(".")]:
        scripts = scripts_of(part)
        if len(scripts) > 1 and not any(scripts <= allowed for allowed in _SCRIPTS_USED_TOGETHER):
            names = " and ".join(sorted(script.title() for script in scripts))
            message = (
                f"The email mixes {names} letters in {part!r}, as addresses that imitate others do; "
                "write each part of the address in one script."
            )
            raise ValidationFailedError(message, errors=[FieldError(message, "body.email")])
    return normalised


# Scripts that are written together (Unicode TR39, "highly restrictive"): Japanese, Chinese with
# Bopomofo, Korean, each also with Latin letters. Any other mix within one part is refused.
_SCRIPTS_USED_TOGETHER = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_HAN = {"CJK", "IDEOGRAPHIC"}


def scripts_of(text: str) -> set[str]:
    """The scripts of the letters of `text`, by the first word of each letter's Unicode name
    (`LATIN`, `CYRILLIC`, `GREEK`, `HAN`...). Digits, punctuation, marks and modifier letters
    belong to no script here: they go with any."""
    scripts = set()
    for char in text:
        if unicodedata.category(char) not in ("Lu", "Ll", "Lt", "Lo"):
            continue
        word = unicodedata.name(char, "?").split(" ")[0]
        scripts.add("HAN" if word in _HAN else word)
    return scripts


class AccountService:
    """Accounts: register, authenticate, look up, record activity, delete; counts for the metrics."""

    async def count(self) -> int:
        return int(await UserDocument.count())

    async def count_active_since(self, since: datetime) -> int:
        """Accounts that made an authenticated request since `since` (to ACTIVITY_RESOLUTION)."""
        return int(await UserDocument.find(UserDocument.last_active_at >= since).count())

    async def register(self, email: str, password: str) -> UserDocument:
        user = UserDocument(email=checked_email(email), password_hash=await hash_password(password))
        try:
            await user.insert()
        except DuplicateKeyError:
            raise ConflictError("An account with this email already exists.") from None
        return user

    async def authenticate(self, email: str, password: str) -> UserDocument:
        """The user whose credentials these are; unknown email and wrong password fail alike."""
        user = await UserDocument.find_one(UserDocument.email == normalise_email(email))
        if not await verify_password(user.password_hash if user else None, password) or user is None:
            raise AuthenticationError("Incorrect email or password.")
        return user

    async def get(self, user_id: str) -> UserDocument | None:
        if not PydanticObjectId.is_valid(user_id):
            return None
        return await UserDocument.get(PydanticObjectId(user_id))

    async def delete(self, user_id: PydanticObjectId) -> None:
        """Remove the account record. Only the record: `DeletionService.account` removes what the
        account owns first and calls this last."""
        await UserDocument.get_pymongo_collection().delete_one({"_id": user_id})

    async def touch(self, user: UserDocument, now: datetime | None = None) -> None:
        """Record activity (for active-user counts), at most once per ACTIVITY_RESOLUTION."""
        now = now or utcnow()
        if now - user.last_active_at >= ACTIVITY_RESOLUTION:
            user.last_active_at = now
            await UserDocument.find_one(UserDocument.id == user.id).update({"$set": {"last_active_at": now}})
