"""AutoML: from a table and a target to the best fitted pipeline, within a time budget.

Search: first a portfolio of strong default configurations of linear models, extra trees,
random forests and histogram gradient boosting, cheapest first (the default
HistGradientBoosting is always the second one tried, so the search never ends without the
usual strong baseline); on larger data they race by successive halving (`search`). Then
Optuna's TPE tunes the leading families within their spaces (`hyperparameters`) until the
budget is spent or the search converged (`tuning`). A greedy weighted ensemble of the
configurations' out-of-fold outputs wins when it beats the best one (`blending`). The winner is
refit on the whole training split and scored on the held-out test split (`evaluation`).

Preprocessing lives inside the pipeline (`pipelines`); identifier-like, constant,
empty and excluded columns are dropped and listed in the schema.

Modules: `space` (algorithms, metrics, options, portfolio configurations), `hyperparameters`
(each family's tuning space), `data` (target, schema, split), `pipelines`, `metrics`, `search`,
`tuning`, `blending`, `evaluation`, `run` (`run_automl`).
"""

from __future__ import annotations

from modelyard.domain.training.automl.data import target_array
from modelyard.domain.training.automl.metrics import all_metrics, metric_value, residual_summary
from modelyard.domain.training.automl.pipelines import build_pipeline
from modelyard.domain.training.automl.run import AutoMLResult, run_automl
from modelyard.domain.training.automl.space import (
    ALGORITHMS,
    DEFAULT_METRIC,
    METRICS_FOR,
    Algorithm,
    AutoMLOptions,
    Metric,
    search_space,
)

__all__ = [
    "ALGORITHMS",
    "DEFAULT_METRIC",
    "METRICS_FOR",
    "Algorithm",
    "AutoMLOptions",
    "AutoMLResult",
    "Metric",
    "all_metrics",
    "build_pipeline",
    "metric_value",
    "residual_summary",
    "run_automl",
    "search_space",
    "target_array",
]
