"""Sniffing, column naming, PII detectors and masking, semantic types: pure functions."""

from __future__ import annotations

import polars as pl
import pytest

from modelyard.domain.datasets import pii
from modelyard.domain.datasets.profiling import profile_column
from modelyard.tabular.dates import datetime_casts
from modelyard.tabular.limits import DatasetRejected, IngestLimits
from modelyard.tabular.normalised import unique_column_names
from modelyard.tabular.sniffing import sniff

LIMITS = IngestLimits(max_columns=50, max_cell_bytes=1000)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ('a,b\n"x;y|z",2\n', ","),
        ("single\n1\n2\n", ","),
    ],
)
def test_delimiter_is_sniffed(text: str, delimiter: str) -> None:
    sniffed = sniff(text.encode(), complete=True, limits=LIMITS)
    assert sniffed.delimiter == delimiter


def test_quoted_newlines_do_not_look_ragged() -> None:
    sniffed = sniff(b'a,b\n"line one\nline two",2\n3,4\n', complete=True, limits=LIMITS)
    assert sniffed.header == ("a", "b")


def test_record_cut_by_the_sample_is_not_judged() -> None:
    sniffed = sniff(b"a,b,c\n1,2,3\n4,5", complete=False, limits=LIMITS)
    assert sniffed.format == "csv"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("é,b\n1,2\n".encode(), "utf-8"),
        ("é,b\n1,2\n".encode("utf-8-sig"), "utf-8-sig"),
        ("é,b\n1,2\n".encode("utf-16"), "utf-16"),
        ("é,b\n1,2\n".encode("utf-16-be"), "utf-16-be"),
        ("é,b\n1,2\n".encode("latin-1"), "latin-1"),
    ],
)
def test_encoding_is_detected(data: bytes, encoding: str) -> None:
    sniffed = sniff(data, complete=True, limits=LIMITS)
    assert sniffed.encoding == encoding
    assert sniffed.header == ("é", "b")


def test_formats_by_magic_and_json() -> None:
    assert sniff(b"PAR1....", complete=True, limits=LIMITS).format == "parquet"
    assert sniff(b"PK\x03\x04....", complete=True, limits=LIMITS).format == "xlsx"
    assert sniff(b'{"a": 1}\n{"a": 2}\n', complete=True, limits=LIMITS).format == "jsonl"


def test_too_many_columns_and_binary_are_rejected() -> None:
    with pytest.raises(DatasetRejected) as wide:
        sniff((",".join("c" * 60) + "\n").encode(), complete=True, limits=LIMITS)
    assert wide.value.kind == "invalid"
    with pytest.raises(DatasetRejected) as binary:
        sniff(b"\x00\x01\x02\x03binary\xff" * 100, complete=True, limits=LIMITS)
    assert binary.value.kind == "unsupported"


def test_unique_column_names_are_deterministic() -> None:
    names, renamed = unique_column_names(["a", "a", " ", "a_2", "b"])
    assert names == ["a", "a_2", "column_3", "a_2_2", "b"]
    assert renamed == [("a", "a_2"), (" ", "column_3"), ("a_2", "a_2_2")]


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["ada@example.com", "bob@mail.co.uk"], "email"),
        (["4111 1111 1111 1111", "5500000000000004"], "credit_card"),
        (["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"], "iban"),
        (["123-45-6789", "987-65-4321"], "national_id"),
        (["192.168.0.1", "2001:db8::1"], "ip_address"),
        (["+33 6 12 34 56 78", "(555) 123-4567"], "phone"),
    ],
)
def test_pii_detectors(values: list[str], kind: str) -> None:
    assert [m.kind for m in pii.detect("value", values)] == [kind]


def test_luhn_invalid_numbers_and_plain_ids_are_not_pii() -> None:
    assert pii.detect("value", ["4111 1111 1111 1112", "1234567890123456"]) == []
    assert pii.detect("order_number", ["100234", "100235"]) == []


def test_name_headers() -> None:
    assert [m.kind for m in pii.detect("First Name", ["Ada"])] == ["person_name"]
    assert pii.detect("product_name", ["Widget"]) == []


def test_masking_hides_content() -> None:
    assert pii.mask("ada@example.com") == "a**@e******.com"
    assert pii.mask("4111 1111 1111 1234") == "**** **** **** 1234"
    assert "Lovelace" not in pii.mask("Lovelace")


@pytest.mark.parametrize(
    ("series", "semantic"),
    [
        (pl.Series("id", list(range(100))), "identifier"),
        (pl.Series("n", [i % 7 for i in range(100)]), "integer"),
        (pl.Series("flag", [0, 1] * 50), "boolean"),
        (pl.Series("yes", ["yes", "no"] * 50), "boolean"),
        (pl.Series("x", [i / 3 for i in range(100)]), "float"),
        (pl.Series("code", [f"K{i:05d}" for i in range(100)]), "identifier"),
        (pl.Series("city", ["Paris", "Lyon"] * 50), "categorical"),
        (pl.Series("note", [f"a long free text remark {i}" for i in range(100)]), "text"),
    ],
)
def test_semantic_types(series: pl.Series, semantic: str) -> None:
    profile, _ = profile_column(series, LIMITS)
    assert profile.semantic_type == semantic


def test_numeric_stats_are_exact() -> None:
    profile, findings = profile_column(pl.Series("v", [1.0, 2.0, 3.0, 4.0, None]), LIMITS)
    assert profile.numeric is not None
    assert (profile.numeric.min, profile.numeric.max, profile.numeric.mean) == (1.0, 4.0, 2.5)
    assert profile.numeric.quantiles["p50"] == 2.5
    assert (profile.count, profile.null_count, profile.distinct_count) == (4, 1, 4)
    assert findings == []


def test_mixed_types_and_oversized_cells() -> None:
    _, findings = profile_column(pl.Series("v", ["1", "2", "3", "n/a"] * 10), LIMITS)
    assert [f.code for f in findings] == ["mixed_types"]
    with pytest.raises(DatasetRejected):
        profile_column(pl.Series("v", ["x" * 2000]), LIMITS)


def test_datetime_cast_with_fraction_fast_path_matches_the_full_format() -> None:
    # The probe has no fractions, later values do: the fast path must not turn them into nulls.
    values = ["2020-01-01T00:00:00"] * 30 + [
        "2020-01-01T00:00:00.25",
        "2021-06-30T23:59:59.123456",
        "junk",
        None,
    ]
    frame = pl.DataFrame({"at": values})
    parsed = frame.with_columns(datetime_casts(frame.head(30))).get_column("at")
    expected = frame.get_column("at").str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False)
    assert parsed.dtype == pl.Datetime("us")
    assert parsed.to_list() == expected.to_list()
    assert parsed.null_count() == 2


def test_top_values_and_distinct_with_nulls() -> None:
    series = pl.Series("grade", ["a", None, "b", "a", None, "c", "a", "b"] * 10)
    column, _ = profile_column(series, IngestLimits())
    assert column.distinct_count == 3
    assert column.null_count == 20
    assert [(v.value, v.count) for v in column.top_values] == [("a", 30), ("b", 20), ("c", 10)]
