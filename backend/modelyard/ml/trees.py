"""Fitted tree ensembles (HistGradientBoosting, RandomForest, ExtraTrees; LightGBM through
`modelyard.ml.lightgbm_trees`) as flat numpy arrays.

scikit-learn's single-row `predict_proba` on a HistGradientBoosting model costs ~3 ms
(input validation, an OpenMP region per tree, the known-category bitsets rebuilt on every
call), and a forest's more (a joblib dispatch). `compile_estimator` reads every tree's nodes
into one flat array set and walks all trees of all rows at once, one numpy step per tree
level, making exactly the comparisons scikit-learn's Cython makes (NaN -> the learned
missing direction; categorical splits through the same bitsets; forests compare float32
inputs, as they cast X to float32). Leaf values are accumulated in scikit-learn's order
(baseline, then each iteration / each tree in turn), so outputs are bit-for-bit equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.preprocessing import OrdinalEncoder

from modelyard.ml.lightgbm_model import LightGBMClassifier, LightGBMRegressor


class NotCompilableError(ValueError):
    """The pipeline uses something the compiled path does not reproduce exactly."""


@dataclass
class _FlatTrees:
    roots: np.ndarray[Any, Any]  # (T,) node index of each tree's root
    feature: np.ndarray[Any, Any]
    threshold: np.ndarray[Any, Any]
    missing_left: np.ndarray[Any, Any]  # bool
    left: np.ndarray[Any, Any]  # leaves point at themselves
    right: np.ndarray[Any, Any]
    depth: int
    categorical: np.ndarray[Any, Any] | None = None  # bool per node, None when no categorical split
    cat_row: np.ndarray[Any, Any] | None = None  # node -> row of cat_left
    cat_left: np.ndarray[Any, Any] | None = None  # (rows, 256) bool: code goes left
    cover: np.ndarray[Any, Any] | None = None  # training rows (weights) reaching each node (TreeSHAP)

    def __post_init__(self) -> None:
        # children[2 * node + go_left]: one gather per level instead of two and a select.
        self.children = np.empty(2 * len(self.left), dtype=np.intp)
        self.children[0::2] = self.right
        self.children[1::2] = self.left

    def leaves(self, X: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """(n, T) leaf node index of every row in every tree."""
        n, width = X.shape
        flat = np.ascontiguousarray(X).ravel()
        idx = np.repeat(self.roots[None, :], n, axis=0)
        base = (np.arange(n) * width)[:, None]
        any_missing = bool(np.isnan(flat).any())
        for _ in range(self.depth):
            x = flat.take(base + self.feature.take(idx))
            idx = self.children.take(2 * idx + self.goes_left(x, idx, any_missing))
        return idx

    def goes_left(
        self, x: np.ndarray[Any, Any], idx: np.ndarray[Any, Any], any_missing: bool
    ) -> np.ndarray[Any, Any]:
        """Whether values `x` go left at nodes `idx` (same shape): threshold, categories, NaN."""
        go_left = x <= self.threshold.take(idx)
        if self.categorical is not None:
            assert self.cat_row is not None and self.cat_left is not None
            is_cat = self.categorical.take(idx)
            if is_cat.any():
                missing = np.isnan(x)
                out_of_range = ~missing & ((x < 0) | (x >= 256))
                code = np.where(missing | out_of_range, 0, x).astype(np.intp)
                cat_go_left = np.where(
                    out_of_range, self.missing_left.take(idx), self.cat_left[self.cat_row.take(idx), code]
                )
                go_left = np.where(is_cat, cat_go_left, go_left)
        if any_missing:
            go_left = np.where(np.isnan(x), self.missing_left.take(idx), go_left)
        return go_left


def _in_bitset(bitset: np.ndarray[Any, Any], code: int) -> bool:
    return bool((int(bitset[code // 32]) >> (code % 32)) & 1)


@dataclass
class _HGBInput:
    """HistGradientBoosting's own input preprocessing, present when it has categorical features:
    an OrdinalEncoder re-codes those columns (value -> index among the sorted training values;
    unknown or missing -> NaN) and places them first, then the numeric columns as they are."""

    categorical: np.ndarray[Any, Any]  # column indexes of X, in the encoder's order
    numeric: np.ndarray[Any, Any]
    categories: list[np.ndarray[Any, Any]]  # sorted known values, NaN removed

    @classmethod
    def of(cls, estimator: Any) -> _HGBInput | None:
        preprocessor = getattr(estimator, "_preprocessor", None)
        if preprocessor is None:
            return None
        masks: dict[str, np.ndarray[Any, Any]] = {}
        for name, transformer, columns in preprocessor.transformers_:
            mask = np.asarray(columns)
            if name == "remainder" and transformer == "drop":
                continue
            if mask.dtype != bool or name not in ("encoder", "numerical"):
                raise NotCompilableError("unexpected HistGradientBoosting preprocessing")
            masks[name] = mask
        encoder = preprocessor.named_transformers_["encoder"]
        if not (
            isinstance(encoder, OrdinalEncoder)
            and encoder.handle_unknown == "use_encoded_value"
            and np.isnan(encoder.unknown_value)
            and np.isnan(encoder.encoded_missing_value)
        ):
            raise NotCompilableError("unexpected HistGradientBoosting category encoder")
        categories = []
        for values in encoder.categories_:
            values = np.asarray(values)
            if values.dtype.kind != "f":
                raise NotCompilableError("non-numeric categories inside HistGradientBoosting")
            known = values[~np.isnan(values)]
            if np.any(np.diff(known) <= 0):
                raise NotCompilableError("unsorted categories")
            categories.append(known.astype(np.float64))
        numeric = masks.get("numerical", np.zeros(len(masks["encoder"]), dtype=bool))
        return cls(np.flatnonzero(masks["encoder"]), np.flatnonzero(numeric), categories)

    def transform(self, X: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        out = np.empty((X.shape[0], len(self.categorical) + len(self.numeric)), dtype=np.float64)
        for j, (column, known) in enumerate(zip(self.categorical, self.categories, strict=True)):
            values = X[:, column]
            if len(known) == 0:
                out[:, j] = np.nan
                continue
            position = np.minimum(np.searchsorted(known, values), len(known) - 1)
            out[:, j] = np.where(known[position] == values, position, np.nan)
        out[:, len(self.categorical) :] = X[:, self.numeric]
        return out


class _TreeNodes:
    """Trees' node arrays gathered into one flat forest, each tree's node indices offset by the
    nodes before it."""

    def __init__(self) -> None:
        self.roots: list[int] = []
        self.features: list[np.ndarray[Any, Any]] = []
        self.thresholds: list[np.ndarray[Any, Any]] = []
        self.missing: list[np.ndarray[Any, Any]] = []
        self.lefts: list[np.ndarray[Any, Any]] = []
        self.rights: list[np.ndarray[Any, Any]] = []
        self.covers: list[np.ndarray[Any, Any]] = []
        self.count = 0
        self.depth = 0

    def add(
        self,
        leaf: np.ndarray[Any, Any],
        feature: np.ndarray[Any, Any],
        threshold: np.ndarray[Any, Any],
        missing_left: np.ndarray[Any, Any],
        left: np.ndarray[Any, Any],
        right: np.ndarray[Any, Any],
        depth: int,
        cover: np.ndarray[Any, Any],
    ) -> None:
        """One tree, its children as its own node indices; its leaves will point at themselves."""
        offset = self.count
        own = np.arange(offset, offset + len(leaf))
        self.roots.append(offset)
        self.features.append(np.where(leaf, 0, feature).astype(np.intp))
        self.thresholds.append(np.asarray(threshold, dtype=np.float64))
        self.missing.append(np.asarray(missing_left, dtype=bool))
        self.lefts.append(np.where(leaf, own, left + offset))
        self.rights.append(np.where(leaf, own, right + offset))
        self.covers.append(np.asarray(cover, dtype=np.float64))
        self.depth = max(self.depth, depth)
        self.count += len(leaf)

    def flat(self) -> _FlatTrees:
        return _FlatTrees(
            np.asarray(self.roots, dtype=np.intp),
            np.concatenate(self.features),
            np.concatenate(self.thresholds),
            np.concatenate(self.missing),
            np.concatenate(self.lefts),
            np.concatenate(self.rights),
            self.depth,
            cover=np.concatenate(self.covers),
        )


def _category_goes_left(
    raw: np.ndarray[Any, Any], known: np.ndarray[Any, Any], missing_left: bool
) -> np.ndarray[Any, Any]:
    """(256,) bool: whether each category code goes left at a categorical split."""
    table = np.empty(256, dtype=bool)
    for code in range(256):
        if _in_bitset(raw, code):
            table[code] = True
        elif _in_bitset(known, code):
            table[code] = False
        else:  # unknown category: the missing direction
            table[code] = missing_left
    return table


def _flatten_hgb(estimator: Any) -> tuple[_FlatTrees, np.ndarray[Any, Any]]:
    """Flat trees (iteration-major, then class) and their leaf values."""
    predictors = [p for iteration in estimator._predictors for p in iteration]
    has_categorical = any(p.nodes["is_categorical"].any() for p in predictors)
    known_bitsets = f_idx_map = None
    if has_categorical:
        known_bitsets, f_idx_map = estimator._bin_mapper.make_known_categories_bitsets()
    trees = _TreeNodes()
    values: list[np.ndarray[Any, Any]] = []
    categorical: list[np.ndarray[Any, Any]] = []
    cat_rows: list[np.ndarray[Any, Any]] = []
    cat_tables: list[np.ndarray[Any, Any]] = []
    for predictor in predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.add(
            leaf,
            nodes["feature_idx"],
            nodes["num_threshold"],
            nodes["missing_go_to_left"],
            nodes["left"].astype(np.intp),
            nodes["right"].astype(np.intp),
            int(nodes["depth"].max()),
            nodes["count"],
        )
        values.append(nodes["value"].astype(np.float64))
        is_cat = nodes["is_categorical"].astype(bool) & ~leaf
        categorical.append(is_cat)
        rows = np.zeros(len(nodes), dtype=np.intp)
        for i in np.flatnonzero(is_cat):
            assert known_bitsets is not None and f_idx_map is not None
            node = nodes[i]
            raw = predictor.raw_left_cat_bitsets[node["bitset_idx"]]
            known = known_bitsets[f_idx_map[node["feature_idx"]]]
            rows[i] = len(cat_tables)
            cat_tables.append(_category_goes_left(raw, known, bool(node["missing_go_to_left"])))
        cat_rows.append(rows)
    flat = trees.flat()
    if cat_tables:
        flat.categorical = np.concatenate(categorical)
        flat.cat_row = np.concatenate(cat_rows)
        flat.cat_left = np.vstack(cat_tables)
    return flat, np.concatenate(values)


def _flatten_forest(estimators: list[Any], classify: bool) -> tuple[_FlatTrees, np.ndarray[Any, Any]]:
    """Flat trees of a forest and per-node outputs: normalised class fractions, or the value."""
    trees = _TreeNodes()
    values: list[np.ndarray[Any, Any]] = []
    for tree_estimator in estimators:
        tree = tree_estimator.tree_
        if tree.n_outputs != 1:
            raise NotCompilableError("multi-output forest")
        trees.add(
            tree.children_left < 0,
            tree.feature,
            tree.threshold,
            tree.missing_go_to_left,
            tree.children_left,
            tree.children_right,
            int(tree.max_depth),
            tree.weighted_n_node_samples,
        )
        if classify:
            proba = tree.value[:, 0, : tree_estimator.n_classes_].astype(np.float64)
            normaliser = proba.sum(axis=1)[:, np.newaxis]
            normaliser[normaliser == 0.0] = 1.0
            values.append(proba / normaliser)  # what DecisionTreeClassifier.predict_proba does
        else:
            values.append(tree.value[:, 0, 0].astype(np.float64))
    return trees.flat(), np.concatenate(values)


def _ordered_sum(first: np.ndarray[Any, Any], terms: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """first + terms[:, 0] + terms[:, 1] + ... left to right (cumsum is sequential; sum is pairwise)."""
    stacked = np.concatenate([first[:, None], terms], axis=1)
    return np.cumsum(stacked, axis=1)[:, -1]


class CompiledEnsemble:
    """A fitted tree ensemble's predict/predict_proba as numpy over flat arrays (see above)."""

    def __init__(self, estimator: Any) -> None:
        self.source = type(estimator).__name__
        self.classify = hasattr(estimator, "classes_")
        if self.classify:
            self.classes_ = estimator.classes_
        self._hgb = isinstance(estimator, HistGradientBoostingClassifier | HistGradientBoostingRegressor)
        self.outputs_probability = self.classify and not self._hgb  # forests average class fractions
        if self._hgb:
            self.trees, self.values = _flatten_hgb(estimator)
            self._baseline = np.asarray(estimator._baseline_prediction, dtype=np.float64).ravel()
            self._per_iteration = int(estimator.n_trees_per_iteration_)
            self._loss = estimator._loss
            self._input = _HGBInput.of(estimator)
        else:
            if getattr(estimator, "n_outputs_", 1) != 1:
                raise NotCompilableError("multi-output forest")
            self.trees, self.values = _flatten_forest(estimator.estimators_, self.classify)
            self._count = len(estimator.estimators_)
        self.n_features_in_ = int(estimator.n_features_in_)

    def tree_input(self, X: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """X as the trees compare it: float32 values for forests, HGB's own category codes."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} features")
        if not self._hgb:  # forests validate X to float32 and compare it with float64 thresholds
            return X.astype(np.float32).astype(np.float64)
        if self._input is not None:
            return self._input.transform(X)
        return X

    def _raw(self, X: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """HGB raw predictions (n, n_trees_per_iteration), or the forest's summed tree outputs."""
        X = self.tree_input(X)
        leaves = self.trees.leaves(X)
        n = X.shape[0]
        if self._hgb:
            k = self._per_iteration
            terms = self.values[leaves].reshape(n, -1, k)  # (n, iterations, k)
            raw = np.empty((n, k), dtype=np.float64)
            for j in range(k):
                raw[:, j] = _ordered_sum(np.full(n, self._baseline[j]), terms[:, :, j])
            return raw
        terms = self.values[leaves]  # (n, trees) or (n, trees, classes)
        if terms.ndim == 2:
            return _ordered_sum(np.zeros(n), terms)
        out = np.empty((n, terms.shape[2]), dtype=np.float64)
        for j in range(terms.shape[2]):
            out[:, j] = _ordered_sum(np.zeros(n), terms[:, :, j])
        return out

    def shap_terms(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """(offset, weights, origin) with raw[:, k] = offset[k] + sum over trees of weights[leaf, k]
        (`raw`: HGB's raw predictions, a forest's mean tree output), and origin[j] = the input
        column behind tree feature j (HGB reorders categorical columns first)."""
        nodes = len(self.values)
        if self._hgb:
            k = self._per_iteration
            tree = np.searchsorted(self.trees.roots, np.arange(nodes), side="right") - 1
            weights = np.zeros((nodes, k))
            weights[np.arange(nodes), tree % k] = self.values
            origin = np.arange(self.n_features_in_)
            if self._input is not None:
                origin = np.concatenate([self._input.categorical, self._input.numeric])
            return self._baseline.copy(), weights, origin
        values = self.values if self.values.ndim == 2 else self.values[:, None]
        return np.zeros(values.shape[1]), values / self._count, np.arange(self.n_features_in_)

    def predict_proba(self, X: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        if not self.classify:
            raise AttributeError("predict_proba of a regressor")
        raw = self._raw(X)
        if self._hgb:
            return np.asarray(self._loss.predict_proba(raw))
        raw /= self._count
        return raw

    def predict(self, X: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        if self.classify:
            proba = self.predict_proba(X)
            classes: np.ndarray[Any, Any] = np.asarray(self.classes_)
            labels: np.ndarray[Any, Any] = classes[np.argmax(proba, axis=1)]
            return labels
        raw = self._raw(X)
        if self._hgb:
            return np.asarray(self._loss.link.inverse(raw.ravel()), dtype=np.float64)
        return raw / self._count


def compile_estimator(estimator: Any) -> CompiledEnsemble:
    """The numpy form of a fitted HistGradientBoosting / RandomForest / ExtraTrees / LightGBM model."""
    if isinstance(estimator, LightGBMClassifier | LightGBMRegressor):
        from modelyard.ml.lightgbm_trees import CompiledLightGBM  # it builds on this module

        return CompiledLightGBM(estimator)
    hgb = (HistGradientBoostingClassifier, HistGradientBoostingRegressor)
    forests = (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor)
    if type(estimator) not in (*hgb, *forests):
        raise NotCompilableError(f"no compiled form of {type(estimator).__name__}")
    return CompiledEnsemble(estimator)
