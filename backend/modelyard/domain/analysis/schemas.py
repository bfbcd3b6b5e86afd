"""API shapes of analyses: the job, its typed result (dataset analysis or model narrative), provenance.

`DatasetAnalysisResult` and `ModelNarrative` are also the JSON schemas the language model must
answer with (see `providers/openai.py`), so the API and the model share one definition. They
have no defaults on purpose: OpenAI's strict JSON-schema mode needs every property required.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from modelyard.domain.analysis.prompts import PROMPT_VERSION
from modelyard.lib import examples
from modelyard.lib.errors import Problem
from modelyard.lib.pagination import Page
from modelyard.lib.schema import AnalysisId, DatasetId, JobStatus, ModelId, ProblemType, Schema, Severity

ProviderName = Literal["openai", "heuristic"]
AnalysisKind = Literal["dataset", "model"]

Sentence = Annotated[str, msgspec.Meta(max_length=2000, description="Plain-language text.")]
ColumnName = Annotated[
    str,
    msgspec.Meta(
        max_length=500, description="A column name, exactly as in the dataset.", examples=["churned"]
    ),
]
Columns = Annotated[
    list[ColumnName],
    msgspec.Meta(max_length=50, description="Columns involved.", examples=[["account_closed", "churned"]]),
]


def sentence(description: str, example: str) -> msgspec.Meta:
    """A `Sentence` field's own description and example."""
    return msgspec.Meta(description=description, examples=[example])


class Finding(Schema):
    """Something worth knowing about the data: a quality issue, a relationship, a risk."""

    category: Annotated[
        Literal["data_quality", "relationship", "leakage", "privacy", "target", "size"],
        msgspec.Meta(description="What kind of finding this is."),
    ]
    severity: Annotated[
        Severity, msgspec.Meta(description="`critical` needs action before training; `info` is context.")
    ]
    title: Annotated[
        str,
        msgspec.Meta(max_length=200, description="One line.", examples=["Leakage suspect: account_closed"]),
    ]
    detail: Annotated[
        Sentence,
        sentence(
            "What was found and why it matters.",
            "`account_closed` holds the same value as `churned` in 100% of rows.",
        ),
    ]
    columns: Columns


class TargetSuggestion(Schema):
    """A column that could be predicted, best first."""

    column: ColumnName
    problem_type: Annotated[ProblemType, msgspec.Meta(description="The kind of model this target needs.")]
    reason: Annotated[
        Sentence,
        sentence(
            "Why this column is a plausible target.", "Binary classification: you named it as the target."
        ),
    ]


class PreprocessingStep(Schema):
    """A transformation recommended before (or as part of) training."""

    action: Annotated[
        Literal[
            "impute", "scale", "one_hot_encode", "frequency_encode", "log_transform",
            "extract_datetime_parts", "deduplicate", "clip_outliers", "text_features", "other",
        ],
        msgspec.Meta(description="What to do."),
    ]  # fmt: skip
    columns: Annotated[Columns, msgspec.Meta(examples=[["region", "plan"]])]
    reason: Annotated[Sentence, sentence("Why.", "Categories with at most 20 values: one column per value.")]


class ColumnExclusion(Schema):
    """A column that should not be a model input."""

    column: Annotated[ColumnName, msgspec.Meta(examples=["customer_id"])]
    reason_code: Annotated[
        Literal["identifier", "leakage", "constant", "mostly_missing", "pii", "free_text"],
        msgspec.Meta(description="Why: an identifier, a leakage suspect (reveals the target), and so on."),
    ]
    reason: Annotated[
        Sentence,
        sentence("Why, for people.", "Identifies rows; it carries no pattern a model can generalise from."),
    ]


class DatasetAnalysisResult(Schema):
    """A plain-language analysis of a dataset, for people who are not data scientists."""

    overview: Annotated[
        str,
        msgspec.Meta(
            max_length=3000,
            description="A short summary of the dataset.",
            examples=[
                "400 rows and 10 columns (2 boolean, 2 categorical, 2 identifier, 2 integer, 1 datetime, "
                "1 float). The most likely target is `churned`, a binary classification problem. 1 critical "
                "and 1 warning findings need attention before training. 3 columns should be left out of "
                "training."
            ],
        ),
    ]
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
        msgspec.Meta(
            max_length=20,
            description="Limits of this analysis the reader should know.",
            examples=[
                [
                    "Leakage and relationships were checked against `churned` on all 400 rows; pick another "
                    "target and they must be checked again."
                ]
            ],
        ),
    ]


class ModelQuality(Schema):
    """How good the model is, in context."""

    metric: Annotated[
        str,
        msgspec.Meta(
            max_length=100, description="The headline metric, e.g. `accuracy`, `r2`.", examples=["accuracy"]
        ),
    ]
    value: Annotated[
        float, msgspec.Meta(description="The model's score on held-out data.", examples=[0.8125])
    ]
    baseline_value: Annotated[
        float | None,
        msgspec.Meta(
            description="The same metric for a trivial model (majority class, or the mean).",
            examples=[0.6375],
        ),
    ]
    verdict: Annotated[
        Literal["poor", "fair", "good", "excellent", "suspicious"],
        msgspec.Meta(description="`suspicious` means too good to be true (leakage is likely)."),
    ]
    explanation: Annotated[
        Sentence,
        sentence(
            "The score in context.",
            "accuracy 0.812 against 0.637 for a trivial model that always predicts the most common class.",
        ),
    ]


class DriverExplanation(Schema):
    """A feature that drives the model's predictions."""

    feature: Annotated[ColumnName, msgspec.Meta(examples=["tenure_months"])]
    importance: Annotated[
        float, msgspec.Meta(description="Relative importance (the model's own scale).", examples=[0.2365])
    ]
    explanation: Annotated[
        Sentence,
        sentence("Its part in the predictions.", "Accounts for 79% of the model's total importance."),
    ]


class ModelNarrative(Schema):
    """A plain-language account of a trained model: quality, drivers, weaknesses, next steps."""

    summary: Annotated[
        str,
        msgspec.Meta(
            max_length=3000,
            description="Two or three sentences.",
            examples=[
                "`customers-2024 · churned · linear` is a linear binary classification model predicting "
                "`churned`. Its quality is good: accuracy 0.812 against a baseline of 0.637."
            ],
        ),
    ]
    quality: ModelQuality
    drivers: Annotated[
        list[DriverExplanation], msgspec.Meta(max_length=15, description="Most important first.")
    ]
    weaknesses: Annotated[
        list[Sentence],
        msgspec.Meta(
            max_length=15,
            description="Where the model falls short.",
            examples=[
                ["It often misses class `yes`: recall 59% over 29 test rows, most often mistaken for `no`."]
            ],
        ),
    ]
    next_steps: Annotated[
        list[Sentence],
        msgspec.Meta(
            max_length=15,
            description="What to do next.",
            examples=[["Test it on recent data it has never seen before promoting it to production."]],
        ),
    ]
    caveats: Annotated[
        list[Sentence],
        msgspec.Meta(
            max_length=15,
            description="Limits of this narrative.",
            examples=[["Evaluated on only 80 held-out rows: the score is uncertain."]],
        ),
    ]


class TokenUsage(Schema):
    """Language-model tokens spent (zero for the heuristic analyst)."""

    prompt_tokens: Annotated[int, msgspec.Meta(ge=0, examples=[1834])]
    completion_tokens: Annotated[int, msgspec.Meta(ge=0, examples=[612])]
    total_tokens: Annotated[int, msgspec.Meta(ge=0, examples=[2446])]


class Provenance(Schema):
    """Who wrote the result and at what cost."""

    provider: Annotated[ProviderName, msgspec.Meta(description="`openai` (a language model) or `heuristic`.")]
    model: Annotated[
        str,
        msgspec.Meta(description="Model name; `rules` for the heuristic analyst.", examples=["gpt-4o-mini"]),
    ]
    prompt_version: Annotated[
        str,
        msgspec.Meta(
            description="Version of the prompt and rules that produced it.", examples=[PROMPT_VERSION]
        ),
    ]
    token_usage: Annotated[TokenUsage, msgspec.Meta(description="Summed over every call, including retries.")]
    latency_ms: Annotated[
        float, msgspec.Meta(ge=0, description="Time spent producing the result.", examples=[2841.5])
    ]
    attempts: Annotated[
        int,
        msgspec.Meta(ge=0, description="Language-model answers requested (a repair counts).", examples=[1]),
    ]
    fallback_used: Annotated[
        bool,
        msgspec.Meta(description="True when the language model failed and the heuristic analyst answered."),
    ]
    fallback_reason: Annotated[
        str | None,
        msgspec.Meta(
            description="Why the fallback was used.",
            examples=[
                "The language model at https://api.openai.com/v1 did not answer within 60 s (2 retries)."
            ],
        ),
    ]


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
                examples=["churned"],
            ),
        ]
        | None
    ) = None


class Analysis(Schema):
    """An analysis job and, once it succeeded, its result."""

    id: AnalysisId
    kind: Annotated[AnalysisKind, msgspec.Meta(description="`dataset` analysis or `model` narrative.")]
    dataset_id: Annotated[
        DatasetId | None, msgspec.Meta(description="The analysed dataset (or the model's dataset).")
    ]
    model_id: Annotated[
        ModelId | None, msgspec.Meta(description="The explained model (model narratives only).")
    ]
    status: JobStatus
    progress: Annotated[
        float, msgspec.Meta(ge=0, le=1, description="0..1; 1 when succeeded.", examples=[1.0])
    ]
    message: Annotated[str | None, msgspec.Meta(description="What the job is doing now.", examples=["Done."])]
    error: Annotated[Problem | None, msgspec.Meta(description="Why the job failed (problem details).")]
    result: Annotated[
        DatasetAnalysisResult | None,
        msgspec.Meta(description="The dataset analysis (kind `dataset`, succeeded)."),
    ]
    narrative: Annotated[
        ModelNarrative | None, msgspec.Meta(description="The model narrative (kind `model`, succeeded).")
    ]
    provenance: Annotated[
        Provenance | None, msgspec.Meta(description="Who wrote the result, once succeeded.")
    ]
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When it was queued (UTC).", examples=[examples.ANALYSIS_CREATED_AT]),
    ]
    started_at: Annotated[
        datetime | None,
        msgspec.Meta(description="When it started (UTC).", examples=[examples.ANALYSIS_STARTED_AT]),
    ]
    finished_at: Annotated[
        datetime | None,
        msgspec.Meta(description="When it finished (UTC).", examples=[examples.ANALYSIS_FINISHED_AT]),
    ]


class AnalysisPage(Page):
    """Analyses, newest first."""

    items: list[Analysis]
