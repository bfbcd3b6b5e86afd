"""Whole-object examples of models for the spec: the churn model and a page of summaries.

Taken (leaderboard and importances shortened) from the model trained on docs/examples/customers.csv,
with the ids and times of the spec's story (lib/examples.py).
"""

from __future__ import annotations

from datetime import datetime

from modelyard.domain.models.schemas import (
    Candidate,
    ColumnShap,
    ConfusionMatrix,
    DroppedColumn,
    FeatureImportance,
    FeatureSchema,
    Model,
    ModelPage,
    ModelSummary,
    SearchStop,
    ShapSummary,
    TrainingSchema,
)
from modelyard.lib import examples

_TEST_METRICS = {
    "accuracy": 0.8125,
    "balanced_accuracy": 0.7637,
    "f1_macro": 0.7794,
    "log_loss": 0.4801,
    "roc_auc": 0.8269,
}

MODEL = Model(
    id=examples.MODEL_ID,
    name="customers-2024 · churned · linear",
    description="Churn model for the June retention campaign.",
    stage="production",
    dataset_id=examples.DATASET_ID,
    training_job_id=examples.TRAINING_JOB_ID,
    problem_type="binary",
    target="churned",
    algorithm="linear",
    params={"C": 0.1},
    metric="roc_auc",
    greater_is_better=True,
    cv_score=0.7831,
    cv_std=0.0483,
    test_metrics=_TEST_METRICS,
    confusion_matrix=ConfusionMatrix(labels=["no", "yes"], matrix=[[48, 3], [12, 17]]),
    residuals=None,
    feature_importance=[
        FeatureImportance(feature="tenure_months", importance=0.2365, std=0.056),
        FeatureImportance(feature="monthly_fee", importance=0.0253, std=0.0141),
        FeatureImportance(feature="support_tickets", importance=0.0156, std=0.0168),
    ],
    shap_summary=ShapSummary(
        output="log_odds",
        rows=80,
        features=[
            ColumnShap(feature="tenure_months", mean_abs_contribution=2.0059),
            ColumnShap(feature="signup_date", mean_abs_contribution=0.6704),
            ColumnShap(feature="support_tickets", mean_abs_contribution=0.4139),
        ],
    ),
    leakage_findings=[],
    leakage_acknowledged_at=None,
    leaderboard=[
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
        )
    ],
    search_stop=SearchStop(
        reason="converged",
        detail="the best cross-validated score did not improve by more than 0.05% over the last 30 trials",
        tuning_trials=30,
        seconds=14.2,
    ),
    training_schema=TrainingSchema(
        target="churned",
        problem_type="binary",
        features=[
            FeatureSchema(name="signup_date", kind="datetime", dtype="object"),
            FeatureSchema(
                name="region",
                kind="categorical",
                dtype="str",
                categories=["north", "south", "east", "west"],
                cardinality=4,
                missing_ratio=0.0875,
            ),
            FeatureSchema(
                name="plan",
                kind="categorical",
                dtype="str",
                categories=["basic", "standard", "premium"],
                cardinality=3,
            ),
            FeatureSchema(name="monthly_fee", kind="numeric", dtype="float64"),
            FeatureSchema(name="tenure_months", kind="numeric", dtype="int64"),
            FeatureSchema(name="support_tickets", kind="numeric", dtype="int64"),
        ],
        dropped=[
            DroppedColumn(name="customer_id", reason="identifier-like: distinct integer per row"),
            DroppedColumn(
                name="email", reason="identifier-like or free text: nearly every value is distinct"
            ),
            DroppedColumn(name="account_closed", reason="excluded by request"),
        ],
        classes=["no", "yes"],
    ),
    rows_train=320,
    rows_test=80,
    training_seconds=62.4,
    size_bytes=201312,
    inference_path="compiled",
    prediction_count=1202,
    created_at=datetime.fromisoformat(examples.MODEL_CREATED_AT),
    updated_at=datetime.fromisoformat(examples.MODEL_UPDATED_AT),
)

PAGE = ModelPage(
    items=[
        ModelSummary(
            id=MODEL.id,
            name=MODEL.name,
            stage=MODEL.stage,
            dataset_id=MODEL.dataset_id,
            problem_type=MODEL.problem_type,
            target=MODEL.target,
            algorithm=MODEL.algorithm,
            metric=MODEL.metric,
            cv_score=MODEL.cv_score,
            test_metrics=MODEL.test_metrics,
            inference_path=MODEL.inference_path,
            created_at=MODEL.created_at,
        )
    ],
    total=1,
    limit=20,
    offset=0,
    next_cursor=None,
    has_more=False,
)
