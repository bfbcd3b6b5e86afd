"""Accounts: registration, bearer tokens, the current user."""
