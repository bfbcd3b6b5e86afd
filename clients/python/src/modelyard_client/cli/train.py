"""`modelyard train` (live leaderboard, progress against the budget) and `modelyard analyse`."""

from __future__ import annotations

import sys
import time
from typing import Any

import click
from rich.console import Group
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from modelyard_client import models as m
from modelyard_client.cli.app import State, pass_state
from modelyard_client.cli.output import Out, number, percent, print_leakage
from modelyard_client.errors import JobFailed
from modelyard_client.jobs import Job, JobEvent

METRICS = ["roc_auc", "f1_macro", "log_loss", "accuracy", "rmse", "mae", "r2"]


def leaderboard_rows(job: m.TrainingJob) -> list[tuple[Any, ...]]:
    ranked = sorted(job.candidates, key=lambda c: (c.rank is None, c.rank or 0))
    return [
        (
            c.rank or "-",
            c.algorithm,
            number(c.cv_score),
            number(c.cv_std, 2),
            f"{c.fit_seconds:.2f}s",
            c.status,
        )
        for c in ranked
    ]


def _table(job: m.TrainingJob) -> Table:
    table = Table(title=f"Leaderboard ({job.metric or 'metric'})")
    for header in ("rank", "algorithm", "cv score", "± std", "fit", "status"):
        table.add_column(header)
    for row in leaderboard_rows(job)[:10]:
        table.add_row(*(str(v) for v in row))
    return table


def _plain_event(out: Out, event: JobEvent[m.TrainingJob]) -> None:
    job = event.job
    best = next((c for c in job.candidates if c.rank == 1), None)
    lead = f", best {best.algorithm} {job.metric} {number(best.cv_score)}" if best else ""
    out.info(
        f"{job.status} {percent(job.progress)} {len(job.candidates)} candidates{lead}"
        + (f" - {job.message}" if job.message else "")
    )


def _watch_live(out: Out, job: Job[m.TrainingJob], budget: int) -> m.TrainingJob:
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TextColumn(f"of {budget}s budget"),
    )
    task = bar.add_task("Training", total=1.0)
    with Live(Group(_table(job.state), bar), console=out.err, refresh_per_second=4) as live:
        for event in job.events(poll_interval=0.5):
            bar.update(task, completed=event.progress, description=event.job.message or "Training")
            live.update(Group(_table(event.job), bar))
    return job.state


def _interrupted(out: Out, job: Job[m.TrainingJob]) -> None:
    """Ctrl-C: cancel the job or detach from it (detach without asking when nobody can answer)."""
    choice = "d"
    if sys.stdin.isatty():
        choice = click.prompt(
            "\nCancel the training job or detach from it?",
            type=click.Choice(["c", "d"]),
            default="d",
            show_choices=True,
            err=True,
        )
    if choice == "c":
        job.cancel()
        out.info(f"Cancelling training job {job.id}.")
        raise JobFailed("training job", job.id, "cancelled", None)
    out.info(f"Detached; training job {job.id} keeps running (check: modelyard train --attach {job.id}).")
    raise click.exceptions.Exit(0)


@click.command()
@click.argument("dataset_id", required=False)
@click.option("--target", help="Column to predict.")
@click.option("--budget", default=60, show_default=True, help="Search time budget, in seconds.")
@click.option("--metric", type=click.Choice(METRICS), help="Metric to optimise (default: by problem type).")
@click.option("--exclude", multiple=True, help="Column not to use as a feature (repeatable).")
@click.option("--attach", "job_id", help="Watch an existing training job instead of starting one.")
@pass_state
def train(
    state: State,
    dataset_id: str | None,
    target: str | None,
    budget: int,
    metric: str | None,
    exclude: tuple[str, ...],
    job_id: str | None,
) -> None:
    """Train models on DATASET_ID for --target, showing a live leaderboard."""
    client, out = state.client(), state.out
    if job_id:
        job = client.training.job(job_id)
    elif dataset_id and target:
        options: dict[str, Any] = {"exclude_columns": list(exclude)} if exclude else {}
        job = client.training.create(dataset_id, target, time_budget_s=budget, metric=metric, **options)
        out.info(f"Training job {job.id} started ({budget}s budget).")
    else:
        raise click.UsageError("give DATASET_ID and --target, or --attach JOB_ID")
    started = time.monotonic()
    try:
        if out.live:
            final = _watch_live(out, job, budget)
        else:
            last = None
            for event in job.events(poll_interval=0.5):
                if event.job is not last:  # one line per change, not per kind of change
                    _plain_event(out, event)
                last = event.job
            final = job.state
    except KeyboardInterrupt:
        _interrupted(out, job)
        return
    _report(out, final, time.monotonic() - started)


def _report(out: Out, job: m.TrainingJob, seconds: float) -> None:
    if out.json:
        out.emit(job)
    else:
        out.table(
            f"Leaderboard ({job.metric})",
            ["rank", "algorithm", "cv score", "± std", "fit", "status"],
            leaderboard_rows(job),
        )
        print_leakage(out, job.leakage_findings)
        if job.status == "succeeded":
            out.line(
                f"Model {job.model_id} trained in {seconds:.1f}s "
                f"(predict with: modelyard predict {job.model_id} --input FILE)"
            )
    if job.status != "succeeded":
        raise JobFailed("training job", job.id, job.status, job.error)


@click.command()
@click.argument("dataset_id")
@click.option("--target", help="The column you intend to predict, if you know it.")
@pass_state
def analyse(state: State, dataset_id: str, target: str | None) -> None:
    """Analyse a dataset and print the findings as text."""
    job = state.client().datasets.analyse(dataset_id, target=target)
    state.out.info(f"Analysis {job.id} started.")
    analysis = job.wait(poll_interval=0.5)
    if state.out.json:
        state.out.emit(analysis)
        return
    print_analysis(state.out, analysis)


def print_analysis(out: Out, analysis: m.Analysis) -> None:
    result = analysis.result
    if result is None:
        out.line("The analysis has no result.")
        return
    out.line(result.overview)
    for title, lines in (
        ("Findings", [f"[{f.severity}] {f.title}: {f.detail}" for f in result.findings]),
        ("Targets", [f"{t.column} ({t.problem_type}): {t.reason}" for t in result.target_suggestions]),
        ("Leave out", [f"{c.column} ({c.reason_code}): {c.reason}" for c in result.exclude_columns]),
        ("Preprocessing", [f"{p.action} {', '.join(p.columns)}: {p.reason}" for p in result.preprocessing]),
        ("Caveats", result.caveats),
    ):
        if lines:
            out.line("")
            out.line(title)
            for line in lines:
                out.line(f"  - {line}")
