"""Model artifacts: fitted pipelines saved with skops, loaded without unpickling.

skops refuses to build any type it is not told to trust. We trust exactly the
types our training produces, named below, and check every artifact's list of types
against them before loading: an artifact naming anything else (a tampered object, a
type from a newer release) is refused instead of being trusted blindly.
"""

from __future__ import annotations

from typing import Any

import skops.io as sio

# Types skops does not trust by default that our pipelines contain (checked by a unit test
# that saves a pipeline of every algorithm).
TRUSTED_TYPES = frozenset(
    {
        "functools.partial",
        "numpy.dtype",
        "modelyard.ml.features.DatetimeFeatures",
        "modelyard.ml.ensemble.MarginBlend",
        # Where artifacts written before the code moved to ml/ (#12) name it; still importable there.
        "modelyard.domain.training.features.DatetimeFeatures",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.tree._tree.Tree",
        "sklearn.utils.validation.check_array",
        # LightGBM: our early-stopping wrapper, LightGBM's estimator, its evaluation history, and
        # the Booster, stored as LightGBM's model text and parsed back by LightGBM (its
        # `__setstate__` loads the text; no pickle).
        "modelyard.ml.lightgbm_model.LightGBMClassifier",
        "modelyard.ml.lightgbm_model.LightGBMRegressor",
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
        "lightgbm.basic.Booster",
        "collections.OrderedDict",
    }
)


class UntrustedArtifactError(ValueError):
    """The artifact contains types we did not produce; it is not loaded."""


def dump_pipeline(pipeline: Any) -> bytes:
    return sio.dumps(pipeline)  # type: ignore[no-any-return]


def untrusted_types(data: bytes) -> list[str]:
    return list(sio.get_untrusted_types(data=data))


def load_pipeline(data: bytes) -> Any:
    """Load an artifact whose every type is ours or skops' defaults; refuse anything else."""
    found = untrusted_types(data)
    unknown = sorted(set(found) - TRUSTED_TYPES)
    if unknown:
        raise UntrustedArtifactError(f"artifact contains untrusted types: {', '.join(unknown)}")
    return sio.loads(data, trusted=found)
