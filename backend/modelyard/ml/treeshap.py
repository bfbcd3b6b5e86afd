"""Exact TreeSHAP (path-dependent, Lundberg et al. 2020) over the compiled trees, vectorised.

For one leaf reached by the path P, with U the distinct features split on along P, let for
each feature i in U
- z_i: the share of training rows that follow P's splits on i (product of cover ratios),
- o_i: 1 when the row satisfies every split of P on i, else 0.
The leaf's value v then gives feature i the Shapley contribution
    v (o_i - z_i) sum_S |S|! (|U|-|S|-1)! / |U|!  prod_{j in S} o_j  prod_{j in U\\S\\i} z_j
over the subsets S of U without i. The inner sum is read off the polynomial
prod_{j != i} (z_j + o_j t), whose coefficient of t^k sums the subsets of size k; it is the
polynomial of all of U divided by i's own factor (the "unwinding" of the original algorithm).
The expected value (base) of a tree is the sum of its leaf values weighted by the product of
all cover ratios on their paths, and base + sum of contributions equals the tree's output for
every row, exactly up to rounding.

Here every leaf of the forest is handled at once: leaves are grouped by |U|, and each group's
polynomials are built for all rows and leaves with |U| numpy steps. Rows are scored in chunks
that bound memory. Cover ratios are normalised per split (left + right = 1), so additivity
holds even where a library's counts do not add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial
from typing import Any

import numpy as np
import scipy.sparse as sp

from modelyard.ml.trees import CompiledEnsemble

Array = np.ndarray[Any, Any]

CHUNK_ELEMENTS = 4_000_000
"""Bound on rows x leaves x path features held at once (float64: about 32 MB per array)."""


@dataclass
class _LeafGroup:
    """The leaves whose paths split on `d` distinct features, each path's steps sorted by feature."""

    d: int
    steps: Array  # (L, D) node of each step, the steps on one feature side by side (padding: 0)
    went_left: Array  # (L, D) bool: the path goes left at that node
    starts: Array  # where each (leaf, feature) run and each leaf's padding start, in the (L*D) steps
    runs: Array  # (L*d,) which of those runs are features (not padding), leaf by leaf
    z: Array  # (L, d) share of training rows following the path's splits on each feature
    scatter: Any  # sparse (L*d, F*K): each (leaf, feature)'s contribution to each (input column, output)
    weights: Array  # (d,) Shapley weights k! (d-k-1)! / d! for k = 0..d-1


class TreeExplainer:
    """SHAP values of a compiled tree ensemble's raw output (see the module docstring).

    `offset + weights` describe the raw output: raw[:, k] = offset[k] + sum over trees of
    weights[leaf, k] (HistGradientBoosting: the baseline and each tree's leaf value in its
    class column; forests: each tree's leaf value or class fractions divided by the tree count).
    `origin[j]` is the column of the estimator's input behind the trees' feature j.
    """

    def __init__(self, ensemble: CompiledEnsemble) -> None:
        self.ensemble = ensemble
        offset, weights, origin = ensemble.shap_terms()
        self.outputs = weights.shape[1]
        self.width = ensemble.n_features_in_
        trees = ensemble.trees
        if trees.cover is None:  # pragma: no cover - every compiled ensemble records covers
            raise ValueError("trees without covers")
        left, right = trees.left, trees.right
        internal = left != np.arange(len(left))
        cover_left = trees.cover[left]
        total = cover_left + trees.cover[right]
        ratio_left = np.where(total > 0, cover_left / np.where(total > 0, total, 1.0), 0.5)
        parent = np.full(len(left), -1, dtype=np.intp)
        parent[left[internal]] = np.flatnonzero(internal)
        parent[right[internal]] = np.flatnonzero(internal)
        leaves = np.flatnonzero(~internal)
        paths = _paths(leaves, parent, left)
        self.groups, reach = _groups(paths, trees.feature, ratio_left, weights[leaves], origin, self.width)
        self.base = offset + reach @ weights[leaves]

    def shap_values(self, X: Array) -> Array:
        """(n, width, outputs) contributions to the raw output for rows of the estimator's input."""
        Xt = self.ensemble.tree_input(X)
        n = Xt.shape[0]
        phi = np.zeros((n, self.width * self.outputs), dtype=np.float64)
        trees = self.ensemble.trees
        any_missing = bool(np.isnan(Xt).any())
        for group in self.groups:
            if group.d == 0:  # single-leaf trees: their value is all base
                continue
            rows = max(1, CHUNK_ELEMENTS // max(1, group.steps.size + group.z.size * (group.d + 1)))
            for start in range(0, n, rows):
                part = Xt[start : start + rows]
                x = part[:, trees.feature[group.steps]]  # (m, L, D)
                goes_left = trees.goes_left(x, np.broadcast_to(group.steps, x.shape), any_missing)
                follows = (goes_left == group.went_left).reshape(len(part), -1)
                # o: the row satisfies every split of the path on the feature (one run each).
                o = np.logical_and.reduceat(follows, group.starts, axis=1)[:, group.runs]
                phi[start : start + rows] += _group_contributions(group, o.reshape(len(part), -1, group.d))
        return phi.reshape(n, self.width, self.outputs)


def _paths(leaves: Array, parent: Array, left: Array) -> tuple[Array, Array]:
    """(L, D) nodes of each leaf's path (root side last, -1 padded) and whether each goes left."""
    nodes, went = [], []
    child = leaves
    up = parent[child]
    while (up >= 0).any():
        safe = np.where(up >= 0, up, 0)
        nodes.append(np.where(up >= 0, up, -1))
        went.append((left[safe] == child) & (up >= 0))
        child = np.where(up >= 0, up, child)
        up = np.where(up >= 0, parent[safe], -1)
    if not nodes:  # every tree is a single leaf
        return np.full((len(leaves), 0), -1, dtype=np.intp), np.zeros((len(leaves), 0), dtype=bool)
    return np.stack(nodes, axis=1), np.stack(went, axis=1)


def _groups(
    paths: tuple[Array, Array], feature: Array, ratio_left: Array, values: Array, origin: Array, width: int
) -> tuple[list[_LeafGroup], Array]:
    """Leaves grouped by their count of distinct path features, and each leaf's reach share."""
    nodes, went = paths
    L, D = nodes.shape
    valid = nodes >= 0
    safe = np.where(valid, nodes, 0)
    padding = np.iinfo(np.intp).max
    step_feature = np.where(valid, feature[safe], padding)
    ratio = np.where(valid, np.where(went, ratio_left[safe], 1.0 - ratio_left[safe]), 1.0)
    reach = np.prod(ratio, axis=1) if D else np.ones(L)
    # Steps sorted by feature (padding last): each feature's steps form one run.
    order = np.argsort(step_feature, axis=1, kind="stable")
    nodes, went, ratio, step_feature = (
        np.take_along_axis(a, order, axis=1) for a in (nodes, went, ratio, step_feature)
    )
    new = np.ones((L, D), dtype=bool)
    new[:, 1:] = step_feature[:, 1:] != step_feature[:, :-1]
    distinct = (new & (step_feature != padding)).sum(axis=1)
    length = (step_feature != padding).sum(axis=1)
    groups = []
    for d in np.unique(distinct):
        members = np.flatnonzero(distinct == d)
        depth = int(length[members].max()) if len(members) else 0
        group = _group(
            int(d),
            nodes[members, :depth],
            went[members, :depth],
            new[members, :depth],
            ratio[members, :depth],
            step_feature[members, :depth],
            values[members],
            origin,
            width,
        )
        groups.append(group)
    return groups, reach


def _group(
    d: int,
    nodes: Array,
    went: Array,
    new: Array,
    ratio: Array,
    step_feature: Array,
    values: Array,
    origin: Array,
    width: int,
) -> _LeafGroup:
    L, D = nodes.shape
    valid = nodes >= 0
    run_start = new.copy()
    if D:
        run_start[:, 0] = True  # a leaf's first step starts a run (its padding too, when it has no step)
    starts = np.flatnonzero(run_start.ravel())
    is_feature = (run_start & valid).ravel()[starts]
    runs = np.flatnonzero(is_feature)
    slot = np.cumsum(new & valid, axis=1) - 1  # each step's feature rank in its path, 0..d-1
    z = np.ones((L, d + 1))
    features = np.zeros((L, d + 1), dtype=np.intp)
    rows = np.arange(L)
    for s in range(D):
        target = np.where(valid[:, s], slot[:, s], d)
        z[rows, target] *= ratio[:, s]
        features[rows, target] = np.where(valid[:, s], step_feature[:, s], 0)
    outputs = values.shape[1]
    columns = (origin[features[:, :d]][:, :, None] * outputs + np.arange(outputs)).reshape(L, -1)
    data = np.repeat(values[:, None, :], d, axis=1).reshape(L, -1)
    row_index = np.repeat(np.arange(L * d), outputs)
    scatter = sp.csr_matrix((data.ravel(), (row_index, columns.ravel())), shape=(L * d, width * outputs))
    weights = np.array([factorial(k) * factorial(d - k - 1) / factorial(d) for k in range(d)])
    steps = np.where(valid, nodes, 0).astype(np.int32)  # node indices: half the memory of intp
    return _LeafGroup(d, steps, went, starts, runs, z[:, :d], scatter, weights)


def _group_contributions(group: _LeafGroup, o: Array) -> Array:
    """(m, width * outputs) contributions of one group's leaves for m rows; `o` (m, L, d): the row
    satisfies every split of the leaf's path on each of its features."""
    m, L, d = o.shape
    z = group.z[None, :, :]
    of = o.astype(np.float64)
    # Coefficients of prod_j (z_j + o_j t), all rows and leaves at once (degree j + 1 after j).
    poly = np.zeros((m, L, d + 1))
    poly[:, :, 0] = 1.0
    for j in range(d):
        top = j + 2
        shifted = poly[:, :, : top - 1] * of[:, :, j : j + 1]
        poly[:, :, :top] *= z[:, :, j : j + 1]
        poly[:, :, 1:top] += shifted
    # A feature whose splits the row fails (o = 0) has the factor z_i: its share is
    # (0 - z_i) * sum_k w_k p_k / z_i, the same for every such feature of the leaf.
    failed = -np.einsum("mlk,k->ml", poly[:, :, :d], group.weights)[:, :, None]
    # A feature whose splits it follows (o = 1): divide (z_i + t) out, top coefficient first.
    quotient = np.broadcast_to(poly[:, :, d : d + 1], (m, L, d)).copy()
    total = quotient * group.weights[d - 1]
    for k in range(d - 1, 0, -1):
        quotient = poly[:, :, k : k + 1] - z * quotient
        total += quotient * group.weights[k - 1]
    shares = np.where(o, total * (1.0 - z), failed)
    return np.asarray(shares.reshape(m, L * d) @ group.scatter)
