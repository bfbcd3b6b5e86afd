"""The margin-blended ensemble: skops round trip, the compiled path's identity, additive explanations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from modelyard.domain.training.automl import AutoMLOptions
from modelyard.domain.training.automl.data import split_training_data
from modelyard.domain.training.automl.pipelines import build_pipeline
from modelyard.ml.artifacts import dump_pipeline, load_pipeline
from modelyard.ml.ensemble import MarginBlend, fit_blend
from modelyard.ml.explain import encoded_means
from modelyard.ml.lightgbm_trees import CompiledLightGBM
from modelyard.ml.scoring import LoadedModel, explain_records, predict_records
from modelyard.ml.trees import CompiledEnsemble
from tests.unit.training.data import mixed_frame

MEMBERS = {
    "binary": [
        ("linear", {}, 0.5),
        ("hist_gradient_boosting", {"max_iter": 30}, 0.3),
        ("lightgbm", {"learning_rate": 0.1}, 0.2),
    ],
    "multiclass": [
        ("linear", {}, 0.25),
        ("hist_gradient_boosting", {"max_iter": 30}, 0.5),
        ("lightgbm", {"learning_rate": 0.1}, 0.25),
    ],
    "regression": [
        ("linear", {}, 0.4),
        ("hist_gradient_boosting", {"max_iter": 30}, 0.3),
        ("extra_trees", {"n_estimators": 20}, 0.2),
        ("lightgbm", {"learning_rate": 0.1}, 0.1),
    ],
}


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    with threadpool_limits(1):
        yield


def _records(frame: Any) -> list[dict[str, Any]]:
    records = []
    for row in frame.to_dict("records"):
        records.append(
            {
                k: None
                if isinstance(v, float) and np.isnan(v)
                else v.isoformat()
                if hasattr(v, "isoformat")
                else v
                for k, v in row.items()
            }
        )
    return records


@pytest.mark.parametrize("problem", ["binary", "multiclass", "regression"])
def test_ensemble_round_trips_serves_compiled_and_explains_additively(problem: str) -> None:
    split = split_training_data(mixed_frame(300, problem=problem), AutoMLOptions(target="churn"))
    members = [build_pipeline(split.schema, a, p, 0) for a, p, _ in MEMBERS[problem]]  # type: ignore[arg-type]
    weights = [w for _, _, w in MEMBERS[problem]]
    classes = np.unique(split.y_train) if split.classify else None
    pipeline = fit_blend(members, weights, split.X_train, split.y_train, classes)
    if classes is not None:
        split.schema.classes = [c.item() if hasattr(c, "item") else c for c in classes]

    blob = dump_pipeline(pipeline)
    loaded = load_pipeline(blob)  # only trusted types, no pickle
    assert isinstance(loaded[-1], MarginBlend) and loaded[-1].weights == weights
    means = encoded_means(loaded, split.X_train)
    compiled = LoadedModel.build(loaded, split.schema, len(blob), compile=True, explanation_means=means)
    plain = LoadedModel.build(loaded, split.schema, len(blob), compile=False, explanation_means=means)
    assert compiled.path == "compiled" and plain.path == "pipeline"
    assert any(isinstance(m, CompiledEnsemble) for m in compiled.estimator.members)
    assert any(isinstance(m, CompiledLightGBM) for m in compiled.estimator.members)

    records = _records(split.X_test)
    fast, slow = predict_records(compiled, records), predict_records(plain, records)
    assert fast.errors == {} and fast.labels == slow.labels
    if classes is not None:
        np.testing.assert_allclose(fast.probabilities, slow.probabilities, rtol=0, atol=1e-12)
        # The same as the original (unsaved) pipeline: the round trip lost nothing.
        np.testing.assert_allclose(
            fast.probabilities, pipeline.predict_proba(split.X_test), rtol=0, atol=1e-12
        )
    else:
        np.testing.assert_allclose(fast.labels, pipeline.predict(split.X_test), rtol=0, atol=1e-9)

    # Explanations: base + contributions == the blended raw output (margin space), row by row.
    scored, explained = explain_records(compiled, records)
    raw = loaded[-1].raw(loaded[:-1].transform(split.X_test))
    expected_kind = {"binary": "log_odds", "multiclass": "class_logit", "regression": "prediction"}[problem]
    assert compiled.explainer().kind == expected_kind
    for i, index in enumerate(scored.valid):
        one = explained[index]
        assert abs(one.base[0] + one.contributions.sum() - one.output[0]) <= 1e-6
        column = 0 if raw.shape[1] == 1 else int(one.output_index[0])
        assert abs(one.output[0] - raw[i, column]) <= 1e-6
