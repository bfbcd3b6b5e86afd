"""The one clock: UTC, at the millisecond precision MongoDB stores."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, truncated to milliseconds, so a returned time equals the stored one."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
