"""API shapes of training jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from modelyard.domain.models.schemas import (
    Candidate,
    DroppedColumn,
    LeakageFinding,
    Score,
    SearchStopField,
)
from modelyard.lib import examples
from modelyard.lib.errors import Problem
from modelyard.lib.pagination import Page
from modelyard.lib.schema import DatasetId, JobStatus, ModelId, ProblemType, Schema, TrainingJobId

MetricName = Literal["roc_auc", "f1_macro", "log_loss", "accuracy", "rmse", "mae", "r2"]
AlgorithmName = Literal["linear", "hist_gradient_boosting", "extra_trees", "random_forest", "lightgbm"]
Target = Annotated[
    str, msgspec.Meta(min_length=1, max_length=512, description="Column to predict.", examples=["churned"])
]
ExcludeColumns = Annotated[
    list[Annotated[str, msgspec.Meta(max_length=512)]],
    msgspec.Meta(
        max_length=2000, description="Columns not to use as features.", examples=[["account_closed"]]
    ),
]


class ScorePoint(Schema):
    """The best cross-validated score at a moment of the search (a point of its progress chart)."""

    seconds: Annotated[
        float, msgspec.Meta(ge=0, description="Seconds since the training started.", examples=[12.4])
    ]
    cv_score: Score
    candidate: Annotated[
        int, msgspec.Meta(description="The leaderboard's `candidate` that reached it.", examples=[17])
    ]
    rows: Annotated[int, msgspec.Meta(description="Training rows it was cross-validated on.", examples=[320])]


class TrainingJobCreate(Schema):
    """What to train: a dataset, a target column and optional search settings."""

    dataset_id: DatasetId
    target: Target
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
                "default). The search uses it (unless it converges first) and the whole job, refit "
                "and explanations included, stays within the budget + 10%.",
                examples=[60],
            ),
        ]
        | None
    ) = None
    cv_folds: Annotated[
        int, msgspec.Meta(ge=2, le=10, description="Cross-validation folds.", examples=[3])
    ] = 3
    test_size: Annotated[
        float,
        msgspec.Meta(
            ge=0.05, le=0.5, description="Share of rows held out for the final evaluation.", examples=[0.2]
        ),
    ] = 0.2
    algorithms: (
        Annotated[
            list[AlgorithmName],
            msgspec.Meta(
                min_length=1,
                description="Model families to search (default: all).",
                examples=[["linear", "hist_gradient_boosting"]],
            ),
        ]
        | None
    ) = None
    exclude_columns: ExcludeColumns = []
    random_seed: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=2**31 - 1,
            description="Seed for splits and searches: same seed, same result.",
            examples=[0],
        ),
    ] = 0


class TrainingOptions(Schema):
    """The settings the job runs with, as requested (null: detected or defaulted)."""

    problem_type: ProblemType | None
    metric: MetricName | None
    time_budget_s: Annotated[int, msgspec.Meta(description="Search time budget in seconds.", examples=[60])]
    cv_folds: Annotated[int, msgspec.Meta(description="Cross-validation folds.", examples=[3])]
    test_size: Annotated[float, msgspec.Meta(description="Share of rows held out.", examples=[0.2])]
    algorithms: Annotated[
        list[AlgorithmName] | None, msgspec.Meta(description="Model families searched; null: all.")
    ]
    exclude_columns: ExcludeColumns
    random_seed: Annotated[int, msgspec.Meta(description="Seed for splits and searches.", examples=[0])]


class TrainingJob(Schema):
    """A training job: status, progress, the live leaderboard and, when done, the model."""

    id: TrainingJobId
    status: Annotated[
        JobStatus, msgspec.Meta(description="`queued`, `running`, `succeeded`, `failed` or `cancelled`.")
    ]
    progress: Annotated[
        float, msgspec.Meta(ge=0, le=1, description="0..1; 1 when succeeded.", examples=[1.0])
    ]
    message: Annotated[str | None, msgspec.Meta(description="What the job is doing now.", examples=["Done."])]
    dataset_id: DatasetId
    target: Annotated[str, msgspec.Meta(description="Column to predict.", examples=["churned"])]
    problem_type: Annotated[ProblemType | None, msgspec.Meta(description="Detected or requested.")]
    metric: Annotated[MetricName | None, msgspec.Meta(description="The metric the search optimises.")]
    options: TrainingOptions
    candidates: Annotated[
        list[Candidate], msgspec.Meta(description="Leaderboard so far, best first (live while running).")
    ]
    score_history: Annotated[
        list[ScorePoint],
        msgspec.Meta(
            description="The best cross-validated score over time, a point each time the best "
            "configuration changed (live while running; for a progress chart)."
        ),
    ]
    estimated_seconds_left: (
        Annotated[
            float,
            msgspec.Meta(
                ge=0,
                description="Estimated seconds until the job finishes: the rest of the time budget while "
                "the search runs, then the expected refit and explanation time; 0 once finished, null "
                "before the search starts.",
                examples=[18.5],
            ),
        ]
        | None
    )
    search_stop: SearchStopField
    dropped_columns: list[DroppedColumn]
    leakage_findings: Annotated[
        list[LeakageFinding],
        msgspec.Meta(
            description="Suspected target leakage: the column screen's findings once the search "
            "starts, and the held-out score's once the job succeeded. Flagged, not acted on: "
            "exclude a column with `exclude_columns` if it should not be used."
        ),
    ]
    model_id: Annotated[ModelId | None, msgspec.Meta(description="The trained model, once succeeded.")]
    error: Annotated[Problem | None, msgspec.Meta(description="Why the job failed (problem details).")]
    attempts: Annotated[
        int, msgspec.Meta(ge=0, description="Times a worker started it (a restart retries it).", examples=[1])
    ]
    cancel_requested: Annotated[bool, msgspec.Meta(description="Cancellation asked for; stopping soon.")]
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When it was queued (UTC).", examples=[examples.TRAINING_CREATED_AT]),
    ]
    started_at: Annotated[
        datetime | None,
        msgspec.Meta(description="When it started (UTC).", examples=[examples.TRAINING_STARTED_AT]),
    ]
    finished_at: Annotated[
        datetime | None,
        msgspec.Meta(description="When it finished (UTC).", examples=[examples.TRAINING_FINISHED_AT]),
    ]


class TrainingJobPage(Page):
    items: list[TrainingJob]
