"""Tests for the constant type: any JSON literal round-trips, anything else is refused."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bfxdb.errors import ExpressionRejected
from bfxdb.sandbox import compile_expression

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=20,
)


@given(json_values)
def test_constant_round_trips_any_json_value(value):
    compiled = compile_expression("constant", json.dumps(value))
    assert compiled.invoke({"ignored": 1}) == value
    assert compiled.invoke(None) == value


def test_constant_container_is_a_fresh_copy_each_time():
    compiled = compile_expression("constant", '{"a": [1]}')
    compiled.invoke()["a"].append(2)
    assert compiled.invoke() == {"a": [1]}


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("NaN", "NaN is not a JSON value"),
        ('{"a": Infinity}', "Infinity is not a JSON value"),
        ("1e999", "too large for a float"),
        ("[1,", "Expecting value (line 1, column 4)"),
        ("[" * 30_000 + "]" * 30_000, "nests too deeply"),
    ],
)
def test_constant_refuses_what_is_not_json(code, fragment):
    with pytest.raises(ExpressionRejected) as caught:
        compile_expression("constant", code)
    assert fragment in str(caught.value)
