"""Whole-object examples of training jobs for the spec: queued, being cancelled, succeeded.

Taken from a real run on docs/examples/customers.csv (target `churned`, `account_closed`
excluded), with the ids and times of the spec's story (lib/examples.py).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from modelyard.domain.models.schemas import Candidate, DroppedColumn, SearchStop
from modelyard.domain.training.schemas import ScorePoint, TrainingJob, TrainingOptions
from modelyard.lib import examples


def _at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


QUEUED = TrainingJob(
    id=examples.TRAINING_JOB_ID,
    status="queued",
    progress=0.0,
    message="Queued.",
    dataset_id=examples.DATASET_ID,
    target="churned",
    problem_type="binary",
    metric="roc_auc",
    options=TrainingOptions(
        problem_type=None,
        metric=None,
        time_budget_s=60,
        cv_folds=3,
        test_size=0.2,
        algorithms=None,
        exclude_columns=["account_closed"],
        random_seed=0,
    ),
    candidates=[],
    score_history=[],
    estimated_seconds_left=None,
    search_stop=None,
    dropped_columns=[],
    leakage_findings=[],
    model_id=None,
    error=None,
    attempts=0,
    cancel_requested=False,
    created_at=_at(examples.TRAINING_CREATED_AT),
    started_at=None,
    finished_at=None,
)

_LEADERS = [
    Candidate(
        rank=1,
        candidate=4,
        algorithm="linear",
        params={"C": 0.1},
        rows=320,
        metric="roc_auc",
        cv_score=0.7831,
        cv_std=0.0483,
        fit_seconds=0.066,
        status="ok",
    ),
    Candidate(
        rank=2,
        candidate=5,
        algorithm="hist_gradient_boosting",
        params={"learning_rate": 0.05, "max_iter": 300, "max_leaf_nodes": 15, "min_samples_leaf": 10},
        rows=320,
        metric="roc_auc",
        cv_score=0.7712,
        cv_std=0.0391,
        fit_seconds=0.412,
        status="ok",
    ),
]

CANCELLING = msgspec.structs.replace(
    QUEUED,
    status="running",
    progress=0.35,
    message="Tuning: trial 3 (linear)",
    candidates=_LEADERS,
    score_history=[
        ScorePoint(seconds=0.41, cv_score=0.7795, candidate=0, rows=320),
        ScorePoint(seconds=3.87, cv_score=0.7831, candidate=4, rows=320),
    ],
    estimated_seconds_left=38.6,
    attempts=1,
    cancel_requested=True,
    started_at=_at(examples.TRAINING_STARTED_AT),
)

SUCCEEDED = msgspec.structs.replace(
    CANCELLING,
    status="succeeded",
    progress=1.0,
    message="Done.",
    estimated_seconds_left=0.0,
    search_stop=SearchStop(
        reason="converged",
        detail="the best cross-validated score did not improve by more than 0.05% over the last 30 trials",
        tuning_trials=30,
        seconds=14.2,
    ),
    cancel_requested=False,
    dropped_columns=[
        DroppedColumn(name="customer_id", reason="identifier-like: distinct integer per row"),
        DroppedColumn(name="email", reason="identifier-like or free text: nearly every value is distinct"),
        DroppedColumn(name="account_closed", reason="excluded by request"),
    ],
    model_id=examples.MODEL_ID,
    finished_at=_at(examples.TRAINING_FINISHED_AT),
)
