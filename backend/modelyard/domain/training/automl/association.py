"""How well one column alone predicts the target: the statistics behind the leakage screen.

Numpy-only versions of the usual measures, a few milliseconds per column of a few thousand
rows (scipy and scikit-learn's input checks would cost more than the computation):
- `rank_auc`: ROC AUC of a score for a binary target (Mann-Whitney with averaged ties);
- `spearman`, `pearson`: correlations on the rows where both values are present;
- `encoded_association`: the column turned into a predictor by grouping its values (each
  category, or quantile bins of a number, missing values a group of their own) and letting
  each group predict the target's class shares or mean *learned on the other half of the
  rows* (2-fold out-of-fold). Out-of-fold keeps a high-cardinality column from predicting
  its own rows: a group seen in one half only predicts the overall prior.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

Array = np.ndarray[Any, Any]

MAX_BINS = 64
ROWS_PER_BIN = 10
"""A numeric column is cut into quantile bins of about this many rows (4 to `MAX_BINS` bins) for
the out-of-fold encoding: enough rows per bin and half that its share is not noise."""


def ranks(values: Array) -> Array:
    """Ranks 1..n of finite values, ties averaged (scipy's `rankdata(method="average")`)."""
    order = np.argsort(values)
    ordered = values[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.r_[first[1:], len(values)] - 1
    average = (first + last) / 2.0 + 1.0
    out = np.empty(len(values), dtype=np.float64)
    out[order] = average[group]
    return out


def rank_auc(score: Array, positive: Array) -> float:
    """ROC AUC of `score` for the boolean labels `positive`; NaN when one class is absent."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    r = ranks(score)
    return float((r[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def pearson(x: Array, y: Array) -> float:
    """Pearson correlation; NaN when either side is constant."""
    xc = x - x.mean()
    yc = y - y.mean()
    denominator = float(np.sqrt((xc * xc).sum() * (yc * yc).sum()))
    return float((xc * yc).sum() / denominator) if denominator > 0 else float("nan")


def spearman(x: Array, y: Array) -> float:
    return pearson(ranks(x), ranks(y))


def value_codes(values: Array, numeric: bool) -> Array:
    """Exact value codes 0..k-1, missing values (NaN / None) one more code of their own."""
    if numeric:
        missing = np.isnan(values)
        _, codes = np.unique(np.where(missing, 0.0, values), return_inverse=True)
        codes = codes.astype(np.intp)
        if missing.any():
            codes = np.where(missing, codes.max(initial=-1) + 1, codes)
        return codes
    codes, _ = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.intp)
    return np.where(codes < 0, codes.max(initial=-1) + 1, codes)


def binned_codes(values: Array) -> Array:
    """Quantile-bin codes of a numeric column, missing values a bin of their own."""
    missing = np.isnan(values)
    present = values[~missing]
    if present.size == 0:
        return np.zeros(len(values), dtype=np.intp)
    bins = max(4, min(MAX_BINS, len(values) // ROWS_PER_BIN))
    edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]))
    codes = np.searchsorted(edges, np.where(missing, 0.0, values), side="right").astype(np.intp)
    return np.where(missing, len(edges) + 1, codes)


def _out_of_fold_shares(codes: Array, labels: Array, classes: int, halves: Array) -> Array:
    """(n, classes) class shares of each row's group, counted on the other half of the rows."""
    groups = int(codes.max()) + 1
    prior = np.bincount(labels, minlength=classes) / len(labels)
    shares = np.empty((len(codes), classes), dtype=np.float64)
    for half in (0, 1):
        learn = halves != half
        counts = np.bincount(codes[learn] * classes + labels[learn], minlength=groups * classes)
        counts = counts.reshape(groups, classes).astype(np.float64)
        # One pseudo-row of the prior: a group seen once does not predict with certainty.
        smoothed = (counts + prior) / (counts.sum(axis=1, keepdims=True) + 1.0)
        apply = ~learn
        shares[apply] = smoothed[codes[apply]]
    return shares


def _out_of_fold_means(codes: Array, target: Array, halves: Array) -> Array:
    groups = int(codes.max()) + 1
    prior = float(target.mean())
    encoded = np.empty(len(codes), dtype=np.float64)
    for half in (0, 1):
        learn = halves != half
        sums = np.bincount(codes[learn], weights=target[learn], minlength=groups)
        counts = np.bincount(codes[learn], minlength=groups)
        means = (sums + prior) / (counts + 1.0)
        encoded[~learn] = means[codes[~learn]]
    return encoded


def encoded_association(codes: Array, target: Array, classes: int | None, halves: Array) -> float:
    """How well the out-of-fold group encoding predicts the target.

    Classification (`classes` set, `target` holds class indexes): ROC AUC of the positive class
    share (binary) or the macro one-vs-rest AUC (multiclass). Regression: Pearson correlation
    of the encoded group means with the target.
    """
    if classes is None:
        return pearson(_out_of_fold_means(codes, target, halves), target)
    shares = _out_of_fold_shares(codes, target, classes, halves)
    if classes == 2:
        return rank_auc(shares[:, 1], target == 1)
    aucs = [rank_auc(shares[:, k], target == k) for k in range(classes)]
    present = [a for a in aucs if not np.isnan(a)]
    return float(np.mean(present)) if present else float("nan")


def one_to_one(codes: Array, labels: Array, classes: int) -> bool:
    """True when the column's values (missing included) and the classes map one to one."""
    groups = int(codes.max()) + 1
    if groups != classes:
        return False
    table = np.bincount(codes * classes + labels, minlength=groups * classes).reshape(groups, classes)
    nonzero = table > 0
    return bool((nonzero.sum(axis=1) == 1).all() and (nonzero.sum(axis=0) == 1).all())
