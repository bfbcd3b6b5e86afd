"""What may be sent to a language model: PII withheld, samples optional, size bounded, JSON whole."""

from __future__ import annotations

import json

import msgspec

from modelyard.domain.analysis import heuristic, privacy
from modelyard.domain.analysis.providers.openai import strict_json_schema
from modelyard.domain.analysis.schemas import DatasetAnalysisResult, ModelNarrative
from modelyard.domain.analysis.signals import ColumnRelation, DataSignals
from modelyard.domain.datasets.schemas import ValueCount
from tests.unit.analysis.profiles import churn_profile, column, numeric


def brief_of(profile, *, send_samples: bool = True, max_chars: int = 100_000, signals=None) -> dict:  # type: ignore[no-untyped-def]
    targets = heuristic.rank_targets(profile)
    return privacy.dataset_brief(
        profile, targets, signals or DataSignals(), send_samples=send_samples, max_chars=max_chars
    )


def test_pii_columns_send_no_values_at_all() -> None:
    brief = brief_of(churn_profile())
    email = next(c for c in brief["column_profiles"] if c["name"] == "email")
    assert email["pii"] == ["email"] and email["values"] == "withheld (personal data)"
    assert "a**@e******.com" not in json.dumps(brief)
    plan = next(c for c in brief["column_profiles"] if c["name"] == "plan")
    assert plan["top_values"][0] == ["basic", 500]


def test_send_samples_false_keeps_counts_but_no_values() -> None:
    brief = brief_of(churn_profile(), send_samples=False)
    text = json.dumps(brief)
    for value in ('"basic"', '"pro"', "called twice", "a**@"):
        assert value not in text
    plan = next(c for c in brief["column_profiles"] if c["name"] == "plan")
    assert plan["top_value_counts"] == [500, 300, 200]


def test_wide_dataset_is_summarised_within_the_bound_and_stays_valid_json() -> None:
    base = churn_profile()
    extra = [
        column(
            f"feature_{i:04d}",
            "categorical",
            distinct=20,
            top_values=[ValueCount(value=f"value-{i}-{j}", count=50) for j in range(10)],
        )
        for i in range(1500)
    ]
    wide = msgspec.structs.replace(base, column_profiles=[*extra, *base.column_profiles], columns=1508)
    signals = DataSignals(
        sampled_rows=1000, relations=[ColumnRelation("feature_0042", "churned", "correlation", 0.6)]
    )
    brief = brief_of(wide, max_chars=24_000, signals=signals)
    encoded = msgspec.json.encode(brief)
    assert len(encoded) <= 24_000
    assert json.loads(encoded) == brief  # whole JSON, never cut mid-way
    shown = [c["name"] for c in brief["column_profiles"]]
    # The most relevant columns survive: the target, the correlated feature, the flagged ones.
    assert {"churned", "feature_0042", "customer_id", "email"} <= set(shown)
    assert brief["omitted_columns"]["count"] == 1508 - len(shown)
    assert sum(brief["omitted_columns"]["by_type"].values()) == brief["omitted_columns"]["count"]


def test_numeric_summaries_are_rounded_aggregates() -> None:
    profile = churn_profile()
    columns = [
        *profile.column_profiles,
        column("ratio", "float", distinct=900, numeric=numeric(0.123456789, 2.0)),
    ]
    brief = brief_of(msgspec.structs.replace(profile, column_profiles=columns))
    ratio = next(c for c in brief["column_profiles"] if c["name"] == "ratio")
    assert ratio["numeric"]["min"] == 0.1235


def test_strict_schema_is_an_object_with_every_property_required() -> None:
    for struct in (DatasetAnalysisResult, ModelNarrative):
        schema = strict_json_schema(struct)
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert "$ref" not in schema
        text = json.dumps(schema)
        for keyword in ('"maxLength"', '"minLength"', '"maxItems"', '"examples"', '"title": "'):
            assert keyword not in text, keyword
        for definition in [schema, *schema.get("$defs", {}).values()]:
            assert set(definition["required"]) == set(definition["properties"])
    # Properties named like stripped keywords (a finding's `title`) are kept.
    assert "title" in strict_json_schema(DatasetAnalysisResult)["$defs"]["Finding"]["properties"]
