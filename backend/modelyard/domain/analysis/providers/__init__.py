"""Analysts: who writes an analysis. Both return the same typed results with their provenance.

- `heuristic`: the built-in rules (offline, deterministic).
- `openai`: a language model behind the OpenAI chat-completions API (or a compatible server).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from modelyard.domain.analysis.facts import ModelFacts
from modelyard.domain.analysis.schemas import (
    DatasetAnalysisResult,
    ModelNarrative,
    Provenance,
    ProviderName,
    TokenUsage,
)
from modelyard.domain.analysis.signals import DataSignals
from modelyard.domain.datasets.schemas import DatasetProfile

T = TypeVar("T")


@dataclass(frozen=True)
class DatasetRequest:
    profile: DatasetProfile
    signals: DataSignals
    target_hint: str | None = None


@dataclass(frozen=True)
class ModelRequest:
    facts: ModelFacts


@dataclass(frozen=True)
class Authored(Generic[T]):
    result: T
    provenance: Provenance


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 0

    def schema(self) -> TokenUsage:
        return TokenUsage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_tokens=self.prompt_tokens + self.completion_tokens,
        )


@dataclass
class AnalystFailure(Exception):
    """The analyst could not produce a valid result; `reason` is written for people."""

    reason: str
    usage: Usage = field(default_factory=Usage)

    def __str__(self) -> str:
        return self.reason


class Analyst(Protocol):
    @property
    def name(self) -> ProviderName: ...

    @property
    def model(self) -> str: ...

    async def analyse_dataset(self, request: DatasetRequest) -> Authored[DatasetAnalysisResult]: ...

    async def narrate_model(self, request: ModelRequest) -> Authored[ModelNarrative]: ...

    async def probe(self) -> str:
        """Readiness detail; raises when the analyst cannot serve."""
        ...

    async def close(self) -> None: ...
