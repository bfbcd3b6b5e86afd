"""`run_automl`: from a table and a target to the best fitted pipeline, within a time budget."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sklearn.pipeline import Pipeline

from modelyard.domain.training.automl.blending import greedy_ensemble
from modelyard.domain.training.automl.data import TrainingSplit, split_training_data
from modelyard.domain.training.automl.evaluation import permutation_importance, refit_and_test, shap_summary
from modelyard.domain.training.automl.leakage import check_test_score
from modelyard.domain.training.automl.search import CandidateSearch, Evaluation, halving_rungs, leaderboard
from modelyard.domain.training.automl.space import (
    DEFAULT_METRIC,
    LOWER_IS_BETTER,
    AutoMLOptions,
    Metric,
    allowed_configurations,
)
from modelyard.domain.training.automl.tuning import Tuner
from modelyard.lib.jobs import JobControl
from modelyard.lib.schema import ProblemType
from modelyard.ml.drift import model_reference
from modelyard.ml.explain import encoded_means
from modelyard.ml.features import TrainingSchema

# The search stops at this share of the budget: preparation, refit and importance need the rest.
SEARCH_SHARE = 0.9
BUDGET_GRACE = 0.1
"""The job may take the budget + this share of it, refit and explanations included."""


@dataclass
class AutoMLResult:
    pipeline: Pipeline
    schema: TrainingSchema
    problem_type: ProblemType
    metric: Metric
    greater_is_better: bool
    algorithm: str
    """A family, or `ensemble` (its members in `params["members"]`)."""
    params: dict[str, Any]
    cv_score: float
    cv_std: float
    leaderboard: list[dict[str, Any]]
    test_metrics: dict[str, float]
    confusion: dict[str, Any] | None
    residuals: dict[str, float] | None
    feature_importance: list[dict[str, Any]]
    leakage_findings: list[dict[str, Any]]
    """The column screen's findings, then the test score's (see `leakage`)."""
    explanation_means: list[float] | None
    """Linear models: each encoded feature's training mean, the base of their explanations."""
    shap_summary: dict[str, Any] | None
    search_stop: dict[str, Any]
    """When and why the search stopped (`tuning.SearchStop`)."""
    score_history: list[dict[str, Any]]
    """The best cross-validated score over time."""
    drift_reference: dict[str, Any]
    """The training split's profile and the held-out outputs' distribution (`ml.drift`), no rows."""
    rows_train: int
    rows_test: int
    search_seconds: float
    total_seconds: float


def _explanations(
    pipeline: Pipeline, split: TrainingSplit, finish: float
) -> tuple[list[float] | None, dict[str, Any] | None]:
    """The linear base (training means) and the SHAP summary, within 40% of the time left."""
    means = encoded_means(pipeline, split.X_train)
    deadline = time.monotonic() + 0.4 * max(0.0, finish - time.monotonic())
    return means, shap_summary(pipeline, split.X_test, means, deadline)


def _reference(pipeline: Pipeline, split: TrainingSplit) -> dict[str, Any]:
    """The monitoring reference: the training split's profile, the held-out outputs' distribution."""
    return model_reference(pipeline, split.schema, split.X_train, split.X_test, "training_split")


def _search(
    split: TrainingSplit, options: AutoMLOptions, metric: Metric, control: JobControl, started: float
) -> tuple[CandidateSearch, dict[str, Any], tuple[str, dict[str, Any], float, float]]:
    """The portfolio, tuning, then the ensemble: (the search, why it stopped, the winner's
    algorithm, params, cv score and std)."""
    configs, allowed = allowed_configurations(options, split.problem)
    search = CandidateSearch(
        split=split,
        metric=metric,
        greater=metric not in LOWER_IS_BETTER,
        seed=options.random_seed,
        started=started,
        deadline=started + options.time_budget_s * SEARCH_SHARE,
        budget_s=options.time_budget_s,
        control=control,
    )
    rungs = halving_rungs(len(split.X_train))
    search.run(configs, rungs)
    tuner = Tuner(search, allowed, rungs, first_index=len(configs))
    stop = tuner.run().as_dict()
    _add_ensemble(search, tuner.next_index)
    search.stopped_at = time.monotonic()
    return search, stop, search.best(configs, allowed)


def _add_ensemble(search: CandidateSearch, index: int) -> None:
    """Build the greedy ensemble of configurations whose refit fits in 70% of the time left (the
    rest is for the explanations); it joins the leaderboard (and wins) when it beats the best
    configuration on the same folds."""
    finish = search.started + search.budget_s

    def affordable(members: list[Evaluation]) -> bool:
        left = finish - time.monotonic()
        return sum(search.refit_seconds(member) for member in members) <= 0.7 * left

    choice = greedy_ensemble(search, search.started + search.budget_s * SEARCH_SHARE, affordable)
    if choice is None:
        return
    members = [
        {"candidate": ev.index, "algorithm": ev.algorithm, "params": ev.params, "weight": round(w, 6)}
        for ev, w in zip(choice.members, choice.weights, strict=True)
    ]
    ev = Evaluation(index, "ensemble", {"members": members}, len(search.split.X_train), stage="ensemble")
    ev.score, ev.std, ev.members = choice.score, choice.std, members
    search.evaluations.append(ev)
    search.record(ev)


def run_automl(data: Any, options: AutoMLOptions, control: JobControl | None = None) -> AutoMLResult:
    """Search, refit and evaluate. Raises TrainingDataError for unusable data."""
    control = control or JobControl()
    started = time.monotonic()
    split = split_training_data(data, options)
    metric: Metric = options.metric or DEFAULT_METRIC[split.problem]
    greater = metric not in LOWER_IS_BETTER
    search, stop, (algorithm, params, cv_score, cv_std) = _search(split, options, metric, control, started)
    search_seconds = time.monotonic() - started

    control.check()
    search.publish("Refitting the best pipeline", search_stop=stop)
    tested = refit_and_test(split, algorithm, params, options.random_seed)
    leakage = split.leakage + check_test_score(split.problem, tested.test_metrics, split.y_test)
    control.check()
    search.publish("Explaining the model", search_stop=stop)
    finish = started + options.time_budget_s
    # The SHAP summary may use part of the 10 % grace: a refit that ran late (a busy machine)
    # should not cost the model its summary.
    means, summary = _explanations(tested.pipeline, split, finish + BUDGET_GRACE * options.time_budget_s)
    control.check()
    search.publish("Computing feature importance", search_stop=stop)
    importance = permutation_importance(
        tested.pipeline, split.X_test, split.y_test, metric, greater, options.random_seed, deadline=finish
    )
    return AutoMLResult(
        pipeline=tested.pipeline,
        schema=split.schema,
        problem_type=split.problem,
        metric=metric,
        greater_is_better=greater,
        algorithm=algorithm,
        params=params,
        cv_score=cv_score,
        cv_std=cv_std,
        leaderboard=leaderboard(search.evaluations, metric, greater),
        test_metrics=tested.test_metrics,
        confusion=tested.confusion,
        residuals=tested.residuals,
        feature_importance=importance,
        leakage_findings=[finding.as_dict() for finding in leakage],
        explanation_means=means,
        shap_summary=summary,
        search_stop=stop,
        score_history=search.history,
        drift_reference=_reference(tested.pipeline, split),
        rows_train=len(split.X_train),
        rows_test=len(split.X_test),
        search_seconds=search_seconds,
        total_seconds=time.monotonic() - started,
    )
