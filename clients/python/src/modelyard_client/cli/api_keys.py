"""`modelyard api-keys create|list|delete`: keys for machines (managed with a password login)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from modelyard_client.cli.app import State, pass_state


@click.group("api-keys")
def api_keys() -> None:
    """Create, list and revoke API keys (`modelyard login --api-key KEY` uses one)."""


@api_keys.command()
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["predict", "read"]),
    default=("predict",),
    show_default=True,
    help="What the key may do (repeatable).",
)
@click.option("--model", "model_ids", multiple=True, help="Limit `predict` to this model (repeatable).")
@click.option("--expires", type=click.DateTime(), help="When the key stops working (UTC).")
@click.option("--secret-only", is_flag=True, help="Print only the secret (for scripts).")
@pass_state
def create(
    state: State,
    name: str,
    scopes: tuple[str, ...],
    model_ids: tuple[str, ...],
    expires: datetime | None,
    secret_only: bool,
) -> None:
    """Create a key called NAME; its secret is printed this once."""
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    key = state.client().api_keys.create(name, scopes, model_ids=list(model_ids) or None, expires_at=expires)
    if secret_only:
        click.echo(key.secret)
    elif state.out.json:
        state.out.emit(key)
    else:
        models = ", ".join(key.model_ids) if key.model_ids else "all models"
        state.out.line(f"API key {key.id} {key.name!r}: {', '.join(key.scopes)} on {models}")
        state.out.line(f"Secret (shown once): {key.secret}")


@api_keys.command("list")
@pass_state
def list_(state: State) -> None:
    """List your keys (never their secrets)."""
    items = list(state.client().api_keys.iter())
    if state.out.json:
        state.out.emit(items)
        return
    state.out.table(
        None,
        ["id", "name", "prefix", "scopes", "models", "expires", "uses"],
        [
            (
                k.id,
                k.name,
                k.prefix,
                ",".join(k.scopes),
                ",".join(k.model_ids) if k.model_ids else "all",
                f"{k.expires_at:%Y-%m-%d %H:%M}" if k.expires_at else "never",
                k.use_count,
            )
            for k in items
        ],
    )


@api_keys.command()
@click.argument("key_id")
@pass_state
def delete(state: State, key_id: str) -> None:
    """Revoke a key: it stops working at once."""
    state.client().api_keys.delete(key_id)
    state.out.emit({"deleted": key_id}) if state.out.json else state.out.line(f"Revoked {key_id}")
