"""The tuning phase: after the portfolio, Optuna's TPE over each family's space until the budget
is spent or the search has converged.

Which family gets the next trial: the families are ranked by their best cross-validated score so
far (the portfolio's, then the trials'); two trials in three go to the leader and one to the
runner-up, so a family that the portfolio underrated can still overtake. Each family has its own
TPE study, told the portfolio's configurations that lie in its space before it samples.

On larger data (more than one halving rung) a trial is cross-validated on the first rung's rows
and moves up a rung while it ranks in the best third of that rung's scores, as in the portfolio's
successive halving.

The search has converged when the best score on the whole training split has not improved by
more than `CONVERGENCE_TOLERANCE` (relative) over the last `CONVERGENCE_TRIALS` trials.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import TrialState, create_trial

from modelyard.domain.training.automl.hyperparameters import distributions, known_params
from modelyard.domain.training.automl.search import CandidateSearch, Evaluation
from modelyard.domain.training.automl.space import Algorithm

CONVERGENCE_TRIALS = 30
CONVERGENCE_TOLERANCE = 5e-4
RUNNER_UP_EVERY = 3
"""Every third trial goes to the runner-up family."""

StopReason = Literal["budget_spent", "converged", "nothing_to_tune"]


@dataclass
class SearchStop:
    """When and why the search stopped (shown on the job and the model)."""

    reason: StopReason
    detail: str
    trials: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "detail": self.detail,
            "tuning_trials": self.trials,
            "seconds": round(self.seconds, 3),
        }


class Tuner:
    """Runs TPE trials on `search` until its deadline or convergence."""

    def __init__(
        self, search: CandidateSearch, allowed: set[str], rungs: list[int], first_index: int
    ) -> None:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.search = search
        self.rungs = rungs
        self.spaces: dict[str, dict[str, BaseDistribution]] = {}
        for algorithm in sorted(allowed):
            space = distributions(algorithm, search.split.problem)
            if space:
                self.spaces[algorithm] = space
        self.studies: dict[str, optuna.Study] = {}
        self.trials = 0
        self.next_index = first_index
        """Trials are numbered after the portfolio's configurations."""

    def run(self) -> SearchStop:
        search = self.search
        best = self._best_full_score()
        since_improvement = 0
        while True:
            families = self._ranked_families()
            if not families:
                return self._stop("nothing_to_tune", "no family with a tunable space was scored")
            search.control.check()
            if time.monotonic() >= search.search_deadline():
                return self._budget_spent()
            runner_up = self.trials % RUNNER_UP_EVERY == RUNNER_UP_EVERY - 1 and len(families) > 1
            family = families[1] if runner_up else families[0]
            finished = self._trial(family)
            if not finished:
                return self._budget_spent()
            self.trials += 1
            score = self._best_full_score()
            if _improved(score, best, search.greater):
                best, since_improvement = score, 0
            else:
                since_improvement += 1
            search.publish(f"Tuning: trial {self.trials} ({family})")
            if since_improvement >= CONVERGENCE_TRIALS:
                return self._stop(
                    "converged",
                    f"the best cross-validated score did not improve by more than "
                    f"{CONVERGENCE_TOLERANCE:.2%} over the last {CONVERGENCE_TRIALS} trials",
                )

    def _budget_spent(self) -> SearchStop:
        return self._stop(
            "budget_spent",
            "the time budget ran out (the best configuration's refit and the explanations use the rest)",
        )

    def _stop(self, reason: StopReason, detail: str) -> SearchStop:
        return SearchStop(reason, detail, self.trials, time.monotonic() - self.search.started)

    def _best_full_score(self) -> float:
        best = self.search.best_evaluation()
        if best is None or best.rows < self.rungs[-1]:
            return math.nan
        return best.score

    def _ranked_families(self) -> list[str]:
        """Tunable families that have a score, best first (by their best score on their most rows)."""
        best: dict[str, tuple[int, float]] = {}
        for ev in self.search.evaluations:
            if ev.status != "ok" or ev.algorithm not in self.spaces:
                continue
            signed = ev.score if self.search.greater else -ev.score
            key = (ev.rows, signed)
            best[ev.algorithm] = max(best.get(ev.algorithm, key), key)
        return sorted(best, key=lambda family: best[family], reverse=True)

    def _study(self, family: str) -> optuna.Study:
        study = self.studies.get(family)
        if study is not None:
            return study
        search = self.search
        sampler = optuna.samplers.TPESampler(seed=search.seed, n_startup_trials=5, multivariate=True)
        study = optuna.create_study(direction="maximize" if search.greater else "minimize", sampler=sampler)
        space = self.spaces[family]
        for ev in search.evaluations:
            if ev.algorithm != family or ev.status != "ok" or ev.rows != _most_rows(search, family):
                continue
            point = known_params(ev.params, space)
            if point is not None:
                study.add_trial(
                    create_trial(params=point, distributions={k: space[k] for k in point}, value=ev.score)
                )
        self.studies[family] = study
        return study

    def _trial(self, family: str) -> bool:
        """One trial of `family`, up the halving rungs while it stays in the best third; False when
        the budget ran out before it could be scored."""
        study = self._study(family)
        trial = study.ask(self.spaces[family])
        params = dict(trial.params)
        algorithm: Algorithm = family  # type: ignore[assignment]
        index = self.next_index
        self.next_index += 1
        ev: Evaluation | None = None
        for rows in self.rungs:
            ev = self.search.evaluate(index, algorithm, params, rows, stage="tuning")
            if ev.status != "ok" or not self._promoted(ev):
                break
        assert ev is not None
        if ev.status in ("skipped", "stopped"):
            study.tell(trial, state=TrialState.FAIL)
            return False
        if ev.status == "ok":
            study.tell(trial, ev.score)
        else:
            study.tell(trial, state=TrialState.FAIL)
        return True

    def _promoted(self, ev: Evaluation) -> bool:
        """Whether `ev` ranks in the best third of the scores on its rows (never past the last rung)."""
        if ev.rows >= self.rungs[-1]:
            return False
        scores = sorted(
            (e.score for e in self.search.evaluations if e.status == "ok" and e.rows == ev.rows),
            reverse=self.search.greater,
        )
        keep = max(1, math.ceil(len(scores) / 3))
        return scores.index(ev.score) < keep


def _most_rows(search: CandidateSearch, family: str) -> int:
    return max(
        (ev.rows for ev in search.evaluations if ev.algorithm == family and ev.status == "ok"), default=0
    )


def _improved(score: float, best: float, greater: bool) -> bool:
    if math.isnan(score):
        return False
    if math.isnan(best):
        return True
    margin = CONVERGENCE_TOLERANCE * max(abs(best), 1e-12)
    return score > best + margin if greater else score < best - margin
