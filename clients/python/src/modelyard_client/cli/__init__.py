"""The `modelyard` command line: the whole journey (login, upload, analyse, train, predict).

Exit codes: 0 ok, 1 usage error (bad arguments, not logged in, unreadable file), 2 the API
answered with an error (or could not be reached), 3 a job failed or was cancelled.
"""

from __future__ import annotations

import sys

import click

from modelyard_client.cli.app import cli
from modelyard_client.cli.output import EXIT_API, EXIT_JOB, EXIT_USAGE
from modelyard_client.errors import ApiError, JobFailed, RateLimited, TransportError, Unauthorized


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the documented exit code (click's own usage errors become 1)."""
    try:
        cli.main(args=argv, prog_name="modelyard", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except JobFailed as exc:
        click.echo(f"modelyard: {exc}", err=True)
        return EXIT_JOB
    except ApiError as exc:
        click.echo(f"modelyard: {exc}", err=True)
        for error in exc.errors:
            click.echo(f"  {error.location or '-'}: {error.message}", err=True)
        if isinstance(exc, Unauthorized):
            click.echo("  Log in again: modelyard login", err=True)
        elif isinstance(exc, RateLimited) and exc.retry_after is not None:
            click.echo(f"  Try again in {exc.retry_after:g} s.", err=True)
        return EXIT_API
    except TransportError as exc:
        click.echo(f"modelyard: {exc}", err=True)
        return EXIT_API
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    return 0


def run() -> None:
    sys.exit(main())


__all__ = ["cli", "main", "run"]
