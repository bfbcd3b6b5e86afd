"""The search: configurations cross-validated within a deadline, raced by successive halving.

On larger data all configurations are cross-validated on a subsample, the best third
moves on to three times the rows, up to the full training split. The deadline is checked
between folds; a configuration whose estimated cost no longer fits is skipped. The deadline
moves earlier as the best configuration gets more expensive: the time its refit on the whole
training split is expected to take is kept back (`refit_reserve`), so the budget holds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold

from modelyard.domain.training.automl.data import TrainingSplit, subsample
from modelyard.domain.training.automl.hyperparameters import relative_cost
from modelyard.domain.training.automl.metrics import metric_value, predictions
from modelyard.domain.training.automl.pipelines import build_pipeline
from modelyard.domain.training.automl.space import Algorithm, Configuration, Metric
from modelyard.lib.jobs import JobControl

HALVING_MIN_ROWS = 600
HALVING_FROM_ROWS = 3000
KEPT_OUT_OF_FOLD = 30
"""Out-of-fold outputs kept for the ensemble: the best configurations' (memory stays bounded)."""


class _Deadline(Exception):
    pass


@dataclass
class Evaluation:
    """One configuration cross-validated on `rows` training rows (a leaderboard row)."""

    index: int
    algorithm: str
    params: dict[str, Any]
    rows: int
    score: float = math.nan
    std: float = math.nan
    fit_seconds: float = 0.0
    status: str = "ok"
    detail: str | None = None
    stage: str = "portfolio"
    oof: np.ndarray[Any, Any] | None = field(default=None, repr=False)
    """Out-of-fold raw outputs on the whole training split (n, K): margins or predictions."""
    members: list[dict[str, Any]] | None = None
    """An ensemble's members: candidate, algorithm and weight of each."""

    def as_dict(self, metric: Metric) -> dict[str, Any]:
        return {
            "rank": None,
            "candidate": self.index,
            "algorithm": self.algorithm,
            "params": self.params,
            "rows": self.rows,
            "metric": metric,
            "cv_score": None if math.isnan(self.score) else self.score,
            "cv_std": None if math.isnan(self.std) else self.std,
            "fit_seconds": round(self.fit_seconds, 4),
            "status": self.status,
            "detail": self.detail,
            "stage": self.stage,
            "members": self.members,
        }


def leaderboard(evaluations: list[Evaluation], metric: Metric, greater: bool) -> list[dict[str, Any]]:
    """Scored rows ranked (most rows first, then best score), unscored rows after them."""
    rows = [ev.as_dict(metric) for ev in evaluations]
    ranked = sorted(
        (r for r in rows if r["cv_score"] is not None),
        key=lambda r: (-r["rows"], -r["cv_score"] if greater else r["cv_score"]),
    )
    for rank, row in enumerate(ranked, start=1):
        row["rank"] = rank
    return ranked + [r for r in rows if r["cv_score"] is None]


def halving_rungs(n_train: int) -> list[int]:
    """Training rows per round of successive halving: one round on all rows for small data."""
    if n_train >= HALVING_FROM_ROWS:
        return sorted({max(HALVING_MIN_ROWS, n_train // 9), max(HALVING_MIN_ROWS, n_train // 3), n_train})
    return [n_train]


@dataclass
class CandidateSearch:
    """The search's state: every evaluation so far and the measured cost of a fold per (algorithm, rows)."""

    split: TrainingSplit
    metric: Metric
    greater: bool
    seed: int
    started: float
    deadline: float
    budget_s: float
    control: JobControl
    evaluations: list[Evaluation] = field(default_factory=list)
    per_fold_cost: dict[tuple[str, int], float] = field(default_factory=dict)
    """Seconds per fold per (algorithm, rows), per unit of `relative_cost` (the last measured)."""
    history: list[dict[str, Any]] = field(default_factory=list)
    """The best score over time: a point each time the best configuration changes."""
    stopped_at: float | None = None
    """When the search ended (monotonic); until then the budget's end is the estimate."""
    fold_of_row: np.ndarray[Any, Any] | None = None
    """The fold each training row is validated in (the same folds for every configuration)."""
    _fold_numbers: list[Any] = field(default_factory=list)

    def publish(self, note: str, **fields: Any) -> None:
        """Report progress (share of the budget spent), the leaderboard so far, the best score
        over time, the estimated time left and the leakage findings (each report replaces the
        last, so every one carries them)."""
        now = time.monotonic()
        board = leaderboard(self.evaluations, self.metric, self.greater)
        self.control.report(
            min(0.95, (now - self.started) / max(self.budget_s, 1e-9)),
            candidates=board,
            message=note,
            leakage_findings=[finding.as_dict() for finding in self.split.leakage],
            score_history=self.history,
            estimated_seconds_left=round(self.seconds_left(now), 1),
            **fields,
        )

    def seconds_left(self, now: float) -> float:
        """The budget's end while searching; after it, the refit (and explanations, bounded
        likewise) the best configuration is expected to need, never past the budget's end."""
        end = self.started + self.budget_s
        if self.stopped_at is None:
            return max(0.0, end - now)
        return max(0.0, min(end, self.stopped_at + 2 * self.refit_reserve()) - now)

    def best_evaluation(self) -> Evaluation | None:
        """The best scored evaluation on the most rows."""
        ok = [ev for ev in self.evaluations if ev.status == "ok"]
        if not ok:
            return None
        top_rows = max(ev.rows for ev in ok)
        return sorted(
            (ev for ev in ok if ev.rows == top_rows), key=lambda ev: ev.score, reverse=self.greater
        )[0]

    def refit_reserve(self) -> float:
        """Expected seconds to refit the best configuration on the whole training split, twice
        once an ensemble is possible (room for its other members, most often of a similar cost)."""
        best = self.best_evaluation()
        if best is None:
            return 0.0
        blendable = sum(ev.oof is not None for ev in self.evaluations) >= 2
        return self.refit_seconds(best) * (2 if blendable else 1)

    def refit_seconds(self, ev: Evaluation) -> float:
        """Expected seconds to refit `ev` on the whole training split: its cost per fold scaled to
        all rows (a fold trains on (k-1)/k of them), with 20% to spare."""
        if ev.members is not None:
            return sum(
                self.refit_seconds(e)
                for e in self.evaluations
                if e.index in {m["candidate"] for m in ev.members} and e.rows == ev.rows
            )
        own = ev.fit_seconds / self.split.folds if ev.status == "ok" else None
        per_fold = own or self.fold_estimate(ev.algorithm, ev.params, ev.rows) or ev.fit_seconds
        n = len(self.split.X_train)
        return 1.2 * per_fold * (n / ev.rows) * self.split.folds / max(1, self.split.folds - 1)

    def fold_estimate(self, algorithm: str, params: dict[str, Any], rows: int) -> float | None:
        """Expected seconds of one fold of a configuration: the family's last measured cost per
        unit, scaled by the configuration's number of trees or iterations (`relative_cost`)."""
        unit = self.per_fold_cost.get((algorithm, rows))
        return None if unit is None else unit * relative_cost(params)

    def search_deadline(self) -> float:
        """When the search must stop: the deadline less the best configuration's refit."""
        return self.deadline - self.refit_reserve()

    def record(self, ev: Evaluation) -> None:
        """Add a point to the best score over time when `ev` changed the best configuration."""
        best = self.best_evaluation()
        if best is not ev:
            return
        self.history.append(
            {
                "seconds": round(time.monotonic() - self.started, 3),
                "cv_score": best.score,
                "candidate": best.index,
                "rows": best.rows,
            }
        )

    def run(self, configs: list[Configuration], rungs: list[int]) -> None:
        """Successive halving over `rungs`: the best third of each round moves on to the next."""
        survivors = list(enumerate(configs))
        self.publish("Searching")
        for rung, rows in enumerate(rungs):
            results: list[Evaluation] = []
            for index, (algorithm, params) in survivors:
                self.control.check()
                if time.monotonic() >= self.search_deadline():
                    break
                results.append(self.evaluate(index, algorithm, params, rows))
                self.publish(f"Rung {rung + 1}/{len(rungs)} on {rows} rows")
            scored = [ev for ev in results if ev.status == "ok"]
            if not scored or time.monotonic() >= self.search_deadline() or rung == len(rungs) - 1:
                break
            scored.sort(key=lambda ev: ev.score, reverse=self.greater)
            keep = max(1, math.ceil(len(scored) / 3))
            survivors = [(ev.index, configs[ev.index]) for ev in scored[:keep]]

    def best(
        self, configs: list[Configuration], allowed: set[str]
    ) -> tuple[str, dict[str, Any], float, float]:
        """(algorithm, params, cv score, cv std) of the winner on the most rows."""
        best = self.best_evaluation()
        if best is None:
            # Nothing finished in time: fall back to the strongest cheap default.
            algorithm: str = (
                "hist_gradient_boosting" if "hist_gradient_boosting" in allowed else configs[0][0]
            )
            params = {} if algorithm == "hist_gradient_boosting" else configs[0][1]
            return algorithm, params, math.nan, math.nan
        return best.algorithm, best.params, best.score, best.std

    def evaluate(
        self, index: int, algorithm: Algorithm, params: dict[str, Any], rows: int, stage: str = "portfolio"
    ) -> Evaluation:
        """Cross-validate one configuration on `rows` rows (recorded, even when skipped or failed)."""
        ev = self._evaluate(index, algorithm, params, rows, stage)
        self.record(ev)
        return ev

    def _evaluate(
        self, index: int, algorithm: Algorithm, params: dict[str, Any], rows: int, stage: str
    ) -> Evaluation:
        ev = Evaluation(index, algorithm, params, rows, stage=stage)
        self.evaluations.append(ev)
        split = self.split
        Xs, ys = subsample(split.X_train, split.y_train, rows, split.classify, self.seed)
        estimate = self.fold_estimate(algorithm, params, rows)
        remaining = self.search_deadline() - time.monotonic()
        if estimate is not None and estimate * split.folds > remaining:
            ev.status, ev.detail = "skipped", "would not finish within the time budget"
            return ev
        splitter = (
            StratifiedKFold(split.folds, shuffle=True, random_state=self.seed)
            if split.classify
            else KFold(split.folds, shuffle=True, random_state=self.seed)
        )
        scores: list[float] = []
        t0 = time.monotonic()
        try:
            self._cross_validate(ev, splitter.split(Xs, ys), Xs, ys, scores, t0)
        except _Deadline:
            ev.status, ev.detail = "stopped", "the time budget ran out during cross-validation"
        except Exception as exc:  # a configuration that cannot fit this data is skipped, not fatal
            if type(exc).__name__ == "JobCancelledError":
                raise
            ev.status, ev.detail = "failed", f"{type(exc).__name__}: {exc}"[:500]
        ev.fit_seconds = time.monotonic() - t0
        if scores:
            self.per_fold_cost[(algorithm, rows)] = ev.fit_seconds / len(scores) / relative_cost(params)
            if ev.status == "ok":
                ev.score, ev.std = float(np.mean(scores)), float(np.std(scores))
        if ev.status != "ok":
            ev.oof = None
        self._forget_worst_out_of_fold()
        return ev

    def _forget_worst_out_of_fold(self) -> None:
        kept = [ev for ev in self.evaluations if ev.oof is not None]
        if len(kept) > KEPT_OUT_OF_FOLD:
            kept.sort(key=lambda ev: ev.score, reverse=self.greater)
            for ev in kept[KEPT_OUT_OF_FOLD:]:
                ev.oof = None

    def _keep_out_of_fold(self, ev: Evaluation, model: Any, Xv: pd.DataFrame, pred: Any, fold: Any) -> None:
        """Record the fold's raw outputs (on the whole training split only): predictions, or the
        margin of classifiers that have one (see `modelyard.ml.ensemble`)."""
        n = len(self.split.X_train)
        if ev.rows != n:
            return
        if not self.split.classify:
            out = np.asarray(pred, dtype=np.float64).reshape(len(Xv), 1)
        elif hasattr(model[-1], "decision_function"):
            out = np.asarray(model.decision_function(Xv), dtype=np.float64).reshape(len(Xv), -1)
        else:
            return
        if ev.oof is None:
            ev.oof = np.zeros((n, out.shape[1]))
        ev.oof[fold] = out

    def _cross_validate(
        self,
        ev: Evaluation,
        folds: Iterator[tuple[Any, Any]],
        Xs: pd.DataFrame,
        ys: np.ndarray[Any, Any],
        scores: list[float],
        t0: float,
    ) -> None:
        """Append each fold's score to `scores`; raises _Deadline when the next fold would not fit."""
        split = self.split
        for train_idx, valid_idx in folds:
            self.control.check()
            fold_cost = self.fold_estimate(ev.algorithm, ev.params, ev.rows) or 0.0
            if scores:
                fold_cost = (time.monotonic() - t0) / len(scores)
            if time.monotonic() + fold_cost > self.search_deadline():
                raise _Deadline
            model = build_pipeline(split.schema, ev.algorithm, ev.params, self.seed)  # type: ignore[arg-type]
            model.fit(Xs.iloc[train_idx], ys[train_idx])
            proba, pred = predictions(model, Xs.iloc[valid_idx], split.problem)
            classes = model.classes_ if split.classify else None
            scores.append(metric_value(self.metric, ys[valid_idx], proba, pred, classes))
            self._keep_out_of_fold(ev, model, Xs.iloc[valid_idx], pred, valid_idx)
            if ev.rows == len(split.X_train) and self.fold_of_row is None:
                self._fold_numbers.append(valid_idx)
        if self.fold_of_row is None and len(self._fold_numbers) == split.folds:
            self.fold_of_row = np.zeros(len(split.X_train), dtype=np.intp)
            for number, rows in enumerate(self._fold_numbers):
                self.fold_of_row[rows] = number
        self._fold_numbers.clear()
