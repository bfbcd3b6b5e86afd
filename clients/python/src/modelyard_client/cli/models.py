"""`modelyard models list|show|promote|delete`."""

from __future__ import annotations

import click

from modelyard_client.cli.app import State, pass_state
from modelyard_client.cli.output import number, print_leakage


@click.group()
def models() -> None:
    """Inspect, promote and delete trained models."""


@models.command("list")
@click.option("--dataset", "dataset_id", help="Only models trained on this dataset.")
@click.option("--stage", type=click.Choice(["none", "staging", "production", "archived"]))
@pass_state
def list_(state: State, dataset_id: str | None, stage: str | None) -> None:
    """List your models."""
    items = list(state.client().models.iter(dataset_id=dataset_id, stage=stage))
    if state.out.json:
        state.out.emit(items)
        return
    state.out.table(
        None,
        ["id", "name", "stage", "algorithm", "metric", "cv score", "target"],
        [(x.id, x.name, x.stage, x.algorithm, x.metric, number(x.cv_score), x.target) for x in items],
    )


@models.command()
@click.argument("model_id")
@pass_state
def show(state: State, model_id: str) -> None:
    """Show a model: scores, features, leaderboard."""
    model = state.client().models.get(model_id)
    if state.out.json:
        state.out.emit(model)
        return
    out = state.out
    out.line(f"Model {model.id}  {model.name}  [{model.stage}]")
    out.line(
        f"{model.problem_type} on target {model.target!r}, {model.algorithm}, {model.metric} "
        f"cv {number(model.cv_score)} ± {number(model.cv_std, 2)}"
    )
    out.line("Held-out: " + ", ".join(f"{k} {number(v)}" for k, v in sorted(model.test_metrics.items())))
    out.line("Features: " + ", ".join(f.name for f in model.training_schema.features))
    print_leakage(out, model.leakage_findings)
    top = sorted(model.feature_importance, key=lambda f: -f.importance)[:10]
    if top:
        out.table(
            "Feature importance", ["feature", "importance"], [(f.feature, number(f.importance)) for f in top]
        )


@models.command()
@click.argument("model_id")
@click.option(
    "--stage",
    default="production",
    show_default=True,
    type=click.Choice(["none", "staging", "production", "archived"]),
)
@click.option(
    "--acknowledge-leakage",
    is_flag=True,
    help="Promote to production despite the model's leakage findings (see `models show`).",
)
@pass_state
def promote(state: State, model_id: str, stage: str, acknowledge_leakage: bool) -> None:
    """Move a model to a lifecycle stage."""
    model = state.client().models.promote(model_id, stage, acknowledge_leakage=acknowledge_leakage)
    state.out.emit(model) if state.out.json else state.out.line(f"Model {model.id} is now {model.stage}")


@models.command()
@click.argument("model_id")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def delete(state: State, model_id: str, yes: bool) -> None:
    """Delete a model."""
    if not yes and not state.out.json:
        click.confirm(f"Delete model {model_id}?", abort=True, err=True)
    state.client().models.delete(model_id)
    state.out.emit({"deleted": model_id}) if state.out.json else state.out.line(f"Deleted {model_id}")
