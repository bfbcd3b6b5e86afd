"""The click group, its shared options and the account commands (login, logout, whoami)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from modelyard_client import __version__
from modelyard_client.cli import config as cfg
from modelyard_client.cli.output import Out
from modelyard_client.client import Client

API_KEY_PREFIX = "myk_"
F = TypeVar("F", bound=Callable[..., Any])


class State:
    def __init__(self, url: str | None, json: bool) -> None:
        self.config = cfg.load()
        if url:
            self.config.url = url
        self.out = Out(json=json)
        self._client: Client | None = None

    def client(self, *, auth: bool = True) -> Client:
        if auth and not (self.config.token or self.config.api_key):
            raise click.UsageError(
                "not logged in: run `modelyard login` (or set MODELYARD_TOKEN or MODELYARD_API_KEY)"
            )
        if self._client is None:
            retries = int(os.environ.get("MODELYARD_MAX_RETRIES", "3"))
            self._client = Client(
                self.config.url, token=self.config.token, api_key=self.config.api_key, max_retries=retries
            )
        return self._client


def _set_json(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(dict)["json"] = True


json_option = click.option(
    "--json",
    "json_",
    is_flag=True,
    expose_value=False,
    callback=_set_json,
    is_eager=True,
    help="Machine-readable JSON on stdout.",
)


def pass_state(func: F) -> F:
    """Give the command the invocation's `State` (built after every `--json` was seen)."""

    @click.pass_context
    def wrapper(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        root = ctx.find_root()
        flags = root.ensure_object(dict)
        flags.setdefault("json", False)
        if "state" not in flags:
            flags["state"] = State(flags.get("url"), flags["json"] or bool(ctx.obj and ctx.obj.get("json")))
        return func(flags["state"], *args, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return json_option(wrapper)  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="modelyard")
@click.option("--url", envvar="MODELYARD_URL", help="API base URL (default: the one you logged in to).")
@json_option
@click.pass_context
def cli(ctx: click.Context, url: str | None) -> None:
    """Modelyard from the command line: upload, analyse, train and predict.

    Exit codes: 0 ok, 1 usage error, 2 API error, 3 job failed or cancelled.
    """
    ctx.ensure_object(dict)["url"] = url


@cli.command()
@click.option("--email", envvar="MODELYARD_EMAIL", help="Account email (asked when not given).")
@click.option("--password", envvar="MODELYARD_PASSWORD", help="Account password (asked when not given).")
@click.option(
    "--api-key",
    help="Store this API key (myk_...) instead of logging in with a password; `-` reads it from stdin.",
)
@click.option("--register", is_flag=True, help="Create the account first.")
@pass_state
def login(state: State, email: str | None, password: str | None, api_key: str | None, register: bool) -> None:
    """Log in with email and password, or store an API key; kept in the config directory (mode 0600)."""
    if api_key:
        _store_key(state, sys.stdin.read().strip() if api_key == "-" else api_key)
        return
    email = email or click.prompt("Email", err=True)
    password = password or click.prompt("Password", hide_input=True, err=True)
    client = state.client(auth=False)
    if register:
        client.register(email, password)
    token = client.login(email, password)
    state.config.token, state.config.api_key = token.access_token, None
    state.config.email = email
    path = cfg.save(state.config)
    if state.out.json:
        state.out.emit({"email": email, "url": state.config.url, "config": str(path)})
    else:
        state.out.line(f"Logged in to {state.config.url} as {email} (token stored in {path})")


def _store_key(state: State, key: str) -> None:
    if not key.startswith(API_KEY_PREFIX):
        raise click.BadParameter(f"an API key starts with {API_KEY_PREFIX}", param_hint="--api-key")
    state.config.api_key, state.config.token, state.config.email = key, None, None
    path = cfg.save(state.config)
    if state.out.json:
        state.out.emit({"api_key_prefix": key[:12], "url": state.config.url, "config": str(path)})
    else:
        state.out.line(f"Stored the API key for {state.config.url} in {path}")


@cli.command()
@pass_state
def logout(state: State) -> None:
    """Forget the stored token or API key."""
    state.config.token = state.config.api_key = None
    for name in ("MODELYARD_TOKEN", "MODELYARD_API_KEY"):
        os.environ.pop(name, None)
    path = cfg.save(state.config)
    state.out.emit({"config": str(path)}) if state.out.json else state.out.line("Logged out")


@cli.command()
@pass_state
def whoami(state: State) -> None:
    """Show the account the stored token belongs to."""
    user = state.client().me()
    state.out.emit(user) if state.out.json else state.out.line(
        f"{user.email} ({user.id}) at {state.config.url}"
    )


def register_commands() -> None:
    from modelyard_client.cli import api_keys, datasets, models, predict, train

    cli.add_command(datasets.datasets)
    cli.add_command(models.models)
    cli.add_command(train.train)
    cli.add_command(train.analyse)
    cli.add_command(predict.predict)
    cli.add_command(api_keys.api_keys)


register_commands()
