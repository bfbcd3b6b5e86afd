"""Artifacts written before the code was re-homed (#12) still load and score the same.

The fixtures in tests/fixtures/artifacts were written by the code as it stood at 636f9d3,
whose pipelines name `modelyard.domain.training.features.DatetimeFeatures`: a stored model
must keep loading wherever that class lives now.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from modelyard.ml.artifacts import load_pipeline
from modelyard.ml.explain import NotExplainableError
from modelyard.ml.features import TrainingSchema
from modelyard.ml.scoring import LoadedModel, explain_records, predict_records

FIXTURES = Path(__file__).parents[2] / "fixtures" / "artifacts"


@pytest.mark.parametrize("name", ["hist_gradient_boosting", "linear"])
@pytest.mark.parametrize("compile", [True, False])
def test_artifact_from_before_the_move_scores_as_it_did(name: str, compile: bool) -> None:
    blob = (FIXTURES / f"{name}.skops").read_bytes()
    expected = json.loads((FIXTURES / f"{name}.json").read_text())
    schema = TrainingSchema.from_dict(expected["training_schema"])
    model = LoadedModel.build(load_pipeline(blob), schema, len(blob), compile=compile)
    assert model.path == ("compiled" if compile else "pipeline")
    scored = predict_records(model, expected["records"])
    assert scored.errors == {}
    assert scored.probabilities is not None
    np.testing.assert_allclose(scored.probabilities, np.array(expected["predict_proba"]), rtol=0, atol=1e-9)


def test_artifact_from_before_explanations_explains_its_trees_only() -> None:
    """Tree models need nothing stored to be explained; a linear model needs its training means,
    which models stored before explanations do not have."""
    for name in ("hist_gradient_boosting", "linear"):
        blob = (FIXTURES / f"{name}.skops").read_bytes()
        expected = json.loads((FIXTURES / f"{name}.json").read_text())
        model = LoadedModel.build(
            load_pipeline(blob), TrainingSchema.from_dict(expected["training_schema"]), 0
        )
        if name == "linear":
            with pytest.raises(NotExplainableError):
                explain_records(model, expected["records"])
            continue
        scored, explained = explain_records(model, expected["records"])
        assert sorted(explained) == scored.valid == list(range(len(expected["records"])))
        for i, probabilities in enumerate(expected["predict_proba"]):
            row = explained[i]
            assert abs(row.base[0] + row.contributions.sum() - row.output[0]) <= 1e-9
            log_odds = np.log(probabilities[1] / probabilities[0])
            assert abs(row.output[0] - log_odds) <= 1e-6
