"""The one strict JSON reader: what it refuses, and how it counts nesting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bfxdb
from bfxdb.jsontext import decode_json, lone_surrogate_at, nesting_depth


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', "{", "[1,]", "'x'"])
def test_text_that_is_not_strict_json_is_refused(text):
    with pytest.raises(bfxdb.NotJson):
        decode_json(text)


def test_nesting_past_the_limit_is_refused_and_at_the_limit_is_read():
    assert decode_json("[" * 5 + "]" * 5, max_depth=5) == [[[[[]]]]]
    with pytest.raises(bfxdb.NotJson, match="deeper than 4 levels"):
        decode_json("[" * 5 + "]" * 5, max_depth=4)


def test_nesting_python_cannot_read_is_a_clear_error_not_a_crash():
    with pytest.raises(bfxdb.NotJson, match="too deeply to be read"):
        decode_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(bfxdb.NotJson, match="deeper than 100 levels"):
        decode_json("[" * 100_000 + "]" * 100_000, max_depth=100)


def test_many_brackets_side_by_side_are_not_nesting():
    assert decode_json("[" + ",".join(["[]"] * 500) + "]", max_depth=2)[0] == []


values = st.recursive(
    st.none() | st.integers() | st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)
)


def _reference_depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(_reference_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_reference_depth, value.values()), default=0)
    return 0


@given(values)
def test_nesting_depth_equals_the_recursive_definition(value):
    assert nesting_depth(value) == _reference_depth(value)


def test_a_lone_surrogate_is_found_by_its_path():
    lone = "\ud800"
    assert lone_surrogate_at({"a": [1, {"b": lone}]}, "body") == "body.a[1].b"
    assert lone_surrogate_at({lone: 1}, "body") == "body"
    assert lone_surrogate_at({"a": ["fine", "é"]}, "body") is None
