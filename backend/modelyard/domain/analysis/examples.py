"""Whole-object examples of analyses for the spec: a dataset analysis and a model narrative.

Taken (shortened) from the built-in heuristic analyst on docs/examples/customers.csv and the churn
model trained on it, with the ids and times of the spec's story (lib/examples.py).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from modelyard.domain.analysis.schemas import (
    Analysis,
    ColumnExclusion,
    DatasetAnalysisResult,
    DriverExplanation,
    Finding,
    ModelNarrative,
    ModelQuality,
    PreprocessingStep,
    Provenance,
    TargetSuggestion,
    TokenUsage,
)
from modelyard.lib import examples


def _at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


_HEURISTIC = Provenance(
    provider="heuristic",
    model="rules",
    prompt_version="heuristic-2",
    token_usage=TokenUsage(prompt_tokens=0, completion_tokens=0, total_tokens=0),
    latency_ms=0.39,
    attempts=0,
    fallback_used=False,
    fallback_reason=None,
)

QUEUED = Analysis(
    id=examples.ANALYSIS_ID,
    kind="dataset",
    dataset_id=examples.DATASET_ID,
    model_id=None,
    status="queued",
    progress=0.0,
    message=None,
    error=None,
    result=None,
    narrative=None,
    provenance=None,
    created_at=_at(examples.ANALYSIS_CREATED_AT),
    started_at=None,
    finished_at=None,
)

SUCCEEDED = msgspec.structs.replace(
    QUEUED,
    status="succeeded",
    progress=1.0,
    message="Done.",
    started_at=_at(examples.ANALYSIS_STARTED_AT),
    finished_at=_at(examples.ANALYSIS_FINISHED_AT),
    result=DatasetAnalysisResult(
        overview="400 rows and 10 columns (2 boolean, 2 categorical, 2 identifier, 2 integer, 1 datetime, "
        "1 float). The most likely target is `churned`, a binary classification problem. 1 critical and "
        "1 warning findings need attention before training. 3 columns should be left out of training.",
        findings=[
            Finding(
                category="leakage",
                severity="critical",
                title="Leakage suspect: account_closed",
                detail="`account_closed` holds the same value as `churned` in 100% of rows. A column like "
                "this is usually recorded after the outcome or derived from it; a model trained with it "
                "looks excellent and fails in production. Exclude it unless it is truly known at "
                "prediction time.",
                columns=["account_closed", "churned"],
            ),
            Finding(
                category="privacy",
                severity="warning",
                title="Personal data",
                detail="'email' appears to hold personal data (email); shown values are masked.",
                columns=["email"],
            ),
            Finding(
                category="relationship",
                severity="info",
                title="tenure_months relates to churned",
                detail="`tenure_months` is correlated with `churned` (|r| = 0.48): a likely useful "
                "predictor.",
                columns=["tenure_months", "churned"],
            ),
        ],
        target_suggestions=[
            TargetSuggestion(
                column="churned",
                problem_type="binary",
                reason="Binary classification: you named it as the target.",
            )
        ],
        preprocessing=[
            PreprocessingStep(
                action="impute",
                columns=["region"],
                reason="These columns have missing values: fill numbers with the median and categories "
                "with the most frequent value.",
            ),
            PreprocessingStep(
                action="one_hot_encode",
                columns=["region", "plan"],
                reason="Categories with at most 20 values: one column per value.",
            ),
        ],
        exclude_columns=[
            ColumnExclusion(
                column="account_closed",
                reason_code="leakage",
                reason="Leakage suspect: it reveals `churned` (see findings).",
            ),
            ColumnExclusion(
                column="email",
                reason_code="pii",
                reason="Holds personal data; leave it out, or pseudonymise it if it truly matters.",
            ),
            ColumnExclusion(
                column="customer_id",
                reason_code="identifier",
                reason="Identifies rows; it carries no pattern a model can generalise from.",
            ),
        ],
        caveats=[
            "Written by the built-in heuristic analyst: rules over the profile and simple column "
            "statistics, not a language model. It cannot know what the columns mean in your business."
        ],
    ),
    provenance=_HEURISTIC,
)

NARRATIVE_QUEUED = msgspec.structs.replace(
    QUEUED,
    id=examples.NARRATIVE_ID,
    kind="model",
    model_id=examples.MODEL_ID,
    created_at=_at(examples.NARRATIVE_CREATED_AT),
)

NARRATIVE_SUCCEEDED = msgspec.structs.replace(
    NARRATIVE_QUEUED,
    status="succeeded",
    progress=1.0,
    message="Done.",
    started_at=_at(examples.NARRATIVE_CREATED_AT),
    finished_at=_at(examples.NARRATIVE_FINISHED_AT),
    narrative=ModelNarrative(
        summary="`customers-2024 · churned · linear` is a linear binary classification model predicting "
        "`churned`. Its quality is good: accuracy 0.812 against a baseline of 0.637. It relies most on "
        "`tenure_months`, `monthly_fee`, `support_tickets`.",
        quality=ModelQuality(
            metric="accuracy",
            value=0.8125,
            baseline_value=0.6375,
            verdict="good",
            explanation="accuracy 0.812 against 0.637 for a trivial model that always predicts the most "
            "common class: it captures much of what can be predicted (48% of the possible gain).",
        ),
        drivers=[
            DriverExplanation(
                feature="tenure_months",
                importance=0.236511,
                explanation="Accounts for 79% of the model's total importance.",
            ),
            DriverExplanation(
                feature="monthly_fee",
                importance=0.025287,
                explanation="Accounts for 8% of the model's total importance.",
            ),
        ],
        weaknesses=[
            "It often misses class `yes`: recall 59% over 29 test rows, most often mistaken for `no`."
        ],
        next_steps=["Test it on recent data it has never seen before promoting it to production."],
        caveats=["Evaluated on only 80 held-out rows: the score is uncertain."],
    ),
    provenance=_HEURISTIC,
)
