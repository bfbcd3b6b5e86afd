"""The one identifier rule shared by profiling, training and the analyst, at each caller's strictness."""

from __future__ import annotations

import pytest

from modelyard.ml.columns import ANALYST, PROFILE, TRAINING, is_consecutive, is_identifier, is_identifier_name


@pytest.mark.parametrize(
    "name",
    ["id", "customer_id", "order-id", "customerId", "customerID", "uuid", "id_customer", "row", "api_key"],
)
def test_names_that_say_identifier(name: str) -> None:
    assert is_identifier_name(name)


@pytest.mark.parametrize("name", ["paid", "valid", "bid", "monkey", "ids", "idx", "grid_size"])
def test_words_merely_ending_in_id_are_not_identifier_names(name: str) -> None:
    assert not is_identifier_name(name)


def test_id_named_integers_need_every_value_distinct_except_in_training() -> None:
    for strictness, expected in ((TRAINING, True), (PROFILE, False), (ANALYST, False)):
        found = is_identifier(strictness, name="order_id", kind="integer", count=100, distinct=97)
        assert found is expected


def test_values_alone_need_enough_rows() -> None:
    assert is_identifier(PROFILE, name="n", kind="integer", count=20, distinct=20, sequence=True)
    assert not is_identifier(PROFILE, name="n", kind="integer", count=19, distinct=19, sequence=True)
    assert is_identifier(PROFILE, name="code", kind="string", count=50, distinct=50, code_like=True)
    assert not is_identifier(PROFILE, name="code", kind="string", count=50, distinct=49, code_like=True)


def test_the_analyst_accepts_id_named_text_from_two_rows() -> None:
    assert is_identifier(ANALYST, name="ticket_id", kind="string", count=2, distinct=2)
    assert not is_identifier(PROFILE, name="ticket_id", kind="string", count=2, distinct=2)


def test_consecutive_in_any_order() -> None:
    assert is_consecutive([3, 1, 2, 0])
    assert not is_consecutive([0, 2, 4])
