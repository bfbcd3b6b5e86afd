"""API shapes of monitoring: the report of a model, feedback in and out."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from modelyard.lib.schema import Schema

MAX_FEEDBACK_ITEMS = 1000
Window = Literal["1h", "24h", "7d"]
WINDOW_HOURS: dict[str, int] = {"1h": 1, "24h": 24, "7d": 168}
DriftStatus = Literal["ok", "warn", "drift", "insufficient_data"]


class MovedBin(Schema):
    """A bin whose share moved most between the reference and the window."""

    bin: Annotated[str, msgspec.Meta(description="A value range or a category.", examples=["[28.1, +inf)"])]
    reference_share: Annotated[float, msgspec.Meta(examples=[0.1])]
    live_share: Annotated[float, msgspec.Meta(examples=[0.31])]


class DriftFinding(Schema):
    """A change of the missing-value or unseen-category share, beyond threshold and noise."""

    kind: Literal["missing_rate", "unseen_categories"]
    reference_rate: Annotated[float, msgspec.Meta(examples=[0.0])]
    live_rate: Annotated[float, msgspec.Meta(examples=[0.3])]
    status: DriftStatus


class FeatureDriftReport(Schema):
    """Drift of one feature (or of the model's output) over the window."""

    name: Annotated[str, msgspec.Meta(examples=["tenure_months"])]
    rows: Annotated[int, msgspec.Meta(description="Live rows in the window.", examples=[1200])]
    psi: Annotated[
        float | None, msgspec.Meta(description="Population stability index (null below the minimum sample).")
    ]
    js_distance: Annotated[
        float | None, msgspec.Meta(description="Jensen-Shannon distance, base 2, in [0, 1].")
    ]
    status: DriftStatus
    top_moved_bins: list[MovedBin]
    findings: list[DriftFinding]


class ReferenceSummary(Schema):
    """What the window is compared with."""

    source: Annotated[
        Literal["training_split", "dataset"],
        msgspec.Meta(description="The training split (at training) or the model's dataset (derived later)."),
    ]
    rows: Annotated[int, msgspec.Meta(examples=[800])]
    features: Annotated[int, msgspec.Meta(examples=[6])]
    prediction_output: Annotated[str | None, msgspec.Meta(examples=["probability of yes"])]


class LivePerformanceReport(Schema):
    """The model's metric on the window's predictions that received feedback."""

    labelled_rows: Annotated[int, msgspec.Meta(examples=[40])]
    metrics: Annotated[
        dict[str, float],
        msgspec.Meta(
            description="`accuracy` (and `roc_auc` for binary models once both classes were labelled) "
            "or `rmse` for regression; empty without feedback.",
            examples=[{"accuracy": 0.875}],
        ),
    ]
    median_delay_seconds: Annotated[
        float | None, msgspec.Meta(description="Median time from prediction to its feedback.")
    ]


class MonitoringReport(Schema):
    """Drift of a model's inputs and outputs, and its live performance, over a window."""

    model_id: Annotated[str, msgspec.Meta(examples=["665f1c2e8b3a4d0012ab34cd"])]
    window: Window
    status: Annotated[
        DriftStatus | Literal["no_reference"],
        msgspec.Meta(
            description="The worst feature or prediction status; `no_reference` when the model has none."
        ),
    ]
    rows: Annotated[int, msgspec.Meta(description="Rows predicted in the window.", examples=[1200])]
    reference: ReferenceSummary | None
    features: list[FeatureDriftReport]
    prediction: FeatureDriftReport | None
    live_performance: LivePerformanceReport


class FeedbackItem(Schema):
    """The true outcome of one prediction."""

    prediction_id: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=64,
            description="The `prediction_id` an online prediction (or a batch result row) carried.",
            examples=["665f1c2e8b3a4d0012ab34ff"],
        ),
    ]
    actual: Annotated[Any, msgspec.Meta(description="The true class or value.", examples=["yes"])]


class FeedbackRequest(Schema):
    items: Annotated[
        list[FeedbackItem],
        msgspec.Meta(
            min_length=1,
            max_length=MAX_FEEDBACK_ITEMS,
            description=f"1 to {MAX_FEEDBACK_ITEMS} outcomes, each of one prediction.",
        ),
    ]


class FeedbackResult(Schema):
    accepted: Annotated[int, msgspec.Meta(description="Actuals joined to their prediction.", examples=[2])]
    duplicates: Annotated[
        int, msgspec.Meta(description="Ids that already had feedback (the first stands).", examples=[0])
    ]
    unknown: Annotated[
        list[str],
        msgspec.Meta(
            description="Ids of no stored prediction of this model (or past retention).", examples=[[]]
        ),
    ]
