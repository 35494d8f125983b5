"""Tests for invoking a compiled expression: its parameters, and the check that its result is JSON of bounded size."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from bfxdb.errors import ExpressionError, ExpressionLimitExceeded
from bfxdb.sandbox import compile_expression, limits

MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'


def run(code: str, parameters: dict | None = None) -> object:
    return compile_expression("lambda", code).invoke(parameters)


@pytest.mark.parametrize("parameters", [[1], "x", 5])
def test_parameters_must_be_a_dict(parameters):
    with pytest.raises(ExpressionError, match="parameters must be a JSON object"):
        run("lambda **kw: 1", parameters)


def test_any_mapping_is_accepted_as_parameters():
    assert run(MULTIPLY, MappingProxyType({"x": 2, "y": 3})) == 6


@pytest.mark.parametrize(
    ("code", "parameters", "fragment"),
    [
        ("lambda: float('nan')", None, "the result nan is not a JSON number"),
        ("lambda x: x * 1e308", {"x": 10}, "the result inf is not a JSON number"),
        ("lambda: [1, {'a': float('-inf')}]", None, "the result contains -inf"),
        ("lambda: {1: 'a'}", None, "dict key of type int"),
        ("lambda x: x", {"x": (1, 2)}, "the result contains a tuple"),
        ("lambda x: x", {"x": {1, 2}}, "the result contains a set"),
        ("lambda x: [x]", {"x": len}, "the result contains a builtin_function_or_method"),
        ("lambda x: x", {"x": b"a"}, "the result contains a bytes"),
    ],
)
def test_result_must_be_a_json_value(code, parameters, fragment):
    with pytest.raises(ExpressionError) as caught:
        run(code, parameters)
    assert fragment in str(caught.value)


def test_result_size_is_bounded(monkeypatch):
    monkeypatch.setattr(limits, "MAX_RESULT_SIZE", 100)
    assert len(run("lambda: 'a' * 50")) == 50
    with pytest.raises(ExpressionLimitExceeded, match="more than 100 values and characters"):
        run("lambda: ['a' * 40, 'b' * 40, 'c' * 40]")


def test_cyclic_parameter_result_stops_at_the_size_limit():
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ExpressionLimitExceeded):
        run("lambda x: x", {"x": cycle})
