"""Turn a substrate's expression text into a callable that can be invoked without ever running the text as Python."""

from __future__ import annotations

import ast
import json
import math
import operator
import re
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import NamedTuple

from bfxdb.errors import (
    BfxError,
    ExpressionError,
    ExpressionLimitExceeded,
    ExpressionRejected,
    InvalidInput,
)

# ---------------------------------------------------------------------------
# Limits. Run-time limits are read on every check, so changing them takes
# effect at once; the compile-time ones apply to expressions compiled after.
# ---------------------------------------------------------------------------

MAX_CODE_LENGTH = 64 * 1024
"""Longest expression_code accepted, in characters."""

MAX_NESTING_DEPTH = 100
"""Deepest nesting of syntax nodes a lambda may have."""

MAX_INT_BITS = 10_000
"""Largest integer an expression may compute, in bits (about 3,000 decimal digits)."""

MAX_SEQUENCE_LENGTH = 1_000_000
"""Most items (list) or characters (str) a value built or scanned by an expression may have."""

MAX_RESULT_SIZE = 2_000_000
"""Most values plus string characters an invocation may return."""

MAX_ROUND_DIGITS = 400
"""Largest `ndigits` magnitude round() accepts; round(x, -n) computes 10 ** n."""

MAX_WORK_UNITS = 20_000_000
"""Most items and characters the size-dependent operations of one metered invocation may touch."""

TIME_BUDGET_SECONDS = 1.0
"""Wall-clock time a metered invocation may run before it is stopped."""

UNMETERED_COSTLY_NODES = 4
"""Expressions with at most this many size-dependent operations are not metered.

Each such operation is already bounded by MAX_SEQUENCE_LENGTH, so a handful of
them cannot run long; skipping the meter keeps the common small expression fast.
"""

CACHE_MAX_ENTRIES = 4096
"""Most compiled expressions kept in the cache."""

CACHE_MAX_CODE_CHARS = 1024 * 1024
"""Most expression_code characters kept in the cache, so large expressions cannot fill memory.

A compiled expression holds up to about 150 bytes of closures per character of code.
"""

# Operations touching fewer items than this are not charged to the meter: the
# code-length limit already bounds how many of them one expression holds.
_CHARGE_MINIMUM = 1024

BUILTIN_TYPES = ("constant", "lambda")


# ---------------------------------------------------------------------------
# Compiled expressions and the type registry
# ---------------------------------------------------------------------------

_JSON_SCALARS = frozenset({int, str, bool, type(None)})


class CompiledExpression:
    """An expression checked once at create time, ready to be invoked many times."""

    __slots__ = ("expression_type", "expression_code", "_function")

    def __init__(self, expression_type: str, expression_code: str, function: Callable[[dict], object]) -> None:
        self.expression_type = expression_type
        self.expression_code = expression_code
        self._function = function

    def __repr__(self) -> str:
        code = self.expression_code if len(self.expression_code) <= 60 else self.expression_code[:57] + "..."
        return f"CompiledExpression({self.expression_type!r}, {code!r})"

    def invoke(self, parameters: Mapping | None = None) -> object:
        """Evaluate the expression with the given parameters.

        :param parameters: a JSON object (dict with str keys); None means no parameters.
        :returns: the result, a JSON value (None, bool, int, float, str, list or dict).
        :raises ExpressionLimitExceeded: a time, size or depth limit was reached.
        :raises ExpressionError: the evaluation failed or its result is not a JSON value.
        """
        if type(parameters) is not dict:
            parameters = _parameters_dict(parameters)
        try:
            result = self._function(parameters)
        except ExpressionError:
            raise
        except Exception as exc:
            raise _invocation_error(exc) from exc
        if type(result) in _JSON_SCALARS:
            return result
        return _checked_result(result)


_compilers: dict[str, Callable[[str], Callable[[dict], object]]] = {}

SUPPORTED_TYPES = _compilers.keys()
"""A live, read-only view of the expression types compile_expression accepts."""


def supported_types() -> tuple[str, ...]:
    """List the expression types compile_expression accepts.

    :returns: the type names, sorted.
    """
    return tuple(sorted(_compilers))


def register_expression_type(name: str, compiler: Callable[[str], Callable[[dict], object]]) -> None:
    """Add an expression type, e.g. "cypher", whose code `compiler` turns into a callable.

    `compiler(code)` validates the code, raising ExpressionRejected (or another
    BfxError, reported as ExpressionRejected) when it is unacceptable, and
    returns a function taking the parameters dict and returning a JSON value.
    Each invocation runs under the sandbox's time budget, which the function
    enforces by calling check_time_budget() from any loop it runs. Registering
    a name again replaces its compiler and empties the cache.

    :param name: the expression_type value that selects this compiler.
    :param compiler: the function turning code into an invokable callable.
    :raises InvalidInput: the name is not an identifier, names a built-in type, or compiler is not callable.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise InvalidInput(f"expression type name must be an identifier, got {name!r}")
    if name in BUILTIN_TYPES:
        raise InvalidInput(f"expression type {name!r} is built in and cannot be replaced")
    if not callable(compiler):
        raise InvalidInput(f"the compiler for expression type {name!r} must be callable")
    _compilers[name] = compiler
    _cache.clear()


def compile_expression(expression_type: str, expression_code: str) -> CompiledExpression:
    """Check an expression and make it invokable; the same (type, code) gives the same object.

    >>> compile_expression("lambda", "lambda x, y=2: x * y").invoke({"x": 4})
    8

    :param expression_type: one of supported_types(), e.g. "lambda" or "constant".
    :param expression_code: the expression's text.
    :returns: the compiled expression, shared with every caller of the same text.
    :raises ExpressionRejected: the type is unknown or the code is not allowed; the
        message names the construct and its line and column.
    """
    if type(expression_type) is not str or type(expression_code) is not str:
        raise ExpressionRejected("expression_type and expression_code must both be strings")
    key = (expression_type, expression_code)
    compiled = _cache.get(key)
    if compiled is None:
        compiled = _cache.put(key, _compile_uncached(expression_type, expression_code))
    return compiled


def _compile_uncached(expression_type: str, expression_code: str) -> CompiledExpression:
    compiler = _compilers.get(expression_type)
    if compiler is None:
        raise ExpressionRejected(
            f"unknown expression type {expression_type!r}; supported types: {', '.join(supported_types())}"
        )
    if len(expression_code) > MAX_CODE_LENGTH:
        raise ExpressionRejected(
            f"expression is {len(expression_code):,} characters long; the limit is {MAX_CODE_LENGTH:,}"
        )
    try:
        function = compiler(expression_code)
    except ExpressionRejected:
        raise
    except BfxError as exc:
        raise ExpressionRejected(exc.message, **exc.details) from exc
    if expression_type not in BUILTIN_TYPES:
        # A registered evaluator bounds its time by calling check_time_budget().
        function = _metered(function)
    return CompiledExpression(expression_type, expression_code, function)


class _ExpressionCache:
    """A thread-safe LRU of compiled expressions bounded by entries and by total code length."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[str, str], CompiledExpression] = OrderedDict()
        self._code_chars = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> CompiledExpression | None:
        with self._lock:
            compiled = self._entries.get(key)
            if compiled is not None:
                self._entries.move_to_end(key)
            return compiled

    def put(self, key: tuple[str, str], compiled: CompiledExpression) -> CompiledExpression:
        with self._lock:
            # Another thread may have compiled the same text meanwhile: keep one object.
            existing = self._entries.get(key)
            if existing is not None:
                return existing
            self._entries[key] = compiled
            self._code_chars += len(key[1])
            while len(self._entries) > CACHE_MAX_ENTRIES or (
                self._code_chars > CACHE_MAX_CODE_CHARS and len(self._entries) > 1
            ):
                (_, old_code), _ = self._entries.popitem(last=False)
                self._code_chars -= len(old_code)
            return compiled

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._code_chars = 0


_cache = _ExpressionCache()


def _parameters_dict(parameters: object) -> dict:
    if parameters is None:
        return {}
    if isinstance(parameters, Mapping):
        return dict(parameters)
    raise ExpressionError(f"parameters must be a JSON object (a dict), not {_type_name(parameters)}")


# ---------------------------------------------------------------------------
# Errors: operations raise _Refusal without a position; the syntax node that
# ran them adds "(line L, column C)".
# ---------------------------------------------------------------------------


class _Refusal(Exception):
    """An operation refused its operands."""

    error_class: type[ExpressionError] = ExpressionError


class _LimitRefusal(_Refusal):
    """An operation would pass a size, time or work limit."""

    error_class = ExpressionLimitExceeded


_OPERATION_ERRORS = (_Refusal, ArithmeticError, TypeError, ValueError, LookupError)


def _failure_text(exc: BaseException) -> str:
    if isinstance(exc, _Refusal):
        return str(exc)
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, KeyError):
        return f"key {_short(exc.args[0])} not found" if exc.args else "key not found"
    if isinstance(exc, IndexError):
        return str(exc) or "index out of range"
    if isinstance(exc, OverflowError):
        return f"number out of range: {exc}"
    if isinstance(exc, TypeError):
        return f"wrong type: {exc}"
    return f"invalid value: {exc}"


def _located(exc: Exception, where: str) -> ExpressionError:
    error_class = exc.error_class if isinstance(exc, _Refusal) else ExpressionError
    return error_class(f"{_failure_text(exc)} {where}")


def _invocation_error(exc: Exception) -> ExpressionError:
    if isinstance(exc, RecursionError):
        return ExpressionLimitExceeded("the expression's data nests too deeply to evaluate")
    if isinstance(exc, MemoryError):
        return ExpressionLimitExceeded("the expression ran out of memory")
    if isinstance(exc, BfxError):
        return ExpressionError(exc.message, **exc.details)
    if isinstance(exc, _OPERATION_ERRORS):
        return (exc.error_class if isinstance(exc, _Refusal) else ExpressionError)(_failure_text(exc))
    return ExpressionError(f"the expression failed: {type(exc).__name__}: {exc}")


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _short(value: object) -> str:
    """Describe a value in a message without building a huge string."""
    kind = type(value)
    if kind is str:
        return repr(value) if len(value) <= 40 else repr(value[:40]) + "..."
    if kind is int and value.bit_length() > 128:
        return f"an integer of {value.bit_length():,} bits"
    if kind in _JSON_SCALARS or kind is float:
        return repr(value)
    return f"a {_type_name(value)} value"


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


def _checked_result(value: object) -> object:
    """Return value if it is a JSON value within MAX_RESULT_SIZE, else raise."""
    if type(value) is float:
        if value - value == 0.0:  # false exactly for inf and nan
            return value
        raise ExpressionError(f"the result {value!r} is not a JSON number")
    size = 0
    pending = [value]
    # Iterative, and stopped by the size limit, so deep or cyclic parameters passed through end too.
    while pending and size <= MAX_RESULT_SIZE:
        item = pending.pop()
        kind = type(item)
        size += 1
        if kind is str:
            size += len(item)
        elif kind is list:
            size += len(item)
            if size <= MAX_RESULT_SIZE:
                pending.extend(item)
        elif kind is dict:
            size += len(item)
            if size <= MAX_RESULT_SIZE:
                for key, member in item.items():
                    if type(key) is not str:
                        raise ExpressionError(
                            f"the result has a dict key of type {_type_name(key)}; JSON object keys are strings"
                        )
                    size += len(key)
                    pending.append(member)
        elif kind is float:
            if item - item != 0.0:
                raise ExpressionError(f"the result contains {item!r}, which is not a JSON number")
        elif kind not in _JSON_SCALARS:
            raise ExpressionError(f"the result contains a {_type_name(item)}, which is not a JSON value")
    if size > MAX_RESULT_SIZE:
        raise ExpressionLimitExceeded(f"the result holds more than {MAX_RESULT_SIZE:,} values and characters")
    return value


# ---------------------------------------------------------------------------
# The meter: a per-invocation work and time budget for expressions with many
# size-dependent operations.
# ---------------------------------------------------------------------------


class _Meter:
    __slots__ = ("units_left", "deadline")

    def __init__(self) -> None:
        self.units_left = MAX_WORK_UNITS
        self.deadline = time.monotonic() + TIME_BUDGET_SECONDS

    def charge(self, units: int) -> None:
        self.units_left -= units
        if self.units_left < 0:
            raise _LimitRefusal(f"the invocation touched more than {MAX_WORK_UNITS:,} items and characters")
        if time.monotonic() > self.deadline:
            raise _LimitRefusal(f"the invocation ran longer than its {TIME_BUDGET_SECONDS:g} s time budget")


class _MeterState(threading.local):
    meter: _Meter | None = None


_state = _MeterState()


def _metered(function: Callable[[dict], object]) -> Callable[[dict], object]:
    def run(parameters: dict) -> object:
        # Saved and restored so an invocation nested in another keeps the outer budget afterwards.
        previous = _state.meter
        _state.meter = _Meter()
        try:
            return function(parameters)
        finally:
            _state.meter = previous

    return run


def check_time_budget() -> None:
    """Stop the invocation running on this thread if it has used up its time budget.

    Evaluators of registered expression types (e.g. "cypher") call this from
    their loops; it costs one clock read, and nothing outside an invocation.

    :raises ExpressionLimitExceeded: the invocation ran past TIME_BUDGET_SECONDS.
    """
    meter = _state.meter
    if meter is not None and time.monotonic() > meter.deadline:
        raise ExpressionLimitExceeded(f"the invocation ran longer than its {TIME_BUDGET_SECONDS:g} s time budget")


def _account(size: int, what: str) -> None:
    """Refuse an operation over MAX_SEQUENCE_LENGTH items and charge big ones to the meter."""
    if size > MAX_SEQUENCE_LENGTH:
        raise _LimitRefusal(f"{what} has {size:,} items or characters; the limit is {MAX_SEQUENCE_LENGTH:,}")
    if size >= _CHARGE_MINIMUM:
        meter = _state.meter
        if meter is not None:
            meter.charge(size)


def _deep_size(value: object, limit: int) -> int:
    """Count the items and characters inside value, stopping soon after the count passes limit."""
    total = 0
    pending = [value]
    while pending and total <= limit:
        item = pending.pop()
        kind = type(item)
        if kind is str:
            total += len(item)
        elif kind is list:
            total += len(item)
            if total <= limit:
                pending.extend(item)
        elif kind is dict:
            total += len(item)
            if total <= limit:
                pending.extend(item)
                pending.extend(item.values())
    return total


# ---------------------------------------------------------------------------
# Guarded operations. Each has an int (or scalar) fast path first, since
# invoking is a hot path; the guard there is one or two cheap checks.
# ---------------------------------------------------------------------------

_NUMBERS = frozenset({int, float, bool})
_INTEGERS = frozenset({int, bool})
_SEQUENCES = frozenset({str, list})
_CONTAINERS = frozenset({list, dict})


def _unsupported(symbol: str, a: object, b: object) -> _Refusal:
    return _Refusal(f"unsupported operand types for {symbol}: {_type_name(a)} and {_type_name(b)}")


def _op_add(a: object, b: object) -> object:
    if type(a) is int and type(b) is int:
        return a + b
    kind = type(a)
    if kind in _SEQUENCES and kind is type(b):
        _account(len(a) + len(b), "the concatenation")
        return a + b
    if kind in _NUMBERS and type(b) in _NUMBERS:
        return a + b
    raise _unsupported("+", a, b)


def _op_mul(a: object, b: object) -> object:
    if type(a) is int and type(b) is int:
        if a.bit_length() + b.bit_length() <= MAX_INT_BITS:
            return a * b
        bits = a.bit_length() + b.bit_length()
        raise _LimitRefusal(f"the product would have about {bits:,} bits; the limit is {MAX_INT_BITS:,}")
    kind_a, kind_b = type(a), type(b)
    if kind_a in _NUMBERS and kind_b in _NUMBERS:
        if kind_a is float or kind_b is float:
            return a * b
        return _op_mul(int(a), int(b))
    if kind_a in _SEQUENCES and kind_b in _INTEGERS:
        return _repeat(a, b)
    if kind_b in _SEQUENCES and kind_a in _INTEGERS:
        return _repeat(b, a)
    raise _unsupported("*", a, b)


def _repeat(sequence: str | list, count: int) -> str | list:
    if count <= 0:
        return sequence[:0]
    if type(sequence) is list:
        # Repeating shares the items, so count what they hold: [s] * n with a long s is big.
        size = _deep_size(sequence, MAX_SEQUENCE_LENGTH // count) * count
    else:
        size = len(sequence) * count
    _account(size, "the repetition")
    return sequence * count


def _op_pow(a: object, b: object) -> object:
    if type(a) is int and type(b) is int and b >= 0:
        base_bits = a.bit_length()
        if base_bits > 1:
            # |a| >= 2**(base_bits - 1), so the result has at least this many bits.
            least = (base_bits - 1) * b + 1
            if least > MAX_INT_BITS:
                raise _LimitRefusal(
                    f"{_short(a)} ** {_short(b)} would have at least {least:,} bits; the limit is {MAX_INT_BITS:,}"
                )
        result = a**b
        if result.bit_length() > MAX_INT_BITS:
            raise _LimitRefusal(
                f"{_short(a)} ** {_short(b)} has {result.bit_length():,} bits; the limit is {MAX_INT_BITS:,}"
            )
        return result
    kind_a, kind_b = type(a), type(b)
    if kind_a in _NUMBERS and kind_b in _NUMBERS:
        if kind_a is not float and kind_b is not float and b >= 0:
            return _op_pow(int(a), int(b))
        result = a**b
        if type(result) is complex:
            raise _Refusal("a negative number raised to a fractional power has no real value")
        return result
    raise _unsupported("**", a, b)


def _op_mod(a: object, b: object) -> object:
    if type(a) is int and type(b) is int:
        return a % b
    if type(a) in _NUMBERS and type(b) in _NUMBERS:
        return a % b
    if type(a) is str:
        raise _Refusal("string formatting with '%' is not allowed")
    raise _unsupported("%", a, b)


def _compare_guarded(compare: Callable[[object, object], bool]) -> Callable[[object, object], bool]:
    def run(a: object, b: object) -> bool:
        # Lists and dicts compare item by item; strings compare in C at memcmp speed.
        if type(a) in _CONTAINERS:
            _account(len(a), "the compared value")
        return compare(a, b)

    return run


def _contains(item: object, container: object) -> bool:
    if type(container) is list:
        _account(len(container), "the searched list")
    return item in container


def _not_contains(item: object, container: object) -> bool:
    return not _contains(item, container)


# ---------------------------------------------------------------------------
# Allowed functions and methods
# ---------------------------------------------------------------------------


def _round(number: object, ndigits: object = None) -> object:
    if ndigits is None:
        return round(number)
    if type(ndigits) not in _INTEGERS:
        raise _Refusal(f"round() needs an integer number of digits, not {_type_name(ndigits)}")
    if abs(ndigits) > MAX_ROUND_DIGITS:
        raise _LimitRefusal(f"round() to {ndigits:,} digits is beyond the limit of {MAX_ROUND_DIGITS}")
    return round(number, ndigits)


def _sized_input(value: object, what: str) -> None:
    if type(value) in _SEQUENCES or type(value) is dict:
        _account(len(value), what)


def _min(*values: object, **default: object) -> object:
    if len(values) == 1:
        _sized_input(values[0], "the input to min()")
        return min(values[0], **default)
    return min(values, **default)


def _max(*values: object, **default: object) -> object:
    if len(values) == 1:
        _sized_input(values[0], "the input to max()")
        return max(values[0], **default)
    return max(values, **default)


def _sum(values: object, start: object = 0) -> object:
    if type(start) not in _NUMBERS:
        # A list or str start would make sum() concatenate, in quadratic time.
        raise _Refusal(f"sum() adds numbers; its start must be a number, not {_type_name(start)}")
    _sized_input(values, "the input to sum()")
    return sum(values, start)


def _sorted(values: object, reverse: object = False) -> list:
    _sized_input(values, "the input to sorted()")
    return sorted(values, reverse=reverse)


def _int(value: object = 0, base: object = None) -> int:
    if type(value) is str:
        _account(len(value), "the input to int()")
    return int(value) if base is None else int(value, base)


def _float(value: object = 0.0) -> float:
    if type(value) is str:
        _account(len(value), "the input to float()")
    return float(value)


def _str(value: object = "") -> str:
    if type(value) in _CONTAINERS:
        _account(_deep_size(value, MAX_SEQUENCE_LENGTH), "the input to str()")
    elif type(value) is str:
        return value
    return str(value)


class _Function(NamedTuple):
    """An allowed function: what it runs, how many positional arguments, which keywords.

    `keywords` maps each keyword to the position it may also be given at, or None.
    """

    run: Callable[..., object]
    min_args: int
    max_args: int | None
    keywords: Mapping[str, int | None] = {}
    costly: bool = False  # its cost grows with the size of its arguments


_FUNCTIONS: dict[str, _Function] = {
    "abs": _Function(abs, 1, 1),
    "bool": _Function(bool, 0, 1),
    "float": _Function(_float, 0, 1, costly=True),
    "int": _Function(_int, 0, 2, {"base": 1}, costly=True),
    "len": _Function(len, 1, 1),
    "max": _Function(_max, 1, None, {"default": None}, costly=True),
    "min": _Function(_min, 1, None, {"default": None}, costly=True),
    "round": _Function(_round, 1, 2, {"ndigits": 1}),
    "sorted": _Function(_sorted, 1, 1, {"reverse": None}, costly=True),
    "str": _Function(_str, 0, 1, costly=True),
    "sum": _Function(_sum, 1, 2, {"start": 1}, costly=True),
}

# Only functions whose cost does not grow without bound: no factorial, comb, perm or prod.
_MATH_FUNCTIONS: dict[str, _Function] = {
    **{
        name: _Function(getattr(math, name), 1, 1)
        for name in (
            "acos acosh asin asinh atan atanh ceil cos cosh degrees exp expm1 fabs floor isfinite "
            "isinf isnan isqrt log10 log1p log2 radians sin sinh sqrt tan tanh trunc"
        ).split()
    },
    **{name: _Function(getattr(math, name), 2, 2) for name in ("atan2", "copysign", "fmod", "pow")},
    "log": _Function(math.log, 1, 2),
    "gcd": _Function(math.gcd, 0, None),
    "hypot": _Function(math.hypot, 0, None),
}

_MATH_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf}


def _linear(method: Callable[..., object], what: str) -> Callable[..., object]:
    """Wrap a str or list method whose cost grows with the receiver's length."""

    def run(receiver: object, *args: object) -> object:
        _account(len(receiver), what)
        return method(receiver, *args)

    return run


def _join(separator: str, items: object) -> str:
    if type(items) is not list:
        raise _Refusal(f"join() needs a list of strings, not {_type_name(items)}")
    _account(len(items), "the list given to join()")
    size = len(separator) * max(len(items) - 1, 0)
    for position, item in enumerate(items):
        if type(item) is not str:
            raise _Refusal(f"join() needs a list of strings; item {position} is {_type_name(item)}")
        size += len(item)
    _account(size, "the joined string")
    return separator.join(items)


def _replace(text: str, old: object, new: object, count: object = -1) -> str:
    if type(old) is not str or type(new) is not str or type(count) not in _INTEGERS:
        raise _Refusal("replace() needs two strings and an optional integer count")
    _account(len(text), "the string given to replace()")
    occurrences = text.count(old)
    if 0 <= count < occurrences:
        occurrences = count
    _account(len(text) + occurrences * (len(new) - len(old)), "the replaced string")
    return text.replace(old, new, count)


def _dict_keys(mapping: dict) -> list:
    _account(len(mapping), "the dict")
    return list(mapping)


def _dict_values(mapping: dict) -> list:
    _account(len(mapping), "the dict")
    return list(mapping.values())


def _dict_items(mapping: dict) -> list:
    _account(len(mapping), "the dict")
    return [[key, value] for key, value in mapping.items()]


class _Method(NamedTuple):
    """An allowed method: its implementation for each receiver type, and its arity."""

    by_type: dict[type, Callable[..., object]]
    min_args: int
    max_args: int


def _str_method(name: str, min_args: int = 0, max_args: int = 0) -> _Method:
    return _Method({str: _linear(getattr(str, name), f"the string given to {name}()")}, min_args, max_args)


_METHODS: dict[str, _Method] = {
    **{
        name: _str_method(name)
        for name in (
            "capitalize isalnum isalpha isdigit islower isspace isupper lower title upper"
        ).split()
    },
    **{name: _str_method(name, 0, 1) for name in ("lstrip", "rstrip", "strip")},
    **{name: _str_method(name, 1, 1) for name in ("endswith", "find", "startswith")},
    "split": _str_method("split", 0, 2),
    "join": _Method({str: _join}, 1, 1),
    "replace": _Method({str: _replace}, 2, 3),
    "count": _Method(
        {
            str: _linear(str.count, "the string given to count()"),
            list: _linear(list.count, "the list given to count()"),
        },
        1,
        1,
    ),
    "index": _Method(
        {
            str: _linear(str.index, "the string given to index()"),
            list: _linear(list.index, "the list given to index()"),
        },
        1,
        1,
    ),
    "get": _Method({dict: dict.get}, 1, 2),
    "keys": _Method({dict: _dict_keys}, 0, 0),
    "values": _Method({dict: _dict_values}, 0, 0),
    "items": _Method({dict: _dict_items}, 0, 0),
}


# ---------------------------------------------------------------------------
# Closure building. A compiled node is an "operand": (_CONST, value),
# (_GET, key, default) meaning env.get(key, default), or (_NODE, function of
# env). Parents inline constants and look-ups instead of calling a closure for
# them, which is what makes `kw.get("x", 0) * kw.get("y", 0)` one closure.
# ---------------------------------------------------------------------------

_CONST, _GET, _NODE = "const", "get", "node"

Operand = tuple


def _as_function(operand: Operand) -> Callable[[dict], object]:
    kind = operand[0]
    if kind is _NODE:
        return operand[1]
    if kind is _GET:
        _, key, default = operand

        def get(env: dict) -> object:
            return env.get(key, default)

        return get
    value = operand[1]

    def constant(env: dict) -> object:
        return value

    return constant


def _binary(op: Callable[[object, object], object], left: Operand, right: Operand, where: str) -> Callable:
    """Build the closure computing op(left, right), inlining constant and look-up operands."""
    if left[0] is _GET and right[0] is _GET:
        _, key_a, default_a = left
        _, key_b, default_b = right

        def get_get(env: dict) -> object:
            try:
                return op(env.get(key_a, default_a), env.get(key_b, default_b))
            except _OPERATION_ERRORS as exc:
                raise _located(exc, where) from exc

        return get_get
    if left[0] is _GET and right[0] is _CONST:
        _, key_a, default_a = left
        value_b = right[1]

        def get_const(env: dict) -> object:
            try:
                return op(env.get(key_a, default_a), value_b)
            except _OPERATION_ERRORS as exc:
                raise _located(exc, where) from exc

        return get_const
    if left[0] is _CONST and right[0] is _GET:
        value_a = left[1]
        _, key_b, default_b = right

        def const_get(env: dict) -> object:
            try:
                return op(value_a, env.get(key_b, default_b))
            except _OPERATION_ERRORS as exc:
                raise _located(exc, where) from exc

        return const_get
    if right[0] is _CONST:
        function_a = _as_function(left)
        value_b = right[1]

        def node_const(env: dict) -> object:
            try:
                return op(function_a(env), value_b)
            except _OPERATION_ERRORS as exc:
                raise _located(exc, where) from exc

        return node_const
    if left[0] is _CONST:
        value_a = left[1]
        function_b = _as_function(right)

        def const_node(env: dict) -> object:
            try:
                return op(value_a, function_b(env))
            except _OPERATION_ERRORS as exc:
                raise _located(exc, where) from exc

        return const_node
    function_a, function_b = _as_function(left), _as_function(right)

    def node_node(env: dict) -> object:
        try:
            return op(function_a(env), function_b(env))
        except _OPERATION_ERRORS as exc:
            raise _located(exc, where) from exc

    return node_node


def _unary(op: Callable[[object], object], operand: Operand, where: str) -> Callable:
    function = _as_function(operand)

    def run(env: dict) -> object:
        try:
            return op(function(env))
        except _OPERATION_ERRORS as exc:
            raise _located(exc, where) from exc

    return run


def _call(
    run_function: Callable[..., object], args: list[Operand], keywords: dict[str, Operand], where: str
) -> Callable:
    """Build the closure calling run_function with evaluated arguments."""
    functions = [_as_function(arg) for arg in args]
    if keywords:
        names = tuple(keywords)
        keyword_functions = [_as_function(operand) for operand in keywords.values()]

        def call_keywords(env: dict) -> object:
            values = [function(env) for function in functions]
            named = {name: function(env) for name, function in zip(names, keyword_functions)}
            try:
                return run_function(*values, **named)
            except _OPERATION_ERRORS as exc:
                raise _located(exc, where) from exc

        return call_keywords
    if len(functions) == 1:
        (only,) = functions

        def call_one(env: dict) -> object:
            try:
                return run_function(only(env))
            except _OPERATION_ERRORS as exc:
                raise _located(exc, where) from exc

        return call_one
    if len(functions) == 2:
        first, second = functions

        def call_two(env: dict) -> object:
            try:
                return run_function(first(env), second(env))
            except _OPERATION_ERRORS as exc:
                raise _located(exc, where) from exc

        return call_two

    def call_many(env: dict) -> object:
        values = [function(env) for function in functions]
        try:
            return run_function(*values)
        except _OPERATION_ERRORS as exc:
            raise _located(exc, where) from exc

    return call_many


def _method_call(name: str, method: _Method, receiver: Operand, args: list[Operand], where: str) -> Callable:
    """Build the closure calling an allowed method, chosen by the receiver's type at run time."""
    receiver_function = _as_function(receiver)
    functions = [_as_function(arg) for arg in args]
    by_type = method.by_type

    def call_method(env: dict) -> object:
        value = receiver_function(env)
        values = [function(env) for function in functions]
        try:
            run_method = by_type.get(type(value))
            if run_method is None:
                raise _Refusal(f"a value of type {_type_name(value)} has no method {name!r}")
            return run_method(value, *values)
        except _OPERATION_ERRORS as exc:
            raise _located(exc, where) from exc

    return call_method


def _whole_env(env: dict) -> dict:
    return env


def _parameter_names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names) if names else "no parameters"


def _filled(parameters: dict, names: list[str], accepted: frozenset, defaults: dict[str, Callable]) -> dict:
    """Bind parameters to a lambda without **kw: refuse unknown names, apply defaults."""
    for key in parameters:
        if key not in accepted:
            raise ExpressionError(f"unexpected parameter {_short(key)}; the expression takes {_parameter_names(names)}")
    env = dict(parameters)
    for name in names:
        if name not in env:
            default = defaults.get(name)
            if default is None:
                raise ExpressionError(f"missing parameter {name!r}")
            env[name] = default(env)
    return env


def _split(parameters: dict, names: list[str], defaults: dict[str, Callable], kw_name: str) -> dict:
    """Bind parameters to a lambda with named parameters and **kw, which gets the rest."""
    rest = dict(parameters)
    env = {}
    for name in names:
        if name in rest:
            env[name] = rest.pop(name)
        else:
            default = defaults.get(name)
            if default is None:
                raise ExpressionError(f"missing parameter {name!r}")
            env[name] = default(env)
    env[kw_name] = rest
    return env


# ---------------------------------------------------------------------------
# The lambda language: parse with ast, check every node against the
# allow-list, and build the closure tree in the same pass.
# ---------------------------------------------------------------------------

_CONSTRUCTS: dict[type, str] = {
    ast.Lambda: "a nested lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
    ast.Await: "await",
    ast.NamedExpr: "an assignment expression ':='",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Set: "a set literal",
    ast.Starred: "a starred expression '*'",
    ast.Call: "a call",
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Name: "a name",
    ast.Constant: "a constant",
    ast.BinOp: "an arithmetic expression",
    ast.UnaryOp: "a unary operation",
    ast.BoolOp: "a boolean expression",
    ast.Compare: "a comparison",
    ast.IfExp: "a conditional expression",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
}

_REFUSED_OPERATORS: dict[type, str] = {
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Invert: "~",
}

_REFUSED_LITERALS: dict[type, str] = {
    bytes: "a bytes literal",
    complex: "a complex number literal",
    type(...): "'...' (Ellipsis)",
}


class _BinarySpec(NamedTuple):
    guarded: Callable[[object, object], object]
    plain: Callable[[object, object], object] | None = None
    plain_with: frozenset[type] = frozenset()  # a constant operand of these types makes `plain` safe
    costly: bool = False


_BINARY_OPS: dict[type, _BinarySpec] = {
    # A number constant makes + numeric and a float constant makes * numeric: no sequence work.
    ast.Add: _BinarySpec(_op_add, operator.add, _NUMBERS, costly=True),
    ast.Mult: _BinarySpec(_op_mul, operator.mul, frozenset({float}), costly=True),
    ast.Sub: _BinarySpec(operator.sub),
    ast.Div: _BinarySpec(operator.truediv),
    ast.FloorDiv: _BinarySpec(operator.floordiv),
    ast.Mod: _BinarySpec(_op_mod),
    ast.Pow: _BinarySpec(_op_pow),
}

_COMPARE_OPS: dict[type, tuple[Callable, Callable]] = {
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

_UNARY_OPS: dict[type, Callable[[object], object]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
}

# Syntax nodes that carry no position and never nest further.
_LEAF_SYNTAX = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def _construct(node: ast.AST) -> str:
    return _CONSTRUCTS.get(type(node), f"a {type(node).__name__} node")


def _token_order(node: ast.AST) -> tuple[int, int]:
    """Where the name a node refers to appears: an attribute's name ends its node."""
    if isinstance(node, ast.Attribute) and node.end_lineno is not None:
        return (node.end_lineno, node.end_col_offset - len(node.attr))
    return (node.lineno, node.col_offset)


def _dunder(node: ast.AST) -> str | None:
    """Describe node if it names something starting with a double underscore."""
    if isinstance(node, ast.Name):
        kind, name = "name", node.id
    elif isinstance(node, ast.Attribute):
        kind, name = "attribute access", node.attr
    elif isinstance(node, ast.arg):
        kind, name = "parameter name", node.arg
    elif isinstance(node, ast.keyword) and node.arg is not None:
        kind, name = "keyword argument", node.arg
    else:
        return None
    return f"{kind} {name!r} is not allowed" if name.startswith("__") else None


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(_is_literal(element) for element in node.elts)
    if isinstance(node, ast.Dict):
        return all(key is not None and _is_literal(key) for key in node.keys) and all(
            _is_literal(value) for value in node.values
        )
    return False


def _arity(spec: _Function | _Method) -> str:
    low, high = spec.min_args, spec.max_args
    if high is None:
        return f"at least {low} argument{'s' if low != 1 else ''}"
    if low == high:
        return f"{low} argument{'s' if low != 1 else ''}"
    return f"{low} to {high} arguments"


class _LambdaCompiler:
    """Check one lambda's syntax tree against the allow-list and build its closure tree."""

    def __init__(self, code: str) -> None:
        # ast columns count UTF-8 bytes; only non-ASCII code needs its lines to convert them.
        self._lines = None if code.isascii() else re.split(r"\r\n|\r|\n", code)
        self._names: frozenset[str] = frozenset()
        self._kw_name: str | None = None
        self._kw_only = False
        self.costly_nodes = 0

    def _position(self, node: ast.AST) -> tuple[int, int]:
        column = node.col_offset
        if self._lines is not None and 0 < node.lineno <= len(self._lines):
            column = len(self._lines[node.lineno - 1].encode("utf-8")[:column].decode("utf-8", "replace"))
        return node.lineno, column + 1

    def where(self, node: ast.AST) -> str:
        line, column = self._position(node)
        return f"(line {line}, column {column})"

    def reject(self, node: ast.AST, text: str) -> ExpressionRejected:
        line, column = self._position(node)
        return ExpressionRejected(f"{text} (line {line}, column {column})", line=line, column=column)

    def scan(self, root: ast.AST) -> None:
        """Refuse nesting past MAX_NESTING_DEPTH and any dunder name, without recursing."""
        first: tuple[ast.AST, str] | None = None
        pending = [(root, 1, root)]
        while pending:
            node, depth, positioned = pending.pop()
            if depth > MAX_NESTING_DEPTH:
                raise self.reject(positioned, f"the expression nests more than {MAX_NESTING_DEPTH} levels deep")
            refusal = _dunder(node)
            if refusal is not None and (first is None or _token_order(node) < _token_order(first[0])):
                first = (node, refusal)
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, _LEAF_SYNTAX):
                    pending.append((child, depth + 1, child if hasattr(child, "lineno") else positioned))
        if first is not None:
            raise self.reject(*first)

    def compile(self, lam: ast.Lambda) -> Callable[[dict], object]:
        names, defaults = self._parameters(lam.args)
        body = _as_function(self.operand(lam.body))
        if self._kw_only:
            # The parameters dict itself is the environment: nothing to bind per call.
            function = body
        elif self._kw_name is None:
            function = _bind_named(body, names, defaults)
        else:
            function = _bind_with_kw(body, names, defaults, self._kw_name)
        if self.costly_nodes > UNMETERED_COSTLY_NODES:
            function = _metered(function)
        return function

    def _parameters(self, arguments: ast.arguments) -> tuple[list[str], dict[str, Callable]]:
        if arguments.posonlyargs:
            raise self.reject(arguments.posonlyargs[0], "positional-only parameters ('/') are not allowed")
        if arguments.vararg is not None:
            raise self.reject(arguments.vararg, f"the '*{arguments.vararg.arg}' parameter is not allowed")
        params = arguments.args + arguments.kwonlyargs
        default_nodes = (
            [None] * (len(arguments.args) - len(arguments.defaults)) + arguments.defaults + arguments.kw_defaults
        )
        names: list[str] = []
        defaults: dict[str, Callable] = {}
        for param, default in zip(params, default_nodes):
            self._check_parameter_name(param, names)
            names.append(param.arg)
            if default is not None:
                if not _is_literal(default):
                    raise self.reject(
                        default, f"the default of parameter {param.arg!r} must be a literal, not {_construct(default)}"
                    )
                defaults[param.arg] = _as_function(self.operand(default))
        if arguments.kwarg is not None:
            self._check_parameter_name(arguments.kwarg, names)
            self._kw_name = arguments.kwarg.arg
        self._names = frozenset(names)
        self._kw_only = not names and self._kw_name is not None
        return names, defaults

    def _check_parameter_name(self, param: ast.arg, names: list[str]) -> None:
        if param.arg in names:
            raise self.reject(param, f"duplicate parameter {param.arg!r}")
        if param.arg in _FUNCTIONS or param.arg == "math":
            raise self.reject(param, f"parameter name {param.arg!r} would hide the function of that name")

    def operand(self, node: ast.AST) -> Operand:
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise self.reject(node, f"{_construct(node)} is not allowed")
        return handler(self, node)

    def _constant(self, node: ast.Constant) -> Operand:
        value = node.value
        kind = type(value)
        if kind is int and value.bit_length() > MAX_INT_BITS:
            raise self.reject(
                node, f"an integer literal of {value.bit_length():,} bits is over the limit of {MAX_INT_BITS:,}"
            )
        if kind in _REFUSED_LITERALS:
            raise self.reject(node, f"{_REFUSED_LITERALS[kind]} is not allowed")
        return (_CONST, value)

    def _name(self, node: ast.Name) -> Operand:
        name = node.id
        if name == self._kw_name:
            return (_NODE, _whole_env) if self._kw_only else (_NODE, operator.itemgetter(name))
        if name in self._names:
            # Every named parameter is bound before the body runs, so the default is never used.
            return (_GET, name, None)
        if name in _FUNCTIONS:
            raise self.reject(node, f"function {name!r} can only be called")
        if name == "math":
            raise self.reject(node, "'math' can only be used as math.<function>(...) or a math constant")
        raise self.reject(node, f"name {name!r} is not allowed")

    def _attribute(self, node: ast.Attribute) -> Operand:
        attr = node.attr
        if _is_math(node.value):
            if attr in _MATH_CONSTANTS:
                return (_CONST, _MATH_CONSTANTS[attr])
            if attr in _MATH_FUNCTIONS:
                raise self.reject(node, f"function 'math.{attr}' can only be called")
            raise self.reject(node, f"'math.{attr}' is not allowed")
        if attr in _METHODS:
            raise self.reject(node, f"method {attr!r} can only be called")
        raise self.reject(node, f"attribute access {attr!r} is not allowed")

    def _call(self, node: ast.Call) -> Operand:
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.reject(arg, "a starred argument '*' is not allowed")
        seen: set[str] = set()
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.reject(keyword, "argument unpacking '**' is not allowed")
            if keyword.arg in seen:
                raise self.reject(keyword, f"keyword argument {keyword.arg!r} is repeated")
            seen.add(keyword.arg)
        func = node.func
        if isinstance(func, ast.Name):
            spec = _FUNCTIONS.get(func.id)
            if spec is None:
                if func.id in self._names or func.id == self._kw_name:
                    raise self.reject(func, f"calling parameter {func.id!r} is not allowed")
                raise self.reject(func, f"function {func.id!r} is not allowed")
            return self._function_call(node, func.id, spec)
        if isinstance(func, ast.Attribute):
            if _is_math(func.value):
                spec = _MATH_FUNCTIONS.get(func.attr)
                if spec is None:
                    raise self.reject(func, f"function 'math.{func.attr}' is not allowed")
                return self._function_call(node, f"math.{func.attr}", spec)
            return self._method_call(node, func)
        raise self.reject(func, f"calling {_construct(func)} is not allowed")

    def _function_call(self, node: ast.Call, name: str, spec: _Function) -> Operand:
        positional = len(node.args)
        if positional < spec.min_args or (spec.max_args is not None and positional > spec.max_args):
            raise self.reject(node, f"{name}() takes {_arity(spec)}, got {positional}")
        for keyword in node.keywords:
            if keyword.arg not in spec.keywords:
                raise self.reject(keyword, f"{name}() takes no keyword argument {keyword.arg!r}")
            slot = spec.keywords[keyword.arg]
            if slot is not None and slot < positional:
                raise self.reject(keyword, f"{name}() got {keyword.arg!r} both by position and by keyword")
        args = [self.operand(arg) for arg in node.args]
        keywords = {keyword.arg: self.operand(keyword.value) for keyword in node.keywords}
        if spec.costly and not all(arg[0] is _CONST for arg in args):
            self.costly_nodes += 1
        return (_NODE, _call(spec.run, args, keywords, self.where(node)))

    def _method_call(self, node: ast.Call, func: ast.Attribute) -> Operand:
        name = func.attr
        method = _METHODS.get(name)
        if method is None:
            raise self.reject(func, f"method {name!r} is not allowed")
        if node.keywords:
            raise self.reject(node.keywords[0], f"method {name!r} takes no keyword arguments")
        if not method.min_args <= len(node.args) <= method.max_args:
            raise self.reject(node, f".{name}() takes {_arity(method)}, got {len(node.args)}")
        args = [self.operand(arg) for arg in node.args]
        receiver = func.value
        if (
            name == "get"
            and self._kw_only
            and isinstance(receiver, ast.Name)
            and receiver.id == self._kw_name
            and all(arg[0] is _CONST for arg in args)
        ):
            # kw.get(<const>, <const>) becomes a plain look-up the parent node inlines.
            return (_GET, args[0][1], args[1][1] if len(args) == 2 else None)
        if name != "get":
            self.costly_nodes += 1
        return (_NODE, _method_call(name, method, self.operand(receiver), args, self.where(node)))

    def _binop(self, node: ast.BinOp) -> Operand:
        spec = _BINARY_OPS.get(type(node.op))
        if spec is None:
            raise self.reject(node, f"operator {_REFUSED_OPERATORS[type(node.op)]!r} is not allowed")
        left, right = self.operand(node.left), self.operand(node.right)
        op = spec.guarded
        if spec.plain is not None and any(
            side[0] is _CONST and type(side[1]) in spec.plain_with for side in (left, right)
        ):
            op = spec.plain
        elif spec.costly:
            self.costly_nodes += 1
        return (_NODE, _binary(op, left, right, self.where(node)))

    def _unaryop(self, node: ast.UnaryOp) -> Operand:
        op = _UNARY_OPS.get(type(node.op))
        if op is None:
            raise self.reject(node, f"operator {_REFUSED_OPERATORS[type(node.op)]!r} is not allowed")
        operand = self.operand(node.operand)
        if operand[0] is _CONST and (type(operand[1]) in _NUMBERS or op is operator.not_):
            return (_CONST, op(operand[1]))
        return (_NODE, _unary(op, operand, self.where(node)))

    def _boolop(self, node: ast.BoolOp) -> Operand:
        functions = [_as_function(self.operand(value)) for value in node.values]
        head, last = functions[:-1], functions[-1]
        if isinstance(node.op, ast.And):

            def all_of(env: dict) -> object:
                for function in head:
                    value = function(env)
                    if not value:
                        return value
                return last(env)

            return (_NODE, all_of)

        def any_of(env: dict) -> object:
            for function in head:
                value = function(env)
                if value:
                    return value
            return last(env)

        return (_NODE, any_of)

    def _ifexp(self, node: ast.IfExp) -> Operand:
        test = _as_function(self.operand(node.test))
        body = _as_function(self.operand(node.body))
        orelse = _as_function(self.operand(node.orelse))

        def choose(env: dict) -> object:
            return body(env) if test(env) else orelse(env)

        return (_NODE, choose)

    def _compare(self, node: ast.Compare) -> Operand:
        operands = [self.operand(item) for item in (node.left, *node.comparators)]
        ops: list[Callable[[object, object], bool]] = []
        for index, op_node in enumerate(node.ops):
            left, right = operands[index], operands[index + 1]
            if isinstance(op_node, (ast.Is, ast.IsNot)):
                if not (_is_none(left) or _is_none(right)):
                    word = "is" if isinstance(op_node, ast.Is) else "is not"
                    raise self.reject(node, f"operator '{word}' is only allowed with None")
                ops.append(operator.is_ if isinstance(op_node, ast.Is) else operator.is_not)
                continue
            with_constant, otherwise = _COMPARE_OPS[type(op_node)]
            if left[0] is _CONST or right[0] is _CONST:
                ops.append(with_constant)
            else:
                ops.append(otherwise)
                self.costly_nodes += 1
        where = self.where(node)
        if len(ops) == 1:
            return (_NODE, _binary(ops[0], operands[0], operands[1], where))
        first, *rest = [_as_function(operand) for operand in operands]
        steps = list(zip(ops, rest))

        def chain(env: dict) -> bool:
            left = first(env)
            for op, function in steps:
                right = function(env)
                try:
                    if not op(left, right):
                        return False
                except _OPERATION_ERRORS as exc:
                    raise _located(exc, where) from exc
                left = right
            return True

        return (_NODE, chain)

    def _subscript(self, node: ast.Subscript) -> Operand:
        value = self.operand(node.value)
        where = self.where(node)
        if isinstance(node.slice, ast.Slice):
            self.costly_nodes += 1
            sequence_function = _as_function(value)
            lower, upper, step = (
                _as_function(self.operand(part) if part is not None else (_CONST, None))
                for part in (node.slice.lower, node.slice.upper, node.slice.step)
            )

            def sliced(env: dict) -> object:
                sequence = sequence_function(env)
                bounds = slice(lower(env), upper(env), step(env))
                try:
                    if type(sequence) in _SEQUENCES:
                        _account(len(sequence), "the sliced value")
                    return sequence[bounds]
                except _OPERATION_ERRORS as exc:
                    raise _located(exc, where) from exc

            return (_NODE, sliced)
        index = self.operand(node.slice)
        if self._kw_only and value[1] is _whole_env and index[0] is _CONST:
            key = index[1]

            def parameter(env: dict) -> object:
                try:
                    return env[key]
                except KeyError:
                    raise ExpressionError(f"parameter {_short(key)} was not given {where}") from None

            return (_NODE, parameter)
        return (_NODE, _binary(operator.getitem, value, index, where))

    def _list(self, node: ast.List | ast.Tuple) -> Operand:
        for element in node.elts:
            if isinstance(element, ast.Starred):
                raise self.reject(element, "a starred expression '*' is not allowed")
        operands = [self.operand(element) for element in node.elts]
        if all(operand[0] is _CONST for operand in operands):
            values = tuple(operand[1] for operand in operands)

            def constant_list(env: dict) -> list:
                return list(values)

            return (_NODE, constant_list)
        functions = [_as_function(operand) for operand in operands]

        def build_list(env: dict) -> list:
            return [function(env) for function in functions]

        return (_NODE, build_list)

    def _dict(self, node: ast.Dict) -> Operand:
        for key, value in zip(node.keys, node.values):
            if key is None:
                raise self.reject(value, "dict unpacking '**' is not allowed")
        pairs = [
            (_as_function(self.operand(key)), _as_function(self.operand(value)))
            for key, value in zip(node.keys, node.values)
        ]
        where = self.where(node)

        def build_dict(env: dict) -> dict:
            built = {}
            for key_function, value_function in pairs:
                key = key_function(env)
                value = value_function(env)
                try:
                    built[key] = value
                except TypeError as exc:
                    raise _located(exc, where) from exc
            return built

        return (_NODE, build_dict)


_HANDLERS: dict[type, Callable[[_LambdaCompiler, ast.AST], Operand]] = {
    ast.Constant: _LambdaCompiler._constant,
    ast.Name: _LambdaCompiler._name,
    ast.Attribute: _LambdaCompiler._attribute,
    ast.Call: _LambdaCompiler._call,
    ast.BinOp: _LambdaCompiler._binop,
    ast.UnaryOp: _LambdaCompiler._unaryop,
    ast.BoolOp: _LambdaCompiler._boolop,
    ast.IfExp: _LambdaCompiler._ifexp,
    ast.Compare: _LambdaCompiler._compare,
    ast.Subscript: _LambdaCompiler._subscript,
    ast.List: _LambdaCompiler._list,
    ast.Tuple: _LambdaCompiler._list,
    ast.Dict: _LambdaCompiler._dict,
}


def _is_math(node: ast.AST) -> bool:
    # Parameters cannot be named "math", so the name always means the module here.
    return isinstance(node, ast.Name) and node.id == "math"


def _is_none(operand: Operand) -> bool:
    return operand[0] is _CONST and operand[1] is None


def _bind_named(body: Callable, names: list[str], defaults: dict[str, Callable]) -> Callable[[dict], object]:
    accepted = frozenset(names)
    count = len(names)

    def run(parameters: dict) -> object:
        # Exactly the declared names: the caller's dict is the environment, no copy.
        if len(parameters) == count and parameters.keys() <= accepted:
            return body(parameters)
        return body(_filled(parameters, names, accepted, defaults))

    return run


def _bind_with_kw(
    body: Callable, names: list[str], defaults: dict[str, Callable], kw_name: str
) -> Callable[[dict], object]:
    def run(parameters: dict) -> object:
        return body(_split(parameters, names, defaults, kw_name))

    return run


_parse_lock = threading.Lock()


def _parse(code: str) -> ast.Expression:
    # The parser warns about dubious user text (`x is 1`, "\d"); that is noise in a
    # server's log. The filters are process-wide, hence the lock around changing them.
    with _parse_lock, warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return ast.parse(code, mode="eval")


def _compile_lambda(code: str) -> Callable[[dict], object]:
    """Compile the text of a lambda into a function of the parameters dict."""
    try:
        tree = _parse(code)
    except SyntaxError as exc:
        line, column = exc.lineno or 1, exc.offset or 1
        raise ExpressionRejected(
            f"syntax error: {exc.msg} (line {line}, column {column})", line=line, column=column
        ) from None
    except (RecursionError, MemoryError):
        # CPython's parser gives up on absurd nesting with these rather than a SyntaxError.
        raise ExpressionRejected("the expression nests too deeply to parse") from None
    except ValueError as exc:
        raise ExpressionRejected(f"the expression cannot be parsed: {exc}") from None
    compiler = _LambdaCompiler(code)
    lam = tree.body
    if not isinstance(lam, ast.Lambda):
        raise compiler.reject(lam, f"the expression must be a lambda such as 'lambda x: x * 2', not {_construct(lam)}")
    compiler.scan(lam)
    try:
        return compiler.compile(lam)
    except RecursionError:
        # Only when the caller's own stack is already deep: the nesting limit keeps ours short.
        raise ExpressionRejected("the expression nests too deeply to compile here") from None


# ---------------------------------------------------------------------------
# The constant type
# ---------------------------------------------------------------------------


def _finite_float(text: str) -> float:
    value = float(text)
    if value - value != 0.0:
        raise ValueError(f"the number {text} is too large for a float")
    return value


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _compile_constant(code: str) -> Callable[[dict], object]:
    """Compile a JSON literal into a function that ignores its parameters and returns it."""
    try:
        value = json.loads(code, parse_float=_finite_float, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ExpressionRejected(
            f"the constant is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            line=exc.lineno,
            column=exc.colno,
        ) from None
    except RecursionError:
        raise ExpressionRejected("the constant nests too deeply") from None
    except ValueError as exc:
        raise ExpressionRejected(f"the constant is not JSON: {exc}") from None
    if type(value) in _CONTAINERS:

        def fresh_copy(parameters: dict) -> object:
            # A new copy each time: a caller may change the list or dict it is given.
            return json.loads(code)

        return fresh_copy

    def constant(parameters: dict) -> object:
        return value

    return constant


_compilers.update({"constant": _compile_constant, "lambda": _compile_lambda})
