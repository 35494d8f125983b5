"""Tests for the expression types: the cache, and registering a type."""

from __future__ import annotations

import pytest

from bfxdb.errors import ExpressionError, ExpressionLimitExceeded, ExpressionRejected, InvalidInput, QuerySyntaxError
from bfxdb.sandbox import (
    EXPRESSION_TYPES,
    SUPPORTED_TYPES,
    CompiledExpression,
    ExpressionTypes,
    check_time_budget,
    compile_expression,
    limits,
    register_expression_type,
    registry,
    supported_types,
)

MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'


@pytest.fixture
def types() -> ExpressionTypes:
    """A table of expression types of its own, so registering in a test changes nothing else."""
    return ExpressionTypes()


# --- compiling and the cache -------------------------------------------------------------------


def test_unknown_expression_type_lists_the_supported_ones():
    with pytest.raises(ExpressionRejected, match="unknown expression type 'python'; supported types: ") as caught:
        compile_expression("python", "1 + 1")
    assert ", ".join(supported_types()) in str(caught.value)


def test_code_must_be_text():
    with pytest.raises(ExpressionRejected):
        compile_expression("lambda", b"lambda: 1")


def test_compiling_the_same_code_twice_gives_the_same_object():
    first = compile_expression("lambda", MULTIPLY)
    assert compile_expression("lambda", MULTIPLY) is first
    assert isinstance(first, CompiledExpression)
    assert compile_expression("lambda", MULTIPLY + " ") is not first
    assert compile_expression("constant", "1") is not compile_expression("constant", "2")


def test_cache_is_bounded(monkeypatch, types):
    monkeypatch.setattr(registry, "CACHE_MAX_ENTRIES", 2)
    first = types.compile("lambda", "lambda: 'cache-1'")
    types.compile("lambda", "lambda: 'cache-2'")
    types.compile("lambda", "lambda: 'cache-3'")
    assert types.compile("lambda", "lambda: 'cache-1'") is not first


def test_supported_types_include_the_built_in_types():
    assert {"constant", "lambda"} <= set(supported_types())
    assert list(supported_types()) == sorted(SUPPORTED_TYPES)


def test_the_module_functions_are_the_process_table():
    assert compile_expression.__self__ is EXPRESSION_TYPES
    assert register_expression_type.__self__ is EXPRESSION_TYPES
    assert supported_types.__self__ is EXPRESSION_TYPES
    assert SUPPORTED_TYPES == EXPRESSION_TYPES.names


# --- registering a type ------------------------------------------------------------------------


def test_a_new_table_knows_only_the_built_in_types(types):
    assert types.supported() == ("constant", "lambda")


def test_registered_type_compiles_and_invokes(types):
    def compile_doubling(code: str):
        factor = int(code)
        return lambda parameters: parameters.get("x", 0) * factor

    types.register("scaled", compile_doubling)
    assert "scaled" in types.names
    assert "scaled" in types.supported()
    compiled = types.compile("scaled", "3")
    assert compiled.invoke({"x": 5}) == 15
    assert types.compile("scaled", "3") is compiled
    assert "scaled" not in supported_types()


def test_registered_type_errors_become_expression_errors(types):
    def compile_strict(code: str):
        if code == "bad":
            raise QuerySyntaxError("unexpected token", line=1, column=2)
        if code == "python error":
            raise ExpressionRejected("refused by the compiler")
        return lambda parameters: parameters["missing"]

    types.register("strict", compile_strict)
    with pytest.raises(ExpressionRejected, match="unexpected token") as caught:
        types.compile("strict", "bad")
    assert caught.value.details["line"] == 1
    with pytest.raises(ExpressionRejected, match="refused by the compiler"):
        types.compile("strict", "python error")
    with pytest.raises(ExpressionError, match="key 'missing' not found"):
        types.compile("strict", "ok").invoke({})


def test_registered_type_result_is_checked(types):
    types.register("leaky", lambda code: lambda parameters: object())
    with pytest.raises(ExpressionError, match="not a JSON value"):
        types.compile("leaky", "").invoke({})


def test_registering_again_replaces_the_compiler_and_empties_the_cache(types):
    types.register("versioned", lambda code: lambda parameters: 1)
    assert types.compile("versioned", "").invoke() == 1
    types.register("versioned", lambda code: lambda parameters: 2)
    assert types.compile("versioned", "").invoke() == 2


def test_registering_the_same_compiler_again_keeps_the_cache(types):
    def compile_one(code: str):
        return lambda parameters: 1

    types.register("one", compile_one)
    compiled = types.compile("one", "")
    types.register("one", compile_one)
    assert types.compile("one", "") is compiled


def test_registered_evaluator_can_check_the_time_budget(types, monkeypatch):
    monkeypatch.setattr(limits, "TIME_BUDGET_SECONDS", 0.0)

    def compile_looping(code: str):
        def evaluate(parameters: dict):
            while True:
                check_time_budget()

        return evaluate

    types.register("looping", compile_looping)
    with pytest.raises(ExpressionLimitExceeded, match="time budget"):
        types.compile("looping", "").invoke({})
    check_time_budget()  # outside an invocation it never stops anything


@pytest.mark.parametrize(
    ("name", "compiler"),
    [("lambda", lambda code: None), ("constant", lambda code: None), ("not a name", lambda code: None), ("x", 5)],
)
def test_bad_registrations_are_refused(types, name, compiler):
    with pytest.raises(InvalidInput):
        types.register(name, compiler)
    with pytest.raises(InvalidInput):
        register_expression_type(name, compiler)
