"""LightGBM in AutoML: the compiled trees give LightGBM's own outputs, the artifact round-trips
through skops without pickle, early stopping uses a validation fold of the training rows, and
TreeSHAP on the compiled trees adds up and agrees with LightGBM's own contributions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from modelyard.domain.training.automl import build_pipeline
from modelyard.ml.artifacts import dump_pipeline, load_pipeline, untrusted_types
from modelyard.ml.compiled import compile_pipeline
from modelyard.ml.explain import ModelExplainer, explanation_summary
from modelyard.ml.features import TrainingSchema, check_target, infer_schema, prepare_frame
from modelyard.ml.lightgbm_model import LightGBMClassifier, LightGBMRegressor
from modelyard.ml.lightgbm_trees import CompiledLightGBM
from modelyard.ml.scoring import LoadedModel, predict_records
from modelyard.ml.trees import compile_estimator
from modelyard.ml.treeshap import TreeExplainer
from tests.unit.training.data import mixed_frame

PROBLEMS = ["binary", "multiclass", "regression"]


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    with threadpool_limits(1):
        yield


def _fitted(problem: str, n: int = 2000) -> tuple[Any, TrainingSchema]:
    frame = mixed_frame(n, seed=5, problem=problem)
    schema = infer_schema(frame, "churn", check_target(frame, "churn", None))
    pipeline = build_pipeline(schema, "lightgbm", {}, 0)
    pipeline.fit(prepare_frame(frame, schema), frame["churn"].to_numpy())
    return pipeline, schema


def _check_matrix(pipeline: Any, schema: TrainingSchema, problem: str) -> np.ndarray:
    """10,000 encoded rows with 5% missing cells, tiny magnitudes LightGBM reads as 0, and odd
    category codes (negative, fractional, unknown, huge) in the native categorical columns."""
    frame = mixed_frame(10_000, seed=7, problem=problem)
    frame.loc[::50, "city"] = "atlantis"
    X = np.asarray(pipeline[0].transform(prepare_frame(frame, schema)), dtype=np.float64)
    rng = np.random.default_rng(0)
    X[rng.random(X.shape) < 0.05] = np.nan
    X[rng.random(X.shape) < 0.01] = 1e-40
    for column in pipeline[-1].categorical_features:
        rows = rng.random(len(X)) < 0.05
        X[rows, column] = rng.choice([-1.0, -0.5, 2.5, 300.0, 1e9], rows.sum())
    return X


@pytest.mark.parametrize("problem", PROBLEMS)
def test_compiled_trees_equal_lightgbm_on_10000_rows(problem: str) -> None:
    pipeline, schema = _fitted(problem)
    _, compiled = compile_pipeline(pipeline)
    assert isinstance(compiled, CompiledLightGBM)
    assert compiled.trees.categorical is not None  # native categorical splits are exercised
    reference = pipeline[-1]
    X = _check_matrix(pipeline, schema, problem)
    raw = reference.raw_output(X).reshape(len(X), -1)
    assert np.array_equal(compiled.raw_output(X), raw)  # the sums are LightGBM's, bit for bit
    if problem == "regression":
        assert np.array_equal(compiled.predict(X), reference.predict(X))
    else:
        assert np.max(np.abs(compiled.predict_proba(X) - reference.predict_proba(X))) <= 1e-9
        assert np.array_equal(compiled.predict(X), reference.predict(X))
    for i in range(0, 40, 9):  # one row at a time, as online requests arrive
        assert np.array_equal(compiled.raw_output(X[i : i + 1]), raw[i : i + 1])


@pytest.mark.parametrize("problem", PROBLEMS)
def test_model_serves_from_the_compiled_path_with_lightgbm_s_answers(problem: str) -> None:
    pipeline, schema = _fitted(problem, n=600)
    model = LoadedModel.build(pipeline, schema, 0)
    assert model.path == "compiled" and isinstance(model.estimator, CompiledLightGBM)
    frame = mixed_frame(300, seed=8, problem=problem).drop(columns=["churn"])
    frame.loc[::7, "age"] = None
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    scored = predict_records(model, records)
    reference = prepare_frame(frame, schema)
    if problem == "regression":
        assert np.array_equal(np.asarray(scored.labels), pipeline.predict(reference))
    else:
        assert scored.probabilities is not None
        assert np.max(np.abs(scored.probabilities - pipeline.predict_proba(reference))) <= 1e-9
        assert scored.labels == pipeline.predict(reference).tolist()


@pytest.mark.parametrize("problem", PROBLEMS)
def test_skops_round_trip_predicts_the_same(problem: str) -> None:
    pipeline, schema = _fitted(problem, n=600)
    data = dump_pipeline(pipeline)
    assert "lightgbm.basic.Booster" in untrusted_types(data)  # stored as its model text
    loaded = load_pipeline(data)
    frame = prepare_frame(mixed_frame(500, seed=9, problem=problem), schema)
    if problem == "regression":
        assert np.array_equal(loaded.predict(frame), pipeline.predict(frame))
    else:
        assert np.array_equal(loaded.predict_proba(frame), pipeline.predict_proba(frame))
    assert loaded[-1].best_iteration_ == pipeline[-1].best_iteration_
    # The loaded model compiles to the same trees.
    X = np.asarray(pipeline[0].transform(frame), dtype=np.float64)
    _, compiled = compile_pipeline(loaded)
    assert np.array_equal(compiled.raw_output(X), pipeline[-1].raw_output(X).reshape(len(X), -1))


def test_early_stopping_on_a_validation_fold_of_the_training_rows() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1000, 5))
    noise = rng.normal(size=1000)  # a target nothing predicts: validation loss stops improving early
    signal = X[:, 0] * 3 + rng.normal(0, 0.1, 1000)
    stopped = LightGBMRegressor(stopping_rounds=20).fit(X, noise)
    learned = LightGBMRegressor(stopping_rounds=20).fit(X, signal)
    assert stopped.best_iteration_ < 40 < learned.best_iteration_ < learned.max_estimators
    assert stopped.model_.n_estimators == stopped.max_estimators  # not a fixed small count
    # The trees saw 90% of the rows: the validation fold is held out of them.
    assert learned.model_.booster_.dump_model()["tree_info"][0]["tree_structure"]["internal_count"] == 900


def test_too_few_rows_for_a_validation_fold_fit_a_fixed_number_of_trees() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(120, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    model = LightGBMClassifier(fixed_estimators=30).fit(X, y)
    assert model.best_iteration_ == 30
    assert list(model.classes_) == ["no", "yes"]
    assert model.model_.booster_.dump_model()["tree_info"][0]["tree_structure"]["internal_count"] == 120


def test_one_thread() -> None:
    model = LightGBMClassifier().fit(np.arange(200.0)[:, None], np.arange(200) % 2)
    assert model.model_.get_params()["n_jobs"] == 1


@pytest.mark.parametrize("problem", PROBLEMS)
def test_tree_shap_adds_up_and_matches_lightgbm_pred_contrib(problem: str) -> None:
    pipeline, schema = _fitted(problem, n=1500)
    explainer = ModelExplainer(pipeline, None)
    frame = mixed_frame(200, seed=10, problem=problem)
    frame.loc[::6, "income"] = np.nan
    X = np.asarray(pipeline[:-1].transform(prepare_frame(frame, schema)), dtype=np.float64)
    raw = pipeline[-1].raw_output(X).reshape(len(X), -1)
    predicted = raw.argmax(axis=1) if problem == "multiclass" else np.zeros(len(X), dtype=int)
    explained = explainer.explain(X, predicted)
    rows = np.arange(len(X))
    assert np.max(np.abs(explained.base + explained.contributions.sum(axis=1) - raw[rows, predicted])) <= 1e-6
    kinds = {"binary": "log_odds", "multiclass": "class_logit", "regression": "prediction"}
    assert explained.kind == kinds[problem]
    # Explanations come from LightGBM's own TreeSHAP (pred_contrib, faster); ours on the compiled
    # trees gives the same numbers, feature by feature.
    k = raw.shape[1]
    native = pipeline[-1].model_.predict(X, pred_contrib=True).reshape(len(X), k, -1)
    ours = TreeExplainer(compile_estimator(pipeline[-1]))
    phi = ours.shap_values(X)  # (n, encoded features, outputs)
    assert np.max(np.abs(native[:, :, -1] - ours.base[None, :])) <= 1e-9
    assert np.max(np.abs(native[:, :, :-1] - np.transpose(phi, (0, 2, 1)))) <= 1e-9


def test_summary_ranks_the_column_the_target_depends_on_first() -> None:
    pipeline, schema = _fitted("binary", n=1500)
    explainer = ModelExplainer(pipeline, None)
    X = np.asarray(pipeline[:-1].transform(prepare_frame(mixed_frame(300, seed=4), schema)), dtype=np.float64)
    summary = explanation_summary(explainer, X)
    top = [f["feature"] for f in summary["features"][:3]]
    assert summary["output"] == "log_odds" and summary["rows"] == 300
    assert "city" in top and "member" in top  # the columns the target is made of (see mixed_frame)
