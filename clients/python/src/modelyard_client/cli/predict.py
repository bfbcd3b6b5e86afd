"""`modelyard predict MODEL --input FILE|-`: online for a few records, a batch job for more."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from modelyard_client import models as m
from modelyard_client.cli.app import State, pass_state
from modelyard_client.cli.output import Out
from modelyard_client.client import Client
from modelyard_client.jobs import JobEvent


def _coerce(value: str) -> Any:
    """CSV cells are text; send numbers as numbers and empty cells as missing."""
    if value == "":
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def read_records(data: bytes, name: str) -> list[dict[str, Any]] | None:
    """Records of a JSON array, JSON Lines or CSV input; None when it is another format (batch only)."""
    suffix = Path(name).suffix.lower()
    if suffix in (".parquet", ".xlsx"):
        return None
    text = data.decode("utf-8-sig")
    stripped = text.lstrip()
    if suffix == ".json" or stripped.startswith("["):
        loaded = json.loads(text)
        return [loaded] if isinstance(loaded, dict) else list(loaded)
    if suffix == ".jsonl" or stripped.startswith("{"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return [{k: _coerce(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def online_rows(records: list[dict[str, Any]], answer: m.PredictionResponse) -> list[dict[str, Any]]:
    rows = []
    for record, scored in zip(records, answer.predictions, strict=True):
        row = {**record, "prediction": scored.prediction}
        for label, p in sorted((scored.probabilities or {}).items()):
            row[f"probability_{label}"] = p
        if scored.errors:
            row["errors"] = "; ".join(scored.errors)
        rows.append(row)
    return rows


def write_rows(rows: list[dict[str, Any]], fmt: str, output: Path | None) -> None:
    stream = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        if fmt == "json":
            json.dump(rows, stream, default=str)
            stream.write("\n")
            return
        fields = list(dict.fromkeys(k for row in rows for k in row))
        writer = csv.DictWriter(stream, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    finally:
        if output:
            stream.close()


def _batch(client: Client, out: Out, model_id: str, source: Path | io.BytesIO, result: io.BytesIO) -> None:
    with out.transfer("Uploading rows") as progress:
        job = client.models.batch_predict(model_id, source, progress=progress, filename=_name(source))
    out.info(f"Batch prediction {job.id} started ({job.state.input_rows} rows).")
    if out.live:
        with Progress(
            TextColumn("Scoring"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=out.err,
        ) as bar:
            task = bar.add_task("Scoring", total=1.0)
            job.wait(on_event=lambda e: bar.update(task, completed=e.progress))
    else:
        seen: list[object] = []

        def line(e: JobEvent[m.BatchPredictionJob]) -> None:
            if not seen or seen[-1] is not e.job:  # one line per change, not per kind of change
                out.info(f"batch {e.status} {e.progress:.0%} {e.job.rows_scored} rows scored")
            seen[:] = [e.job]

        job.wait(on_event=line)
    client.batch_predictions.download_result(job.id, result)


def _name(source: Path | io.BytesIO) -> str:
    return source.name if isinstance(source, Path) else "stdin.csv"


@click.command()
@click.argument("model_id")
@click.option(
    "--input", "input_", required=True, help="Rows to score: a CSV/JSON/JSON Lines file, or - for stdin."
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default stdout)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), help="Output format (default: from --output)."
)
@click.option(
    "--online-limit", default=1000, show_default=True, help="More rows than this run as a batch job."
)
@pass_state
def predict(
    state: State, model_id: str, input_: str, output: Path | None, fmt: str | None, online_limit: int
) -> None:
    """Score rows with MODEL_ID; writes the rows with `prediction` (and `probability_<class>`)."""
    fmt = fmt or ("json" if state.out.json or (output and output.suffix == ".json") else "csv")
    client = state.client()
    if input_ == "-":
        data, source = sys.stdin.buffer.read(), None
    else:
        path = Path(input_)
        if not path.is_file():
            raise click.UsageError(f"no such file: {input_}")
        data, source = path.read_bytes(), path
    records = read_records(data, input_)
    if records is not None and len(records) <= online_limit:
        answer = client.models.predict(model_id, records)
        state.out.info(f"Scored {answer.scored} rows online ({answer.failed} failed).")
        write_rows(online_rows(records, answer), fmt, output)
        return
    result = io.BytesIO()
    _batch(client, state.out, model_id, source or io.BytesIO(data), result)
    rows = list(csv.DictReader(io.StringIO(result.getvalue().decode("utf-8"))))
    if fmt == "csv" and output:
        output.write_bytes(result.getvalue())
    elif fmt == "csv":
        sys.stdout.write(result.getvalue().decode("utf-8"))
    else:
        write_rows(rows, fmt, output)
    state.out.info(f"Scored {len(rows)} rows in a batch job.")
