"""Recognising date and datetime text columns, and parsing them (eagerly or in lazy pipelines)."""

from __future__ import annotations

import polars as pl

DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
)
DATETIME_MIN_MATCH = 0.95

DatetimeKind = pl.Datetime | type[pl.Date]


def datetime_formats(probe: pl.DataFrame) -> dict[str, tuple[DatetimeKind, str]]:
    """The string columns whose sampled values are dates, each with the one format that parses them."""
    found: dict[str, tuple[DatetimeKind, str]] = {}
    for name, dtype in probe.schema.items():
        if dtype != pl.String:
            continue
        values = probe.get_column(name).drop_nulls().head(1000)
        if values.len() == 0 or not values.str.contains(r"^\d").all():
            continue
        for fmt in DATETIME_FORMATS:
            kind: DatetimeKind = pl.Date if "%H" not in fmt else pl.Datetime("us")
            parsed = values.str.strptime(kind, fmt, strict=False)
            if parsed.null_count() <= (1 - DATETIME_MIN_MATCH) * values.len():
                found[name] = (kind, fmt)
                break
    return found


def datetime_casts(probe: pl.DataFrame) -> list[pl.Expr]:
    """Expressions parsing the date columns `probe` reveals (for lazy pipelines)."""
    return [_strptime(pl.col(name), kind, fmt) for name, (kind, fmt) in datetime_formats(probe).items()]


def _strptime(column: pl.Expr, kind: DatetimeKind, fmt: str) -> pl.Expr:
    """`column.str.strptime(kind, fmt, strict=False)`, with the same result but faster for `%.f` formats.

    Fractional seconds (`%.f`) take polars' slow general parser, ~4x the fixed-width one. So values
    without a fraction are parsed with the format minus `%.f` first, and only the values that did
    not parse that way (a fraction, or not a date at all) go through the full format.
    """
    if not fmt.endswith("%.f"):
        return column.str.strptime(kind, fmt, strict=False)
    whole = column.str.strptime(kind, fmt.removesuffix("%.f"), strict=False, cache=False)
    rest = pl.when(whole.is_null()).then(column).str.strptime(kind, fmt, strict=False)
    return pl.coalesce(whole, rest).alias(column.meta.output_name())


def parse_datetimes(frame: pl.DataFrame, formats: dict[str, tuple[DatetimeKind, str]]) -> pl.DataFrame:
    """`frame.with_columns(datetime_casts(...))` for an eager frame: the full `%.f` format runs only
    on the values the fixed-width one left unparsed, and not at all when there are none."""
    parsed = []
    for name, (kind, fmt) in formats.items():
        column = frame.get_column(name)
        if not fmt.endswith("%.f"):
            parsed.append(column.str.strptime(kind, fmt, strict=False))
            continue
        values = column.str.strptime(kind, fmt.removesuffix("%.f"), strict=False, cache=False)
        if values.null_count() > column.null_count():
            rows = (values.is_null() & column.is_not_null()).arg_true()
            values = values.scatter(rows, column.gather(rows).str.strptime(kind, fmt, strict=False))
        parsed.append(values)
    return frame.with_columns(parsed) if parsed else frame
