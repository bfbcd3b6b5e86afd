"""Column typing, the training schema and the frame every pipeline sees.

Training and inference build the pipeline's input with the same `prepare_frame`,
so a value means the same thing in both: numbers as float64 (NaN when missing),
booleans as 0/1, categories as Python strings (None when missing: encoders treat it
as a category of its own), datetimes parsed by `to_datetime_ns`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from modelyard.lib.schema import ProblemType, Schema
from modelyard.ml.columns import MIN_IDENTIFIER_ROWS, TRAINING, is_consecutive, is_identifier

FeatureKind = Literal["numeric", "boolean", "categorical", "datetime"]

MAX_STORED_CATEGORIES = 200
"""Categories listed per column in the schema (the encoders keep all of them)."""

DATETIME_PARTS = ("year", "month", "day", "dayofweek", "hour", "days_since_epoch")


class TrainingDataError(ValueError):
    """The data cannot train a model; `location` says which input is at fault."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(message, location)  # both in args: the error crosses the process pool
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return self.message


class FeatureSchema(Schema):
    """A column the model reads (here `region`)."""

    name: Annotated[str, msgspec.Meta(description="The column, as in the dataset.", examples=["region"])]
    kind: Annotated[FeatureKind, msgspec.Meta(description="How the model reads it.")]
    dtype: Annotated[
        str, msgspec.Meta(description="The column's type in training (pandas dtype).", examples=["str"])
    ]
    categories: Annotated[
        list[str] | None,
        msgspec.Meta(
            description="Categories seen in training (up to 200, most frequent first).",
            examples=[["north", "south", "east", "west"]],
        ),
    ] = None
    cardinality: Annotated[
        int | None, msgspec.Meta(description="Distinct categories in training.", examples=[4])
    ] = None
    missing_ratio: Annotated[
        float, msgspec.Meta(description="Share of training rows missing it.", examples=[0.0875])
    ] = 0.0


class DroppedColumn(Schema):
    """A column of the dataset the model does not read, and why."""

    name: Annotated[str, msgspec.Meta(description="The column.", examples=["customer_id"])]
    reason: Annotated[
        str,
        msgspec.Meta(
            description="Why it was left out (excluded by request, identifier-like, constant, empty).",
            examples=["identifier-like: distinct integer per row"],
        ),
    ]


class TrainingSchema(Schema):
    """What the model expects as input, and what training left out."""

    target: Annotated[str, msgspec.Meta(description="The column it predicts.", examples=["churned"])]
    problem_type: ProblemType
    features: list[FeatureSchema]
    dropped: list[DroppedColumn]
    classes: Annotated[
        list[Any] | None,
        msgspec.Meta(description="Classifiers: the classes it predicts, in order.", examples=[["no", "yes"]]),
    ] = None

    def to_dict(self) -> dict[str, Any]:
        """The stored shape (a model record's `training_schema`)."""
        return msgspec.to_builtins(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingSchema:
        return msgspec.convert(data, cls)

    def columns_of(self, kind: FeatureKind) -> list[str]:
        return [f.name for f in self.features if f.kind == kind]


# -- datetimes ------------------------------------------------------------------------------


def _parse_small(values: list[Any]) -> np.ndarray[Any, Any] | None:
    """ISO strings parsed without pandas (its per-call cost dominates a single record); None
    when any value needs pandas' parser."""
    out = np.empty(len(values), dtype="datetime64[ns]")
    for i, value in enumerate(values):
        if value is None:
            out[i] = np.datetime64("NaT")
            continue
        if not isinstance(value, str) or len(value) < 10 or value[4] != "-":
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        out[i] = np.datetime64(parsed, "us")
    return out


def to_datetime_ns(values: Any) -> np.ndarray[Any, Any]:
    """Parse values (strings, datetimes, None) to naive-UTC datetime64[ns]; NaT when unparseable.

    ISO 8601 strings are read as UTC unless they carry an offset.
    """
    if not isinstance(values, pd.Series) and len(values) <= 64:
        fast = _parse_small(list(values))
        if fast is not None:
            return fast
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        parsed = pd.to_datetime(series, utc=True)
    else:
        parsed = pd.to_datetime(series.astype(object), errors="coerce", utc=True, format="ISO8601")
    result: np.ndarray[Any, Any] = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    return result


def datetime_features(ts: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Calendar features of datetime64[ns] values, one row per value (NaN for NaT)."""
    missing = np.isnat(ts)
    safe = np.where(missing, np.datetime64(0, "ns"), ts)
    days = safe.astype("datetime64[D]")
    months = safe.astype("datetime64[M]")
    out = np.empty((len(ts), len(DATETIME_PARTS)), dtype=np.float64)
    out[:, 0] = safe.astype("datetime64[Y]").astype(np.int64) + 1970
    out[:, 1] = months.astype(np.int64) % 12 + 1
    out[:, 2] = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    out[:, 3] = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    out[:, 4] = (safe - days).astype("timedelta64[h]").astype(np.int64)
    out[:, 5] = safe.astype(np.int64) / 86_400e9
    out[missing] = np.nan
    return out


class DatetimeFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Datetime columns -> year, month, day, day of week, hour, days since 1970 (NaN when missing)."""

    def fit(self, X: Any, y: Any = None) -> DatetimeFeatures:
        self.n_features_in_ = X.shape[1]
        self.columns_ = [str(c) for c in X.columns] if hasattr(X, "columns") else None
        return self

    def transform(self, X: Any) -> np.ndarray[Any, Any]:
        if hasattr(X, "iloc"):
            columns = [X.iloc[:, i] for i in range(X.shape[1])]
        else:
            columns = [pd.Series(X[:, i], dtype=object) for i in range(X.shape[1])]
        return np.hstack([datetime_features(to_datetime_ns(c)) for c in columns])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray[Any, Any]:
        names = input_features if input_features is not None else self.columns_
        names = names or [f"x{i}" for i in range(self.n_features_in_)]
        return np.asarray([f"{n}__{part}" for n in names for part in DATETIME_PARTS], dtype=object)


# -- typing columns -------------------------------------------------------------------------


def _looks_like_datetime(series: pd.Series) -> bool:
    sample = series.dropna().astype(str).head(200)
    if sample.empty or not sample.str.contains(r"^\d{4}-\d{2}-\d{2}", regex=True).all():
        return False
    parsed = pd.to_datetime(sample, errors="coerce", utc=True, format="ISO8601")
    return bool(parsed.notna().mean() >= 0.95)


def _is_integer_identifier(name: object, non_null: pd.Series, distinct: int) -> bool:
    """The shared identifier rule (`ml.columns`) at training strictness, for an integer column."""
    count = len(non_null)
    sequence = count >= MIN_IDENTIFIER_ROWS and is_consecutive(non_null.to_numpy())
    return is_identifier(
        TRAINING, name=str(name), kind="integer", count=count, distinct=distinct, sequence=sequence
    )


def column_kind(series: pd.Series) -> tuple[FeatureKind | None, str | None]:
    """The feature kind of a column, or (None, why it is dropped)."""
    non_null = series.dropna()
    if non_null.empty:
        return None, "empty: every value is missing"
    distinct = int(non_null.nunique())
    if distinct <= 1:
        return None, "constant: a single distinct value"
    unique_ratio = distinct / len(non_null)
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean", None
    if pd.api.types.is_numeric_dtype(dtype):
        if pd.api.types.is_integer_dtype(dtype) and _is_integer_identifier(series.name, non_null, distinct):
            return None, "identifier-like: distinct integer per row"
        return "numeric", None
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime", None
    if _looks_like_datetime(series):
        return "datetime", None
    if unique_ratio > 0.9 and distinct > 20:
        return None, "identifier-like or free text: nearly every value is distinct"
    return "categorical", None


def infer_problem_type(target: pd.Series, requested: ProblemType | None) -> ProblemType:
    values = target.dropna()
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    distinct = int(values.nunique())
    if requested == "regression":
        if not numeric:
            raise TrainingDataError(
                f"Regression needs a numeric target; {target.name!r} holds {values.dtype} values.",
                "body.problem_type",
            )
        return "regression"
    if requested is not None:
        return "binary" if distinct == 2 else requested if distinct > 2 else "binary"
    if numeric and not (pd.api.types.is_integer_dtype(values.dtype) and distinct <= 20):
        return "regression"
    return "binary" if distinct == 2 else "multiclass"


def check_target(frame: pd.DataFrame, target: str, requested: ProblemType | None) -> ProblemType:
    """Reject targets that cannot train a model; return the problem type."""
    if target not in frame.columns:
        raise TrainingDataError(f"The dataset has no column {target!r}.", "body.target")
    series = frame[target]
    total = len(series)
    missing = int(series.isna().sum())
    if total == 0 or missing / total > 0.5:
        raise TrainingDataError(
            f"The target {target!r} is missing in {missing} of {total} rows (more than 50%).", "body.target"
        )
    usable = total - missing
    if usable < 20:
        raise TrainingDataError(
            f"Only {usable} rows have a target value; training needs at least 20.", "body.target"
        )
    distinct = int(series.dropna().nunique())
    if distinct < 2:
        raise TrainingDataError(
            f"The target {target!r} has a single value; there is nothing to learn.", "body.target"
        )
    problem = infer_problem_type(series, requested)
    if problem != "regression":
        counts = series.dropna().astype(object).value_counts()
        rare = [str(label) for label, count in counts.items() if count < 2]
        if rare:
            raise TrainingDataError(
                f"Classes with fewer than 2 rows cannot be split for training and testing: "
                f"{', '.join(rare[:10])}.",
                "body.target",
            )
    return problem


def infer_schema(
    frame: pd.DataFrame, target: str, problem_type: ProblemType, exclude: list[str] | tuple[str, ...] = ()
) -> TrainingSchema:
    features: list[FeatureSchema] = []
    dropped: list[DroppedColumn] = []
    for name in frame.columns:
        if name == target:
            continue
        if name in exclude:
            dropped.append(DroppedColumn(str(name), "excluded by request"))
            continue
        series = frame[name]
        kind, reason = column_kind(series)
        if kind is None:
            dropped.append(DroppedColumn(str(name), reason or "unusable"))
            continue
        spec = FeatureSchema(
            name=str(name), kind=kind, dtype=str(series.dtype), missing_ratio=float(series.isna().mean())
        )
        if kind == "categorical":
            counts = series.dropna().astype(str).value_counts()
            spec.cardinality = len(counts)
            spec.categories = [str(c) for c in counts.index[:MAX_STORED_CATEGORIES]]
        features.append(spec)
    if not features:
        raise TrainingDataError(
            "No usable feature column remains after dropping constant, empty, identifier-like and "
            "excluded columns.",
            "body.exclude_columns",
        )
    classes: list[Any] | None = None
    if problem_type != "regression":
        classes = sorted(_plain(v) for v in frame[target].dropna().unique())
    return TrainingSchema(target, problem_type, features, dropped, classes)


def _plain(value: Any) -> Any:
    """numpy scalar -> Python scalar (JSON-able, comparable)."""
    return value.item() if isinstance(value, np.generic) else value


def categorical_values(values: Any) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    out = series.astype(object)
    present = out.notna()
    return out.where(~present, out[present].map(_as_category)).where(present, None)


def _as_category(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def prepare_frame(frame: pd.DataFrame, schema: TrainingSchema) -> pd.DataFrame:
    """The pipeline's input: the schema's feature columns, normalised (see module docstring)."""
    columns: dict[str, Any] = {}
    for spec in schema.features:
        series = frame[spec.name] if spec.name in frame.columns else pd.Series([None] * len(frame))
        if spec.kind in ("numeric", "boolean"):
            columns[spec.name] = pd.to_numeric(series, errors="coerce").astype(np.float64).to_numpy()
        elif spec.kind == "categorical":
            columns[spec.name] = categorical_values(series.reset_index(drop=True)).to_numpy(dtype=object)
        else:
            columns[spec.name] = to_datetime_ns(series.reset_index(drop=True))
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))


def to_pandas(data: Any) -> pd.DataFrame:
    """A pandas frame from a pyarrow Table, a polars DataFrame or a pandas DataFrame."""
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas"):
        return data.to_pandas()
    raise TypeError(f"cannot read a table from {type(data).__name__}")
