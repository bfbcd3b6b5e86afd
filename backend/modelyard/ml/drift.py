"""The drift reference of a model and the binning of live values against it.

A reference is a compact profile of the training split, stored with the model (JSON-able, no
rows): per numeric or datetime feature quantile bin edges with the share of values in each bin
and the missing rate; per categorical or boolean feature the most frequent categories' shares, an
"other" bucket and the categories seen in training (to tell unseen ones); and the distribution of
the model's output on the held-out split (the positive class's probability for binary classifiers,
the predicted class for multiclass ones, the predicted value for regressors).

Live values are binned with the same edges (`bin_feature`, `bin_output`) into counts that add up:
a window's sketch is the sum of its hours' counts. `drift_scores` compares them.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from modelyard.ml.features import TrainingSchema, categorical_values, to_datetime_ns

NUMERIC_BINS = 10
"""Quantile bins per numeric feature (and per regression output or binary probability)."""
TOP_CATEGORIES = 20
"""Categories with a bin of their own; the rest of training's categories share the "other" bin."""
KNOWN_CATEGORIES = 1000
"""Training categories remembered to tell unseen ones; beyond it unseen ones are not counted."""
OTHER = "(other)"

Counts = list[int]


def _numeric_values(values: Any, kind: str) -> np.ndarray[Any, Any]:
    """float64 with NaN for missing; datetimes as seconds since the epoch."""
    if kind == "datetime":
        stamps = to_datetime_ns(values)
        out = stamps.astype("int64").astype(np.float64) / 1e9
        out[np.isnat(stamps)] = np.nan
        return out
    array = np.asarray(values, dtype=object) if isinstance(values, list) else np.asarray(values)
    if array.dtype == object:
        array = np.array([np.nan if v is None else v for v in array], dtype=np.float64)
    return array.astype(np.float64)


def _categories(values: Any) -> np.ndarray[Any, Any]:
    """Category text per value, None when missing (the same mapping as training's encoders)."""
    return np.asarray(categorical_values(values).to_numpy(dtype=object))


def _shares(counts: np.ndarray[Any, Any]) -> list[float]:
    total = counts.sum()
    return [float(c) / total if total else 0.0 for c in counts]


def _quantile_edges(values: np.ndarray[Any, Any]) -> list[float]:
    present = values[~np.isnan(values)]
    if present.size == 0:
        return []
    quantiles = np.quantile(present, np.linspace(0, 1, NUMERIC_BINS + 1)[1:-1])
    return [float(e) for e in np.unique(quantiles)]


def numeric_profile(name: str, kind: str, values: Any) -> dict[str, Any]:
    array = _numeric_values(values, kind)
    edges = _quantile_edges(array)
    counts = np.bincount(
        np.searchsorted(edges, array[~np.isnan(array)], side="right"), minlength=len(edges) + 1
    )
    missing = float(np.isnan(array).mean()) if array.size else 0.0
    return {
        "name": name,
        "kind": "datetime" if kind == "datetime" else "numeric",
        "edges": edges,
        "shares": _shares(counts),
        "missing_rate": missing,
        "rows": int(array.size),
    }


def categorical_profile(name: str, kind: str, values: Any) -> dict[str, Any]:
    text = pd.Series(_categories(values), dtype=object)
    counts = text.dropna().astype(str).value_counts()
    order = sorted(zip(counts.index, counts.to_numpy(), strict=True), key=lambda pair: (-pair[1], pair[0]))
    top = [str(category) for category, _ in order[:TOP_CATEGORIES]]
    rest = sum(int(count) for _, count in order[TOP_CATEGORIES:])
    top_counts = np.array([int(count) for _, count in order[:TOP_CATEGORIES]] + [rest], dtype=np.int64)
    return {
        "name": name,
        "kind": kind,
        "categories": top,
        "shares": _shares(top_counts),
        "known": [str(category) for category, _ in order[:KNOWN_CATEGORIES]],
        "known_complete": len(order) <= KNOWN_CATEGORIES,
        "missing_rate": float(text.isna().mean()) if len(text) else 0.0,
        "rows": len(text),
    }


def output_profile(problem_type: str, labels: Any, probabilities: Any, classes: list[Any]) -> dict[str, Any]:
    """The distribution of the model's outputs on held-out rows."""
    if problem_type == "binary":
        profile = numeric_profile("prediction", "numeric", np.asarray(probabilities)[:, 1])
        profile["output"] = f"probability of {classes[1]}"
    elif problem_type == "regression":
        profile = numeric_profile("prediction", "numeric", np.asarray(labels, dtype=np.float64))
        profile["output"] = "predicted value"
    else:
        profile = categorical_profile("prediction", "categorical", [str(c) for c in labels])
        profile["output"] = "predicted class"
    return profile


def build_reference(
    frame: Any, schema: TrainingSchema, output: dict[str, Any] | None, source: str
) -> dict[str, Any]:
    """The reference of a model from its training inputs (a `prepare_frame` frame) and its output
    profile; `source` says where the rows came from (`training_split` or `dataset`)."""
    features = []
    for spec in schema.features:
        values = frame[spec.name].to_numpy()
        if spec.kind in ("numeric", "boolean", "datetime"):  # booleans as 0/1: bins below 0, [0, 1), 1
            features.append(numeric_profile(spec.name, spec.kind, values))
        else:
            features.append(categorical_profile(spec.name, spec.kind, values))
    return {"version": 1, "source": source, "rows": len(frame), "features": features, "prediction": output}


def bin_count(profile: dict[str, Any]) -> int:
    """Counts one sketch keeps for a profile: its bins, then missing, then unseen."""
    return len(profile["shares"]) + 2


def bin_values(profile: dict[str, Any], values: Any) -> np.ndarray[Any, Any]:
    """Counts of `values` per bin of `profile`, then the missing and the unseen counts.

    `values` are as the model reads them: numbers (NaN or None when missing), category text (None
    when missing), datetimes as ISO text or datetime64."""
    bins = len(profile["shares"])
    if "edges" in profile:
        array = _numeric_values(values, profile["kind"])
        missing = np.isnan(array)
        index = np.searchsorted(profile["edges"], array[~missing], side="right")
        counts = np.bincount(index, minlength=bins)
        return np.concatenate([counts, [int(missing.sum()), 0]])
    text = pd.Series(values, dtype=object)  # already category text (`prepare_frame`, `coerce_records`)
    missing = text.isna()
    present = text[~missing]
    position = {category: i for i, category in enumerate(profile["categories"])}
    index = present.map(position).fillna(bins - 1).to_numpy(dtype=np.int64)
    counts = np.bincount(index, minlength=bins)
    unseen = 0
    if profile.get("known_complete"):
        unseen = int((~present.isin(profile["known"])).sum())
    return np.concatenate([counts, [int(missing.sum()), unseen]])


def bin_labels(profile: dict[str, Any]) -> list[str]:
    """A readable name per bin: a value range or a category."""
    if "edges" in profile:
        edges = profile["edges"]
        if not edges:
            return ["all values"]
        bounds = ["-inf", *(f"{e:.6g}" for e in edges), "+inf"]
        return [f"[{low}, {high})" for low, high in itertools.pairwise(bounds)]
    return [*profile["categories"], OTHER]


def model_reference(
    pipeline: Any, schema: TrainingSchema, inputs: Any, held_out: Any, source: str
) -> dict[str, Any]:
    """The reference of a fitted pipeline: `inputs` profile the features, the pipeline's outputs on
    `held_out` (both `prepare_frame` frames) the prediction."""
    output = None
    if len(held_out):
        if schema.problem_type == "regression":
            output = output_profile("regression", pipeline.predict(held_out), None, [])
        else:
            proba = np.asarray(pipeline.predict_proba(held_out))
            classes = [c.item() if isinstance(c, np.generic) else c for c in pipeline.classes_]
            labels = [classes[i] for i in np.argmax(proba, axis=1)]
            output = output_profile(schema.problem_type, labels, proba, classes)
    return build_reference(inputs, schema, output, source)


def sketch_counts(reference: dict[str, Any], columns: Any, outputs: Any) -> dict[str, list[int]]:
    """One window's counts of some rows: `f<i>` for the reference's i-th feature (its bins, missing,
    unseen), `p` for the model's output, `rows` the row count. `columns` maps feature names to
    values (a dict of lists or a frame)."""
    counts: dict[str, list[int]] = {"rows": [len(outputs)]}
    for i, profile in enumerate(reference["features"]):
        if profile["name"] in columns:
            counts[f"f{i}"] = [int(c) for c in bin_values(profile, columns[profile["name"]])]
    if reference.get("prediction") is not None and len(outputs):
        counts["p"] = [int(c) for c in bin_values(reference["prediction"], outputs)]
    return counts
