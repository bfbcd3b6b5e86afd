"""API shapes of the model registry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from modelyard.lib.pagination import Page
from modelyard.lib.schema import ExplainedOutput, ObjectId, ProblemType, Schema

# The one definition of a model's input schema lives with the kernel; the API shows it as it is.
from modelyard.ml.features import DroppedColumn as DroppedColumn
from modelyard.ml.features import FeatureSchema as FeatureSchema
from modelyard.ml.features import TrainingSchema as TrainingSchema

Stage = Annotated[
    Literal["none", "staging", "production", "archived"],
    msgspec.Meta(description="Lifecycle stage: `none`, `staging`, `production` or `archived`."),
]


class FeatureImportance(Schema):
    """Permutation importance on the held-out split: how much the metric worsens if the column is shuffled."""

    feature: str
    importance: float
    std: float


class ColumnShap(Schema):
    """How much one input column moves the model's output, on average."""

    feature: Annotated[str, msgspec.Meta(examples=["tenure_months"])]
    mean_abs_contribution: Annotated[
        float,
        msgspec.Meta(
            ge=0,
            description="Mean absolute SHAP contribution to the explained output over the rows.",
            examples=[0.8421],
        ),
    ]


class ShapSummary(Schema):
    """The model-level SHAP summary: mean |contribution| of each input column on held-out rows."""

    output: ExplainedOutput
    rows: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            description="Held-out rows explained (up to 500, fewer when the time budget ran short).",
            examples=[500],
        ),
    ]
    features: Annotated[list[ColumnShap], msgspec.Meta(description="Largest first.")]


LeakageKind = Literal[
    "derived_from_target", "row_order_identifier", "near_perfect_predictor", "implausible_test_score"
]


class LeakageFinding(Schema):
    """A suspicion of target leakage raised by the training job (see the training guide)."""

    kind: Annotated[
        LeakageKind,
        msgspec.Meta(
            description="`derived_from_target`: the column restates the target (one value per class, "
            "or a monotonic function of a numeric target); `row_order_identifier`: a distinct number "
            "or date per row that follows the file's row order and predicts the target; "
            "`near_perfect_predictor`: the column alone predicts the target; "
            "`implausible_test_score`: the held-out score is too good to be true.",
            examples=["near_perfect_predictor"],
        ),
    ]
    column: Annotated[
        str | None,
        msgspec.Meta(
            description="The column at fault; null for `implausible_test_score`.",
            examples=["account_closed"],
        ),
    ]
    statistic: Annotated[
        str,
        msgspec.Meta(
            description="What `value` measures: `roc_auc` (binary), `roc_auc_ovr` (multiclass, "
            "macro one-vs-rest), `abs_correlation` (regression: the larger of |Pearson| and "
            "|Spearman|), `abs_spearman`, `class_mapping_purity` (share of rows a one-to-one value "
            "to class mapping explains), or the test metric (`roc_auc`, `accuracy`, `r2`).",
            examples=["roc_auc"],
        ),
    ]
    value: Annotated[float, msgspec.Meta(description="The statistic's value.", examples=[0.9971])]
    threshold: Annotated[
        float, msgspec.Meta(description="The threshold it crossed (documented per kind).", examples=[0.99])
    ]
    detail: Annotated[
        str,
        msgspec.Meta(
            description="The finding in words, with what to check.",
            examples=[
                "'account_closed' alone predicts the target (ROC AUC 0.9971, threshold 0.99): check "
                "that its value is known before the target is, at the time the model will be asked."
            ],
        ),
    ]


class Candidate(Schema):
    """One configuration tried by the search (one row of the leaderboard)."""

    rank: Annotated[int | None, msgspec.Meta(description="1 = best; null when it has no score.")]
    candidate: Annotated[int, msgspec.Meta(description="Index of the configuration in the search space.")]
    algorithm: str
    params: dict[str, Any]
    rows: Annotated[int, msgspec.Meta(description="Training rows it was cross-validated on.")]
    metric: str
    cv_score: Annotated[float | None, msgspec.Meta(description="Mean cross-validated score.")]
    cv_std: Annotated[float | None, msgspec.Meta(description="Standard deviation over the folds.")]
    fit_seconds: float
    status: Annotated[
        str, msgspec.Meta(description="`ok`, `skipped` (would not fit the budget), `stopped` or `failed`.")
    ]
    detail: str | None = None


class ConfusionMatrix(Schema):
    """Rows are true classes, columns predicted classes, both in `labels` order."""

    labels: list[Any]
    matrix: list[list[int]]


class Model(Schema):
    """A trained model: its evaluation, its input schema and how it is served."""

    id: ObjectId
    name: str
    description: str | None
    stage: Stage
    dataset_id: ObjectId
    training_job_id: ObjectId
    problem_type: ProblemType
    target: str
    algorithm: str
    params: dict[str, Any]
    metric: Annotated[str, msgspec.Meta(description="The metric the search optimised.")]
    greater_is_better: bool
    cv_score: float | None
    cv_std: float | None
    test_metrics: Annotated[
        dict[str, float], msgspec.Meta(description="Every standard metric on the held-out split.")
    ]
    confusion_matrix: ConfusionMatrix | None
    residuals: Annotated[
        dict[str, float] | None,
        msgspec.Meta(description="Regression: summary of actual minus predicted on the held-out split."),
    ]
    feature_importance: list[FeatureImportance]
    shap_summary: Annotated[
        ShapSummary | None,
        msgspec.Meta(
            description="Mean |SHAP contribution| per input column on held-out rows, the model-level view "
            "of `explain=true` predictions; null for models trained before explanations existed."
        ),
    ]
    leakage_findings: Annotated[
        list[LeakageFinding],
        msgspec.Meta(
            description="Suspected target leakage found by the training job; promoting a model that "
            "has any to `production` needs `acknowledge_leakage: true`."
        ),
    ]
    leakage_acknowledged_at: Annotated[
        datetime | None,
        msgspec.Meta(
            description="When the model was promoted to production with its leakage findings "
            "acknowledged; null until then."
        ),
    ]
    leaderboard: list[Candidate]
    training_schema: TrainingSchema
    rows_train: int
    rows_test: int
    training_seconds: float
    size_bytes: Annotated[int, msgspec.Meta(description="Size of the stored artifact (skops).")]
    inference_path: Annotated[
        Literal["compiled", "pipeline"],
        msgspec.Meta(
            description="How online predictions are computed: `compiled` (preprocessing as plain numpy, "
            "identical results, much faster) or `pipeline` (the scikit-learn pipeline)."
        ),
    ]
    prediction_count: Annotated[
        int, msgspec.Meta(description="Rows scored so far (updated every few seconds).")
    ]
    created_at: datetime
    updated_at: datetime


class ModelSummary(Schema):
    """A model in a list."""

    id: ObjectId
    name: str
    stage: Stage
    dataset_id: ObjectId
    problem_type: ProblemType
    target: str
    algorithm: str
    metric: str
    cv_score: float | None
    test_metrics: dict[str, float]
    inference_path: Literal["compiled", "pipeline"]
    created_at: datetime


class ModelPage(Page):
    items: list[ModelSummary]


class ModelUpdate(Schema):
    """Fields to change; absent fields stay as they are."""

    name: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=200, description="Display name.")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    description: (
        Annotated[str, msgspec.Meta(max_length=2000, description="Free-text description; null clears it.")]
        | msgspec.UnsetType
        | None
    ) = msgspec.UNSET
    stage: Stage | msgspec.UnsetType = msgspec.UNSET
    acknowledge_leakage: Annotated[
        bool | msgspec.UnsetType,
        msgspec.Meta(
            description="Set to true, with `stage: production`, to promote a model despite its "
            "`leakage_findings`: without it that request is a 409 listing them. Ignored otherwise."
        ),
    ] = msgspec.UNSET
