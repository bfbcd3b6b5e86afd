"""Dependency providers of analyses (registered by the app; parameters are other dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency

from modelyard.domain.analysis.services import AnalysisEngine, AnalysisService
from modelyard.domain.datasets.services import DatasetService
from modelyard.lib.jobs import JobRunner


def provide_analysis_service(
    datasets: NamedDependency[DatasetService],
    analysis_engine: NamedDependency[AnalysisEngine],
    job_runner: NamedDependency[JobRunner],
) -> AnalysisService:
    """`analyses`: the caller's analyses over the app's analysis engine and job runner."""
    return AnalysisService(datasets, analysis_engine, job_runner)
