"""The compiled inference path gives the Pipeline's predictions exactly; artifacts load safely."""

from __future__ import annotations

import numpy as np
import pytest

from modelyard.domain.training.automl import ALGORITHMS, build_pipeline
from modelyard.ml.artifacts import (
    TRUSTED_TYPES,
    UntrustedArtifactError,
    dump_pipeline,
    load_pipeline,
)
from modelyard.ml.compiled import compile_pipeline
from modelyard.ml.features import check_target, infer_schema, prepare_frame
from modelyard.ml.scoring import LoadedModel, predict_records
from modelyard.ml.trees import CompiledEnsemble
from tests.unit.training.data import mixed_frame


def _fitted(problem: str, algorithm: str) -> tuple[object, object]:
    frame = mixed_frame(400, problem=problem)
    schema = infer_schema(frame, "churn", check_target(frame, "churn", None))
    pipeline = build_pipeline(schema, algorithm, {}, 0)  # type: ignore[arg-type]
    pipeline.fit(prepare_frame(frame, schema), frame["churn"].to_numpy())
    return pipeline, schema


def _check_records(n: int) -> tuple[list[dict[str, object]], object]:
    check = mixed_frame(n, seed=7, problem="binary").drop(columns=["churn"])
    check.loc[::50, "city"] = "atlantis"  # unseen
    check.loc[::30, "code"] = None  # missing where training had none
    check.loc[::45, "signup"] = None
    records = check.astype(object).where(check.notna(), None).to_dict("records")
    return records, check


@pytest.mark.parametrize("problem", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_compiled_path_matches_the_pipeline(problem: str, algorithm: str) -> None:
    pipeline, schema = _fitted(problem, algorithm)
    model = LoadedModel.build(pipeline, schema, 0)  # type: ignore[arg-type]
    assert model.path == "compiled"
    n = 10_000 if algorithm == "hist_gradient_boosting" and problem == "binary" else 1_500
    records, frame = _check_records(n)
    scored = predict_records(model, records)
    assert scored.valid == list(range(n)) and not scored.errors
    reference_input = prepare_frame(frame, schema)  # type: ignore[arg-type]
    if problem == "regression":
        assert np.array_equal(np.asarray(scored.labels), pipeline.predict(reference_input))  # type: ignore[attr-defined]
    else:
        expected = pipeline.predict_proba(reference_input)  # type: ignore[attr-defined]
        assert scored.probabilities is not None
        assert np.max(np.abs(scored.probabilities - expected)) <= 1e-9
        labels = pipeline.classes_[expected.argmax(axis=1)]  # type: ignore[attr-defined]
        assert scored.labels == labels.tolist()
    # One record at a time (the online hot path parses datetimes without pandas): same answers.
    for i in range(0, 60, 7):
        single = predict_records(model, [records[i]])
        if problem == "regression":  # BLAS sums one row and many rows in different orders
            assert abs(single.labels[0] - scored.labels[i]) <= 1e-9 * max(1.0, abs(scored.labels[i]))
        else:
            assert single.labels[0] == scored.labels[i]
        if single.probabilities is not None:
            assert np.max(np.abs(single.probabilities[0] - scored.probabilities[i])) <= 1e-9  # type: ignore[index]


TREE_ALGORITHMS = ["hist_gradient_boosting", "random_forest", "extra_trees"]


@pytest.mark.parametrize("problem", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("algorithm", TREE_ALGORITHMS)
def test_compiled_trees_equal_scikit_learn_on_10000_rows(problem: str, algorithm: str) -> None:
    """The numpy traversal of the fitted trees gives scikit-learn's own estimator outputs: same
    labels, probabilities within 1e-9 (in fact bit-equal), including missing values and, for
    HistGradientBoosting's native categorical splits, unknown and out-of-range category codes."""
    pipeline, schema = _fitted(problem, algorithm)
    _, estimator = compile_pipeline(pipeline)
    assert isinstance(estimator, CompiledEnsemble)
    assert LoadedModel.build(pipeline, schema, 0).estimator is not pipeline[-1]  # type: ignore[arg-type,index]
    reference = pipeline[-1]  # type: ignore[index]
    _, frame = _check_records(10_000)
    X = pipeline[0].transform(prepare_frame(frame, schema))  # type: ignore[arg-type,index]
    rng = np.random.default_rng(0)
    if algorithm == "hist_gradient_boosting":
        X[rng.random(X.shape) < 0.05] = np.nan
        categorical = np.flatnonzero(reference.is_categorical_)
        assert categorical.size  # the mixed frame gives native categorical features
        for column in categorical:
            rows = rng.random(len(X)) < 0.05
            X[rows, column] = rng.choice([-1.0, 2.5, 300.0, 1e9], rows.sum())
    if problem == "regression":
        assert np.array_equal(estimator.predict(X), reference.predict(X))
    else:
        expected = reference.predict_proba(X)
        assert np.max(np.abs(estimator.predict_proba(X) - expected)) <= 1e-9
        assert np.array_equal(estimator.predict(X), reference.predict(X))
    for i in range(0, 40, 9):  # one row at a time, as online requests arrive
        row = X[i : i + 1]
        if problem == "regression":
            assert np.array_equal(estimator.predict(row), reference.predict(row))
        else:
            assert np.max(np.abs(estimator.predict_proba(row) - reference.predict_proba(row))) <= 1e-9


def test_a_linear_model_keeps_the_fitted_estimator() -> None:
    pipeline, _ = _fitted("binary", "linear")
    _, estimator = compile_pipeline(pipeline)
    assert estimator is pipeline[-1]  # type: ignore[index]


def test_unseen_categories_missing_columns_and_wrong_types_are_per_record() -> None:
    pipeline, schema = _fitted("binary", "linear")
    model = LoadedModel.build(pipeline, schema, 0)  # type: ignore[arg-type]
    base = {
        "age": 40,
        "income": 1000.0,
        "city": "paris",
        "code": "c1",
        "member": True,
        "signup": "2021-01-01",
    }
    scored = predict_records(
        model,
        [
            base,
            {**base, "city": "atlantis", "zzz": 1},
            {**base, "age": "forty"},
            {k: v for k, v in base.items() if k != "code"},
        ],
    )
    assert scored.valid == [0, 1]
    assert "unseen category 'atlantis'" in scored.warnings[1][0]
    assert "expects a number" in scored.errors[2][0]
    assert "missing required column 'code'" in scored.errors[3][0]
    assert scored.ignored_columns == ["zzz"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_artifacts_round_trip_with_only_trusted_types(algorithm: str) -> None:
    pipeline, schema = _fitted("multiclass", algorithm)
    data = dump_pipeline(pipeline)
    loaded = load_pipeline(data)
    frame = prepare_frame(mixed_frame(50, seed=3), schema)  # type: ignore[arg-type]
    assert np.array_equal(loaded.predict_proba(frame), pipeline.predict_proba(frame))  # type: ignore[attr-defined]


def test_artifact_with_a_foreign_type_is_refused() -> None:
    from collections import Counter

    import skops.io as sio

    data = sio.dumps({"payload": Counter("abc")})
    assert "collections.Counter" not in TRUSTED_TYPES
    with pytest.raises(UntrustedArtifactError, match=r"collections\.Counter"):
        load_pipeline(data)
