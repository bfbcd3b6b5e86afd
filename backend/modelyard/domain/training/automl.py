"""AutoML: from a table and a target to the best fitted pipeline, within a time budget.

Search: linear models, extra trees, random forests and histogram gradient boosting,
each with a few configurations ordered cheapest first (the default
HistGradientBoosting is always the second one tried, so the search never ends
without the usual strong baseline). On larger data the configurations race by
successive halving: all of them are cross-validated on a subsample, the best third
moves on to three times the rows, up to the full training split. The deadline is
checked between folds; a configuration whose estimated cost no longer fits is
skipped. The winner is refit on the whole training split and scored on the held-out
test split.

Preprocessing lives inside the pipeline: imputation, scaling for linear models,
one-hot (unknown categories ignored) or ordinal (unknown -> its own code) encoding,
datetime parts; identifier-like, constant, empty and excluded columns are dropped
and listed in the schema.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    median_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from modelyard.lib.jobs import JobControl
from modelyard.lib.schema import ProblemType
from modelyard.ml.features import (
    DatetimeFeatures,
    TrainingSchema,
    check_target,
    infer_schema,
    prepare_frame,
    to_pandas,
)

Algorithm = Literal["linear", "hist_gradient_boosting", "extra_trees", "random_forest"]
ALGORITHMS: tuple[Algorithm, ...] = ("linear", "hist_gradient_boosting", "extra_trees", "random_forest")
Metric = Literal["roc_auc", "f1_macro", "log_loss", "accuracy", "rmse", "mae", "r2"]

DEFAULT_METRIC: dict[ProblemType, Metric] = {
    "binary": "roc_auc",
    "multiclass": "f1_macro",
    "regression": "rmse",
}
METRICS_FOR: dict[ProblemType, tuple[Metric, ...]] = {
    "binary": ("roc_auc", "log_loss", "accuracy", "f1_macro"),
    "multiclass": ("f1_macro", "log_loss", "accuracy"),
    "regression": ("rmse", "mae", "r2"),
}
LOWER_IS_BETTER = {"log_loss", "rmse", "mae"}
ONE_HOT_MAX_CATEGORIES = 30
HGB_MAX_CATEGORIES = 250
HALVING_MIN_ROWS = 600
HALVING_FROM_ROWS = 3000


@dataclass
class AutoMLOptions:
    target: str
    problem_type: ProblemType | None = None
    metric: Metric | None = None
    time_budget_s: float = 60.0
    cv_folds: int = 3
    test_size: float = 0.2
    algorithms: list[Algorithm] | None = None
    exclude_columns: list[str] = field(default_factory=list)
    random_seed: int = 0


@dataclass
class AutoMLResult:
    pipeline: Pipeline
    schema: TrainingSchema
    problem_type: ProblemType
    metric: Metric
    greater_is_better: bool
    algorithm: Algorithm
    params: dict[str, Any]
    cv_score: float
    cv_std: float
    leaderboard: list[dict[str, Any]]
    test_metrics: dict[str, float]
    confusion: dict[str, Any] | None
    residuals: dict[str, float] | None
    feature_importance: list[dict[str, Any]]
    rows_train: int
    rows_test: int
    search_seconds: float
    total_seconds: float


# -- search space ---------------------------------------------------------------------------


def search_space(problem: ProblemType) -> list[tuple[Algorithm, dict[str, Any]]]:
    """Configurations, cheapest first; the HistGradientBoosting default comes second."""
    linear = (
        [{"C": 1.0}, {"C": 0.1}, {"C": 10.0}]
        if problem != "regression"
        else [
            {"alpha": 1.0},
            {"alpha": 10.0},
            {"alpha": 0.1},
        ]
    )
    return [
        ("linear", linear[0]),
        ("hist_gradient_boosting", {}),
        ("extra_trees", {"n_estimators": 150, "max_features": "sqrt", "min_samples_leaf": 1}),
        ("random_forest", {"n_estimators": 150, "max_features": "sqrt", "min_samples_leaf": 1}),
        ("linear", linear[1]),
        ("linear", linear[2]),
        (
            "hist_gradient_boosting",
            {"learning_rate": 0.05, "max_iter": 300, "max_leaf_nodes": 15, "min_samples_leaf": 10},
        ),
        ("extra_trees", {"n_estimators": 200, "max_features": 0.5, "min_samples_leaf": 2}),
        ("random_forest", {"n_estimators": 200, "max_features": 0.5, "min_samples_leaf": 3}),
        (
            "hist_gradient_boosting",
            {"learning_rate": 0.1, "max_leaf_nodes": 63, "min_samples_leaf": 5, "l2_regularization": 1.0},
        ),
        (
            "hist_gradient_boosting",
            {"learning_rate": 0.03, "max_iter": 600, "max_leaf_nodes": 31, "l2_regularization": 0.1},
        ),
    ]


def build_pipeline(
    schema: TrainingSchema, algorithm: Algorithm, params: dict[str, Any], seed: int
) -> Pipeline:
    numeric = schema.columns_of("numeric") + schema.columns_of("boolean")
    categorical = schema.columns_of("categorical")
    datetimes = schema.columns_of("datetime")
    cardinality = {f.name: f.cardinality or 0 for f in schema.features}
    classify = schema.problem_type != "regression"
    parts: list[tuple[str, Any, list[str]]] = []
    native_categorical: list[int] = []

    if algorithm == "linear":
        if numeric:
            parts.append(
                (
                    "numeric",
                    Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
                    numeric,
                )
            )
        few = [c for c in categorical if cardinality[c] <= ONE_HOT_MAX_CATEGORIES]
        many = [c for c in categorical if cardinality[c] > ONE_HOT_MAX_CATEGORIES]
        if few:
            parts.append(("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), few))
        if many:
            encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
            )
            parts.append(("ordinal", Pipeline([("encode", encoder), ("scale", StandardScaler())]), many))
        if datetimes:
            parts.append(
                (
                    "datetime",
                    Pipeline(
                        [
                            ("parts", DatetimeFeatures()),
                            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                            ("scale", StandardScaler()),
                        ]
                    ),
                    datetimes,
                )
            )
        estimator: Any = (
            LogisticRegression(max_iter=2000, random_state=seed, **params) if classify else Ridge(**params)
        )
    elif algorithm == "hist_gradient_boosting":
        # Native NaN and native categories: no imputation, ordinal codes flagged as categorical.
        width = 0
        if numeric:
            parts.append(("numeric", "passthrough", numeric))
            width += len(numeric)
        if categorical:
            encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)
            parts.append(("ordinal", encoder, categorical))
            native_categorical = [
                width + i for i, c in enumerate(categorical) if cardinality[c] <= HGB_MAX_CATEGORIES
            ]
            width += len(categorical)
        if datetimes:
            parts.append(("datetime", DatetimeFeatures(), datetimes))
        cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        estimator = cls(random_state=seed, categorical_features=native_categorical or None, **params)
    else:
        if numeric:
            parts.append(("numeric", SimpleImputer(strategy="median", keep_empty_features=True), numeric))
        if categorical:
            parts.append(
                (
                    "ordinal",
                    OrdinalEncoder(
                        handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
                    ),
                    categorical,
                )
            )
        if datetimes:
            parts.append(
                (
                    "datetime",
                    Pipeline(
                        [
                            ("parts", DatetimeFeatures()),
                            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                        ]
                    ),
                    datetimes,
                )
            )
        if algorithm == "extra_trees":
            cls_ = ExtraTreesClassifier if classify else ExtraTreesRegressor
        else:
            cls_ = RandomForestClassifier if classify else RandomForestRegressor
        estimator = cls_(random_state=seed, n_jobs=1, **params)

    preprocess = ColumnTransformer(
        parts, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=False
    )
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


# -- scoring --------------------------------------------------------------------------------


def _proba_and_pred(pipeline: Pipeline, X: pd.DataFrame, problem: ProblemType) -> tuple[Any, Any]:
    if problem == "regression":
        return None, pipeline.predict(X)
    proba = pipeline.predict_proba(X)
    classes = pipeline.classes_
    return proba, classes[np.argmax(proba, axis=1)]


def metric_value(metric: Metric, y: Any, proba: Any, pred: Any, classes: Any) -> float:
    if metric == "roc_auc":
        if len(classes) == 2:
            return float(roc_auc_score(y, proba[:, 1]))
        return float(roc_auc_score(y, proba, multi_class="ovr", labels=classes))
    if metric == "log_loss":
        return float(log_loss(y, proba, labels=classes))
    if metric == "f1_macro":
        return float(f1_score(y, pred, average="macro", labels=classes, zero_division=0))
    if metric == "accuracy":
        return float(accuracy_score(y, pred))
    if metric == "rmse":
        return float(root_mean_squared_error(y, pred))
    if metric == "mae":
        return float(mean_absolute_error(y, pred))
    return float(r2_score(y, pred))


def all_metrics(problem: ProblemType, y: Any, proba: Any, pred: Any, classes: Any) -> dict[str, float]:
    if problem == "regression":
        return {
            "rmse": float(root_mean_squared_error(y, pred)),
            "mae": float(mean_absolute_error(y, pred)),
            "median_absolute_error": float(median_absolute_error(y, pred)),
            "r2": float(r2_score(y, pred)),
        }
    out = {
        "accuracy": float(accuracy_score(y, pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "f1_macro": float(f1_score(y, pred, average="macro", labels=classes, zero_division=0)),
        "precision_macro": float(precision_score(y, pred, average="macro", labels=classes, zero_division=0)),
        "recall_macro": float(recall_score(y, pred, average="macro", labels=classes, zero_division=0)),
        "log_loss": float(log_loss(y, proba, labels=classes)),
    }
    if problem == "binary":
        positive = classes[1]
        out["roc_auc"] = float(roc_auc_score(y, proba[:, 1]))
        out["precision"] = float(precision_score(y, pred, pos_label=positive, zero_division=0))
        out["recall"] = float(recall_score(y, pred, pos_label=positive, zero_division=0))
        out["f1"] = float(f1_score(y, pred, pos_label=positive, zero_division=0))
    elif len(set(np.asarray(y).tolist())) == len(classes):
        out["roc_auc_ovr"] = float(roc_auc_score(y, proba, multi_class="ovr", labels=classes))
    return out


def residual_summary(y: Any, pred: Any) -> dict[str, float]:
    residuals = np.asarray(y, dtype=float) - np.asarray(pred, dtype=float)
    q = np.quantile(residuals, [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0])
    return {
        "mean": float(residuals.mean()),
        "std": float(residuals.std()),
        "min": float(q[0]),
        "p05": float(q[1]),
        "p25": float(q[2]),
        "median": float(q[3]),
        "p75": float(q[4]),
        "p95": float(q[5]),
        "max": float(q[6]),
    }


# -- the search -----------------------------------------------------------------------------


class _Deadline(Exception):
    pass


@dataclass
class _Evaluation:
    index: int
    algorithm: Algorithm
    params: dict[str, Any]
    rows: int
    score: float = math.nan
    std: float = math.nan
    fit_seconds: float = 0.0
    status: str = "ok"
    detail: str | None = None

    def as_dict(self, metric: Metric) -> dict[str, Any]:
        return {
            "rank": None,
            "candidate": self.index,
            "algorithm": self.algorithm,
            "params": self.params,
            "rows": self.rows,
            "metric": metric,
            "cv_score": None if math.isnan(self.score) else self.score,
            "cv_std": None if math.isnan(self.std) else self.std,
            "fit_seconds": round(self.fit_seconds, 4),
            "status": self.status,
            "detail": self.detail,
        }


def _subsample(
    X: pd.DataFrame, y: np.ndarray[Any, Any], rows: int, classify: bool, seed: int
) -> tuple[Any, Any]:
    if rows >= len(X):
        return X, y
    index = np.arange(len(X))
    chosen, _ = train_test_split(index, train_size=rows, random_state=seed, stratify=y if classify else None)
    chosen = np.sort(chosen)
    return X.iloc[chosen].reset_index(drop=True), y[chosen]


def run_automl(data: Any, options: AutoMLOptions, control: JobControl | None = None) -> AutoMLResult:
    """Search, refit and evaluate. Raises TrainingDataError for unusable data."""
    control = control or JobControl()
    started = time.monotonic()
    budget = options.time_budget_s
    # The search stops at 85% of the budget: preparation, refit and importance need the rest.
    deadline = started + budget * 0.85
    frame = to_pandas(data)
    problem = check_target(frame, options.target, options.problem_type)
    frame = frame[frame[options.target].notna()].reset_index(drop=True)
    schema = infer_schema(frame, options.target, problem, options.exclude_columns)
    classify = problem != "regression"
    metric: Metric = options.metric or DEFAULT_METRIC[problem]
    greater = metric not in LOWER_IS_BETTER
    y_raw = frame[options.target]
    y = target_array(y_raw, classify)
    X = prepare_frame(frame, schema)

    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=options.test_size,
        random_state=options.random_seed,
        stratify=y if classify else None,
    )
    X_train = X_train.reset_index(drop=True)
    X_test = X_test.reset_index(drop=True)
    n_train = len(X_train)
    folds = options.cv_folds
    if classify:
        smallest = int(pd.Series(y_train).value_counts().min())
        folds = max(2, min(folds, smallest))
    allowed = set(options.algorithms or ALGORITHMS)
    configs = [(a, p) for a, p in search_space(problem) if a in allowed]

    if n_train >= HALVING_FROM_ROWS:
        rungs = sorted({max(HALVING_MIN_ROWS, n_train // 9), max(HALVING_MIN_ROWS, n_train // 3), n_train})
    else:
        rungs = [n_train]
    evaluations: list[_Evaluation] = []
    per_fold_cost: dict[tuple[str, int], float] = {}

    def publish(note: str) -> None:
        elapsed = time.monotonic() - started
        board = _leaderboard(evaluations, metric, greater)
        control.report(min(0.95, elapsed / max(options.time_budget_s, 1e-9)), candidates=board, message=note)

    def evaluate(index: int, algorithm: Algorithm, params: dict[str, Any], rows: int) -> _Evaluation:
        ev = _Evaluation(index, algorithm, params, rows)
        evaluations.append(ev)
        Xs, ys = _subsample(X_train, y_train, rows, classify, options.random_seed)
        estimate = per_fold_cost.get((algorithm, rows))
        remaining = deadline - time.monotonic()
        if estimate is not None and estimate * folds > remaining:
            ev.status, ev.detail = "skipped", "would not finish within the time budget"
            return ev
        splitter = (
            StratifiedKFold(folds, shuffle=True, random_state=options.random_seed)
            if classify
            else KFold(folds, shuffle=True, random_state=options.random_seed)
        )
        scores: list[float] = []
        t0 = time.monotonic()
        try:
            for train_idx, valid_idx in splitter.split(Xs, ys):
                control.check()
                fold_cost = per_fold_cost.get((algorithm, rows), 0.0)
                if scores:
                    fold_cost = (time.monotonic() - t0) / len(scores)
                if time.monotonic() + fold_cost > deadline:
                    raise _Deadline
                model = build_pipeline(schema, algorithm, params, options.random_seed)
                model.fit(Xs.iloc[train_idx], ys[train_idx])
                proba, pred = _proba_and_pred(model, Xs.iloc[valid_idx], problem)
                classes = model.classes_ if classify else None
                scores.append(metric_value(metric, ys[valid_idx], proba, pred, classes))
        except _Deadline:
            ev.status, ev.detail = "stopped", "the time budget ran out during cross-validation"
        except Exception as exc:  # a configuration that cannot fit this data is skipped, not fatal
            if type(exc).__name__ == "JobCancelledError":
                raise
            ev.status, ev.detail = "failed", f"{type(exc).__name__}: {exc}"[:500]
        ev.fit_seconds = time.monotonic() - t0
        if scores:
            per_fold_cost[(algorithm, rows)] = ev.fit_seconds / len(scores)
            if ev.status == "ok":
                ev.score, ev.std = float(np.mean(scores)), float(np.std(scores))
        return ev

    survivors = list(enumerate(configs))
    publish("Searching")
    for rung, rows in enumerate(rungs):
        results: list[tuple[int, _Evaluation]] = []
        for index, (algorithm, params) in survivors:
            control.check()
            if time.monotonic() >= deadline:
                break
            ev = evaluate(index, algorithm, params, rows)
            results.append((index, ev))
            publish(f"Rung {rung + 1}/{len(rungs)} on {rows} rows")
        scored = [(i, ev) for i, ev in results if ev.status == "ok"]
        if not scored or time.monotonic() >= deadline or rung == len(rungs) - 1:
            break
        scored.sort(key=lambda item: item[1].score, reverse=greater)
        keep = max(1, math.ceil(len(scored) / 3))
        survivors = [(i, configs[i]) for i, _ in scored[:keep]]

    search_seconds = time.monotonic() - started
    ok = [ev for ev in evaluations if ev.status == "ok"]
    if ok:
        top_rows = max(ev.rows for ev in ok)
        best = sorted((ev for ev in ok if ev.rows == top_rows), key=lambda ev: ev.score, reverse=greater)[0]
        best_algorithm, best_params, cv_score, cv_std = best.algorithm, best.params, best.score, best.std
    else:
        # Nothing finished in time: fall back to the strongest cheap default.
        best_algorithm = "hist_gradient_boosting" if "hist_gradient_boosting" in allowed else configs[0][0]
        best_params = {} if best_algorithm == "hist_gradient_boosting" else configs[0][1]
        cv_score = cv_std = math.nan

    control.check()
    publish("Refitting the best pipeline")
    pipeline = build_pipeline(schema, best_algorithm, best_params, options.random_seed)
    refit_started = time.monotonic()
    pipeline.fit(X_train, y_train)
    refit_seconds = time.monotonic() - refit_started
    proba, pred = _proba_and_pred(pipeline, X_test, problem)
    classes = pipeline.classes_ if classify else None
    test_metrics = all_metrics(problem, y_test, proba, pred, classes)
    confusion = None
    residuals = None
    if classify:
        assert classes is not None
        schema.classes = [_plain(c) for c in classes]
        matrix = confusion_matrix(y_test, pred, labels=classes)
        confusion = {"labels": [_plain(c) for c in classes], "matrix": matrix.tolist()}
    else:
        residuals = residual_summary(y_test, pred)

    control.check()
    publish("Computing feature importance")
    importance = _importance(
        pipeline,
        X_test,
        y_test,
        metric,
        greater,
        options.random_seed,
        deadline=started + budget + refit_seconds,
    )
    board = _leaderboard(evaluations, metric, greater)
    return AutoMLResult(
        pipeline=pipeline,
        schema=schema,
        problem_type=problem,
        metric=metric,
        greater_is_better=greater,
        algorithm=best_algorithm,
        params=best_params,
        cv_score=cv_score,
        cv_std=cv_std,
        leaderboard=board,
        test_metrics=test_metrics,
        confusion=confusion,
        residuals=residuals,
        feature_importance=importance,
        rows_train=n_train,
        rows_test=len(X_test),
        search_seconds=search_seconds,
        total_seconds=time.monotonic() - started,
    )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def target_array(series: pd.Series, classify: bool) -> np.ndarray[Any, Any]:
    """Labels as int64, bool or str (classification) or float64 (regression)."""
    result: np.ndarray[Any, Any]
    if not classify:
        result = series.to_numpy(dtype=np.float64)
        return result
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        result = series.to_numpy(dtype=bool)
        return result
    if pd.api.types.is_integer_dtype(dtype):
        result = series.to_numpy(dtype=np.int64)
        return result
    if pd.api.types.is_float_dtype(dtype):
        values: np.ndarray[Any, Any] = series.to_numpy(dtype=np.float64)
        if np.all(np.mod(values, 1) == 0):
            return values.astype(np.int64)
    result = series.astype(str).to_numpy(dtype=object)
    return result


def _leaderboard(evaluations: list[_Evaluation], metric: Metric, greater: bool) -> list[dict[str, Any]]:
    rows = [ev.as_dict(metric) for ev in evaluations]
    ranked = sorted(
        (r for r in rows if r["cv_score"] is not None),
        key=lambda r: (-r["rows"], -r["cv_score"] if greater else r["cv_score"]),
    )
    for rank, row in enumerate(ranked, start=1):
        row["rank"] = rank
    return ranked + [r for r in rows if r["cv_score"] is None]


def _importance(
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: Any,
    metric: Metric,
    greater: bool,
    seed: int,
    deadline: float,
    max_rows: int = 1000,
    max_repeats: int = 5,
) -> list[dict[str, Any]]:
    """Permutation importance of each input column on the test split, within `deadline`.

    Importance is how much the metric worsens when the column's values are shuffled
    (positive: the model relies on it). Repeats and rows shrink to fit the time left.
    """
    problem: ProblemType = "regression" if not hasattr(pipeline, "classes_") else "binary"
    classes = getattr(pipeline, "classes_", None)
    rng = np.random.default_rng(seed)
    if len(X) > max_rows:
        X, y = X.iloc[:max_rows], y[:max_rows]

    def score(frame: pd.DataFrame) -> float:
        proba, pred = _proba_and_pred(pipeline, frame, problem)
        return metric_value(metric, y, proba, pred, classes)

    t0 = time.monotonic()
    try:
        base = score(X)
    except ValueError:  # e.g. roc_auc on a test split missing a class
        metric, greater = ("rmse", False) if classes is None else ("accuracy", True)
        base = score(X)
    one = max(time.monotonic() - t0, 1e-4)
    columns = list(X.columns)
    affordable = (deadline - time.monotonic()) / (one * max(1, len(columns)))
    repeats = int(max(1, min(max_repeats, affordable)))
    if affordable < 1 and len(X) > 100:
        keep = max(100, int(len(X) * max(affordable, 0.1)))
        X, y = X.iloc[:keep], y[:keep]
    rows = []
    for name in columns:
        drops = []
        for _ in range(repeats):
            shuffled = X.copy()
            shuffled[name] = X[name].to_numpy()[rng.permutation(len(X))]
            value = score(shuffled)
            drops.append(base - value if greater else value - base)
        rows.append({"feature": str(name), "importance": float(np.mean(drops)), "std": float(np.std(drops))})
    return sorted(rows, key=lambda r: r["importance"], reverse=True)
