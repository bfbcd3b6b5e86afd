"""Sniffing an upload's first bytes: format, encoding, delimiter and header, or a rejection.

`sniff` is cheap and runs on the request path (off the event loop), so what cannot be tabular
data is refused before anything is stored.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import unicodedata
from dataclasses import dataclass

from modelyard.lib.schema import DatasetFormat
from modelyard.tabular.limits import DatasetRejected, IngestLimits, ragged_record

ACCEPTED_FORMATS = "CSV or TSV (delimiter `,` `;` tab or `|`), Excel (.xlsx), Parquet or JSON Lines"
SNIFF_BYTES = 256 * 1024
"""How much of an upload `sniff` needs; the header row must fit in it."""
DELIMITERS = (",", ";", "\t", "|")
KNOWN_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    # Files that can pass as text in their first bytes (a PDF's header is ASCII) or are common
    # mistakes; each would otherwise be read as a one-column table.
    (b"%PDF-", "a PDF document"),
    (b"%!PS", "a PostScript document"),
    (b"{\\rtf", "an RTF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip archive (decompress it first)"),
    (b"\xfd7zXZ\x00", "an xz archive (decompress it first)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office file (.xls/.doc); save it as .xlsx or CSV"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "an executable"),
)


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes say about an upload."""

    format: DatasetFormat
    encoding: str | None = None
    """Text formats only: `utf-8`, `utf-8-sig` (BOM), `utf-16`, `utf-16-le`, `utf-16-be` or `latin-1`."""
    delimiter: str | None = None
    header: tuple[str, ...] = ()


def sniff(head: bytes, *, complete: bool, limits: IngestLimits) -> Sniffed:
    """Decide format, encoding and delimiter from the first bytes (`complete`: the whole file)."""
    if not head.strip():
        raise DatasetRejected("invalid", "The file is empty.", "file")
    if head.startswith(b"PAR1"):
        return Sniffed("parquet")
    if head.startswith(b"PK\x03\x04"):
        return Sniffed("xlsx")
    for signature, what in KNOWN_SIGNATURES:
        if head.startswith(signature):
            raise DatasetRejected("unsupported", f"The file is {what}, not {ACCEPTED_FORMATS}.", "file")
    encoding = detect_encoding(head, complete=complete)
    text = _decode_head(head, encoding, complete=complete)
    if _looks_binary(text):
        raise DatasetRejected("unsupported", f"The file is binary, not {ACCEPTED_FORMATS}.", "file")
    if "\r" in text and "\n" not in text:
        raise DatasetRejected(
            "invalid",
            "The file's lines end with a carriage return alone (old Mac OS line endings); save it "
            "with Windows (CRLF) or Unix (LF) line endings.",
            "file",
        )
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.startswith("{"):
        try:
            if isinstance(json.loads(first), dict):
                return Sniffed("jsonl", encoding=encoding)
        except ValueError:
            pass
    delimiter, rows = _sniff_delimiter(text, complete=complete)
    header = tuple(rows[0]) if rows else ()
    limits.check_column_count(len(header))
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ragged_record(number, len(row), len(header))
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
