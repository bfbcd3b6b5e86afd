"""API shapes of analyses: the job, its typed result (dataset analysis or model narrative), provenance.

`DatasetAnalysisResult` and `ModelNarrative` are also the JSON schemas the language model must
answer with (see `providers/openai.py`), so the API and the model share one definition. They
have no defaults on purpose: OpenAI's strict JSON-schema mode needs every property required.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from modelyard.lib.errors import Problem
from modelyard.lib.pagination import Page
from modelyard.lib.schema import JobStatus, ProblemType, Schema, Severity

AnalysisId = Annotated[
    str, msgspec.Meta(description="24-hex analysis id.", examples=["6660a1b2c3d4e5f6a7b8c9d0"])
]
ProviderName = Literal["openai", "heuristic"]
AnalysisKind = Literal["dataset", "model"]

Sentence = Annotated[str, msgspec.Meta(max_length=2000, description="Plain-language text.")]
ColumnName = Annotated[
    str, msgspec.Meta(max_length=500, description="A column name, exactly as in the dataset.")
]
Columns = Annotated[list[ColumnName], msgspec.Meta(max_length=50, description="Columns involved.")]


class Finding(Schema):
    """Something worth knowing about the data: a quality issue, a relationship, a risk."""

    category: Annotated[
        Literal["data_quality", "relationship", "leakage", "privacy", "target", "size"],
        msgspec.Meta(description="What kind of finding this is."),
    ]
    severity: Annotated[
        Severity, msgspec.Meta(description="`critical` needs action before training; `info` is context.")
    ]
    title: Annotated[str, msgspec.Meta(max_length=200, description="One line.")]
    detail: Sentence
    columns: Columns


class TargetSuggestion(Schema):
    """A column that could be predicted, best first."""

    column: ColumnName
    problem_type: Annotated[ProblemType, msgspec.Meta(description="The kind of model this target needs.")]
    reason: Annotated[Sentence, msgspec.Meta(description="Why this column is a plausible target.")]


class PreprocessingStep(Schema):
    """A transformation recommended before (or as part of) training."""

    action: Annotated[
        Literal[
            "impute", "scale", "one_hot_encode", "frequency_encode", "log_transform",
            "extract_datetime_parts", "deduplicate", "clip_outliers", "text_features", "other",
        ],
        msgspec.Meta(description="What to do."),
    ]  # fmt: skip
    columns: Columns
    reason: Sentence


class ColumnExclusion(Schema):
    """A column that should not be a model input."""

    column: ColumnName
    reason_code: Annotated[
        Literal["identifier", "leakage", "constant", "mostly_missing", "pii", "free_text"],
        msgspec.Meta(description="Why: an identifier, a leakage suspect (reveals the target), and so on."),
    ]
    reason: Sentence


class DatasetAnalysisResult(Schema):
    """A plain-language analysis of a dataset, for people who are not data scientists."""

    overview: Annotated[str, msgspec.Meta(max_length=3000, description="A short summary of the dataset.")]
    findings: Annotated[list[Finding], msgspec.Meta(max_length=50, description="Most important first.")]
    target_suggestions: Annotated[
        list[TargetSuggestion],
        msgspec.Meta(max_length=5, description="Candidate targets, ranked best first."),
    ]
    preprocessing: Annotated[list[PreprocessingStep], msgspec.Meta(max_length=30)]
    exclude_columns: Annotated[
        list[ColumnExclusion],
        msgspec.Meta(
            max_length=200, description="Columns to leave out of training: identifiers, leakage suspects..."
        ),
    ]
    caveats: Annotated[
        list[Sentence],
        msgspec.Meta(max_length=20, description="Limits of this analysis the reader should know."),
    ]


class ModelQuality(Schema):
    """How good the model is, in context."""

    metric: Annotated[
        str, msgspec.Meta(max_length=100, description="The headline metric, e.g. `accuracy`, `r2`.")
    ]
    value: Annotated[float, msgspec.Meta(description="The model's score on held-out data.")]
    baseline_value: Annotated[
        float | None,
        msgspec.Meta(description="The same metric for a trivial model (majority class, or the mean)."),
    ]
    verdict: Annotated[
        Literal["poor", "fair", "good", "excellent", "suspicious"],
        msgspec.Meta(description="`suspicious` means too good to be true (leakage is likely)."),
    ]
    explanation: Sentence


class DriverExplanation(Schema):
    """A feature that drives the model's predictions."""

    feature: ColumnName
    importance: Annotated[float, msgspec.Meta(description="Relative importance (the model's own scale).")]
    explanation: Sentence


class ModelNarrative(Schema):
    """A plain-language account of a trained model: quality, drivers, weaknesses, next steps."""

    summary: Annotated[str, msgspec.Meta(max_length=3000, description="Two or three sentences.")]
    quality: ModelQuality
    drivers: Annotated[
        list[DriverExplanation], msgspec.Meta(max_length=15, description="Most important first.")
    ]
    weaknesses: Annotated[list[Sentence], msgspec.Meta(max_length=15)]
    next_steps: Annotated[list[Sentence], msgspec.Meta(max_length=15)]
    caveats: Annotated[list[Sentence], msgspec.Meta(max_length=15)]


class TokenUsage(Schema):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Provenance(Schema):
    """Who wrote the result and at what cost."""

    provider: Annotated[ProviderName, msgspec.Meta(description="`openai` (a language model) or `heuristic`.")]
    model: Annotated[str, msgspec.Meta(description="Model name; `rules` for the heuristic analyst.")]
    prompt_version: Annotated[
        str, msgspec.Meta(description="Version of the prompt and rules that produced it.")
    ]
    token_usage: Annotated[TokenUsage, msgspec.Meta(description="Summed over every call, including retries.")]
    latency_ms: Annotated[float, msgspec.Meta(ge=0, description="Time spent producing the result.")]
    attempts: Annotated[
        int, msgspec.Meta(ge=0, description="Language-model answers requested (a repair counts).")
    ]
    fallback_used: Annotated[
        bool,
        msgspec.Meta(description="True when the language model failed and the heuristic analyst answered."),
    ]
    fallback_reason: Annotated[str | None, msgspec.Meta(description="Why the fallback was used.")]


class AnalysisCreate(Schema):
    """Options of a dataset analysis; every field is optional (an empty object is fine)."""

    target: (
        Annotated[
            str,
            msgspec.Meta(
                min_length=1,
                max_length=500,
                description="The column you intend to predict, if you know it: leakage and relationships are "
                "checked against it and it is ranked first.",
            ),
        ]
        | None
    ) = None


class Analysis(Schema):
    """An analysis job and, once it succeeded, its result."""

    id: AnalysisId
    kind: Annotated[AnalysisKind, msgspec.Meta(description="`dataset` analysis or `model` narrative.")]
    dataset_id: Annotated[
        str | None, msgspec.Meta(description="The analysed dataset (or the model's dataset).")
    ]
    model_id: Annotated[str | None, msgspec.Meta(description="The explained model (model narratives only).")]
    status: JobStatus
    progress: Annotated[float, msgspec.Meta(ge=0, le=1, description="0..1; 1 when succeeded.")]
    message: Annotated[str | None, msgspec.Meta(description="What the job is doing now.")]
    error: Annotated[Problem | None, msgspec.Meta(description="Why the job failed (problem details).")]
    result: Annotated[
        DatasetAnalysisResult | None,
        msgspec.Meta(description="The dataset analysis (kind `dataset`, succeeded)."),
    ]
    narrative: Annotated[
        ModelNarrative | None, msgspec.Meta(description="The model narrative (kind `model`, succeeded).")
    ]
    provenance: Provenance | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class AnalysisPage(Page):
    """Analyses, newest first."""

    items: list[Analysis]
