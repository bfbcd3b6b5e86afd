"""The heuristic analyst as a provider."""

from __future__ import annotations

import time
from typing import Literal

from modelyard.domain.analysis import heuristic
from modelyard.domain.analysis.providers import Authored, DatasetRequest, ModelRequest, Usage
from modelyard.domain.analysis.schemas import DatasetAnalysisResult, ModelNarrative, Provenance
from modelyard.observability.metrics import observe_llm_call

HEURISTIC_MODEL = "rules"


def heuristic_provenance(
    started: float, *, fallback_reason: str | None = None, usage: Usage | None = None
) -> Provenance:
    usage = usage or Usage()
    return Provenance(
        provider="heuristic",
        model=HEURISTIC_MODEL,
        prompt_version=heuristic.RULES_VERSION,
        token_usage=usage.schema(),
        latency_ms=round((time.perf_counter() - started) * 1000, 2),
        attempts=usage.attempts,
        fallback_used=fallback_reason is not None,
        fallback_reason=fallback_reason,
    )


class HeuristicAnalyst:
    name: Literal["heuristic"] = "heuristic"
    model = HEURISTIC_MODEL

    async def analyse_dataset(
        self, request: DatasetRequest, *, fallback_reason: str | None = None, usage: Usage | None = None
    ) -> Authored[DatasetAnalysisResult]:
        started = time.perf_counter()
        result = heuristic.analyse_dataset(request.profile, request.signals, request.target_hint)
        observe_llm_call(
            provider=self.name,
            model=self.model,
            outcome="success",
            duration_seconds=time.perf_counter() - started,
        )
        return Authored(result, heuristic_provenance(started, fallback_reason=fallback_reason, usage=usage))

    async def narrate_model(
        self, request: ModelRequest, *, fallback_reason: str | None = None, usage: Usage | None = None
    ) -> Authored[ModelNarrative]:
        started = time.perf_counter()
        result = heuristic.narrate_model(request.facts)
        observe_llm_call(
            provider=self.name,
            model=self.model,
            outcome="success",
            duration_seconds=time.perf_counter() - started,
        )
        return Authored(result, heuristic_provenance(started, fallback_reason=fallback_reason, usage=usage))

    async def probe(self) -> str:
        return "heuristic (built-in, offline)"

    async def close(self) -> None:
        return None
