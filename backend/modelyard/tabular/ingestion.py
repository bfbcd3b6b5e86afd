"""Reading uploads: format and encoding sniffing, then conversion to a normalised Parquet file.

`sniff` looks at the first bytes of an upload (cheap, on the request path) and decides the
format, encoding and delimiter, rejecting what cannot be tabular data before anything is
stored. `convert_to_parquet` runs in the process pool: it streams the whole file into a
Parquet copy with unique column names and plain types (numbers, booleans, datetimes,
strings), which profiling, preview and training then read column by column.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from polars.io.plugins import register_io_source

DatasetFormat = Literal["csv", "tsv", "xlsx", "parquet", "jsonl"]
ACCEPTED_FORMATS = "CSV or TSV (delimiter `,` `;` tab or `|`), Excel (.xlsx), Parquet or JSON Lines"
SNIFF_BYTES = 256 * 1024
"""How much of an upload `sniff` needs; the header row must fit in it."""
DELIMITERS = (",", ";", "\t", "|")
XLSX_MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
XLSX_MAX_RATIO = 200
"""Compression ratio above which an xlsx member counts as a zip bomb (real sheets stay well below)."""
ROW_GROUP_ROWS = 64 * 1024
PARQUET_COMPRESSION: Literal["uncompressed"] = "uncompressed"
"""The normalised copy is written uncompressed: lz4 made it ~40% smaller but cost ~0.3 s per
200 MB of CSV to write and again to read back for profiling, on the upload's critical path."""
CSV_PIECE_BYTES = 4 * 1024 * 1024
"""Delimited text is parsed in pieces of about this size; memory follows the piece, not the file."""
INFER_ROWS = 10_000
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

ErrorKind = Literal["unsupported", "invalid"]


class DatasetRejected(Exception):
    """The upload is not usable tabular data. Picklable, so it crosses the process pool."""

    def __init__(self, kind: ErrorKind, detail: str, location: str | None = None) -> None:
        super().__init__(kind, detail, location)
        self.kind: ErrorKind = kind
        self.detail = detail
        self.location = location


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes say about an upload."""

    format: DatasetFormat
    encoding: str | None = None
    """Text formats only: `utf-8`, `utf-8-sig` (BOM), `utf-16`, `utf-16-le`, `utf-16-be` or `latin-1`."""
    delimiter: str | None = None
    header: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngestLimits:
    max_columns: int = 2000
    max_cell_bytes: int = 1024 * 1024


@dataclass
class Converted:
    rows: int
    columns: list[str]
    renamed: list[tuple[str, str]] = field(default_factory=list)
    """(original, new) for every column whose name had to change (blank or duplicate)."""
    encoding: str | None = None
    """The encoding actually used (a UTF-8 guess that failed later falls back to Latin-1)."""


# ---------------------------------------------------------------------------- sniffing


def sniff(head: bytes, *, complete: bool, limits: IngestLimits) -> Sniffed:
    """Decide format, encoding and delimiter from the first bytes (`complete`: the whole file)."""
    if not head.strip():
        raise DatasetRejected("invalid", "The file is empty.", "file")
    if head.startswith(b"PAR1"):
        return Sniffed("parquet")
    if head.startswith(b"PK\x03\x04"):
        return Sniffed("xlsx")
    encoding = detect_encoding(head, complete=complete)
    text = _decode_head(head, encoding, complete=complete)
    if _looks_binary(text):
        raise DatasetRejected("unsupported", f"The file is binary, not {ACCEPTED_FORMATS}.", "file")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.startswith("{"):
        try:
            if isinstance(json.loads(first), dict):
                return Sniffed("jsonl", encoding=encoding)
        except ValueError:
            pass
    delimiter, rows = _sniff_delimiter(text, complete=complete)
    header = tuple(rows[0]) if rows else ()
    if len(header) > limits.max_columns:
        raise DatasetRejected(
            "invalid",
            f"The file has {len(header)} columns; at most {limits.max_columns} are accepted.",
            "file",
        )
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DatasetRejected(
                "invalid",
                f"Ragged rows: record {number} has {len(row)} fields but the header has {len(header)}.",
                f"record:{number}",
            )
    return Sniffed(
        "tsv" if delimiter == "\t" else "csv", encoding=encoding, delimiter=delimiter, header=header
    )


def detect_encoding(head: bytes, *, complete: bool) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    probe = head[:4096]
    if len(probe) >= 4:
        # UTF-16 without a BOM: ASCII-range text has a NUL in every other byte.
        even, odd = probe[0::2], probe[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def _decode_head(head: bytes, encoding: str, *, complete: bool) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=complete)


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if not sample:
        return False
    controls = sum(1 for ch in sample if ch not in "\t\r\n" and unicodedata.category(ch) == "Cc")
    return "\x00" in sample or controls > 0.01 * len(sample) or sample.count("\ufffd") > 0.05 * len(sample)


def _complete_records(text: str, delimiter: str, *, complete: bool) -> list[list[str]]:
    if not complete:
        cut = text.rfind("\n")
        if cut < 0:
            raise DatasetRejected(
                "invalid",
                f"The header row is longer than {SNIFF_BYTES // 1024} KB: too many columns or a huge cell.",
                "file",
            )
        text = text[: cut + 1]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows = [row for row in reader if row]
    if not complete and len(rows) > 1:
        rows = rows[:-1]  # the last record may continue past the sample (a quoted newline)
    return rows[:2000]


def _sniff_delimiter(text: str, *, complete: bool) -> tuple[str, list[list[str]]]:
    best: tuple[tuple[int, int], str, list[list[str]]] | None = None
    for delimiter in DELIMITERS:
        rows = _complete_records(text, delimiter, complete=complete)
        widths = [len(row) for row in rows[:200]]
        if not widths:
            continue
        consistent = sum(1 for width in widths if width == widths[0])
        score = (int(widths[0] > 1 and consistent == len(widths)), widths[0] if widths[0] > 1 else 0)
        if best is None or score > best[0]:
            best = (score, delimiter, rows)
    if best is None:
        raise DatasetRejected("invalid", "The file has no rows.", "file")
    return best[1], best[2]


# ---------------------------------------------------------------------------- column names


def unique_column_names(names: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Blank names become `column_<n>`; repeats get `_2`, `_3`... in order. Deterministic."""
    result: list[str] = []
    renamed: list[tuple[str, str]] = []
    used: set[str] = set()
    for position, original in enumerate(names, start=1):
        base = original.strip() or f"column_{position}"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        used.add(name)
        result.append(name)
        if name != original:
            renamed.append((original, name))
    return result, renamed


# ---------------------------------------------------------------------------- conversion


def convert_to_parquet(source: Path, sniffed: Sniffed, target: Path, limits: IngestLimits) -> Converted:
    """Stream `source` into a normalised Parquet file at `target`."""
    if sniffed.format in ("csv", "tsv"):
        converted = _convert_csv(source, sniffed, target)
    elif sniffed.format == "jsonl":
        converted = _convert_jsonl(source, sniffed, target)
    elif sniffed.format == "parquet":
        converted = _convert_parquet(source, target)
    else:
        converted = _convert_xlsx(source, target)
    if len(converted.columns) > limits.max_columns:
        raise DatasetRejected(
            "invalid",
            f"The file has {len(converted.columns)} columns; at most {limits.max_columns} are accepted.",
            "file",
        )
    if converted.rows == 0:
        raise DatasetRejected("invalid", "The file has a header but no data rows.", "file")
    return converted


def _utf8_copy(source: Path, encoding: str, target: Path) -> Path:
    """Transcode a text file to UTF-8 in chunks (polars reads UTF-8 only)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(4 * 1024 * 1024):
            dst.write(decoder.decode(chunk).lstrip("\ufeff").encode())
        dst.write(decoder.decode(b"", final=True).encode())
    return target


def _polars_error(exc: Exception, what: str) -> DatasetRejected:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "more fields" in message or "ragged" in message:
        return DatasetRejected(
            "invalid", "Ragged rows: some records have more fields than the header.", "file"
        )
    return DatasetRejected("invalid", f"The file could not be read as {what}: {message[:300]}", "file")


def _convert_csv(
    source: Path, sniffed: Sniffed, target: Path, piece_bytes: int = CSV_PIECE_BYTES
) -> Converted:
    """Parse the file in pieces of about `piece_bytes` and stream them into Parquet.

    Polars parses a whole CSV file in memory; feeding it pieces cut at record boundaries keeps
    memory bounded by the piece size whatever the file size. The column types come from the
    first rows; a later value that does not fit widens its column and the conversion restarts.
    """
    encoding = sniffed.encoding or "utf-8"
    names, renamed = unique_column_names(list(sniffed.header))
    overrides: dict[str, pl.DataType] = {}
    while True:
        reader = _CsvPieces(source, encoding, sniffed.delimiter or ",", names, overrides, piece_bytes)
        try:
            rows = reader.write_parquet(target)
        except _Widen as widen:
            overrides.update(widen.columns)
            continue
        except pl.exceptions.ComputeError as exc:
            if "invalid utf-8" in str(exc).lower() and encoding == "utf-8":
                # The head was valid UTF-8 but a later byte is not: the file is Latin-1.
                encoding = "latin-1"
                continue
            raise _polars_error(exc, "CSV") from None
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise _polars_error(exc, "CSV") from None
        return Converted(rows=rows, columns=names, renamed=renamed, encoding=encoding)


class _Widen(Exception):
    """A piece holds values its columns' types cannot: restart with these wider types."""

    def __init__(self, columns: dict[str, pl.DataType]) -> None:
        super().__init__(columns)
        self.columns = columns


class _CsvPieces:
    """One pass over a delimited text file as polars frames of whole records."""

    def __init__(
        self,
        source: Path,
        encoding: str,
        delimiter: str,
        names: list[str],
        overrides: dict[str, pl.DataType],
        piece_bytes: int,
    ) -> None:
        self.source, self.encoding, self.delimiter = source, encoding, delimiter
        self.names, self.overrides, self.piece_bytes = names, overrides, piece_bytes

    def write_parquet(self, target: Path) -> int:
        pieces = self._pieces()
        first = next(pieces, b"")
        head = self._read_head(first)
        # Types come from the first INFER_ROWS records (or four pieces' worth, if rows are wide).
        for _ in range(3):
            if head.height >= INFER_ROWS or (more := next(pieces, None)) is None:
                break
            first += more
            head = self._read_head(first)
        text_schema = head.schema
        formats = _datetime_formats(head.head(INFER_ROWS))
        head = _parse_datetimes(self._records(first, head, first_record=1, header=True), formats)
        seen = head.height + 1

        def frames(
            with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, _: int | None
        ) -> Iterator[pl.DataFrame]:
            nonlocal seen

            def shaped(frame: pl.DataFrame) -> pl.DataFrame:
                frame = frame.select(with_columns) if with_columns is not None else frame
                return frame.filter(predicate) if predicate is not None else frame

            yield shaped(head)
            for piece in pieces:
                frame = self._records(piece, self._read_piece(piece, text_schema), first_record=seen + 1)
                seen += frame.height
                yield shaped(_parse_datetimes(frame, formats))

        register_io_source(frames, schema=head.schema).sink_parquet(
            target, compression=PARQUET_COMPRESSION, statistics=False, row_group_size=ROW_GROUP_ROWS
        )
        return int(pq.ParquetFile(target).metadata.num_rows)

    def _records(
        self, piece: bytes, frame: pl.DataFrame, *, first_record: int, header: bool = False
    ) -> pl.DataFrame:
        """The piece's records: blank lines (and records with every field empty) are skipped, like
        Python's csv module and pandas do; a record with fewer fields than the header is rejected."""
        empty, blank = None, 0
        if frame.width and all(column.null_count() for column in frame.get_columns()):
            # Only then can a row be all nulls (null counts are kept with the data: no scan).
            empty = frame.select(pl.all_horizontal(pl.all().is_null())).to_series()
            blank = int(empty.sum())
        records = frame.height - blank + int(header)
        self._check_short_records(piece, records=records, first_record=first_record)
        return frame.filter(~empty) if empty is not None and blank else frame

    def _read_head(self, piece: bytes) -> pl.DataFrame:
        return pl.read_csv(
            piece,
            separator=self.delimiter,
            encoding="utf8",
            new_columns=self.names,
            infer_schema_length=INFER_ROWS,
            schema_overrides=self.overrides or None,
        )

    def _read_piece(self, piece: bytes, schema: pl.Schema) -> pl.DataFrame:
        options: dict[str, Any] = {"separator": self.delimiter, "encoding": "utf8", "has_header": False}
        try:
            return pl.read_csv(piece, schema=schema, **options)
        except pl.exceptions.ComputeError as exc:
            if "could not parse" not in str(exc):
                raise
        # A value does not fit its column's type: widen every column this piece disagrees on.
        own = pl.read_csv(piece, new_columns=self.names, infer_schema_length=None, **options)
        wider: dict[str, pl.DataType] = {}
        for name, dtype in own.schema.items():
            if dtype != schema[name] and dtype != pl.Null:
                both_numeric = dtype.is_numeric() and schema[name].is_numeric()
                wider[name] = pl.Float64() if both_numeric else pl.String()
        raise _Widen(wider or dict.fromkeys(self.names, pl.String()))

    def _check_short_records(self, piece: bytes, *, records: int, first_record: int) -> None:
        """Reject a record with fewer fields than the header (polars would fill it with nulls).

        Records with more fields already fail to parse. In a piece without quotes every record
        has exactly `columns - 1` delimiters, so one count tells whether any is short; only then
        are its lines scanned to name the record. (Quoted fields may hold delimiters, so pieces
        with quotes are checked by the sniffer's look at the first records only.)
        """
        width, separator = len(self.names), self.delimiter.encode()
        if width < 2 or b'"' in piece or piece.count(separator) >= records * (width - 1):
            return
        number = first_record
        for line in piece.splitlines():
            if not line.strip():
                continue  # blank lines are skipped, not records
            fields = line.count(separator) + 1
            if fields < width:
                raise DatasetRejected(
                    "invalid",
                    f"Ragged rows: record {number} has {fields} fields but the header has {width}.",
                    f"record:{number}",
                )
            number += 1

    def _pieces(self) -> Iterator[bytes]:
        """UTF-8 pieces of the file, each ending at a record boundary (a newline outside quotes)."""
        decoder = None
        if self.encoding not in ("utf-8", "utf-8-sig"):
            decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        carry = b""
        first = True
        with self.source.open("rb") as handle:
            while True:
                raw = handle.read(self.piece_bytes)
                block = raw if decoder is None else decoder.decode(raw, final=not raw).encode()
                if first:
                    block, first = _strip_bom(block), False
                if not raw:
                    if tail := (carry + block).lstrip(b"\r\n"):
                        yield tail
                    return
                cut = _record_boundary(carry, block)
                if cut < 0:
                    carry += block  # one record longer than a piece: read on
                    continue
                piece = b"".join((carry, memoryview(block)[: cut + 1]))
                carry = block[cut + 1 :]
                # Without a header, polars takes the width from the first line: never a blank one.
                if piece := piece.lstrip(b"\r\n"):
                    yield piece


def _strip_bom(block: bytes) -> bytes:
    return block[len(codecs.BOM_UTF8) :] if block.startswith(codecs.BOM_UTF8) else block


def _record_boundary(carry: bytes, block: bytes) -> int:
    """Offset in `block` of its last newline outside quotes (`carry + block` starts a record), or -1.

    A quoted field may hold newlines; an even number of quote characters before a newline means
    it is not inside one (an escaped quote is two quotes, so it keeps the count even).
    """
    cut = block.rfind(b"\n")
    if cut < 0 or (b'"' not in block and b'"' not in carry):
        return cut
    quotes = carry.count(b'"') + block.count(b'"', 0, cut)
    while cut >= 0 and quotes % 2:
        previous = block.rfind(b"\n", 0, cut)
        quotes -= block.count(b'"', previous + 1, cut)
        cut = previous
    return cut


DatetimeKind = pl.Datetime | type[pl.Date]


def _datetime_formats(probe: pl.DataFrame) -> dict[str, tuple[DatetimeKind, str]]:
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


def _datetime_casts(probe: pl.DataFrame) -> list[pl.Expr]:
    """Expressions parsing the date columns `probe` reveals (for lazy pipelines)."""
    return [_strptime(pl.col(name), kind, fmt) for name, (kind, fmt) in _datetime_formats(probe).items()]


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


def _parse_datetimes(frame: pl.DataFrame, formats: dict[str, tuple[DatetimeKind, str]]) -> pl.DataFrame:
    """`frame.with_columns(_datetime_casts(...))` for an eager frame: the full `%.f` format runs only
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


def _convert_jsonl(source: Path, sniffed: Sniffed, target: Path) -> Converted:
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
        frame = frame.with_columns(_datetime_casts(probe))
        frame.sink_parquet(
            target, compression=PARQUET_COMPRESSION, statistics=False, row_group_size=ROW_GROUP_ROWS
        )
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise _polars_error(exc, "JSON Lines") from None
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


def _convert_parquet(source: Path, target: Path) -> Converted:
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
    except (pa.ArrowException, pl.exceptions.PolarsError, OSError) as exc:
        raise DatasetRejected(
            "invalid", f"The Parquet file could not be read: {str(exc)[:300]}", "file"
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


def _convert_xlsx(source: Path, target: Path) -> Converted:
    check_xlsx(source)
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(source))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=True)
    except Exception as exc:  # calamine raises its own untyped errors
        raise DatasetRejected(
            "invalid", f"The workbook could not be read: {str(exc)[:300]}", "file"
        ) from None
    if not rows:
        raise DatasetRejected("invalid", "The workbook's first sheet is empty.", "file")
    header = ["" if v is None else str(v) for v in rows[0]]
    names, renamed = unique_column_names(header)
    body = rows[1:]
    columns = [_xlsx_column([row[i] if i < len(row) else None for row in body]) for i in range(len(names))]
    frame = pl.DataFrame({name: column for name, column in zip(names, columns, strict=True)})
    frame = _parse_datetimes(frame, _datetime_formats(frame.head(INFER_ROWS)))
    frame.write_parquet(target, compression=PARQUET_COMPRESSION, row_group_size=ROW_GROUP_ROWS)
    return Converted(rows=frame.height, columns=names, renamed=renamed)
