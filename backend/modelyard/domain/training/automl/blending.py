"""The greedy weighted ensemble (Caruana et al., 2004: selection with replacement) built from the
configurations' out-of-fold outputs.

Every configuration cross-validated on the whole training split ran on the same folds, and its
out-of-fold raw outputs were kept (`search`): margins (log-odds, class logits) for classifiers that
have them, predictions for regressors. Starting from nothing, each round adds (again, if it is
already in) the configuration whose addition gives the best cross-validated score of the blend (the
mean, over the folds, of the metric of the averaged margins); after `ROUNDS` rounds the best round
is kept, its weights being how often each member was picked. It is the winner when it beats the
best single configuration on the same folds by more than `MIN_GAIN` (relative).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelyard.domain.training.automl.metrics import metric_value
from modelyard.domain.training.automl.search import CandidateSearch, Evaluation
from modelyard.ml.ensemble import probabilities

ROUNDS = 25
MIN_ROUNDS = 5
"""Rounds run even past the deadline (each costs a few metric evaluations per candidate)."""
LIBRARY = 12
"""The best configurations the rounds choose from."""
MIN_GAIN = 1e-4


@dataclass
class EnsembleChoice:
    members: list[Evaluation]
    weights: list[float]
    score: float
    std: float


def greedy_ensemble(
    search: CandidateSearch, deadline: float, affordable: Callable[[list[Evaluation]], bool]
) -> EnsembleChoice | None:
    """The best greedy blend of at least two configurations, or None (too few, or no better).
    A configuration joins only while `affordable(members)` (their refit fits the time left)."""
    folds = search.fold_of_row
    library = sorted(
        (ev for ev in search.evaluations if ev.status == "ok" and ev.oof is not None),
        key=lambda ev: ev.score,
        reverse=search.greater,
    )[:LIBRARY]
    if folds is None or len(library) < 2:
        return None
    outputs = [ev.oof for ev in library if ev.oof is not None]
    if len({o.shape[1] for o in outputs}) != 1:
        return None
    scorer = _FoldScorer(search, folds)
    counts = np.zeros(len(library), dtype=np.intp)
    total = np.zeros_like(outputs[0])
    best: tuple[float, float, np.ndarray[Any, Any]] | None = None
    for rounds in range(1, ROUNDS + 1):
        if rounds > MIN_ROUNDS and time.monotonic() > deadline:
            break
        current = [library[i] for i in np.flatnonzero(counts)]
        allowed = [counts[j] > 0 or affordable([*current, library[j]]) for j in range(len(library))]
        trials = [
            scorer((total + out) / rounds) if ok else (math.nan, math.nan)
            for out, ok in zip(outputs, allowed, strict=True)
        ]
        signed = [
            (mean if search.greater else -mean) if ok else -math.inf
            for (mean, _), ok in zip(trials, allowed, strict=True)
        ]
        if not any(allowed):
            break
        pick = int(np.argmax(signed))
        counts[pick] += 1
        total += outputs[pick]
        mean, std = trials[pick]
        if best is None or (mean > best[0] if search.greater else mean < best[0]):
            best = (mean, std, counts.copy())
    if best is None or np.count_nonzero(best[2]) < 2:
        return None
    mean, std, chosen = best
    leader = library[0].score
    if not (
        mean - leader > MIN_GAIN * abs(leader) if search.greater else leader - mean > MIN_GAIN * abs(leader)
    ):
        return None
    picked = np.flatnonzero(chosen)
    weights = chosen[picked] / chosen.sum()
    return EnsembleChoice([library[i] for i in picked], [float(w) for w in weights], mean, std)


class _FoldScorer:
    """Mean and std over the folds of the search metric of blended raw outputs."""

    def __init__(self, search: CandidateSearch, folds: np.ndarray[Any, Any]) -> None:
        self.search = search
        self.y = search.split.y_train
        self.rows = [np.flatnonzero(folds == f) for f in range(int(folds.max()) + 1)]
        self.classes = np.unique(self.y) if search.split.classify else None

    def __call__(self, raw: np.ndarray[Any, Any]) -> tuple[float, float]:
        scores = []
        for rows in self.rows:
            part = raw[rows]
            if self.classes is None:
                proba, pred = None, part[:, 0]
            else:
                proba = probabilities(part)
                pred = self.classes[np.argmax(proba, axis=1)]
            scores.append(metric_value(self.search.metric, self.y[rows], proba, pred, self.classes))
        mean = float(np.mean(scores))
        return (mean if math.isfinite(mean) else (-math.inf if self.search.greater else math.inf)), float(
            np.std(scores)
        )
