"""Typed models of the Modelyard API, generated from its OpenAPI spec. Do not edit.

Regenerate with `python -m modelyard_client._generate docs/reference/openapi.json`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

__all__ = [
    "AccessToken",
    "Analysis",
    "AnalysisCreate",
    "AnalysisPage",
    "ApiKey",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyPage",
    "BatchPredictionJob",
    "BatchPredictionJobPage",
    "Candidate",
    "CheckResult",
    "ColumnExclusion",
    "ColumnProfile",
    "ColumnRename",
    "ColumnShap",
    "ConfusionMatrix",
    "Dataset",
    "DatasetAnalysisResult",
    "DatasetPage",
    "DatasetProfile",
    "DatasetUpdate",
    "DeliveryAttempt",
    "DriftFinding",
    "DriverExplanation",
    "DroppedColumn",
    "EnsembleMember",
    "FeatureContribution",
    "FeatureDriftReport",
    "FeatureImportance",
    "FeatureSchema",
    "FeedbackItem",
    "FeedbackRequest",
    "FeedbackResult",
    "FieldError",
    "Finding",
    "LeakageFinding",
    "LivePerformanceReport",
    "Liveness",
    "Model",
    "ModelNarrative",
    "ModelPage",
    "ModelQuality",
    "ModelSummary",
    "ModelUpdate",
    "MonitoringReport",
    "MovedBin",
    "NumericStats",
    "PiiFinding",
    "PredictionRequest",
    "PredictionResponse",
    "PreprocessingStep",
    "PreviewPage",
    "Problem",
    "Provenance",
    "QualityFinding",
    "Readiness",
    "RecordExplanation",
    "RecordPrediction",
    "ReferenceSummary",
    "ScorePoint",
    "SearchStop",
    "ShapSummary",
    "TargetSuggestion",
    "TokenRequest",
    "TokenUsage",
    "TrainingJob",
    "TrainingJobCreate",
    "TrainingJobPage",
    "TrainingOptions",
    "TrainingSchema",
    "User",
    "UserCreate",
    "ValueCount",
    "Webhook",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookDelivery",
    "WebhookDeliveryPage",
    "WebhookPage",
    "WebhookUpdate",
]


class AccessToken(msgspec.Struct, kw_only=True):
    "Response body."
    access_token: str
    expires_in: int
    token_type: Literal["bearer"]


class Analysis(msgspec.Struct, kw_only=True):
    "Response body."
    created_at: datetime
    dataset_id: str | None
    error: Problem | None
    finished_at: datetime | None
    id: str
    kind: Literal["dataset", "model"]
    message: str | None
    model_id: str | None
    narrative: ModelNarrative | None
    progress: float
    provenance: Provenance | None
    result: DatasetAnalysisResult | None
    started_at: datetime | None
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]


class AnalysisCreate(msgspec.Struct, kw_only=True):
    "Response body."
    target: str | None = None


class AnalysisPage(msgspec.Struct, kw_only=True):
    "Response body."
    has_more: bool
    items: list[Analysis]
    limit: int
    next_cursor: str | None
    offset: int
    total: int


class ApiKey(msgspec.Struct, kw_only=True):
    "Response body."
    created_at: datetime
    expired: bool
    expires_at: datetime | None
    id: str
    last_used_at: datetime | None
    model_ids: list[str] | None
    name: str
    prefix: str
    scopes: list[Literal["read", "predict"]]
    use_count: int


class ApiKeyCreate(msgspec.Struct, kw_only=True, omit_defaults=True):
    "Request body."
    name: str
    scopes: list[Literal["read", "predict"]]
    expires_at: datetime | None | UnsetType = UNSET
    model_ids: list[str] | UnsetType = UNSET


class ApiKeyCreated(msgspec.Struct, kw_only=True):
    "Response body."
    created_at: datetime
    expired: bool
    expires_at: datetime | None
    id: str
    last_used_at: datetime | None
    model_ids: list[str] | None
    name: str
    prefix: str
    scopes: list[Literal["read", "predict"]]
    secret: str | None
    use_count: int


class ApiKeyPage(msgspec.Struct, kw_only=True):
    "Response body."
    has_more: bool
    items: list[ApiKey]
    limit: int
    next_cursor: str | None
    offset: int
    total: int


class BatchPredictionJob(msgspec.Struct, kw_only=True):
    "Response body."
    attempts: int
    created_at: datetime
    error: Problem | None
    filename: str | None
    finished_at: datetime | None
    id: str
    input_rows: int
    message: str | None
    model_id: str
    progress: float
    result_bytes: int | None
    result_url: str | None
    rows_scored: int
    started_at: datetime | None
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]


class BatchPredictionJobPage(msgspec.Struct, kw_only=True):
    "Response body."
    has_more: bool
    items: list[BatchPredictionJob]
    limit: int
    next_cursor: str | None
    offset: int
    total: int


class Candidate(msgspec.Struct, kw_only=True):
    "Response body."
    algorithm: str
    candidate: int
    cv_score: float | None
    cv_std: float | None
    fit_seconds: float
    metric: str
    params: dict[str, Any]
    rank: int | None
    rows: int
    status: str
    detail: str | None = None
    members: list[EnsembleMember] | None = None
    stage: Literal["portfolio", "tuning", "ensemble"] = 'portfolio'


class CheckResult(msgspec.Struct, kw_only=True):
    "Response body."
    detail: str
    latency_ms: float
    name: str
    ok: bool


class ColumnExclusion(msgspec.Struct, kw_only=True):
    "Response body."
    column: str
    reason: str
    reason_code: Literal["identifier", "leakage", "constant", "mostly_missing", "pii", "free_text"]


class ColumnProfile(msgspec.Struct, kw_only=True):
    "Response body."
    count: int
    distinct_count: int
    name: str
    null_count: int
    null_ratio: float
    physical_type: str
    semantic_type: Literal["integer", "float", "boolean", "categorical", "text", "datetime", "identifier"]
    datetime_max: datetime | None = None
    datetime_min: datetime | None = None
    numeric: NumericStats | None = None
    pii: list[PiiFinding] = msgspec.field(default_factory=list)
    sample_values: list[str] = msgspec.field(default_factory=list)
    top_values: list[ValueCount] = msgspec.field(default_factory=list)


class ColumnRename(msgspec.Struct, kw_only=True):
    "Response body."
    original: str
    renamed_to: str


class ColumnShap(msgspec.Struct, kw_only=True):
    "Response body."
    feature: str
    mean_abs_contribution: float


class ConfusionMatrix(msgspec.Struct, kw_only=True):
    "Response body."
    labels: list[Any]
    matrix: list[list[int]]


class Dataset(msgspec.Struct, kw_only=True):
    "Response body."
    columns: int
    created_at: datetime
    delimiter: str | None
    description: str | None
    duplicate_of: str | None
    encoding: str | None
    filename: str | None
    format: Literal["csv", "tsv", "xlsx", "parquet", "jsonl"]
    id: str
    name: str
    renamed_columns: list[ColumnRename]
    rows: int
    sha256: str
    size_bytes: int
    updated_at: datetime


class DatasetAnalysisResult(msgspec.Struct, kw_only=True):
    "Response body."
    caveats: list[str]
    exclude_columns: list[ColumnExclusion]
    findings: list[Finding]
    overview: str
    preprocessing: list[PreprocessingStep]
    target_suggestions: list[TargetSuggestion]


class DatasetPage(msgspec.Struct, kw_only=True):
    "Response body."
    has_more: bool
    items: list[Dataset]
    limit: int
    next_cursor: str | None
    offset: int
    total: int


class DatasetProfile(msgspec.Struct, kw_only=True):
    "Response body."
    column_profiles: list[ColumnProfile]
    columns: int
    duplicate_rows: int
    estimated: list[str]
    findings: list[QualityFinding]
    memory_bytes: int
    rows: int


class DatasetUpdate(msgspec.Struct, kw_only=True, omit_defaults=True):
    "Request body."
    description: str | None | UnsetType = UNSET
    name: str | None | UnsetType = UNSET


class DeliveryAttempt(msgspec.Struct, kw_only=True):
    "Response body."
    at: datetime
    duration_ms: int
    error: str | None
    status_code: int | None


class DriftFinding(msgspec.Struct, kw_only=True):
    "Response body."
    kind: Literal["missing_rate", "unseen_categories"]
    live_rate: float
    reference_rate: float
    status: Literal["ok", "warn", "drift", "insufficient_data"]


class DriverExplanation(msgspec.Struct, kw_only=True):
    "Response body."
    explanation: str
    feature: str
    importance: float


class DroppedColumn(msgspec.Struct, kw_only=True):
    "Response body."
    name: str
    reason: str


class EnsembleMember(msgspec.Struct, kw_only=True):
    "Response body."
    algorithm: str
    candidate: int
    params: dict[str, Any]
    weight: float


class FeatureContribution(msgspec.Struct, kw_only=True):
    "Response body."
    contribution: float
    feature: str
    value: Any


class FeatureDriftReport(msgspec.Struct, kw_only=True):
    "Response body."
    findings: list[DriftFinding]
    js_distance: float | None
    name: str
    psi: float | None
    rows: int
    status: Literal["ok", "warn", "drift", "insufficient_data"]
    top_moved_bins: list[MovedBin]


class FeatureImportance(msgspec.Struct, kw_only=True):
    "Response body."
    feature: str
    importance: float
    std: float


class FeatureSchema(msgspec.Struct, kw_only=True):
    "Response body."
    dtype: str
    kind: Literal["numeric", "boolean", "categorical", "datetime"]
    name: str
    cardinality: int | None = None
    categories: list[str] | None = None
    missing_ratio: float = 0.0


class FeedbackItem(msgspec.Struct, kw_only=True):
    "Response body."
    actual: Any
    prediction_id: str


class FeedbackRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    "Request body."
    items: list[FeedbackItem]


class FeedbackResult(msgspec.Struct, kw_only=True):
    "Response body."
    accepted: int
    duplicates: int
    unknown: list[str]


class FieldError(msgspec.Struct, kw_only=True):
    "Response body."
    message: str
    location: str | None = None


class Finding(msgspec.Struct, kw_only=True):
    "Response body."
    category: Literal["data_quality", "relationship", "leakage", "privacy", "target", "size"]
    columns: list[str]
    detail: str
    severity: Literal["info", "warning", "critical"]
    title: str


class LeakageFinding(msgspec.Struct, kw_only=True):
    "Response body."
    column: str | None
    detail: str
    kind: Literal["derived_from_target", "row_order_identifier", "near_perfect_predictor", "implausible_test_score"]
    statistic: str
    threshold: float
    value: float


class LivePerformanceReport(msgspec.Struct, kw_only=True):
    "Response body."
    labelled_rows: int
    median_delay_seconds: float | None
    metrics: dict[str, float]


class Liveness(msgspec.Struct, kw_only=True):
    "Response body."
    status: Literal["ok"]


class Model(msgspec.Struct, kw_only=True):
    "Response body."
    algorithm: str
    confusion_matrix: ConfusionMatrix | None
    created_at: datetime
    cv_score: float | None
    cv_std: float | None
    dataset_id: str
    description: str | None
    feature_importance: list[FeatureImportance]
    greater_is_better: bool
    id: str
    inference_path: Literal["compiled", "pipeline"]
    leaderboard: list[Candidate]
    leakage_acknowledged_at: datetime | None
    leakage_findings: list[LeakageFinding]
    metric: str
    name: str
    params: dict[str, Any]
    prediction_count: int
    problem_type: Literal["binary", "multiclass", "regression"]
    residuals: dict[str, float] | None
    rows_test: int
    rows_train: int
    search_stop: SearchStop | None
    shap_summary: ShapSummary | None
    size_bytes: int
    stage: Literal["none", "staging", "production", "archived"]
    target: str
    test_metrics: dict[str, float]
    training_job_id: str
    training_schema: TrainingSchema
    training_seconds: float
    updated_at: datetime


class ModelNarrative(msgspec.Struct, kw_only=True):
    "Response body."
    caveats: list[str]
    drivers: list[DriverExplanation]
    next_steps: list[str]
    quality: ModelQuality
    summary: str
    weaknesses: list[str]


class ModelPage(msgspec.Struct, kw_only=True):
    "Response body."
    has_more: bool
    items: list[ModelSummary]
    limit: int
    next_cursor: str | None
    offset: int
    total: int


class ModelQuality(msgspec.Struct, kw_only=True):
    "Response body."
    baseline_value: float | None
    explanation: str
    metric: str
    value: float
    verdict: Literal["poor", "fair", "good", "excellent", "suspicious"]


class ModelSummary(msgspec.Struct, kw_only=True):
    "Response body."
    algorithm: str
    created_at: datetime
    cv_score: float | None
    dataset_id: str
    id: str
    inference_path: Literal["compiled", "pipeline"]
    metric: str
    name: str
    problem_type: Literal["binary", "multiclass", "regression"]
    stage: Literal["none", "staging", "production", "archived"]
    target: str
    test_metrics: dict[str, float]


class ModelUpdate(msgspec.Struct, kw_only=True, omit_defaults=True):
    "Request body."
    acknowledge_leakage: bool | UnsetType = UNSET
    description: str | None | UnsetType = UNSET
    name: str | UnsetType = UNSET
    stage: Literal["none", "staging", "production", "archived"] | UnsetType = UNSET


class MonitoringReport(msgspec.Struct, kw_only=True):
    "Response body."
    features: list[FeatureDriftReport]
    live_performance: LivePerformanceReport
    model_id: str
    prediction: FeatureDriftReport | None
    reference: ReferenceSummary | None
    rows: int
    status: Literal["ok", "warn", "drift", "insufficient_data"] | Literal["no_reference"]
    window: Literal["1h", "24h", "7d"]


class MovedBin(msgspec.Struct, kw_only=True):
    "Response body."
    bin: str
    live_share: float
    reference_share: float


class NumericStats(msgspec.Struct, kw_only=True):
    "Response body."
    max: float
    mean: float
    min: float
    outliers: int
    quantiles: dict[str, float]
    skewness: float | None
    std: float | None


class PiiFinding(msgspec.Struct, kw_only=True):
    "Response body."
    confidence: Literal["low", "medium", "high"]
    kind: Literal["email", "phone", "credit_card", "iban", "national_id", "ip_address", "person_name"]
    ratio: float
    sample_size: int


class PredictionRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    "Request body."
    records: list[dict[str, Any]]


class PredictionResponse(msgspec.Struct, kw_only=True):
    "Response body."
    failed: int
    ignored_columns: list[str]
    inference_path: Literal["compiled", "pipeline"]
    model_id: str
    predictions: list[RecordPrediction]
    problem_type: Literal["binary", "multiclass", "regression"]
    scored: int


class PreprocessingStep(msgspec.Struct, kw_only=True):
    "Response body."
    action: Literal["impute", "scale", "one_hot_encode", "frequency_encode", "log_transform", "extract_datetime_parts", "deduplicate", "clip_outliers", "text_features", "other"]
    columns: list[str]
    reason: str


class PreviewPage(msgspec.Struct, kw_only=True):
    "Response body."
    columns: list[str]
    limit: int
    offset: int
    rows: list[list[Any]]
    total: int


class Problem(msgspec.Struct, kw_only=True):
    "Response body."
    detail: str
    status: int
    title: str
    type: str
    errors: list[FieldError] | None = None
    instance: str | None = None
    request_id: str | None = None


class Provenance(msgspec.Struct, kw_only=True):
    "Response body."
    attempts: int
    fallback_reason: str | None
    fallback_used: bool
    latency_ms: float
    model: str
    prompt_version: str
    provider: Literal["openai", "heuristic"]
    token_usage: TokenUsage


class QualityFinding(msgspec.Struct, kw_only=True):
    "Response body."
    code: str
    columns: list[str]
    message: str
    severity: Literal["info", "warning", "critical"]
    count: int | None = None


class Readiness(msgspec.Struct, kw_only=True):
    "Response body."
    checks: list[CheckResult]
    status: Literal["ok", "unavailable"]


class RecordExplanation(msgspec.Struct, kw_only=True):
    "Response body."
    base_value: float
    contributions: list[FeatureContribution]
    other_contributions: float
    output: Literal["log_odds", "class_logit", "probability", "prediction"]
    output_value: float
    explained_class: Any | UnsetType = UNSET


class RecordPrediction(msgspec.Struct, kw_only=True):
    "Response body."
    index: int
    errors: list[str] | None = None
    explanation: RecordExplanation | None = None
    prediction: Any | UnsetType = UNSET
    prediction_id: str | None = None
    probabilities: dict[str, float] | None = None
    warnings: list[str] | None = None


class ReferenceSummary(msgspec.Struct, kw_only=True):
    "Response body."
    features: int
    prediction_output: str | None
    rows: int
    source: Literal["training_split", "dataset"]


class ScorePoint(msgspec.Struct, kw_only=True):
    "Response body."
    candidate: int
    cv_score: float
    rows: int
    seconds: float


class SearchStop(msgspec.Struct, kw_only=True):
    "Response body."
    detail: str
    reason: Literal["budget_spent", "converged", "nothing_to_tune"]
    seconds: float
    tuning_trials: int


class ShapSummary(msgspec.Struct, kw_only=True):
    "Response body."
    features: list[ColumnShap]
    output: Literal["log_odds", "class_logit", "probability", "prediction"]
    rows: int


class TargetSuggestion(msgspec.Struct, kw_only=True):
    "Response body."
    column: str
    problem_type: Literal["binary", "multiclass", "regression"]
    reason: str


class TokenRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    "Request body."
    password: str
    username: str
    client_id: str | None | UnsetType = UNSET
    client_secret: str | None | UnsetType = UNSET
    grant_type: Literal["password"] | None | UnsetType = UNSET
    scope: str | None | UnsetType = UNSET


class TokenUsage(msgspec.Struct, kw_only=True):
    "Summed over every call, including retries."
    completion_tokens: int
    prompt_tokens: int
    total_tokens: int


class TrainingJob(msgspec.Struct, kw_only=True):
    "Response body."
    attempts: int
    cancel_requested: bool
    candidates: list[Candidate]
    created_at: datetime
    dataset_id: str
    dropped_columns: list[DroppedColumn]
    error: Problem | None
    estimated_seconds_left: float | None
    finished_at: datetime | None
    id: str
    leakage_findings: list[LeakageFinding]
    message: str | None
    metric: Literal["roc_auc", "f1_macro", "log_loss", "accuracy", "rmse", "mae", "r2"] | None
    model_id: str | None
    options: TrainingOptions
    problem_type: Literal["binary", "multiclass", "regression"] | None
    progress: float
    score_history: list[ScorePoint]
    search_stop: SearchStop | None
    started_at: datetime | None
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    target: str


class TrainingJobCreate(msgspec.Struct, kw_only=True, omit_defaults=True):
    "Request body."
    dataset_id: str
    target: str
    algorithms: list[Literal["linear", "hist_gradient_boosting", "extra_trees", "random_forest", "lightgbm"]] | None | UnsetType = UNSET
    cv_folds: int | UnsetType = UNSET
    exclude_columns: list[str] | UnsetType = UNSET
    metric: Literal["roc_auc", "f1_macro", "log_loss", "accuracy", "rmse", "mae", "r2"] | None | UnsetType = UNSET
    problem_type: Literal["binary", "multiclass", "regression"] | None | UnsetType = UNSET
    random_seed: int | UnsetType = UNSET
    test_size: float | UnsetType = UNSET
    time_budget_s: int | None | UnsetType = UNSET


class TrainingJobPage(msgspec.Struct, kw_only=True):
    "Response body."
    has_more: bool
    items: list[TrainingJob]
    limit: int
    next_cursor: str | None
    offset: int
    total: int


class TrainingOptions(msgspec.Struct, kw_only=True):
    "Response body."
    algorithms: list[Literal["linear", "hist_gradient_boosting", "extra_trees", "random_forest", "lightgbm"]] | None
    cv_folds: int
    exclude_columns: list[str]
    metric: Literal["roc_auc", "f1_macro", "log_loss", "accuracy", "rmse", "mae", "r2"] | None
    problem_type: Literal["binary", "multiclass", "regression"] | None
    random_seed: int
    test_size: float
    time_budget_s: int


class TrainingSchema(msgspec.Struct, kw_only=True):
    "Response body."
    dropped: list[DroppedColumn]
    features: list[FeatureSchema]
    problem_type: Literal["binary", "multiclass", "regression"]
    target: str
    classes: list[Any] | None = None


class User(msgspec.Struct, kw_only=True):
    "Response body."
    created_at: datetime
    email: str
    id: str


class UserCreate(msgspec.Struct, kw_only=True, omit_defaults=True):
    "Request body."
    email: str
    password: str


class ValueCount(msgspec.Struct, kw_only=True):
    "Response body."
    count: int
    value: str


class Webhook(msgspec.Struct, kw_only=True):
    "Response body."
    created_at: datetime
    description: str | None
    enabled: bool
    events: list[Literal["job.finished", "model.stage_changed"]]
    id: str
    updated_at: datetime
    url: str


class WebhookCreate(msgspec.Struct, kw_only=True, omit_defaults=True):
    "Request body."
    events: list[Literal["job.finished", "model.stage_changed"]]
    url: str
    description: str | None | UnsetType = UNSET


class WebhookCreated(msgspec.Struct, kw_only=True):
    "Response body."
    created_at: datetime
    description: str | None
    enabled: bool
    events: list[Literal["job.finished", "model.stage_changed"]]
    id: str
    secret: str | None
    updated_at: datetime
    url: str


class WebhookDelivery(msgspec.Struct, kw_only=True):
    "Response body."
    attempts: list[DeliveryAttempt]
    created_at: datetime
    error: Problem | None
    event_type: Literal["job.finished", "model.stage_changed"]
    finished_at: datetime | None
    id: str
    message: str | None
    message_id: str
    next_attempt_at: datetime | None
    payload: dict[str, Any]
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    webhook_id: str


class WebhookDeliveryPage(msgspec.Struct, kw_only=True):
    "Response body."
    has_more: bool
    items: list[WebhookDelivery]
    limit: int
    next_cursor: str | None
    offset: int
    total: int


class WebhookPage(msgspec.Struct, kw_only=True):
    "Response body."
    has_more: bool
    items: list[Webhook]
    limit: int
    next_cursor: str | None
    offset: int
    total: int


class WebhookUpdate(msgspec.Struct, kw_only=True, omit_defaults=True):
    "Request body."
    description: str | None | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    events: list[Literal["job.finished", "model.stage_changed"]] | UnsetType = UNSET
    url: str | UnsetType = UNSET
