"""Explanations: each input column's contribution to one prediction, and a model-level summary.

A fitted pipeline's raw output for a row is split into a base value plus one contribution per
input column, and base + the sum of every column's contribution equals the raw output:
- tree ensembles (HistGradientBoosting, random forests, extra trees): exact TreeSHAP over the
  compiled trees (`modelyard.ml.treeshap`), the base being the trees' expected output over
  their training rows; LightGBM: the same TreeSHAP computed by LightGBM (`pred_contrib`), faster;
- linear models: coefficient x (encoded value - its training mean), exact; the base is the
  output at the training means. The means are computed at training (`encoded_means`) and
  stored with the model; a linear model stored before them cannot be explained;
- ensembles blended in margin space: the weighted sum of their members' (`ensemble_explain`).
The contributions of the encoded features a column becomes (one-hot categories, date parts)
are added back to that column.

The raw output is what the model adds up before any final transform: the log-odds of the
second class (binary gradient boosting and logistic regression), the class's logit (multiclass:
the score softmax turns into probabilities), the class probability (forests, which average
their trees' probabilities) or the prediction (regression).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from modelyard.lib.schema import ExplainedOutput
from modelyard.ml.ensemble import MarginBlend
from modelyard.ml.ensemble_explain import BlendExplainer
from modelyard.ml.features import DATETIME_PARTS, DatetimeFeatures
from modelyard.ml.lightgbm_model import LightGBMClassifier, LightGBMContributions, LightGBMRegressor
from modelyard.ml.trees import CompiledEnsemble, NotCompilableError, compile_estimator
from modelyard.ml.treeshap import TreeExplainer

Array = np.ndarray[Any, Any]
OutputKind = ExplainedOutput


class NotExplainableError(ValueError):
    """The model cannot be explained (an unknown estimator, or a linear model without means)."""


@dataclass
class Explained:
    """Explanations of n rows: `base` + `contributions.sum(axis=1)` == `output`, row by row."""

    kind: OutputKind
    columns: list[str]
    output_index: Array  # (n,) which raw output each row explains (a class index, or 0)
    base: Array  # (n,)
    contributions: Array  # (n, columns)
    output: Array  # (n,)

    def row(self, i: int) -> Explained:
        """Row i alone."""
        part = slice(i, i + 1)
        return Explained(
            self.kind,
            self.columns,
            self.output_index[part],
            self.base[part],
            self.contributions[part],
            self.output[part],
        )


def source_columns(preprocess: ColumnTransformer) -> list[str]:
    """The input column behind each encoded feature, in the encoded matrix's order."""
    sources: list[str] = []
    for name, transformer, columns in preprocess.transformers_:
        if transformer == "drop" or (name == "remainder" and transformer == "drop"):
            continue
        steps = [s for _, s in transformer.steps] if isinstance(transformer, Pipeline) else [transformer]
        head = steps[0]
        for i, column in enumerate(columns):
            if isinstance(head, OneHotEncoder):
                width = len(head.categories_[i])
            elif isinstance(head, DatetimeFeatures):
                width = len(DATETIME_PARTS)
            else:
                width = 1
            sources.extend([str(column)] * width)
    return sources


def encoded_means(pipeline: Pipeline, X: Any) -> list[float] | None:
    """The mean of each encoded feature over `X` (the training rows) for a linear model; None
    for other models, whose explanations need no data."""
    estimator = pipeline.steps[-1][1]
    linear_blend = isinstance(estimator, MarginBlend) and estimator.has_linear()
    if not isinstance(estimator, LogisticRegression | Ridge) and not linear_blend:
        return None
    encoded = np.asarray(pipeline[:-1].transform(X), dtype=np.float64)
    return [float(v) for v in encoded.mean(axis=0)]


class ModelExplainer:
    """Explains a fitted preprocess + estimator pipeline on rows already encoded by its preprocessing."""

    def __init__(self, pipeline: Pipeline, means: list[float] | None, compiled: Any = None) -> None:
        preprocess, estimator = pipeline.steps[0][1], pipeline.steps[-1][1]
        sources = source_columns(preprocess)
        if len(sources) != estimator.n_features_in_:
            raise NotExplainableError("the encoded features do not match the estimator's input")
        self.columns = list(dict.fromkeys(sources))
        position = {name: i for i, name in enumerate(self.columns)}
        self._source = np.asarray([position[s] for s in sources], dtype=np.intp)
        self.classes = getattr(estimator, "classes_", None)
        self._tree: TreeExplainer | LightGBMContributions | BlendExplainer | None = None
        self._linear: tuple[Array, Array, Array] | None = None
        if isinstance(estimator, MarginBlend):  # an ensemble: its members' weighted SHAP values
            try:
                self._tree = BlendExplainer(estimator, means)
            except ValueError as exc:
                raise NotExplainableError(str(exc)) from None
        elif isinstance(estimator, LogisticRegression | Ridge):
            if means is None or len(means) != len(sources):
                raise NotExplainableError(
                    "this linear model was stored before explanations existed; train it again"
                )
            coef = np.atleast_2d(np.asarray(estimator.coef_, dtype=np.float64))
            intercept = np.atleast_1d(np.asarray(estimator.intercept_, dtype=np.float64))
            self._linear = (coef, intercept, np.asarray(means, dtype=np.float64))
        elif isinstance(estimator, LightGBMClassifier | LightGBMRegressor):
            self._tree = LightGBMContributions(estimator)  # LightGBM's own TreeSHAP: same values, faster
        else:
            ensemble = compiled if isinstance(compiled, CompiledEnsemble) else None
            if ensemble is None:
                try:
                    ensemble = compile_estimator(estimator)
                except NotCompilableError as exc:
                    raise NotExplainableError(str(exc)) from None
            self._tree = TreeExplainer(ensemble)
        self.kind = self._kind(estimator)

    def _kind(self, estimator: Any) -> OutputKind:
        if self.classes is None:
            return "prediction"
        if isinstance(self._tree, TreeExplainer) and self._tree.ensemble.outputs_probability:
            return "probability"  # forests average their trees' class fractions
        return "log_odds" if len(self.classes) == 2 else "class_logit"

    def _output_index(self, predicted: Array) -> Array:
        """Binary: the second class's output; multiclass: the predicted class's; else 0."""
        outputs = self._tree.outputs if self._tree is not None else self._linear_outputs()
        if self.classes is None or outputs == 1:
            return np.zeros(len(predicted), dtype=np.intp)
        if len(self.classes) == 2:
            return np.ones(len(predicted), dtype=np.intp)
        return np.asarray(predicted, dtype=np.intp)

    def _linear_outputs(self) -> int:
        assert self._linear is not None
        return int(self._linear[0].shape[0])

    def explain_all(self, X: Array) -> tuple[Array, Array]:
        """(base (K,), contributions (n, columns, K)) for every raw output K of the model."""
        X = np.asarray(X, dtype=np.float64)
        if self._tree is not None:
            base, phi = self._tree.base, self._tree.shap_values(X)
        else:
            assert self._linear is not None
            coef, intercept, means = self._linear
            base = intercept + coef @ means
            phi = (X - means)[:, :, None] * coef.T[None, :, :]
        summed = np.zeros((X.shape[0], len(self.columns), phi.shape[2]))
        for j, column in enumerate(self._source.tolist()):  # encoded parts back to their column
            summed[:, column, :] += phi[:, j, :]
        return np.asarray(base, dtype=np.float64), summed

    def explain(self, X: Array, predicted: Array) -> Explained:
        """Each row's explanation of the output it is about (`predicted`: class indexes)."""
        base, phi = self.explain_all(X)
        index = self._output_index(predicted)
        rows = np.arange(len(index))
        contributions = phi[rows, :, index]
        row_base = base[index]
        output = row_base + contributions.sum(axis=1)
        return Explained(self.kind, self.columns, index, row_base, contributions, output)


def explanation_summary(explainer: ModelExplainer, X: Array) -> dict[str, Any]:
    """Mean |contribution| of each column over the rows of `X` (every output of a multiclass
    model alike), largest first: the model-level SHAP summary."""
    _, phi = explainer.explain_all(X)
    if explainer.classes is not None and len(explainer.classes) == 2 and phi.shape[2] == 2:
        phi = phi[:, :, 1:]  # forests: the second class's probability, as for predictions
    means = np.abs(phi).mean(axis=(0, 2)) if len(X) else np.zeros(len(explainer.columns))
    ranked = sorted(zip(explainer.columns, means.tolist(), strict=True), key=lambda p: -p[1])
    return {
        "output": explainer.kind,
        "rows": len(X),
        "features": [{"feature": name, "mean_abs_contribution": value} for name, value in ranked],
    }
