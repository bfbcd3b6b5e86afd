"""API shapes of training jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from modelyard.domain.models.schemas import Candidate, DroppedColumn, LeakageFinding
from modelyard.lib.errors import Problem
from modelyard.lib.pagination import Page
from modelyard.lib.schema import JobStatus, ObjectId, ProblemType, Schema

MetricName = Literal["roc_auc", "f1_macro", "log_loss", "accuracy", "rmse", "mae", "r2"]
AlgorithmName = Literal["linear", "hist_gradient_boosting", "extra_trees", "random_forest"]


class TrainingJobCreate(Schema):
    """What to train: a dataset, a target column and optional search settings."""

    dataset_id: ObjectId
    target: Annotated[str, msgspec.Meta(min_length=1, max_length=512, description="Column to predict.")]
    problem_type: Annotated[
        ProblemType | None,
        msgspec.Meta(
            description="Omit to detect it: a text/boolean target or an integer target with at most 20 "
            "distinct values is classification (binary with 2 classes), anything else numeric is regression."
        ),
    ] = None
    metric: Annotated[
        MetricName | None,
        msgspec.Meta(
            description="Metric the search optimises. Defaults: `roc_auc` (binary), `f1_macro` "
            "(multiclass: every class counts equally, robust to imbalance), `rmse` (regression). Also "
            "`log_loss`, `accuracy` (classification), `mae`, `r2` (regression)."
        ),
    ] = None
    time_budget_s: (
        Annotated[
            int,
            msgspec.Meta(
                ge=1,
                le=86_400,
                description="Search time budget in seconds (default 60; the server maximum applies, 3600 by "
                "default). Wall time stays within the budget + 10% + the final refit.",
            ),
        ]
        | None
    ) = None
    cv_folds: Annotated[int, msgspec.Meta(ge=2, le=10, description="Cross-validation folds.")] = 3
    test_size: Annotated[
        float, msgspec.Meta(ge=0.05, le=0.5, description="Share of rows held out for the final evaluation.")
    ] = 0.2
    algorithms: (
        Annotated[
            list[AlgorithmName],
            msgspec.Meta(min_length=1, description="Model families to search (default: all)."),
        ]
        | None
    ) = None
    exclude_columns: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=512)]],
        msgspec.Meta(max_length=2000, description="Columns not to use as features."),
    ] = []
    random_seed: Annotated[
        int,
        msgspec.Meta(ge=0, le=2**31 - 1, description="Seed for splits and searches: same seed, same result."),
    ] = 0


class TrainingOptions(Schema):
    problem_type: ProblemType | None
    metric: MetricName | None
    time_budget_s: int
    cv_folds: int
    test_size: float
    algorithms: list[AlgorithmName] | None
    exclude_columns: list[str]
    random_seed: int


class TrainingJob(Schema):
    """A training job: status, progress, the live leaderboard and, when done, the model."""

    id: ObjectId
    status: Annotated[
        JobStatus, msgspec.Meta(description="`queued`, `running`, `succeeded`, `failed` or `cancelled`.")
    ]
    progress: Annotated[float, msgspec.Meta(ge=0, le=1)]
    message: str | None
    dataset_id: ObjectId
    target: str
    problem_type: ProblemType | None
    metric: MetricName | None
    options: TrainingOptions
    candidates: Annotated[
        list[Candidate], msgspec.Meta(description="Leaderboard so far, best first (live while running).")
    ]
    dropped_columns: list[DroppedColumn]
    leakage_findings: Annotated[
        list[LeakageFinding],
        msgspec.Meta(
            description="Suspected target leakage: the column screen's findings once the search "
            "starts, and the held-out score's once the job succeeded. Flagged, not acted on: "
            "exclude a column with `exclude_columns` if it should not be used."
        ),
    ]
    model_id: Annotated[ObjectId | None, msgspec.Meta(description="The trained model, once succeeded.")]
    error: Annotated[Problem | None, msgspec.Meta(description="Why the job failed (problem details).")]
    attempts: int
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class TrainingJobPage(Page):
    items: list[TrainingJob]
