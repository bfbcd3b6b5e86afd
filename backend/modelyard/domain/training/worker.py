"""The training job's process-pool side: search, then package the result as plain data."""

from __future__ import annotations

import math
from typing import Any

import pyarrow.parquet as pq

from modelyard.domain.training.automl import AutoMLOptions, run_automl
from modelyard.lib.jobs import JobControl
from modelyard.ml.artifacts import dump_pipeline
from modelyard.ml.compiled import compile_pipeline
from modelyard.ml.trees import NotCompilableError


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def train_in_worker(control: JobControl, table_path: str, options: dict[str, Any]) -> dict[str, Any]:
    """Run the AutoML search on the Parquet table at `table_path`; return the artifact bytes and the
    evaluation (JSON-able)."""
    result = run_automl(pq.read_table(table_path), AutoMLOptions(**options), control)
    try:
        compile_pipeline(result.pipeline)
        path = "compiled"
    except NotCompilableError:
        path = "pipeline"
    control.check()
    return {
        "artifact": dump_pipeline(result.pipeline),
        "inference_path": path,
        "problem_type": result.problem_type,
        "metric": result.metric,
        "greater_is_better": result.greater_is_better,
        "algorithm": result.algorithm,
        "params": result.params,
        "cv_score": _finite(result.cv_score),
        "cv_std": _finite(result.cv_std),
        "leaderboard": result.leaderboard,
        "test_metrics": result.test_metrics,
        "confusion": result.confusion,
        "residuals": result.residuals,
        "feature_importance": result.feature_importance,
        "leakage_findings": result.leakage_findings,
        "explanation_means": result.explanation_means,
        "shap_summary": result.shap_summary,
        "search_stop": result.search_stop,
        "score_history": result.score_history,
        "training_schema": result.schema.to_dict(),
        "rows_train": result.rows_train,
        "rows_test": result.rows_test,
        "drift_reference": result.drift_reference,
        "search_seconds": result.search_seconds,
        "total_seconds": result.total_seconds,
    }
