"""The compiled inference path: the fitted preprocessing as plain numpy.

scikit-learn's ColumnTransformer costs ~11 ms per call whatever the row count, so a
one-record prediction through the Pipeline is dominated by it. `compile_pipeline`
reads the fitted transformers (imputer statistics, scaler mean and scale, encoder
categories) into a `CompiledPreprocessor` that builds the estimator's input matrix
from column lists with the same float64 operations, so the estimator sees the very
same matrix and predictions are identical. Anything it cannot express raises
`NotCompilableError` and the model is served by the Pipeline instead.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from modelyard.ml.features import DatetimeFeatures, datetime_features, to_datetime_ns

Columns = dict[str, list[Any]]


class NotCompilableError(ValueError):
    """The pipeline uses something the compiled path does not reproduce exactly."""


@dataclass
class _Numeric:
    """Imputation (median statistics) and standard scaling, each optional."""

    statistics: np.ndarray[Any, Any] | None = None
    mean: np.ndarray[Any, Any] | None = None
    scale: np.ndarray[Any, Any] | None = None

    def apply(self, X: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        if self.statistics is not None:
            missing = np.isnan(X)
            if missing.any():
                X = np.where(missing, self.statistics, X)
        if self.mean is not None:
            X = X - self.mean
        if self.scale is not None:
            X = X / self.scale
        return X


@dataclass
class _Block:
    kind: str  # numeric | onehot | ordinal | datetime
    columns: list[str]
    numeric: _Numeric
    lookups: list[dict[Any, Any]] | None = None
    widths: list[int] | None = None
    unknown_value: float = np.nan

    def transform(self, data: Columns, n: int) -> np.ndarray[Any, Any]:
        if self.kind == "numeric":
            X = np.empty((n, len(self.columns)), dtype=np.float64)
            for j, name in enumerate(self.columns):
                X[:, j] = np.asarray(data[name], dtype=np.float64)
            return self.numeric.apply(X)
        if self.kind == "onehot":
            assert self.lookups is not None and self.widths is not None
            X = np.zeros((n, sum(self.widths)), dtype=np.float64)
            offset = 0
            for name, lookup, width in zip(self.columns, self.lookups, self.widths, strict=True):
                for i, value in enumerate(data[name]):
                    code = lookup.get(value)
                    if code is not None:
                        X[i, offset + code] = 1.0
                offset += width
            return X
        if self.kind == "ordinal":
            assert self.lookups is not None
            X = np.empty((n, len(self.columns)), dtype=np.float64)
            for j, (name, lookup) in enumerate(zip(self.columns, self.lookups, strict=True)):
                X[:, j] = [lookup.get(v, self.unknown_value) for v in data[name]]
            return self.numeric.apply(X)
        parts = [datetime_features(to_datetime_ns(data[name])) for name in self.columns]
        return self.numeric.apply(np.hstack(parts))


@dataclass
class CompiledPreprocessor:
    blocks: list[_Block]
    width: int

    def transform(self, data: Columns, n: int) -> np.ndarray[Any, Any]:
        parts = [block.transform(data, n) for block in self.blocks]
        X = np.hstack(parts) if len(parts) > 1 else parts[0]
        if X.shape[1] != self.width:  # pragma: no cover - guarded by compile-time checks
            raise NotCompilableError("compiled width differs from the fitted pipeline's")
        return X


def _numeric_steps(steps: list[Any]) -> _Numeric:
    numeric = _Numeric()
    for step in steps:
        if isinstance(step, SimpleImputer):
            if step.add_indicator or step.strategy not in ("median", "mean", "constant", "most_frequent"):
                raise NotCompilableError("imputer with indicators")
            if not (isinstance(step.missing_values, float) and np.isnan(step.missing_values)):
                raise NotCompilableError("imputer for non-NaN missing values")
            if numeric.mean is not None or numeric.statistics is not None:
                raise NotCompilableError("imputer after scaling")
            statistics = np.asarray(step.statistics_, dtype=np.float64)
            if np.isnan(statistics).any():
                raise NotCompilableError("imputer dropping empty features")
            numeric.statistics = statistics
        elif isinstance(step, StandardScaler):
            if numeric.mean is not None or numeric.scale is not None:
                raise NotCompilableError("two scalers")
            numeric.mean = np.asarray(step.mean_, dtype=np.float64) if step.with_mean else None
            numeric.scale = np.asarray(step.scale_, dtype=np.float64) if step.with_std else None
        else:
            raise NotCompilableError(f"unsupported step {type(step).__name__}")
    return numeric


def _lookup(categories: np.ndarray[Any, Any], missing: float | None = None) -> dict[Any, Any]:
    """Category -> code. Missing values arrive as None; they take the NaN category's code
    (one-hot), or `missing` (the ordinal encoder's encoded_missing_value)."""
    lookup: dict[Any, Any] = {}
    for code, value in enumerate(categories.tolist()):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            lookup[None] = code if missing is None else missing
        else:
            lookup[value] = code
    if missing is not None:
        lookup[None] = missing
    return lookup


def _compile_transformer(transformer: Any, columns: list[str]) -> _Block:
    if transformer == "passthrough" or (
        isinstance(transformer, FunctionTransformer) and transformer.func is None
    ):  # a fitted ColumnTransformer holds "passthrough" as an identity FunctionTransformer
        return _Block("numeric", columns, _Numeric())
    steps = [s for _, s in transformer.steps] if isinstance(transformer, Pipeline) else [transformer]
    head, rest = steps[0], steps[1:]
    if isinstance(head, OneHotEncoder):
        if rest or head.drop is not None or head.handle_unknown != "ignore" or head.sparse_output:
            raise NotCompilableError("one-hot encoder options")
        if head.min_frequency is not None or head.max_categories is not None:
            raise NotCompilableError("infrequent categories")
        lookups = [_lookup(c) for c in head.categories_]
        return _Block("onehot", columns, _Numeric(), lookups, [len(c) for c in head.categories_])
    if isinstance(head, OrdinalEncoder):
        if head.handle_unknown != "use_encoded_value":
            raise NotCompilableError("ordinal encoder raising on unknown values")
        lookups = [_lookup(c, float(head.encoded_missing_value)) for c in head.categories_]
        return _Block(
            "ordinal", columns, _numeric_steps(rest), lookups, unknown_value=float(head.unknown_value)
        )
    if isinstance(head, DatetimeFeatures):
        return _Block("datetime", columns, _numeric_steps(rest))
    return _Block("numeric", columns, _numeric_steps(steps))


def compile_pipeline(pipeline: Any) -> tuple[CompiledPreprocessor, Any]:
    """The compiled preprocessing and the estimator (compiled trees when possible), or
    NotCompilableError."""
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        raise NotCompilableError("not a preprocess + model pipeline")
    preprocess, estimator = pipeline.steps[0][1], pipeline.steps[1][1]
    if not isinstance(preprocess, ColumnTransformer) or preprocess.sparse_output_:
        raise NotCompilableError("preprocessing is not a dense ColumnTransformer")
    blocks: list[_Block] = []
    for name, transformer, columns in preprocess.transformers_:
        if name == "remainder":
            if transformer != "drop":
                raise NotCompilableError("remainder columns are kept")
            continue
        if transformer == "drop":
            continue
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise NotCompilableError("columns not selected by name")
        blocks.append(_compile_transformer(transformer, columns))
    if not blocks:
        raise NotCompilableError("no columns")
    width = len(preprocess.get_feature_names_out())
    with contextlib.suppress(NotCompilableError):  # the trees too, when they have a numpy form
        estimator = compile_estimator(estimator)
    return CompiledPreprocessor(blocks, width), estimator


# -- the fitted tree ensembles as flat numpy arrays ------------------------------------------
#
# scikit-learn's single-row `predict_proba` on a HistGradientBoosting model costs ~3 ms
# (input validation, an OpenMP region per tree, the known-category bitsets rebuilt on every
# call), and a forest's more (a joblib dispatch). `compile_estimator` reads every tree's nodes
# into one flat array set and walks all trees of all rows at once, one numpy step per tree
# level, making exactly the comparisons scikit-learn's Cython makes (NaN -> the learned
# missing direction; categorical splits through the same bitsets; forests compare float32
# inputs, as they cast X to float32). Leaf values are accumulated in scikit-learn's order
# (baseline, then each iteration / each tree in turn), so outputs are bit-for-bit equal.


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

    @classmethod
    def joined(
        cls,
        roots: list[int],
        features: list[np.ndarray[Any, Any]],
        thresholds: list[np.ndarray[Any, Any]],
        missing: list[np.ndarray[Any, Any]],
        lefts: list[np.ndarray[Any, Any]],
        rights: list[np.ndarray[Any, Any]],
        depth: int,
    ) -> _FlatTrees:
        """One flat forest from per-tree node arrays (node indices already offset)."""
        return cls(
            np.asarray(roots, dtype=np.intp),
            np.concatenate(features),
            np.concatenate(thresholds),
            np.concatenate(missing),
            np.concatenate(lefts),
            np.concatenate(rights),
            depth,
        )

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
            idx = self.children.take(2 * idx + go_left)
        return idx


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


def _flatten_hgb(estimator: Any) -> tuple[_FlatTrees, np.ndarray[Any, Any]]:
    """Flat trees (iteration-major, then class) and their leaf values."""
    predictors = [p for iteration in estimator._predictors for p in iteration]
    has_categorical = any(p.nodes["is_categorical"].any() for p in predictors)
    known_bitsets = f_idx_map = None
    if has_categorical:
        known_bitsets, f_idx_map = estimator._bin_mapper.make_known_categories_bitsets()
    roots, features, thresholds, missing, lefts, rights, values = [], [], [], [], [], [], []
    categorical: list[np.ndarray[Any, Any]] = []
    cat_rows: list[np.ndarray[Any, Any]] = []
    cat_tables: list[np.ndarray[Any, Any]] = []
    offset, depth = 0, 0
    for predictor in predictors:
        nodes = predictor.nodes
        count = len(nodes)
        own = np.arange(offset, offset + count)
        leaf = nodes["is_leaf"].astype(bool)
        roots.append(offset)
        features.append(np.where(leaf, 0, nodes["feature_idx"]).astype(np.intp))
        thresholds.append(nodes["num_threshold"].astype(np.float64))
        missing.append(nodes["missing_go_to_left"].astype(bool))
        lefts.append(np.where(leaf, own, nodes["left"].astype(np.intp) + offset))
        rights.append(np.where(leaf, own, nodes["right"].astype(np.intp) + offset))
        values.append(nodes["value"].astype(np.float64))
        depth = max(depth, int(nodes["depth"].max()))
        is_cat = nodes["is_categorical"].astype(bool) & ~leaf
        categorical.append(is_cat)
        rows = np.zeros(count, dtype=np.intp)
        for i in np.flatnonzero(is_cat):
            assert known_bitsets is not None and f_idx_map is not None
            node = nodes[i]
            raw = predictor.raw_left_cat_bitsets[node["bitset_idx"]]
            known = known_bitsets[f_idx_map[node["feature_idx"]]]
            table = np.empty(256, dtype=bool)
            for code in range(256):
                if _in_bitset(raw, code):
                    table[code] = True
                elif _in_bitset(known, code):
                    table[code] = False
                else:  # unknown category: the missing direction
                    table[code] = bool(node["missing_go_to_left"])
            rows[i] = len(cat_tables)
            cat_tables.append(table)
        cat_rows.append(rows)
        offset += count
    flat = _FlatTrees.joined(roots, features, thresholds, missing, lefts, rights, depth)
    if cat_tables:
        flat.categorical = np.concatenate(categorical)
        flat.cat_row = np.concatenate(cat_rows)
        flat.cat_left = np.vstack(cat_tables)
    return flat, np.concatenate(values)


def _flatten_forest(estimators: list[Any], classify: bool) -> tuple[_FlatTrees, np.ndarray[Any, Any]]:
    """Flat trees of a forest and per-node outputs: normalised class fractions, or the value."""
    roots, features, thresholds, missing, lefts, rights, values = [], [], [], [], [], [], []
    offset, depth = 0, 0
    for tree_estimator in estimators:
        tree = tree_estimator.tree_
        if tree.n_outputs != 1:
            raise NotCompilableError("multi-output forest")
        count = tree.node_count
        own = np.arange(offset, offset + count)
        leaf = tree.children_left < 0
        roots.append(offset)
        features.append(np.where(leaf, 0, tree.feature).astype(np.intp))
        thresholds.append(np.asarray(tree.threshold, dtype=np.float64))
        missing.append(np.asarray(tree.missing_go_to_left, dtype=bool))
        lefts.append(np.where(leaf, own, tree.children_left + offset))
        rights.append(np.where(leaf, own, tree.children_right + offset))
        if classify:
            proba = tree.value[:, 0, : tree_estimator.n_classes_].astype(np.float64)
            normaliser = proba.sum(axis=1)[:, np.newaxis]
            normaliser[normaliser == 0.0] = 1.0
            values.append(proba / normaliser)  # what DecisionTreeClassifier.predict_proba does
        else:
            values.append(tree.value[:, 0, 0].astype(np.float64))
        depth = max(depth, int(tree.max_depth))
        offset += count
    flat = _FlatTrees.joined(roots, features, thresholds, missing, lefts, rights, depth)
    return flat, np.concatenate(values)


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

    def _raw(self, X: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """HGB raw predictions (n, n_trees_per_iteration), or the forest's summed tree outputs."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} features")
        if not self._hgb:  # forests validate X to float32 and compare it with float64 thresholds
            X = X.astype(np.float32).astype(np.float64)
        elif self._input is not None:
            X = self._input.transform(X)
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
    """The numpy form of a fitted HistGradientBoosting / RandomForest / ExtraTrees model."""
    supported = (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
        ExtraTreesClassifier,
        ExtraTreesRegressor,
    )
    if type(estimator) not in supported:
        raise NotCompilableError(f"no compiled form of {type(estimator).__name__}")
    return CompiledEnsemble(estimator)
