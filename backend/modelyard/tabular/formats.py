"""JSON Lines, Parquet and Excel (.xlsx) uploads to the normalised Parquet copy."""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from modelyard.tabular.dates import datetime_casts, datetime_formats, parse_datetimes
from modelyard.tabular.limits import DatasetRejected
from modelyard.tabular.normalised import (
    INFER_ROWS,
    PARQUET_COMPRESSION,
    ROW_GROUP_ROWS,
    Converted,
    parse_rejection,
    sink_normalised,
    unique_column_names,
)
from modelyard.tabular.sniffing import ACCEPTED_FORMATS, Sniffed

XLSX_MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
XLSX_MAX_RATIO = 200
"""Compression ratio above which an xlsx member counts as a zip bomb (real sheets stay well below)."""


def _utf8_copy(source: Path, encoding: str, target: Path) -> Path:
    """Transcode a text file to UTF-8 in chunks (polars reads UTF-8 only)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(4 * 1024 * 1024):
            dst.write(decoder.decode(chunk).lstrip("\ufeff").encode())
        dst.write(decoder.decode(b"", final=True).encode())
    return target


def convert_jsonl(source: Path, sniffed: Sniffed, target: Path) -> Converted:
    encoding = sniffed.encoding or "utf-8"
    path = source
    if encoding != "utf-8":
        path = _utf8_copy(source, encoding, target.with_suffix(".utf8"))
    try:
        frame = pl.scan_ndjson(path, infer_schema_length=INFER_ROWS)
        schema = frame.collect_schema()
        names, renamed = unique_column_names(list(schema.names()))
        frame = frame.rename(dict(zip(schema.names(), names, strict=True))) if renamed else frame
        frame = frame.with_columns(_normalise_exprs(pl.Schema(zip(names, schema.dtypes(), strict=True))))
        probe = frame.head(INFER_ROWS).collect()
        frame = frame.with_columns(datetime_casts(probe))
        sink_normalised(frame, target)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise parse_rejection(exc, "JSON Lines") from None
    finally:
        if path != source:
            path.unlink(missing_ok=True)
    return Converted(
        rows=pq.ParquetFile(target).metadata.num_rows, columns=names, renamed=renamed, encoding=encoding
    )


def _normalise_exprs(schema: pl.Schema) -> list[pl.Expr]:
    """Plain types only: nested values become JSON text, categoricals text, decimals floats."""
    exprs = []
    for name, dtype in schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Struct):
            exprs.append(column.struct.json_encode())
        elif isinstance(dtype, pl.List | pl.Array):
            wrapped = pl.struct(column.alias("v")).struct.json_encode()
            exprs.append(wrapped.str.strip_prefix('{"v":').str.strip_suffix("}").alias(name))
        elif isinstance(dtype, pl.Categorical | pl.Enum | pl.Null | pl.Object | pl.Binary | pl.Time):
            exprs.append(
                column.cast(pl.String, strict=False) if dtype != pl.Binary else column.bin.encode("hex")
            )
        elif isinstance(dtype, pl.Decimal):
            exprs.append(column.cast(pl.Float64))
        elif isinstance(dtype, pl.Duration):
            exprs.append(column.dt.total_seconds(fractional=True))
    return exprs


def _write_batches(batches: Iterator[pl.DataFrame], target: Path) -> int:
    writer: pq.ParquetWriter | None = None
    rows = 0
    schema: pa.Schema | None = None
    try:
        for batch in batches:
            table = batch.to_arrow()
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(target, schema, compression="none")  # pyarrow's "uncompressed"
            writer.write_table(table.cast(schema), row_group_size=ROW_GROUP_ROWS)
            rows += batch.height
    finally:
        if writer is not None:
            writer.close()
    return rows


def convert_parquet(source: Path, target: Path) -> Converted:
    try:
        parquet = pq.ParquetFile(source)
        original = parquet.schema_arrow.names
        names, renamed = unique_column_names(original)

        def batches() -> Iterator[pl.DataFrame]:
            for batch in parquet.iter_batches(batch_size=ROW_GROUP_ROWS):
                frame = pl.from_arrow(pa.Table.from_batches([batch]).rename_columns(names))
                assert isinstance(frame, pl.DataFrame)
                yield frame.with_columns(_normalise_exprs(frame.schema))

        rows = _write_batches(batches(), target)
        if rows == 0:
            return Converted(rows=0, columns=names, renamed=renamed)
    except (pa.ArrowException, pl.exceptions.PolarsError, OSError):
        raise DatasetRejected(
            "invalid",
            "The Parquet file could not be read: it is damaged or cut short, or uses an encoding "
            "or type this service cannot read.",
            "file",
        ) from None
    return Converted(rows=rows, columns=names, renamed=renamed)


def check_xlsx(source: Path) -> None:
    """Reject what is not a workbook, and zip bombs, from the zip directory alone (no decompression)."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise DatasetRejected(
            "unsupported", f"The file is a damaged zip archive, not {ACCEPTED_FORMATS}."
        ) from None
    if not any(member.filename == "xl/workbook.xml" for member in members):
        raise DatasetRejected(
            "unsupported", f"The zip archive is not an Excel workbook; send {ACCEPTED_FORMATS}."
        )
    total = sum(member.file_size for member in members)
    if total > XLSX_MAX_UNCOMPRESSED_BYTES:
        raise DatasetRejected(
            "invalid",
            f"The workbook would decompress to {total} bytes; "
            f"at most {XLSX_MAX_UNCOMPRESSED_BYTES} are accepted.",
            "file",
        )
    for member in members:
        ratio = member.file_size // max(1, member.compress_size)
        if member.file_size > 1024 * 1024 and ratio > XLSX_MAX_RATIO:
            raise DatasetRejected(
                "invalid",
                f"The workbook member {member.filename!r} is compressed {ratio}:1, as only zip bombs are; "
                "it was not decompressed.",
                "file",
            )


def _xlsx_column(values: list[object]) -> pl.Series:
    present = [v for v in values if v is not None and v != ""]
    kinds = {type(v) for v in present}
    cleaned = [None if v == "" else v for v in values]
    integral = kinds == {float, int} and all(float(v).is_integer() for v in present)  # type: ignore[arg-type]
    if (kinds and kinds <= {int}) or integral:
        whole = [None if v is None else int(v) for v in cleaned]  # type: ignore[call-overload]
        return pl.Series(values=whole, dtype=pl.Int64)
    if kinds and kinds <= {int, float}:
        return pl.Series(values=cleaned, dtype=pl.Float64)
    if kinds == {bool}:
        return pl.Series(values=cleaned, dtype=pl.Boolean)
    import datetime as dt

    if kinds and kinds <= {dt.datetime, dt.date}:
        return pl.Series(
            values=[
                v
                if not isinstance(v, dt.date) or isinstance(v, dt.datetime)
                else dt.datetime.combine(v, dt.time())
                for v in cleaned
            ],
            dtype=pl.Datetime("us"),
        )
    return pl.Series(values=[None if v is None else str(v) for v in cleaned], dtype=pl.String)


def convert_xlsx(source: Path, target: Path) -> Converted:
    check_xlsx(source)
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(source))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=True)
    except Exception:  # calamine raises its own untyped errors
        raise DatasetRejected(
            "invalid",
            "The workbook could not be read: it is damaged, encrypted or not really an .xlsx file; "
            "open it in a spreadsheet and save it again as .xlsx or CSV.",
            "file",
        ) from None
    if not rows:
        raise DatasetRejected("invalid", "The workbook's first sheet is empty.", "file")
    header = ["" if v is None else str(v) for v in rows[0]]
    names, renamed = unique_column_names(header)
    body = rows[1:]
    columns = [_xlsx_column([row[i] if i < len(row) else None for row in body]) for i in range(len(names))]
    frame = pl.DataFrame({name: column for name, column in zip(names, columns, strict=True)})
    frame = parse_datetimes(frame, datetime_formats(frame.head(INFER_ROWS)))
    frame.write_parquet(target, compression=PARQUET_COMPRESSION, row_group_size=ROW_GROUP_ROWS)
    return Converted(rows=frame.height, columns=names, renamed=renamed)
