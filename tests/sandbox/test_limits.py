"""Tests for the sandbox's limits: integer and sequence sizes, nesting, code length, work and time budgets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bfxdb.errors import ExpressionLimitExceeded, ExpressionRejected
from bfxdb.sandbox import compile_expression, limits

MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'


def run(code: str, parameters: dict | None = None) -> object:
    return compile_expression("lambda", code).invoke(parameters)


@pytest.mark.parametrize(
    "code",
    ["lambda: 9 ** 9 ** 9", "lambda: 2 ** 10000", "lambda: 10 ** 3011", "lambda x: x ** 1000000000"],
)
def test_big_power_is_refused_before_computing(code):
    with pytest.raises(ExpressionLimitExceeded, match="bits; the limit is 10,000"):
        run(code, {"x": 10} if "x" in code else None)


def test_power_just_under_the_limit_is_computed():
    assert run("lambda: 2 ** 9999") == 2**9999


def test_big_product_is_refused():
    with pytest.raises(ExpressionLimitExceeded, match="product would have about"):
        run("lambda x: x * x", {"x": 2**6000})


@pytest.mark.parametrize(
    ("code", "parameters"),
    [
        ("lambda: 'a' * 10 ** 10", None),
        ("lambda: [0] * 10 ** 10", None),
        ("lambda s, n: s * n", {"s": "abc", "n": 10**10}),
        ("lambda s: [s * 1000000] * 1000000", {"s": "a"}),
        ("lambda s: (s * 600000) + (s * 600000)", {"s": "a"}),
        ("lambda s: s.replace('', 'xx')", {"s": "a" * 600000}),
        ("lambda s: ','.join([s * 500000, s * 500000, 'a'])", {"s": "a"}),
    ],
)
def test_big_sequences_are_refused_before_allocating(code, parameters):
    with pytest.raises(ExpressionLimitExceeded, match="the limit is 1,000,000"):
        run(code, parameters)


def test_repetition_just_at_the_limit_is_allowed():
    assert len(run("lambda: 'ab' * 500000")) == 1_000_000


def test_round_digits_are_bounded():
    with pytest.raises(ExpressionLimitExceeded, match="round"):
        run("lambda x: round(x, -1000000000)", {"x": 5})


def test_nesting_up_to_the_limit_compiles():
    code = "lambda x: " + "-(" * 98 + "x" + ")" * 98
    assert run(code, {"x": 3}) == 3


def test_nesting_one_past_the_limit_is_refused():
    code = "lambda x: " + "-(" * 99 + "x" + ")" * 99
    with pytest.raises(ExpressionRejected, match="nests more than 100 levels deep"):
        compile_expression("lambda", code)


def test_deep_nesting_is_refused():
    code = "lambda x: " + "[" * 150 + "x" + "]" * 150
    with pytest.raises(ExpressionRejected, match="nests more than 100 levels deep"):
        compile_expression("lambda", code)


@pytest.mark.parametrize("depth", [3_000, 30_000])
def test_nesting_the_parser_cannot_handle_is_refused_cleanly(depth):
    with pytest.raises(ExpressionRejected, match="nests too deeply to parse"):
        compile_expression("lambda", "lambda x: " + "-" * depth + "x")


def test_long_code_is_refused():
    code = "lambda x: " + " + ".join(["x"] * 30_000)
    with pytest.raises(ExpressionRejected, match="characters long; the limit is 65,536"):
        compile_expression("lambda", code)


def test_huge_integer_literal_is_refused():
    with pytest.raises(ExpressionRejected, match="integer literal of"):
        compile_expression("lambda", "lambda: " + "9" * 4000)


def test_many_costly_operations_exhaust_the_work_budget():
    code = "lambda s: [" + ", ".join(["s * 1000000"] * 40) + "]"
    with pytest.raises(ExpressionLimitExceeded, match="touched more than 20,000,000 items"):
        run(code, {"s": "a"})


def test_many_costly_operations_stop_at_the_time_budget(monkeypatch):
    monkeypatch.setattr(limits, "TIME_BUDGET_SECONDS", 0.0)
    code = "lambda s: [" + ", ".join(["s * 2000"] * 10) + "]"
    with pytest.raises(ExpressionLimitExceeded, match="ran longer than its 0 s time budget"):
        run(code, {"s": "a"})


def test_a_few_costly_operations_are_not_metered(monkeypatch):
    monkeypatch.setattr(limits, "TIME_BUDGET_SECONDS", 0.0)
    assert len(run("lambda s: s * 2000", {"s": "a"})) == 2000


def test_threads_invoking_at_once_keep_their_own_budgets():
    metered = compile_expression("lambda", "lambda s: [" + ", ".join(["len(s * 2000)"] * 8) + "]")
    light = compile_expression("lambda", MULTIPLY)

    def work(seed: int) -> bool:
        return all(
            metered.invoke({"s": "a"}) == [2000] * 8 and light.invoke({"x": seed, "y": index}) == seed * index
            for index in range(200)
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(work, range(8)))


def test_big_inputs_to_costly_functions_are_refused(monkeypatch):
    monkeypatch.setattr(limits, "MAX_SEQUENCE_LENGTH", 10)
    with pytest.raises(ExpressionLimitExceeded, match="the input to sorted"):
        run("lambda x: sorted(x)", {"x": list(range(11))})


def test_changing_an_integer_limit_takes_effect_at_once(monkeypatch):
    compiled = compile_expression("lambda", "lambda x: x * x")
    assert compiled.invoke({"x": 2**40}) == 2**80
    monkeypatch.setattr(limits, "MAX_INT_BITS", 64)
    with pytest.raises(ExpressionLimitExceeded, match="the limit is 64"):
        compiled.invoke({"x": 2**40})
    with pytest.raises(ExpressionRejected, match="over the limit of 64"):
        compile_expression("lambda", f"lambda: {2**70}")


def test_changing_the_nesting_limit_applies_to_later_compilations(monkeypatch):
    monkeypatch.setattr(limits, "MAX_NESTING_DEPTH", 5)
    with pytest.raises(ExpressionRejected, match="nests more than 5 levels deep"):
        compile_expression("lambda", "lambda x: [[[[[x]]]]]")
