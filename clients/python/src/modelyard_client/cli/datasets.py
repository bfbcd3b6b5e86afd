"""`modelyard datasets upload|list|show|profile|preview|delete`."""

from __future__ import annotations

from pathlib import Path

import click

from modelyard_client import models as m
from modelyard_client.cli.app import State, pass_state
from modelyard_client.cli.output import Out, percent


@click.group()
def datasets() -> None:
    """Upload and inspect datasets."""


def print_profile(out: Out, dataset: m.Dataset, profile: m.DatasetProfile) -> None:
    out.line(
        f"Dataset {dataset.id}  {dataset.name}  ({dataset.format}, {profile.rows} rows, "
        f"{profile.columns} columns, {dataset.size_bytes} bytes)"
    )
    rows = [
        (
            c.name,
            c.semantic_type,
            c.physical_type,
            percent(c.null_ratio),
            c.distinct_count,
            ", ".join(f"{p.kind} ({p.confidence})" for p in c.pii),
        )
        for c in profile.column_profiles
    ]
    out.table("Columns", ["column", "type", "storage", "missing", "distinct", "PII"], rows)
    if profile.findings:
        out.table(
            "Quality findings",
            ["severity", "finding", "columns"],
            [(f.severity, f.message, ", ".join(f.columns)) for f in profile.findings],
        )
    else:
        out.line("No quality findings.")
    pii = [c.name for c in profile.column_profiles if c.pii]
    out.line(f"PII: {', '.join(pii)}" if pii else "PII: none detected")


@datasets.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="Display name (default: the file name).")
@click.option("--description", help="Free-text description.")
@pass_state
def upload(state: State, file: Path, name: str | None, description: str | None) -> None:
    """Upload FILE (CSV, TSV, Excel, Parquet, JSON Lines), then print its profile."""
    client = state.client()
    with state.out.transfer(f"Uploading {file.name}") as progress:
        dataset = client.datasets.upload(file, name=name, description=description, progress=progress)
    profile = client.datasets.profile(dataset.id)
    if state.out.json:
        state.out.emit({"dataset": dataset, "profile": profile})
        return
    print_profile(state.out, dataset, profile)


@datasets.command("list")
@click.option("--name", help="Only datasets whose name contains this.")
@click.option("--limit", default=50, show_default=True, help="Most datasets to list.")
@pass_state
def list_(state: State, name: str | None, limit: int) -> None:
    """List your datasets, newest first."""
    items = []
    for dataset in state.client().datasets.iter(name=name):
        items.append(dataset)
        if len(items) >= limit:
            break
    if state.out.json:
        state.out.emit(items)
        return
    state.out.table(
        None,
        ["id", "name", "format", "rows", "columns", "created"],
        [(d.id, d.name, d.format, d.rows, d.columns, f"{d.created_at:%Y-%m-%d %H:%M}") for d in items],
    )


@datasets.command()
@click.argument("dataset_id")
@pass_state
def show(state: State, dataset_id: str) -> None:
    """Show one dataset."""
    dataset = state.client().datasets.get(dataset_id)
    if state.out.json:
        state.out.emit(dataset)
        return
    for field in (
        "id",
        "name",
        "description",
        "filename",
        "format",
        "rows",
        "columns",
        "size_bytes",
        "encoding",
        "delimiter",
        "sha256",
        "created_at",
        "duplicate_of",
    ):
        state.out.line(f"{field:12} {getattr(dataset, field)}")


@datasets.command()
@click.argument("dataset_id")
@pass_state
def profile(state: State, dataset_id: str) -> None:
    """Print the profile: columns, types, quality findings, PII."""
    client = state.client()
    dataset, found = client.datasets.get(dataset_id), client.datasets.profile(dataset_id)
    state.out.emit(found) if state.out.json else print_profile(state.out, dataset, found)


@datasets.command()
@click.argument("dataset_id")
@click.option("--rows", "limit", default=10, show_default=True, help="Rows to show.")
@click.option("--offset", default=0, help="Rows to skip.")
@pass_state
def preview(state: State, dataset_id: str, limit: int, offset: int) -> None:
    """Print the first rows."""
    page = state.client().datasets.preview(dataset_id, offset=offset, limit=limit)
    if state.out.json:
        state.out.emit(page)
        return
    state.out.table(None, page.columns, page.rows)


@datasets.command()
@click.argument("dataset_id")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def delete(state: State, dataset_id: str, yes: bool) -> None:
    """Delete a dataset (and what was derived from it)."""
    if not yes and not state.out.json:
        click.confirm(f"Delete dataset {dataset_id}?", abort=True, err=True)
    state.client().datasets.delete(dataset_id)
    state.out.emit({"deleted": dataset_id}) if state.out.json else state.out.line(f"Deleted {dataset_id}")
