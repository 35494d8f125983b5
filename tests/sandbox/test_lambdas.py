"""Tests for the lambda type: what its language runs, what it refuses and where, and how it fails."""

from __future__ import annotations

import json
import math
import operator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bfxdb.errors import ExpressionError, ExpressionRejected
from bfxdb.sandbox import compile_expression

MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'


def run(code: str, parameters: dict | None = None) -> object:
    return compile_expression("lambda", code).invoke(parameters)


# --- what the lambda language runs ------------------------------------------------------------


def test_multiply_example_gives_35():
    assert run(MULTIPLY, {"x": 5, "y": 7}) == 35


def test_multiply_example_uses_defaults_for_missing_keys():
    assert run(MULTIPLY, {"x": 5}) == 0
    assert run(MULTIPLY, None) == 0


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [({"x": 3}, 6), ({"x": 3, "y": 4}, 12), ({"y": 5, "x": 2}, 10), ({"x": "ab"}, "abab")],
)
def test_named_parameters_bind_by_name_with_literal_defaults(parameters, expected):
    assert run("lambda x, y=2: x * y", parameters) == expected


def test_missing_required_parameter_is_an_expression_error():
    with pytest.raises(ExpressionError, match="missing parameter 'x'"):
        run("lambda x, y=2: x * y", {"y": 1})


def test_unknown_parameter_is_refused_without_kw():
    with pytest.raises(ExpressionError, match="unexpected parameter 'z'"):
        run("lambda x, y=2: x * y", {"x": 1, "z": 2})


def test_kw_collects_the_parameters_not_named():
    assert run("lambda x, **kw: [x, kw, kw.get('b', 0)]", {"x": 1, "a": 2}) == [1, {"a": 2}, 0]


def test_keyword_only_parameter_with_default():
    assert run("lambda x, *, scale=10: x * scale", {"x": 2}) == 20


def test_mutable_default_is_fresh_on_each_invocation():
    compiled = compile_expression("lambda", "lambda items=[1, {'a': 2}]: items")
    first = compiled.invoke({})
    first.append("changed")
    assert compiled.invoke({}) == [1, {"a": 2}]


@pytest.mark.parametrize(
    ("code", "parameters", "expected"),
    [
        ("lambda: [1, 2.5, 'a', True, None]", None, [1, 2.5, "a", True, None]),
        ("lambda: (1, (2, 3))", None, [1, [2, 3]]),
        ("lambda: {'a': 1, 'b': [2]}", None, {"a": 1, "b": [2]}),
        ("lambda x: x + 1 - 2 * 3 / 4", {"x": 1}, 1 + 1 - 2 * 3 / 4),
        ("lambda x: (x // 3, x % 3, x ** 2, -x, +x)", {"x": 7}, [2, 1, 49, -7, 7]),
        ("lambda x: 2 ** -1", {"x": 0}, 0.5),
        ("lambda x: not x", {"x": 0}, True),
        ("lambda x: 1 < x <= 3 != 4", {"x": 3}, True),
        ("lambda x: 1 < x < 3", {"x": 5}, False),
        ("lambda x: x == [1, 2] and x != [2]", {"x": [1, 2]}, True),
        ("lambda x: ('a' in x, 'z' not in x)", {"x": "abc"}, [True, True]),
        ("lambda x: x is None or x is not None", {"x": 1}, True),
        ("lambda x: x and x[0] or 'empty'", {"x": []}, "empty"),
        ("lambda x: 'big' if x > 10 else 'small'", {"x": 11}, "big"),
        ("lambda x: (x[0], x[-1], x[1:3], x[::-1], x[::2])", {"x": [1, 2, 3, 4]}, [1, 4, [2, 3], [4, 3, 2, 1], [1, 3]]),
        ("lambda d: (d['a'], d.get('b'), d.get('b', 7))", {"d": {"a": 1}}, [1, None, 7]),
        ("lambda **kw: kw['a'] + len(kw)", {"a": 1, "b": 2}, 3),
        ("lambda **kw: 'a' in kw", {"a": 1}, True),
        ("lambda **kw: kw", {"a": [1]}, {"a": [1]}),
        ("lambda s: s.strip().upper().split(',')", {"s": " a,b "}, ["A", "B"]),
        ("lambda s: '-'.join(s.lower().split())", {"s": "A B  C"}, "a-b-c"),
        ("lambda s: (s.strip('x'), s.lstrip('x'), s.rstrip('x'))", {"s": "xax"}, ["a", "ax", "xa"]),
        ("lambda s: (s.replace('a', 'o'), s.startswith('b'), s.find('n'), s.count('a'))", {"s": "banana"},
         ["bonono", True, 2, 3]),
        ("lambda d: (d.keys(), d.values(), d.items())", {"d": {"a": 1}}, [["a"], [1], [["a", 1]]]),
        ("lambda x: (abs(x), round(2.567, 2), round(2.5), len('abc'))", {"x": -3}, [3, 2.57, 2, 3]),
        ("lambda x: (min(x), max(x), sum(x), sorted(x), sorted(x, reverse=True))", {"x": [3, 1, 2]},
         [1, 3, 6, [1, 2, 3], [3, 2, 1]]),
        ("lambda x: (min(4, x[0]), max(4, x[0]), max([], default=0), sum(x, 0.5))", {"x": [1]}, [1, 4, 0, 1.5]),
        ("lambda x: (int('42'), int('ff', 16), float('1.5'), str(12), bool(0))", {"x": 0}, [42, 255, 1.5, "12", False]),
        ("lambda x: str([1, 'a'])", {"x": 0}, "[1, 'a']"),
        ("lambda x: (math.sqrt(x), math.floor(2.7), math.ceil(2.1), math.log(8, 2), math.log10(100))", {"x": 16},
         [4.0, 2, 3, 3.0, 2.0]),
        ("lambda x: (math.pi, math.e, math.tau, math.hypot(3, 4), math.gcd(12, 18))", {"x": 0},
         [math.pi, math.e, math.tau, 5.0, 6]),
        ("lambda x: ['a'] * 2 + ['b'] + [x] * 0", {"x": 0}, ["a", "a", "b"]),
    ],
)
def test_allowed_language(code, parameters, expected):
    assert run(code, parameters) == expected


@settings(max_examples=200)
@given(
    a=st.integers(min_value=-(10**30), max_value=10**30),
    b=st.integers(min_value=-(10**30), max_value=10**30).filter(bool),
    symbol=st.sampled_from(["+", "-", "*", "//", "%", "<", "<=", "==", "!=", ">", ">="]),
)
def test_integer_operators_agree_with_python(a, b, symbol):
    python = {
        "+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv, "%": operator.mod,
        "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge,
    }[symbol]
    assert run(f"lambda a, b: a {symbol} b", {"a": a, "b": b}) == python(a, b)
    assert run(f"lambda **kw: kw.get('a', 0) {symbol} kw.get('b', 1)", {"a": a, "b": b}) == python(a, b)


# --- what it refuses at create time, and where ----------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fragment", "line", "column"),
    [
        ("lambda **kw: ().__class__", "attribute access '__class__' is not allowed", 1, 14),
        ("lambda **kw: kw.get.__self__", "attribute access '__self__' is not allowed", 1, 14),
        ("lambda **kw: __import__('os')", "name '__import__' is not allowed", 1, 14),
        ("lambda __x: 1", "parameter name '__x' is not allowed", 1, 8),
        ("lambda x: round(x, __y=1)", "keyword argument '__y' is not allowed", 1, 20),
        ("lambda x: x.foo", "attribute access 'foo' is not allowed", 1, 11),
        ("lambda x: x.format(1)", "method 'format' is not allowed", 1, 11),
        ("lambda x: x.upper", "method 'upper' can only be called", 1, 11),
        ("lambda x: open('f')", "function 'open' is not allowed", 1, 11),
        ("lambda x: y", "name 'y' is not allowed", 1, 11),
        ("lambda x: abs", "function 'abs' can only be called", 1, 11),
        ("lambda x: math", "'math' can only be used", 1, 11),
        ("lambda x: math.factorial(x)", "function 'math.factorial' is not allowed", 1, 11),
        ("lambda x: x(1)", "calling parameter 'x' is not allowed", 1, 11),
        ("lambda x: (lambda: 1)()", "calling a nested lambda is not allowed", 1, 12),
        ("lambda x: lambda: 1", "a nested lambda is not allowed", 1, 11),
        ("lambda x: [y for y in x]", "a list comprehension is not allowed", 1, 11),
        ("lambda x: {y for y in x}", "a set comprehension is not allowed", 1, 11),
        ("lambda x: {y: 1 for y in x}", "a dict comprehension is not allowed", 1, 11),
        ("lambda x: sum(y for y in x)", "a generator expression is not allowed", 1, 14),
        ("lambda x: (yield)", "yield is not allowed", 1, 12),
        ("lambda x: (yield from x)", "yield from is not allowed", 1, 12),
        ("lambda x: await x", "await is not allowed", 1, 11),
        ("lambda x: (y := 1)", "an assignment expression ':=' is not allowed", 1, 12),
        ("lambda x: f'{x}'", "an f-string is not allowed", 1, 11),
        ("lambda x: {1, 2}", "a set literal is not allowed", 1, 11),
        ("lambda x: [*x]", "a starred expression '*' is not allowed", 1, 12),
        ("lambda x: abs(*x)", "a starred argument '*' is not allowed", 1, 15),
        ("lambda x: abs(**x)", "argument unpacking '**' is not allowed", 1, 15),
        ("lambda x: {**x}", "dict unpacking '**' is not allowed", 1, 14),
        ("lambda x: x << 1", "operator '<<' is not allowed", 1, 11),
        ("lambda x: x @ x", "operator '@' is not allowed", 1, 11),
        ("lambda x: ~x", "operator '~' is not allowed", 1, 11),
        ("lambda x: x is 1", "operator 'is' is only allowed with None", 1, 11),
        ("lambda x: b'a'", "a bytes literal is not allowed", 1, 11),
        ("lambda x: 1j", "a complex number literal is not allowed", 1, 11),
        ("lambda x: ...", "'...' (Ellipsis) is not allowed", 1, 11),
        ("lambda x: abs(x, 1)", "abs() takes 1 argument, got 2", 1, 11),
        ("lambda x: sorted(x, key=len)", "sorted() takes no keyword argument 'key'", 1, 21),
        ("lambda x: round(x, 1, ndigits=2)", "round() got 'ndigits' both by position and by keyword", 1, 23),
        ("lambda x: x.upper(1)", ".upper() takes 0 arguments, got 1", 1, 11),
        ("lambda x: x.split(sep=',')", "method 'split' takes no keyword arguments", 1, 19),
        ("lambda x, x: 1", "duplicate parameter 'x'", 1, 11),
        ("lambda x, /: 1", "positional-only parameters ('/') are not allowed", 1, 8),
        ("lambda *args: 1", "the '*args' parameter is not allowed", 1, 9),
        ("lambda len: len", "parameter name 'len' would hide the function", 1, 8),
        ("lambda x=abs(1): x", "the default of parameter 'x' must be a literal, not a call", 1, 10),
        ("abs(1)", "the expression must be a lambda", 1, 1),
        ("lambda x: 1; import os", "syntax error", 1, 12),
        ("(lambda x:\n  x +\n  y)", "name 'y' is not allowed", 3, 3),
        ("lambda x: 'é' + y", "name 'y' is not allowed", 1, 17),
    ],
)
def test_refused_construct_is_named_with_its_position(code, fragment, line, column):
    with pytest.raises(ExpressionRejected) as caught:
        compile_expression("lambda", code)
    message = str(caught.value)
    assert fragment in message
    assert message.endswith(f"(line {line}, column {column})")
    assert caught.value.details.get("line") == line
    assert caught.value.details.get("column") == column


def test_first_dunder_in_source_order_is_reported():
    with pytest.raises(ExpressionRejected, match=r"'__class__' is not allowed \(line 1, column 14\)"):
        compile_expression("lambda", "lambda **kw: ().__class__.__bases__[0].__subclasses__()")


def test_text_python_cannot_encode_is_refused():
    with pytest.raises(ExpressionRejected, match="cannot be parsed"):
        compile_expression("lambda", "lambda: '\ud800'")



# --- failures at invoke time -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "parameters", "fragment"),
    [
        ("lambda x: 1 / x", {"x": 0}, "division by zero (line 1, column 11)"),
        ("lambda x: x % 0", {"x": 1}, "division by zero"),
        ("lambda x: x - 1", {"x": "a"}, "wrong type: unsupported operand type(s) for -"),
        ("lambda x: x + 1", {"x": [1]}, "wrong type"),
        ("lambda x: x + [1]", {"x": {}}, "unsupported operand types for +: dict and list"),
        ("lambda x: x[5]", {"x": [1]}, "list index out of range"),
        ("lambda x: x['k']", {"x": {}}, "key 'k' not found"),
        ("lambda **kw: kw['k']", {}, "parameter 'k' was not given (line 1, column 14)"),
        ("lambda **kw: kw[1]", {}, "parameter 1 was not given (line 1, column 14)"),
        ("lambda x: x.get('a')", {"x": 1}, "a value of type int has no method 'get'"),
        ("lambda x: math.sqrt(x)", {"x": -1}, "invalid value: math domain error"),
        ("lambda x: math.exp(x)", {"x": 1000}, "number out of range"),
        ("lambda x: int(x)", {"x": "abc"}, "invalid value"),
        ("lambda x: x % 2", {"x": "%s"}, "string formatting with '%' is not allowed"),
        ("lambda x: x ** 0.5", {"x": -4}, "negative number raised to a fractional power"),
        ("lambda x: sum(x, [])", {"x": [[1]]}, "its start must be a number"),
        ("lambda x: ','.join(x)", {"x": ["a", 1]}, "item 1 is int"),
        ("lambda x: {x: 1}", {"x": [1]}, "unhashable type"),
        ("lambda x: 1 < x < 'z'", {"x": 2}, "'<' not supported"),
    ],
)
def test_run_time_failure_is_an_expression_error_with_a_clear_message(code, parameters, fragment):
    with pytest.raises(ExpressionError) as caught:
        run(code, parameters)
    assert fragment in str(caught.value)
    assert not isinstance(caught.value, ExpressionRejected)


# --- robustness: arbitrary text never escapes the error tree ----------------------------------

fragments = st.sampled_from(
    [
        "x", "kw", "**kw", "lambda", ":", " ", "(", ")", "[", "]", "{", "}", ",", ".", "'a'", "0", "1", "9", "-",
        "+", "*", "**", "/", "//", "%", "<", "==", "and", "or", "not", "if", "else", "in", "is", "None", "get",
        "__class__", "abs", "sorted", "len", "math.sqrt", "upper", "join", "split", "sum", "str", "10**9", "yield",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(fragments, max_size=25).map("".join), st.sampled_from(["lambda **kw: ", "lambda x, **kw: ", ""]))
def test_any_text_is_compiled_or_refused_and_any_invocation_is_clean(body, prefix):
    try:
        compiled = compile_expression("lambda", prefix + body)
    except ExpressionRejected as refused:
        assert str(refused)
        return
    try:
        result = compiled.invoke({"x": 3})
    except ExpressionError as failed:
        assert str(failed)
        return
    assert json.loads(json.dumps(result, allow_nan=False)) == result
