"""The built-in analyst: deterministic rules over the profile, the data signals and training results.

No network, no randomness: the same inputs always give the same text. It is the default
provider when no OpenAI endpoint is configured and the fallback when the language model
fails, so its answers use the same schemas as the model's.

Modules: `dataset` (`analyse_dataset`), `targets` (identifiers, personal data, target
ranking), `findings`, `preparation` (exclusions and preprocessing advice), `narrative`
(`narrate_model`), `wording` (shared phrasing).
"""

from __future__ import annotations

from modelyard.domain.analysis.heuristic.dataset import analyse_dataset
from modelyard.domain.analysis.heuristic.narrative import narrate_model
from modelyard.domain.analysis.heuristic.targets import (
    TargetCandidate,
    identifier_columns,
    pii_columns,
    problem_type_of,
    rank_targets,
)

RULES_VERSION = "heuristic-2"

__all__ = [
    "RULES_VERSION",
    "TargetCandidate",
    "analyse_dataset",
    "identifier_columns",
    "narrate_model",
    "pii_columns",
    "problem_type_of",
    "rank_targets",
]
