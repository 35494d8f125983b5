"""Cypher value semantics: equality and comparison with nulls, ordering, equivalence, arithmetic."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bfxdb.errors import QueryArgumentError, QueryTypeError
from bfxdb.query.values import (
    UNORDERED,
    NodeRef,
    RelRef,
    add,
    compare,
    divide,
    equals,
    format_number,
    group_key,
    modulo,
    negate,
    order_key,
    power,
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=5),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=8)


def test_null_makes_equality_unknown():
    assert equals(None, 1) is None
    assert equals([1, None], [1, None]) is None
    assert equals([1, None], [2, None]) is False


def test_numbers_compare_across_int_and_float_but_booleans_are_not_numbers():
    assert equals(1, 1.0) is True
    assert equals(True, 1) is False
    assert compare(1, 2.5) == -1
    assert compare("a", 1) is None


def test_nan_orders_nothing():
    assert compare(math.nan, 1) == UNORDERED
    assert equals(math.nan, math.nan) is False


def test_entities_compare_by_identity():
    assert equals(NodeRef(5), NodeRef(5)) is True
    assert equals(NodeRef(5), RelRef(5)) is False


def test_order_by_ranks_types_and_puts_null_last():
    mixed = [None, 1, "a", True, [1], {"k": 1}, NodeRef(1), RelRef(1), 2.5]
    ordered = sorted(mixed, key=order_key)
    assert ordered == [{"k": 1}, NodeRef(1), RelRef(1), [1], "a", True, 1, 2.5, None]


def test_nan_sorts_after_every_number():
    ordered = sorted([math.nan, math.inf, -1], key=order_key)
    assert ordered[:2] == [-1, math.inf] and math.isnan(ordered[2])


@given(values, values)
def test_order_key_agrees_with_comparison(left, right):
    order = compare(left, right)
    if order in (-1, 1) and type(left) is type(right):
        assert (order_key(left) < order_key(right)) == (order == -1)


@given(values)
def test_equivalence_keys_are_stable(value):
    assert group_key(value) == group_key(value)
    hash(group_key(value))


def test_equivalence_keeps_booleans_apart_from_integers():
    assert group_key(True) != group_key(1)
    assert group_key(None) == group_key(None)
    assert group_key(math.nan) == group_key(math.nan)


@given(st.integers(-1000, 1000), st.integers(-1000, 1000).filter(bool))
def test_integer_division_truncates_and_modulo_follows_the_dividend(a, b):
    quotient = divide(a, b)
    assert quotient == int(a / b)
    assert a == quotient * b + modulo(a, b)
    assert modulo(a, b) == 0 or (modulo(a, b) > 0) == (a > 0)


def test_integer_overflow_is_an_error():
    with pytest.raises(QueryArgumentError):
        add(2**63 - 1, 1)
    with pytest.raises(QueryArgumentError):
        negate(-(2**63))


def test_division_by_zero():
    with pytest.raises(QueryArgumentError):
        divide(1, 0)
    assert divide(1.0, 0) == math.inf
    assert math.isnan(divide(0.0, 0))


def test_power_is_a_float():
    assert power(2, 3) == 8.0 and type(power(2, 3)) is float


def test_addition_concatenates_lists_and_strings():
    assert add([1], [2]) == [1, 2]
    assert add([1], 2) == [1, 2]
    assert add("a", "b") == "ab"
    with pytest.raises(QueryTypeError):
        add(True, 1)


def test_numbers_render_like_java():
    assert [format_number(v) for v in (3, 3.0, 2.5, 1e7, 1.5e-5, math.inf)] == [
        "3",
        "3.0",
        "2.5",
        "1.0E7",
        "1.5E-5",
        "Infinity",
    ]


def test_entities_given_as_parameters_stay_entities():
    import bfxdb

    with bfxdb.connect(":memory:") as db:
        ada = db.create_substrate(metadata={"name": "Ada"}, labels=["Person"])
        result = db.query("MATCH (n) WHERE n = $node RETURN $node.name AS name, labels($node) AS labels",
                          {"node": ada})
        assert result.rows == [("Ada", ["Person"])]
