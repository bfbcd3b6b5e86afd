"""Scoring records with a loaded model: input checks, then the compiled path or the Pipeline.

Input rules (the same for online and batch predictions):
- every feature column of the training schema must be present in a record (null is
  allowed: it is imputed like a missing value in training); columns the model does
  not use are ignored and reported;
- numeric columns take numbers (booleans count as 0/1); boolean columns take
  true/false, 0/1 or the strings "true"/"false"/"yes"/"no"; categorical columns
  take strings (numbers are read as their text); datetime columns take ISO 8601
  strings;
- a category never seen in training is accepted: it is encoded as "unknown" (no
  one-hot column set, or the encoder's unknown code) and reported as a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from modelyard.ml.compiled import CompiledPreprocessor, compile_pipeline
from modelyard.ml.explain import Explained, ModelExplainer
from modelyard.ml.features import MAX_STORED_CATEGORIES, TrainingSchema, prepare_frame
from modelyard.ml.trees import NotCompilableError

InferencePath = Literal["compiled", "pipeline"]


@dataclass
class LoadedModel:
    """A model ready to score: pipeline, schema and (when possible) the compiled path."""

    pipeline: Any
    schema: TrainingSchema
    compiled: CompiledPreprocessor | None
    estimator: Any
    nbytes: int
    known_categories: dict[str, set[str]] = field(default_factory=dict)
    explanation_means: list[float] | None = None
    _explainer: ModelExplainer | None = field(default=None, repr=False)

    @property
    def path(self) -> InferencePath:
        return "compiled" if self.compiled is not None else "pipeline"

    def explainer(self) -> ModelExplainer:
        """The model's explainer, built on first use (NotExplainableError when it has none)."""
        if self._explainer is None:
            self._explainer = ModelExplainer(self.pipeline, self.explanation_means, self.estimator)
        return self._explainer

    @classmethod
    def build(
        cls,
        pipeline: Any,
        schema: TrainingSchema,
        nbytes: int,
        *,
        compile: bool = True,
        explanation_means: list[float] | None = None,
    ) -> LoadedModel:
        compiled: CompiledPreprocessor | None = None
        estimator = pipeline
        if compile:
            try:
                compiled, estimator = compile_pipeline(pipeline)
            except NotCompilableError:
                compiled, estimator = None, pipeline
        known = {
            f.name: set(f.categories or [])
            for f in schema.features
            if f.kind == "categorical" and (f.cardinality or 0) <= MAX_STORED_CATEGORIES
        }
        return cls(pipeline, schema, compiled, estimator, nbytes, known, explanation_means)


@dataclass
class Scored:
    """Results for the valid records, in order, plus per-record problems."""

    labels: list[Any]
    probabilities: np.ndarray[Any, Any] | None
    valid: list[int]
    errors: dict[int, list[str]]
    warnings: dict[int, list[str]]
    ignored_columns: list[str]
    columns: dict[str, list[Any]] | None = None
    """The scored rows' values as the model read them, by feature (for monitoring)."""


_BOOLEAN_TEXT = {"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0, "yes": 1.0, "no": 0.0}


def _boolean(value: Any) -> float | None:
    if isinstance(value, str):
        return _BOOLEAN_TEXT.get(value.strip().lower())
    number = _number(value)
    return number if number is None or math.isnan(number) or number in (0.0, 1.0) else None


def _number(value: Any) -> float | None:
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an integer beyond the float range: reported as not finite
            return math.inf
    return None


def _category(value: Any) -> str | bool | None:
    """The category text; False when the value cannot be a category."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    return False


def _valid_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def coerce_records(
    model: LoadedModel, records: list[dict[str, Any]]
) -> tuple[dict[str, list[Any]], list[int], dict[int, list[str]], dict[int, list[str]], list[str]]:
    """Column lists for the valid records, their indexes, errors, warnings and ignored columns."""
    features = model.schema.features
    used = {f.name for f in features}
    ignored: set[str] = set()
    errors: dict[int, list[str]] = {}
    warnings: dict[int, list[str]] = {}
    valid: list[int] = []
    columns: dict[str, list[Any]] = {f.name: [] for f in features}
    for index, record in enumerate(records):
        problems: list[str] = []
        values: list[Any] = []
        for spec in features:
            if spec.name not in record:
                problems.append(f"missing required column {spec.name!r}")
                continue
            raw = record[spec.name]
            if spec.kind in ("numeric", "boolean"):
                number = _boolean(raw) if spec.kind == "boolean" else _number(raw)
                if number is None:
                    expected = "true/false" if spec.kind == "boolean" else "a number"
                    problems.append(f"column {spec.name!r} expects {expected}, got {type(raw).__name__}")
                    continue
                if math.isinf(number):
                    problems.append(f"column {spec.name!r} is outside the range of a 64-bit float")
                    continue
                values.append(number)
            elif spec.kind == "categorical":
                text = _category(raw)
                if text is False:
                    problems.append(f"column {spec.name!r} expects a string, got {type(raw).__name__}")
                    continue
                known = model.known_categories.get(spec.name)
                if known is not None and text is not None and text not in known:
                    warnings.setdefault(index, []).append(
                        f"unseen category {text!r} in column {spec.name!r}: encoded as unknown"
                    )
                values.append(text)
            else:
                if raw is not None and not (isinstance(raw, str) and _valid_datetime(raw)):
                    problems.append(f"column {spec.name!r} expects an ISO 8601 datetime string")
                    continue
                values.append(raw)
        if len(record) > len(used) or any(key not in used for key in record):
            ignored.update(key for key in record if key not in used)
        if problems:
            errors[index] = problems
            continue
        valid.append(index)
        for spec, value in zip(features, values, strict=True):
            columns[spec.name].append(value)
    ignored.discard(model.schema.target)
    return columns, valid, errors, warnings, sorted(ignored)


def score_columns(
    model: LoadedModel, columns: dict[str, list[Any]], n: int
) -> tuple[list[Any], np.ndarray[Any, Any] | None]:
    """Labels (and class probabilities) for n coerced rows."""
    classify = model.schema.problem_type != "regression"
    if model.compiled is not None:
        X = model.compiled.transform(columns, n)
    else:
        X = prepare_frame(pd.DataFrame(columns), model.schema)
    out = model.estimator.predict(X) if not classify else model.estimator.predict_proba(X)
    return labels_of(model, out)


def labels_of(model: LoadedModel, out: np.ndarray[Any, Any]) -> tuple[list[Any], np.ndarray[Any, Any] | None]:
    """(labels, probabilities) from the estimator's output: predict (regression) or predict_proba."""
    if model.schema.problem_type == "regression":
        return [float(v) for v in out], None
    classes = model.estimator.classes_
    return [_plain(v) for v in classes[np.argmax(out, axis=1)]], out


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def explain_records(model: LoadedModel, records: list[dict[str, Any]]) -> tuple[Scored, dict[int, Explained]]:
    """Score records like `predict_records` and explain each scored one: {record index: its
    one-row explanation}. Raises NotExplainableError for a model without explanations."""
    explainer = model.explainer()
    columns, valid, errors, warnings, ignored = coerce_records(model, records)
    if not valid:
        return Scored([], None, valid, errors, warnings, ignored), {}
    n = len(valid)
    if model.compiled is not None:
        X, estimator = model.compiled.transform(columns, n), model.estimator
    else:
        frame = prepare_frame(pd.DataFrame(columns), model.schema)
        X, estimator = model.pipeline[:-1].transform(frame), model.pipeline[-1]
    classify = model.schema.problem_type != "regression"
    out = estimator.predict_proba(X) if classify else estimator.predict(X)
    predicted = np.argmax(out, axis=1) if classify else np.zeros(n, dtype=np.intp)
    explained = explainer.explain(X, predicted)
    labels, proba = labels_of(model, out)
    by_record = {index: explained.row(i) for i, index in enumerate(valid)}
    scored = without_non_finite(Scored(labels, proba, valid, errors, warnings, ignored, columns))
    return scored, {index: by_record[index] for index in scored.valid}


def predict_records(model: LoadedModel, records: list[dict[str, Any]]) -> Scored:
    columns, valid, errors, warnings, ignored = coerce_records(model, records)
    labels: list[Any] = []
    proba = None
    if valid:
        labels, proba = score_columns(model, columns, len(valid))
    return without_non_finite(Scored(labels, proba, valid, errors, warnings, ignored, columns))


def without_non_finite(scored: Scored) -> Scored:
    """A regression output that is not a finite number (inputs far outside the training data
    overflow) is a per-record error, not a `null` prediction counted as scored."""
    if scored.probabilities is not None or all(
        not isinstance(v, float) or math.isfinite(v) for v in scored.labels
    ):
        return scored
    keep = [i for i, v in enumerate(scored.labels) if math.isfinite(v)]
    for i, v in enumerate(scored.labels):
        if not math.isfinite(v):
            scored.errors[scored.valid[i]] = [
                "the model's output is not a finite number for these inputs (far outside the "
                "values it was trained on)"
            ]
    columns = None
    if scored.columns is not None:
        columns = {name: [values[i] for i in keep] for name, values in scored.columns.items()}
    return Scored(
        [scored.labels[i] for i in keep],
        None,
        [scored.valid[i] for i in keep],
        scored.errors,
        scored.warnings,
        scored.ignored_columns,
        columns,
    )


def score_frame(model: LoadedModel, frame: pd.DataFrame) -> tuple[list[Any], np.ndarray[Any, Any] | None]:
    """Batch scoring of a whole frame through the Pipeline (rows are already a table)."""
    X = prepare_frame(frame, model.schema)
    classify = model.schema.problem_type != "regression"
    if not classify:
        return [float(v) for v in model.pipeline.predict(X)], None
    proba = model.pipeline.predict_proba(X)
    classes = model.pipeline.classes_
    return [_plain(v) for v in classes[np.argmax(proba, axis=1)]], proba
