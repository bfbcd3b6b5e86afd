"""Registration of the analysis job (its handler is `AnalysisEngine.run_job`)."""

from __future__ import annotations

from modelyard.domain.analysis.documents import AnalysisJobDocument
from modelyard.domain.analysis.services import AnalysisEngine
from modelyard.lib.jobs import JobRunner


def register_analysis_jobs(runner: JobRunner, engine: AnalysisEngine) -> None:
    runner.register(AnalysisJobDocument, engine.run_job)
