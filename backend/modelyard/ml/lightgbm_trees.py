"""A fitted LightGBM model's trees as the flat numpy arrays of `modelyard.ml.trees`.

The booster's trees (up to its best iteration) are read from `Booster.dump_model()`, whose
thresholds and leaf values are printed with 17 significant digits, so they parse back to the
very doubles LightGBM compares and adds. The traversal makes LightGBM's own decisions
(`Tree::NumericalDecision` / `CategoricalDecision`):
- LightGBM reads a dense row skipping values with |x| <= 1e-35 (float), which become 0.0;
- numeric split: NaN goes the learned default side when the split's missing type is NaN;
  with missing type None, NaN is read as 0.0 and compared (so it goes where 0.0 goes);
- categorical split: the value truncated to an int; NaN and negatives go right; a code in the
  split's category set goes left, any other right.
The raw score is the sum of the trees' leaf values in LightGBM's order (iteration by iteration,
from 0.0), then the objective's transform: the sigmoid (binary), softmax (multiclass), or none.
Raw scores are bit-equal to LightGBM's; probabilities agree to the last bit or two of `exp`.
Node counts are the covers TreeSHAP needs (LightGBM's own `pred_contrib` uses the same).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from modelyard.ml.trees import CompiledEnsemble, NotCompilableError, _ordered_sum, _TreeNodes

Array = np.ndarray[Any, Any]

ZERO_THRESHOLD = float(np.float32(1e-35))
"""LightGBM's kZeroThreshold (a float literal): smaller magnitudes are read as 0.0."""
CATEGORY_CODES = 256
"""Category codes the flat trees' tables hold (the pipelines give LightGBM at most 250)."""


class _Tree:
    """One dumped tree's nodes in depth-first order, children as node indices."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.left: list[int] = []
        self.right: list[int] = []
        self.depth = 0
        stack: list[tuple[dict[str, Any], int, int, bool]] = [(root, -1, 0, False)]
        while stack:
            node, parent, depth, is_left = stack.pop()
            index = len(self.nodes)
            self.nodes.append(node)
            self.left.append(-1)
            self.right.append(-1)
            if parent >= 0:
                (self.left if is_left else self.right)[parent] = index
            self.depth = max(self.depth, depth)
            if "split_feature" in node:
                stack.append((node["right_child"], index, depth + 1, False))
                stack.append((node["left_child"], index, depth + 1, True))


class CompiledLightGBM(CompiledEnsemble):
    """predict / predict_proba of a fitted `LightGBMClassifier` / `LightGBMRegressor` in numpy."""

    outputs_probability = False

    def __init__(self, estimator: Any) -> None:
        dump = estimator.booster_.dump_model(num_iteration=estimator.best_iteration_)
        objective = str(dump.get("objective", "")).split()
        if not objective or objective[0] not in ("binary", "multiclass", "regression"):
            raise NotCompilableError(f"LightGBM objective {dump.get('objective')!r}")
        if objective[0] == "binary" and "sigmoid:1" not in objective:
            raise NotCompilableError("LightGBM binary objective with a scaled sigmoid")
        if dump.get("average_output"):
            raise NotCompilableError("LightGBM random-forest mode")
        self.source = "LightGBM"
        self.objective = objective[0]
        self.classify = hasattr(estimator, "classes_")
        if self.classify:
            self.classes_ = estimator.classes_
        self._per_iteration = int(dump["num_tree_per_iteration"])
        self.n_features_in_ = int(estimator.n_features_in_)
        self.trees, self.values, categorical = _flatten(dump["tree_info"])
        self._categorical_features = np.asarray(sorted(categorical), dtype=np.intp)

    def tree_input(self, X: Array) -> Array:
        """X as LightGBM reads it: tiny magnitudes as 0.0, category codes truncated to integers."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} features")
        X = np.where(np.abs(X) <= ZERO_THRESHOLD, 0.0, X)
        if self._categorical_features.size:
            X[:, self._categorical_features] = np.trunc(X[:, self._categorical_features])
        return X

    def raw_output(self, X: Array) -> Array:
        """(n, trees per iteration) raw scores, summed as LightGBM sums them."""
        leaves = self.trees.leaves(self.tree_input(X))
        n, k = leaves.shape[0], self._per_iteration
        terms = self.values[leaves].reshape(n, -1, k)
        raw = np.empty((n, k), dtype=np.float64)
        for j in range(k):
            raw[:, j] = _ordered_sum(np.zeros(n), terms[:, :, j])
        return raw

    def shap_terms(self) -> tuple[Array, Array, Array]:
        nodes, k = len(self.values), self._per_iteration
        tree = np.searchsorted(self.trees.roots, np.arange(nodes), side="right") - 1
        weights = np.zeros((nodes, k))
        weights[np.arange(nodes), tree % k] = self.values
        return np.zeros(k), weights, np.arange(self.n_features_in_)

    def predict_proba(self, X: Array) -> Array:
        if not self.classify:
            raise AttributeError("predict_proba of a regressor")
        raw = self.raw_output(X)
        if self.objective == "binary":
            p = 1.0 / (1.0 + np.exp(-raw[:, 0]))
            return np.column_stack([1.0 - p, p])
        e = np.exp(raw - raw.max(axis=1, keepdims=True))
        total = _ordered_sum(np.zeros(len(e)), e)
        return np.asarray(e / total[:, None])

    def predict(self, X: Array) -> Array:
        if self.classify:
            labels: Array = np.asarray(self.classes_)[np.argmax(self.predict_proba(X), axis=1)]
            return labels
        return self.raw_output(X)[:, 0]


def _flatten(tree_info: list[dict[str, Any]]) -> tuple[Any, Array, set[int]]:
    """Flat trees, each node's leaf value (0 for splits) and the features split as categories."""
    trees = _TreeNodes()
    values: list[Array] = []
    categorical_nodes: list[Array] = []
    cat_rows: list[Array] = []
    cat_tables: list[Array] = []
    categorical_features: set[int] = set()
    for info in tree_info:
        tree = _Tree(info["tree_structure"])
        size = len(tree.nodes)
        leaf = np.array(["split_feature" not in node for node in tree.nodes])
        feature = np.zeros(size, dtype=np.intp)
        threshold = np.zeros(size)
        missing_left = np.zeros(size, dtype=bool)
        cover = np.zeros(size)
        value = np.zeros(size)
        is_cat = np.zeros(size, dtype=bool)
        rows = np.zeros(size, dtype=np.intp)
        for i, node in enumerate(tree.nodes):
            if leaf[i]:
                value[i] = float(node["leaf_value"])
                cover[i] = float(node.get("leaf_count", 0))
                continue
            feature[i] = int(node["split_feature"])
            cover[i] = float(node["internal_count"])
            if node["decision_type"] == "==":
                is_cat[i] = True
                categorical_features.add(int(feature[i]))
                rows[i] = len(cat_tables)
                cat_tables.append(_category_table(str(node["threshold"])))
                continue  # NaN, negative and unknown codes go right: missing_left stays False
            if node["decision_type"] != "<=":
                raise NotCompilableError(f"LightGBM decision {node['decision_type']!r}")
            threshold[i] = float(node["threshold"])
            missing_left[i] = _missing_goes_left(node, threshold[i])
        left, right = np.asarray(tree.left), np.asarray(tree.right)
        trees.add(leaf, feature, threshold, missing_left, left, right, tree.depth, cover)
        values.append(value)
        categorical_nodes.append(is_cat)
        cat_rows.append(rows)
    flat = trees.flat()
    if cat_tables:
        flat.categorical = np.concatenate(categorical_nodes)
        flat.cat_row = np.concatenate(cat_rows)
        flat.cat_left = np.vstack(cat_tables)
    return flat, np.concatenate(values), categorical_features


def _missing_goes_left(node: dict[str, Any], threshold: float) -> bool:
    missing_type = node.get("missing_type", "None")
    if missing_type == "NaN":
        return bool(node["default_left"])
    if missing_type == "None":  # NaN is read as 0.0 and compared
        return threshold >= 0.0
    raise NotCompilableError("LightGBM zero-as-missing splits")


def _category_table(threshold: str) -> Array:
    """(256,) bool: the codes that go left at a categorical split ("1||4||7")."""
    codes = [int(code) for code in threshold.split("||")]
    if max(codes) >= CATEGORY_CODES or min(codes) < 0:
        raise NotCompilableError("LightGBM category code beyond the compiled table")
    table = np.zeros(CATEGORY_CODES, dtype=bool)
    table[codes] = True
    return table
