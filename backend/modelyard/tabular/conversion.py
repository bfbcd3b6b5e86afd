"""`convert_to_parquet`: any accepted upload to the normalised Parquet copy (runs in the process pool)."""

from __future__ import annotations

from pathlib import Path

from modelyard.tabular.delimited import convert_delimited
from modelyard.tabular.formats import convert_jsonl, convert_parquet, convert_xlsx
from modelyard.tabular.limits import DatasetRejected, IngestLimits
from modelyard.tabular.normalised import Converted
from modelyard.tabular.sniffing import Sniffed


def convert_to_parquet(source: Path, sniffed: Sniffed, target: Path, limits: IngestLimits) -> Converted:
    """Stream `source` into a normalised Parquet file at `target`."""
    if sniffed.format in ("csv", "tsv"):
        converted = convert_delimited(source, sniffed, target)
    elif sniffed.format == "jsonl":
        converted = convert_jsonl(source, sniffed, target)
    elif sniffed.format == "parquet":
        converted = convert_parquet(source, target)
    else:
        converted = convert_xlsx(source, target)
    limits.check_column_count(len(converted.columns))
    if converted.rows == 0:
        raise DatasetRejected("invalid", "The file has a header but no data rows.", "file")
    return converted
