"""API shapes of the model registry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from modelyard.lib import examples
from modelyard.lib.pagination import Page
from modelyard.lib.schema import DatasetId, ExplainedOutput, ModelId, ProblemType, Schema, TrainingJobId

# The one definition of a model's input schema lives with the kernel; the API shows it as it is.
from modelyard.ml.features import DroppedColumn as DroppedColumn
from modelyard.ml.features import FeatureSchema as FeatureSchema
from modelyard.ml.features import TrainingSchema as TrainingSchema

Stage = Annotated[
    Literal["none", "staging", "production", "archived"],
    msgspec.Meta(description="Lifecycle stage: `none`, `staging`, `production` or `archived`."),
]
ModelName = Annotated[
    str, msgspec.Meta(description="Display name.", examples=["customers-2024 · churned · linear"])
]
ModelDescription = Annotated[
    str,
    msgspec.Meta(
        max_length=2000,
        description="Free-text description; null clears it.",
        examples=["Churn model for the June retention campaign."],
    ),
]
Target = Annotated[str, msgspec.Meta(description="The column it predicts.", examples=["churned"])]
Algorithm = Annotated[
    str,
    msgspec.Meta(
        description="Model family: `linear`, `hist_gradient_boosting`, `lightgbm`, `extra_trees` or "
        "`random_forest`; `ensemble` for a weighted blend of several (its members are in "
        "`params.members` and on the leaderboard).",
        examples=["linear"],
    ),
]
MetricName = Annotated[
    str, msgspec.Meta(description="The metric the search optimised.", examples=["roc_auc"])
]
Params = Annotated[
    dict[str, Any], msgspec.Meta(description="The algorithm's hyperparameters.", examples=[{"C": 0.1}])
]
Score = Annotated[float, msgspec.Meta(description="Mean cross-validated score.", examples=[0.783])]
ScoreStd = Annotated[float, msgspec.Meta(description="Standard deviation over the folds.", examples=[0.048])]
TestMetrics = Annotated[
    dict[str, float],
    msgspec.Meta(
        description="Every standard metric on the held-out split.",
        examples=[{"accuracy": 0.8125, "f1_macro": 0.779, "log_loss": 0.48, "roc_auc": 0.827}],
    ),
]
InferencePath = Annotated[
    Literal["compiled", "pipeline"],
    msgspec.Meta(
        description="How online predictions are computed: `compiled` (preprocessing as plain numpy, "
        "identical results, much faster) or `pipeline` (the scikit-learn pipeline)."
    ),
]


class FeatureImportance(Schema):
    """Permutation importance on the held-out split: how much the metric worsens if the column is shuffled."""

    feature: Annotated[str, msgspec.Meta(description="The input column.", examples=["tenure_months"])]
    importance: Annotated[
        float, msgspec.Meta(description="Mean worsening of the metric when shuffled.", examples=[0.237])
    ]
    std: Annotated[float, msgspec.Meta(description="Standard deviation over the repeats.", examples=[0.056])]


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


class EnsembleMember(Schema):
    """One configuration in an ensemble, and its weight."""

    candidate: Annotated[
        int, msgspec.Meta(description="The member's `candidate` on the leaderboard.", examples=[4])
    ]
    algorithm: Algorithm
    params: Params
    weight: Annotated[
        float,
        msgspec.Meta(
            gt=0,
            le=1,
            description="Its share of the blend (the weights sum to 1): how often the greedy "
            "selection picked it.",
            examples=[0.6],
        ),
    ]


class Candidate(Schema):
    """One configuration tried by the search, or the ensemble built from them (a leaderboard row)."""

    rank: Annotated[
        int | None, msgspec.Meta(description="1 = best; null when it has no score.", examples=[1])
    ]
    candidate: Annotated[
        int, msgspec.Meta(description="Index of the configuration in the search space.", examples=[4])
    ]
    algorithm: Algorithm
    params: Params
    rows: Annotated[int, msgspec.Meta(description="Training rows it was cross-validated on.", examples=[320])]
    metric: MetricName
    cv_score: Score | None
    cv_std: ScoreStd | None
    fit_seconds: Annotated[float, msgspec.Meta(description="Time spent fitting it.", examples=[0.066])]
    status: Annotated[
        str,
        msgspec.Meta(
            description="`ok`, `skipped` (would not fit the budget), `stopped` or `failed`.", examples=["ok"]
        ),
    ]
    detail: Annotated[
        str | None,
        msgspec.Meta(
            description="Why it was skipped, stopped or failed; null when `ok`.",
            examples=["would not finish within the time budget"],
        ),
    ] = None
    stage: Annotated[
        Literal["portfolio", "tuning", "ensemble"],
        msgspec.Meta(
            description="`portfolio`: one of the strong default configurations tried first; `tuning`: "
            "a configuration proposed by the optimizer (Optuna's TPE) afterwards; `ensemble`: the "
            "greedy weighted ensemble of the best ones, scored on the same folds.",
            examples=["portfolio"],
        ),
    ] = "portfolio"
    members: Annotated[
        list[EnsembleMember] | None,
        msgspec.Meta(description="The ensemble's members and weights; null for a single configuration."),
    ] = None


_CONVERGED = "the best cross-validated score did not improve by more than 0.05% over the last 30 trials"


_TRIALS = "Trials finished after the portfolio (one the budget cut short is not counted)."


class SearchStop(Schema):
    """When and why the search stopped."""

    reason: Annotated[
        Literal["budget_spent", "converged", "nothing_to_tune"],
        msgspec.Meta(
            description="`budget_spent`: the time budget ran out (less the time kept back for the refit "
            "and explanations); `converged`: the best cross-validated score stopped improving (see "
            "`detail` for the criterion); `nothing_to_tune`: no allowed family has a tunable space.",
            examples=["converged"],
        ),
    ]
    detail: Annotated[
        str,
        msgspec.Meta(description="The reason in words, with the criterion.", examples=[_CONVERGED]),
    ]
    tuning_trials: Annotated[int, msgspec.Meta(ge=0, description=_TRIALS, examples=[64])]
    seconds: Annotated[
        float, msgspec.Meta(ge=0, description="When it stopped, in seconds since training started.")
    ]


SearchStopField = Annotated[
    SearchStop | None,
    msgspec.Meta(
        description="When and why the search stopped; null while it runs (and for models trained "
        "before the search reported it)."
    ),
]


class ConfusionMatrix(Schema):
    """Rows are true classes, columns predicted classes, both in `labels` order."""

    labels: Annotated[list[Any], msgspec.Meta(description="The classes.", examples=[["no", "yes"]])]
    matrix: Annotated[
        list[list[int]], msgspec.Meta(description="Held-out row counts.", examples=[[[48, 3], [12, 17]]])
    ]


class Model(Schema):
    """A trained model: its evaluation, its input schema and how it is served."""

    id: ModelId
    name: ModelName
    description: ModelDescription | None
    stage: Stage
    dataset_id: DatasetId
    training_job_id: TrainingJobId
    problem_type: ProblemType
    target: Target
    algorithm: Algorithm
    params: Params
    metric: MetricName
    greater_is_better: Annotated[bool, msgspec.Meta(description="Whether a higher `metric` is better.")]
    cv_score: Score | None
    cv_std: ScoreStd | None
    test_metrics: TestMetrics
    confusion_matrix: Annotated[ConfusionMatrix | None, msgspec.Meta(description="Classifiers only.")]
    residuals: Annotated[
        dict[str, float] | None,
        msgspec.Meta(
            description="Regression: summary of actual minus predicted on the held-out split; null for "
            "classifiers.",
            examples=[
                {
                    "mean": -0.12,
                    "std": 4.87,
                    "min": -18.2,
                    "p05": -7.9,
                    "p25": -2.6,
                    "median": 0.31,
                    "p75": 2.9,
                    "p95": 7.4,
                    "max": 16.5,
                }
            ],
        ),
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
    search_stop: SearchStopField
    training_schema: TrainingSchema
    rows_train: Annotated[int, msgspec.Meta(description="Rows it was trained on.", examples=[320])]
    rows_test: Annotated[int, msgspec.Meta(description="Held-out rows it was tested on.", examples=[80])]
    training_seconds: Annotated[
        float, msgspec.Meta(description="Wall time of the training job.", examples=[62.4])
    ]
    size_bytes: Annotated[
        int, msgspec.Meta(description="Size of the stored artifact (skops).", examples=[201312])
    ]
    inference_path: InferencePath
    prediction_count: Annotated[
        int, msgspec.Meta(description="Rows scored so far (updated every few seconds).", examples=[1202])
    ]
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When training finished (UTC).", examples=[examples.MODEL_CREATED_AT]),
    ]
    updated_at: Annotated[
        datetime,
        msgspec.Meta(description="When it last changed (UTC).", examples=[examples.MODEL_UPDATED_AT]),
    ]


class ModelSummary(Schema):
    """A model in a list."""

    id: ModelId
    name: ModelName
    stage: Stage
    dataset_id: DatasetId
    problem_type: ProblemType
    target: Target
    algorithm: Algorithm
    metric: MetricName
    cv_score: Score | None
    test_metrics: TestMetrics
    inference_path: InferencePath
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When training finished (UTC).", examples=[examples.MODEL_CREATED_AT]),
    ]


class ModelPage(Page):
    items: list[ModelSummary]


class ModelUpdate(Schema):
    """Fields to change; absent fields stay as they are."""

    name: (
        Annotated[
            str,
            msgspec.Meta(
                min_length=1, max_length=200, description="Display name.", examples=["churn-june-campaign"]
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    description: ModelDescription | msgspec.UnsetType | None = msgspec.UNSET
    stage: Stage | msgspec.UnsetType = msgspec.UNSET
    acknowledge_leakage: Annotated[
        bool | msgspec.UnsetType,
        msgspec.Meta(
            description="Set to true, with `stage: production`, to promote a model despite its "
            "`leakage_findings`: without it that request is a 409 listing them. Ignored otherwise."
        ),
    ] = msgspec.UNSET
