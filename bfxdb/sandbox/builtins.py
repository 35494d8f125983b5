"""What a lambda may use: the allowed operators, functions, methods, and math functions and constants."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from . import limits
from .limits import account, deep_size
from .refusals import LimitRefusal, Refusal
from .values import CONTAINERS, INTEGERS, NUMBERS, SEQUENCES, BinaryOperation, UnaryOperation, short, type_name

# ---------------------------------------------------------------------------
# Guarded operators: those whose cost grows with their operands check sizes and
# limits before Python computes. Each has an int (or scalar) fast path first,
# since invoking is a hot path; the guard there is one or two cheap checks.
# Operands are typed Any: an operator takes any two values and dispatches on
# their exact types, tested through sets mypy cannot follow; copying them into
# typed locals would cost the hot path a few nanoseconds per operation.
# ---------------------------------------------------------------------------


def _unsupported(symbol: str, a: object, b: object) -> Refusal:
    return Refusal(f"unsupported operand types for {symbol}: {type_name(a)} and {type_name(b)}")


def op_add(a: Any, b: Any) -> object:
    """Add numbers, or concatenate two strings or two lists within MAX_SEQUENCE_LENGTH."""
    if type(a) is int and type(b) is int:
        return a + b
    kind = type(a)
    if kind in SEQUENCES and kind is type(b):
        account(len(a) + len(b), "the concatenation")
        return a + b
    if kind in NUMBERS and type(b) in NUMBERS:
        return a + b
    raise _unsupported("+", a, b)


def op_mul(a: Any, b: Any) -> object:
    """Multiply numbers within MAX_INT_BITS, or repeat a string or list within MAX_SEQUENCE_LENGTH."""
    if type(a) is int and type(b) is int:
        if a.bit_length() + b.bit_length() <= limits.MAX_INT_BITS:
            return a * b
        bits = a.bit_length() + b.bit_length()
        raise LimitRefusal(f"the product would have about {bits:,} bits; the limit is {limits.MAX_INT_BITS:,}")
    kind_a, kind_b = type(a), type(b)
    if kind_a in NUMBERS and kind_b in NUMBERS:
        if kind_a is float or kind_b is float:
            return a * b
        return op_mul(int(a), int(b))
    if kind_a in SEQUENCES and kind_b in INTEGERS:
        return _repeat(a, b)
    if kind_b in SEQUENCES and kind_a in INTEGERS:
        return _repeat(b, a)
    raise _unsupported("*", a, b)


def _repeat(sequence: str | list[object], count: int) -> str | list[object]:
    if count <= 0:
        return sequence[:0]
    if type(sequence) is list:
        # Repeating shares the items, so count what they hold: [s] * n with a long s is big.
        size = deep_size(sequence, limits.MAX_SEQUENCE_LENGTH // count) * count
    else:
        size = len(sequence) * count
    account(size, "the repetition")
    return sequence * count


def op_pow(a: Any, b: Any) -> object:
    """Raise a number to a power, refusing integer results over MAX_INT_BITS before computing them."""
    if type(a) is int and type(b) is int and b >= 0:
        base_bits = a.bit_length()
        if base_bits > 1:
            # |a| >= 2**(base_bits - 1), so the result has at least this many bits.
            least = (base_bits - 1) * b + 1
            if least > limits.MAX_INT_BITS:
                raise LimitRefusal(
                    f"{short(a)} ** {short(b)} would have at least {least:,} bits; the limit is {limits.MAX_INT_BITS:,}"
                )
        result: int = a**b
        if result.bit_length() > limits.MAX_INT_BITS:
            raise LimitRefusal(
                f"{short(a)} ** {short(b)} has {result.bit_length():,} bits; the limit is {limits.MAX_INT_BITS:,}"
            )
        return result
    kind_a, kind_b = type(a), type(b)
    if kind_a in NUMBERS and kind_b in NUMBERS:
        if kind_a is not float and kind_b is not float and b >= 0:
            return op_pow(int(a), int(b))
        power = a**b
        if type(power) is complex:
            raise Refusal("a negative number raised to a fractional power has no real value")
        return power
    raise _unsupported("**", a, b)


def op_mod(a: Any, b: Any) -> object:
    """Take the remainder of numbers; refuse %-formatting of strings."""
    if type(a) is int and type(b) is int:
        return a % b
    if type(a) in NUMBERS and type(b) in NUMBERS:
        return a % b
    if type(a) is str:
        raise Refusal("string formatting with '%' is not allowed")
    raise _unsupported("%", a, b)


def _compare_guarded(compare: BinaryOperation) -> BinaryOperation:
    def run(a: Any, b: Any) -> object:
        # Lists and dicts compare item by item; strings compare in C at memcmp speed.
        if type(a) in CONTAINERS:
            account(len(a), "the compared value")
        return compare(a, b)

    return run


def _contains(item: object, container: Any) -> bool:
    # Any: the container is whatever the expression gave `in`, which raises TypeError for a non-container.
    if type(container) is list:
        account(len(container), "the searched list")
    return item in container


def _not_contains(item: object, container: Any) -> bool:
    return not _contains(item, container)


class BinarySpec(NamedTuple):
    """An allowed binary operator: its guarded form, and a plain one safe with some constant operands."""

    guarded: BinaryOperation
    plain: BinaryOperation | None = None
    plain_with: frozenset[type] = frozenset()  # a constant operand of these types makes `plain` safe
    costly: bool = False  # its cost can grow with the size of its operands


BINARY_OPS: dict[type[ast.operator], BinarySpec] = {
    # A number constant makes + numeric and a float constant makes * numeric: no sequence work.
    ast.Add: BinarySpec(op_add, operator.add, NUMBERS, costly=True),
    ast.Mult: BinarySpec(op_mul, operator.mul, frozenset({float}), costly=True),
    ast.Sub: BinarySpec(operator.sub),
    ast.Div: BinarySpec(operator.truediv),
    ast.FloorDiv: BinarySpec(operator.floordiv),
    ast.Mod: BinarySpec(op_mod),
    ast.Pow: BinarySpec(op_pow),
}

COMPARE_OPS: dict[type[ast.cmpop], tuple[BinaryOperation, BinaryOperation]] = {
    # (with a constant operand, otherwise); comparing with a constant costs little.
    ast.Eq: (operator.eq, _compare_guarded(operator.eq)),
    ast.NotEq: (operator.ne, _compare_guarded(operator.ne)),
    ast.Lt: (operator.lt, _compare_guarded(operator.lt)),
    ast.LtE: (operator.le, _compare_guarded(operator.le)),
    ast.Gt: (operator.gt, _compare_guarded(operator.gt)),
    ast.GtE: (operator.ge, _compare_guarded(operator.ge)),
    ast.In: (_contains, _contains),
    ast.NotIn: (_not_contains, _not_contains),
}

UNARY_OPS: dict[type[ast.unaryop], UnaryOperation] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
}

# ---------------------------------------------------------------------------
# Allowed functions. Their arguments are typed Any where they go on to
# Python's own function, which checks their types at run time.
# ---------------------------------------------------------------------------


def _round(number: Any, ndigits: object = None) -> object:
    if ndigits is None:
        return round(number)
    if type(ndigits) is not int and type(ndigits) is not bool:
        raise Refusal(f"round() needs an integer number of digits, not {type_name(ndigits)}")
    if abs(ndigits) > limits.MAX_ROUND_DIGITS:
        raise LimitRefusal(f"round() to {ndigits:,} digits is beyond the limit of {limits.MAX_ROUND_DIGITS}")
    return round(number, ndigits)


def _sized_input(value: object, what: str) -> None:
    if type(value) is str or type(value) is list or type(value) is dict:
        account(len(value), what)


def _min(*values: Any, **default: Any) -> object:
    if len(values) == 1:
        _sized_input(values[0], "the input to min()")
        return min(values[0], **default)
    return min(values, **default)


def _max(*values: Any, **default: Any) -> object:
    if len(values) == 1:
        _sized_input(values[0], "the input to max()")
        return max(values[0], **default)
    return max(values, **default)


def _sum(values: Any, start: Any = 0) -> object:
    if type(start) not in NUMBERS:
        # A list or str start would make sum() concatenate, in quadratic time.
        raise Refusal(f"sum() adds numbers; its start must be a number, not {type_name(start)}")
    _sized_input(values, "the input to sum()")
    return sum(values, start)


def _sorted(values: Any, reverse: Any = False) -> list[object]:
    _sized_input(values, "the input to sorted()")
    return sorted(values, reverse=reverse)


def _int(value: Any = 0, base: Any = None) -> int:
    if type(value) is str:
        account(len(value), "the input to int()")
    return int(value) if base is None else int(value, base)


def _float(value: Any = 0.0) -> float:
    if type(value) is str:
        account(len(value), "the input to float()")
    return float(value)


def _str(value: object = "") -> str:
    if type(value) in CONTAINERS:
        account(deep_size(value, limits.MAX_SEQUENCE_LENGTH), "the input to str()")
    elif type(value) is str:
        return value
    return str(value)


class Function(NamedTuple):
    """An allowed function: what it runs, how many positional arguments, which keywords.

    `keywords` maps each keyword to the position it may also be given at, or None.
    """

    run: Callable[..., object]
    min_args: int
    max_args: int | None
    keywords: Mapping[str, int | None] = {}
    costly: bool = False  # its cost grows with the size of its arguments


FUNCTIONS: dict[str, Function] = {
    "abs": Function(abs, 1, 1),
    "bool": Function(bool, 0, 1),
    "float": Function(_float, 0, 1, costly=True),
    "int": Function(_int, 0, 2, {"base": 1}, costly=True),
    "len": Function(len, 1, 1),
    "max": Function(_max, 1, None, {"default": None}, costly=True),
    "min": Function(_min, 1, None, {"default": None}, costly=True),
    "round": Function(_round, 1, 2, {"ndigits": 1}),
    "sorted": Function(_sorted, 1, 1, {"reverse": None}, costly=True),
    "str": Function(_str, 0, 1, costly=True),
    "sum": Function(_sum, 1, 2, {"start": 1}, costly=True),
}

# Only functions whose cost does not grow without bound: no factorial, comb, perm or prod.
MATH_FUNCTIONS: dict[str, Function] = {
    **{
        name: Function(getattr(math, name), 1, 1)
        for name in (
            "acos acosh asin asinh atan atanh ceil cos cosh degrees exp expm1 fabs floor isfinite "
            "isinf isnan isqrt log10 log1p log2 radians sin sinh sqrt tan tanh trunc"
        ).split()
    },
    **{name: Function(getattr(math, name), 2, 2) for name in ("atan2", "copysign", "fmod", "pow")},
    "log": Function(math.log, 1, 2),
    "gcd": Function(math.gcd, 0, None),
    "hypot": Function(math.hypot, 0, None),
}

MATH_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf}

# ---------------------------------------------------------------------------
# Allowed methods, chosen by the receiver's exact type
# ---------------------------------------------------------------------------


def _linear(method: Callable[..., object], what: str) -> Callable[..., object]:
    """Wrap a str or list method whose cost grows with the receiver's length."""

    def run(receiver: str | list[object], *args: object) -> object:
        account(len(receiver), what)
        return method(receiver, *args)

    return run


def _join(separator: str, items: object) -> str:
    if type(items) is not list:
        raise Refusal(f"join() needs a list of strings, not {type_name(items)}")
    account(len(items), "the list given to join()")
    size = len(separator) * max(len(items) - 1, 0)
    for position, item in enumerate(items):
        if type(item) is not str:
            raise Refusal(f"join() needs a list of strings; item {position} is {type_name(item)}")
        size += len(item)
    account(size, "the joined string")
    return separator.join(items)


def _replace(text: str, old: object, new: object, count: object = -1) -> str:
    if type(old) is not str or type(new) is not str or (type(count) is not int and type(count) is not bool):
        raise Refusal("replace() needs two strings and an optional integer count")
    account(len(text), "the string given to replace()")
    occurrences = text.count(old)
    if 0 <= count < occurrences:
        occurrences = count
    account(len(text) + occurrences * (len(new) - len(old)), "the replaced string")
    return text.replace(old, new, count)


def _dict_keys(mapping: dict[object, object]) -> list[object]:
    account(len(mapping), "the dict")
    return list(mapping)


def _dict_values(mapping: dict[object, object]) -> list[object]:
    account(len(mapping), "the dict")
    return list(mapping.values())


def _dict_items(mapping: dict[object, object]) -> list[object]:
    account(len(mapping), "the dict")
    return [[key, value] for key, value in mapping.items()]


class Method(NamedTuple):
    """An allowed method: its implementation for each receiver type, and its arity."""

    by_type: dict[type, Callable[..., object]]
    min_args: int
    max_args: int


def _str_method(name: str, min_args: int = 0, max_args: int = 0) -> Method:
    return Method({str: _linear(getattr(str, name), f"the string given to {name}()")}, min_args, max_args)


METHODS: dict[str, Method] = {
    **{
        name: _str_method(name)
        for name in ("capitalize isalnum isalpha isdigit islower isspace isupper lower title upper").split()
    },
    **{name: _str_method(name, 0, 1) for name in ("lstrip", "rstrip", "strip")},
    **{name: _str_method(name, 1, 1) for name in ("endswith", "find", "startswith")},
    "split": _str_method("split", 0, 2),
    "join": Method({str: _join}, 1, 1),
    "replace": Method({str: _replace}, 2, 3),
    "count": Method(
        {
            str: _linear(str.count, "the string given to count()"),
            list: _linear(list.count, "the list given to count()"),
        },
        1,
        1,
    ),
    "index": Method(
        {
            str: _linear(str.index, "the string given to index()"),
            list: _linear(list.index, "the list given to index()"),
        },
        1,
        1,
    ),
    "get": Method({dict: dict.get}, 1, 2),
    "keys": Method({dict: _dict_keys}, 0, 0),
    "values": Method({dict: _dict_values}, 0, 0),
    "items": Method({dict: _dict_items}, 0, 0),
}
