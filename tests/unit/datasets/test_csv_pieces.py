"""CSV conversion in pieces: tiny pieces must give the same table as reading the file whole."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from modelyard.domain.datasets.profiling import profile_column
from modelyard.tabular.delimited import _record_boundary, convert_delimited
from modelyard.tabular.limits import DatasetRejected, IngestLimits
from modelyard.tabular.sniffing import SNIFF_BYTES, sniff

LIMITS = IngestLimits()


def convert(tmp_path: Path, data: bytes, piece_bytes: int) -> tuple[pl.DataFrame, str | None]:
    source = tmp_path / "upload.csv"
    source.write_bytes(data)
    sniffed = sniff(data[:SNIFF_BYTES], complete=len(data) <= SNIFF_BYTES, limits=LIMITS)
    target = tmp_path / "table.parquet"
    converted = convert_delimited(source, sniffed, target, piece_bytes=piece_bytes)
    frame = pl.read_parquet(target)
    assert converted.rows == frame.height
    return frame, converted.encoding


def test_record_boundary_skips_newlines_inside_quotes() -> None:
    assert _record_boundary(b"", b'a,b\n1,"x\ny"') == 3
    assert _record_boundary(b"", b'a,b\n1,"x\ny"\n2') == 11
    assert _record_boundary(b"", b'1,"say ""hi""\nthere"') == -1
    assert _record_boundary(b"", b"no newline") == -1
    assert _record_boundary(b'1,"open', b'\nstill open"\n2,"x\n') == 12  # the quote opened in `carry`
    assert _record_boundary(b"1,plain", b"\n2\n") == 2


@pytest.mark.parametrize("piece_bytes", [64, 100, 1 << 20])
def test_pieces_match_a_whole_file_read(tmp_path: Path, piece_bytes: int) -> None:
    rng = random.Random(3)
    lines = ["id,name,note,amount"]
    for i in range(300):
        note = rng.choice(["plain", '"two\nlines"', '"comma, inside"', '"quote ""q"" here"', ""])
        lines.append(f"{i},name{i % 7},{note},{rng.random() * 100:.3f}")
    data = ("\r\n".join(lines) + "\r\n").encode()
    frame, _ = convert(tmp_path, data, piece_bytes)
    expected = pl.read_csv(data)
    assert frame.equals(expected)
    assert frame.get_column("note").to_list().count("two\nlines") > 10


def test_a_later_value_widens_its_column(tmp_path: Path) -> None:
    rows = [f"{i},{i},{i % 2 == 0}" for i in range(2000)]
    rows[1500] = "1500,2.5,maybe"  # past the first piece: int -> float, bool -> text
    data = ("n,x,flag\n" + "\n".join(rows) + "\n").encode()
    frame, _ = convert(tmp_path, data, piece_bytes=1024)
    assert frame.schema == pl.Schema({"n": pl.Int64, "x": pl.Float64, "flag": pl.String})
    assert frame.row(1500) == (1500, 2.5, "maybe")
    assert frame.get_column("x").sum() == sum(range(2000)) - 1500 + 2.5


def test_latin1_after_the_first_piece_and_no_trailing_newline(tmp_path: Path) -> None:
    data = ("city,n\n" + "paris,1\n" * 5000).encode() + "münchen,2".encode("latin-1")
    frame, encoding = convert(tmp_path, data, piece_bytes=4096)
    assert encoding == "latin-1"
    assert frame.height == 5001
    assert frame.row(-1) == ("münchen", 2)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_transcoded_and_bom_files_in_pieces(tmp_path: Path, encoding: str) -> None:
    text = "ville,été\n" + "".join(f"é{i},{i}\n" for i in range(3000))
    frame, _ = convert(tmp_path, text.encode(encoding), piece_bytes=777)
    assert frame.columns == ["ville", "été"]
    assert frame.height == 3000
    assert frame.row(2999) == ("é2999", 2999)


def test_a_record_longer_than_a_piece(tmp_path: Path) -> None:
    long = "x" * 50_000
    data = f'a,b\n1,"{long}"\n2,short\n'.encode()
    frame, _ = convert(tmp_path, data, piece_bytes=1024)
    assert frame.get_column("b").to_list() == [long, "short"]


def test_ragged_row_in_a_later_piece_is_rejected(tmp_path: Path) -> None:
    data = ("a,b\n" + "1,2\n" * 3000 + "1,2,3\n").encode()
    with pytest.raises(DatasetRejected, match="Ragged rows"):
        convert(tmp_path, data, piece_bytes=1024)


def test_numeric_profile_ignores_nans_and_counts_them_once() -> None:
    series = pl.Series("v", [1.0, float("nan"), 3.0, None, float("nan"), 2.0] * 10)
    column, _ = profile_column(series, LIMITS)
    assert column.null_count == 10
    assert column.distinct_count == 4  # 1, 2, 3 and NaN
    assert column.numeric is not None
    assert (column.numeric.min, column.numeric.max) == (1.0, 3.0)
    assert column.numeric.quantiles["p50"] == 2.0
    assert [v.count for v in column.top_values] == [20, 10, 10, 10]


def test_sorted_quantiles_match_numpy() -> None:
    values = np.random.default_rng(5).lognormal(2, 1, 999).round(1)
    column, _ = profile_column(pl.Series("v", values), LIMITS)
    assert column.numeric is not None
    expected = np.quantile(values, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
    assert list(column.numeric.quantiles.values()) == pytest.approx(expected.tolist(), rel=1e-12)
    assert column.distinct_count == np.unique(values).size


@pytest.mark.parametrize("piece_bytes", [1024, 1 << 20])
def test_short_record_anywhere_is_rejected_with_its_number(tmp_path: Path, piece_bytes: int) -> None:
    rows = ["1,2,3"] * 5000
    rows[4321] = "1,2"
    data = ("a,b,c\n" + "\n".join(rows) + "\n").encode()
    with pytest.raises(DatasetRejected) as caught:
        convert(tmp_path, data[:SNIFF_BYTES] + data[SNIFF_BYTES:], piece_bytes)
    assert caught.value.location == "record:4323"  # the header is record 1
    assert "has 2 fields but the header has 3" in caught.value.detail


def test_blank_lines_are_not_short_records(tmp_path: Path) -> None:
    data = ("a,b\n" + "1,2\n\n" * 3000).encode()
    frame, _ = convert(tmp_path, data, piece_bytes=1024)
    assert frame.height == 3000


def test_records_of_empty_fields_are_skipped_too(tmp_path: Path) -> None:
    data = ("a,b,c\n" + "1,2,3\n,,\n" * 2000 + "\r\n4,5,6\n").encode()
    frame, _ = convert(tmp_path, data, piece_bytes=1024)
    assert frame.height == 2001
    assert frame.row(-1) == (4, 5, 6)


def test_dates_with_fractions_and_junk_only_in_later_pieces(tmp_path: Path) -> None:
    stamps = [f"2021-03-04T05:06:{i % 60:02d}" for i in range(3000)]
    stamps[2500] = "2021-03-04T05:06:07.125"
    stamps[2600] = "not a date"
    data = ("at,n\n" + "".join(f"{s},{i}\n" for i, s in enumerate(stamps))).encode()
    frame, _ = convert(tmp_path, data, piece_bytes=2048)
    column = frame.get_column("at")
    assert column.dtype == pl.Datetime("us")
    expected = pl.Series(stamps).str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False)
    assert column.to_list() == expected.to_list()
    assert column[2500].microsecond == 125_000 and column[2600] is None
