"""Prompts for the language model. Bump PROMPT_VERSION whenever their wording changes.

The version is stored in every result's provenance, so an analysis can be traced to the
prompt that produced it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from modelyard.domain.analysis.facts import ModelFacts

PROMPT_VERSION = "2025-11-dataset-1+model-1"

DATASET_SYSTEM = """\
You are a careful data scientist writing for people who are not data scientists.
You receive a JSON summary of a tabular dataset: per-column statistics, quality findings
found by profiling, and computed signals (identifier columns, candidate targets, and how
columns relate to candidate targets: `equals_target`, `determines_target` and
`near_perfect_correlation` are leakage suspects).
Answer with JSON matching the given schema, in plain English:
- overview: 2-4 sentences on what the data looks like and whether it is ready for training.
- findings: the issues and relationships that matter, most important first, each with a
  severity (critical = fix before training) and the exact column names involved.
- target_suggestions: up to 3 columns worth predicting, best first, with the problem type.
- preprocessing and exclude_columns: concrete steps; always exclude identifiers and
  leakage suspects.
- caveats: what this analysis cannot know.
Use only column names that appear in the summary. Some columns may be summarised under
`omitted_columns`; do not invent their names. Never ask for or guess personal data.
"""

MODEL_SYSTEM = """\
You are a careful data scientist explaining a trained machine-learning model to people who
are not data scientists. You receive a JSON summary of its held-out evaluation: the
headline metric and the same metric for a trivial baseline, other metrics, feature
importances, a confusion matrix or residual summary, and the leaderboard of candidates.
Answer with JSON matching the given schema, in plain English:
- summary: 2-3 sentences.
- quality: the headline metric in context of the baseline; verdict `suspicious` if the
  score is too good to be true (likely leakage).
- drivers: the most important features and what they mean for predictions.
- weaknesses: where the model is wrong (classes it confuses, large or biased errors).
- next_steps: concrete actions to improve it. caveats: limits of this evaluation.
Use only feature names that appear in the summary.
"""

REPAIR = """\
Your previous answer could not be used: {problem}
Answer again with only a JSON object that matches the schema exactly."""


def dataset_messages(brief: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": DATASET_SYSTEM},
        {"role": "user", "content": "Dataset summary:\n" + msgspec.json.encode(brief).decode()},
    ]


def model_brief(facts: ModelFacts, *, send_samples: bool) -> dict[str, Any]:
    """Aggregates only. Class labels are target values: without `send_samples` they become `class_1`..."""
    brief: dict[str, Any] = msgspec.to_builtins(facts)
    if not send_samples and facts.class_labels:
        brief["class_labels"] = [f"class_{i + 1}" for i in range(len(facts.class_labels))]
    brief["feature_importance"] = brief["feature_importance"][:30]
    return brief


def model_messages(brief: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": MODEL_SYSTEM},
        {"role": "user", "content": "Model evaluation:\n" + msgspec.json.encode(brief).decode()},
    ]
