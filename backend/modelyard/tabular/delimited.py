"""Delimited text (CSV, TSV) to the normalised Parquet copy, parsed in pieces of bounded size."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
from polars.io.plugins import register_io_source

from modelyard.tabular.dates import datetime_formats, parse_datetimes
from modelyard.tabular.limits import ragged_record
from modelyard.tabular.normalised import (
    INFER_ROWS,
    Converted,
    parse_rejection,
    sink_normalised,
    unique_column_names,
)
from modelyard.tabular.sniffing import Sniffed

CSV_PIECE_BYTES = 4 * 1024 * 1024
"""Delimited text is parsed in pieces of about this size; memory follows the piece, not the file."""


def convert_delimited(
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
            raise parse_rejection(exc, "CSV") from None
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise parse_rejection(exc, "CSV") from None
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
        formats = datetime_formats(head.head(INFER_ROWS))
        head = parse_datetimes(self._records(first, head, first_record=1, header=True), formats)
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
                yield shaped(parse_datetimes(frame, formats))

        sink_normalised(register_io_source(frames, schema=head.schema), target)
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
                raise ragged_record(number, fields, width)
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
