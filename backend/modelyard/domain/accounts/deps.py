"""Dependency providers of accounts (registered by the app)."""

from __future__ import annotations

from modelyard.domain.accounts.services import AccountService


def provide_account_service() -> AccountService:
    """`accounts`: registration, authentication and look-ups (stateless; the documents hold it all)."""
    return AccountService()
