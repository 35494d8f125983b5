"""The one catalogue of Cypher functions (name, arguments, implementation, doc line), and the regex operator.

The semantic checker reads the names and argument counts from here, the evaluator the scalar
implementations and the planner the aggregates, so a function exists for all of them or for none.
"""

from __future__ import annotations

import decimal
import math
import random
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import regex

from .. import sandbox, search
from ..errors import QueryArgumentError, QueryLimitExceeded
from ..identity import format_id
from .aggregates import AGGREGATES, Accumulator
from .runtime import Context
from .temporal import TEMPORAL_FUNCTIONS, TEMPORAL_TYPES
from .values import (
    INT_MAX,
    INT_MIN,
    NodeRef,
    PathRef,
    RelRef,
    bad_argument,
    check_int,
    check_size,
    format_number,
    is_number,
    to_input,
    type_name,
)

#: A scalar function's implementation: the run and the argument values in, the value out.
Scalar = Callable[[Context, list], Any]


def _unary(name: str, kinds: tuple[type, ...], operation: Callable[[Context, Any], Any]) -> Scalar:
    """Build a one-argument function: null in, null out, a value of exactly one of ``kinds`` to ``operation``.

    Most built-ins share this guard, so it lives once: the null rule and the error
    for any other type stay the same across all of them.
    """

    def call(ctx: Context, args: list) -> Any:
        value = args[0]
        if value is None:
            return None
        if type(value) not in kinds:
            raise bad_argument(name, value)
        return operation(ctx, value)

    return call


# ---------------------------------------------------------------- graph functions


_ENTITY = (NodeRef, RelRef)


def _rel(ctx: Context, rel: RelRef) -> Any:
    """Load a relationship, also one this query deleted: its type and ends stay readable after DELETE."""
    return ctx.rel(rel, allow_deleted=True)


def _expression(ctx: Context, value: NodeRef) -> Any:
    node = ctx.node(value)
    if node.expression_code is None:
        return None
    return {"type": node.expression_type, "code": node.expression_code}


def _invoke(ctx: Context, args: list) -> Any:
    value, parameters = args
    if value is None:
        return None
    if type(value) is not NodeRef:
        raise bad_argument("invoke", value)
    if parameters is None:
        parameters = {}
    if type(parameters) is not dict:
        raise bad_argument("invoke", parameters)
    node = ctx.node(value)
    if node.expression_type is None or node.expression_code is None:
        raise QueryArgumentError(f"substrate {node.substrate_id} has no expression", "InvalidArgumentValue")
    compiled = sandbox.compile_expression(node.expression_type, node.expression_code)
    return to_input(compiled.invoke(parameters))


def _metadata_view(name: str, convert: Callable[[Mapping[str, Any]], Any]) -> Scalar:
    """Build properties() or keys(): ``convert`` applied to an entity's metadata or to a map."""

    def call(ctx: Context, args: list) -> Any:
        value = args[0]
        if value is None:
            return None
        kind = type(value)
        if kind is NodeRef:
            return convert(ctx.node(value).metadata)
        if kind is RelRef:
            return convert(ctx.rel(value).metadata)
        if kind is dict:
            return convert(value)
        raise bad_argument(name, value)

    return call


def _length(ctx: Context, args: list) -> Any:
    value = args[0]
    if value is None:
        return None
    kind = type(value)
    if kind is PathRef:
        return len(value.rels)
    if kind is list or kind is str:
        return len(value)
    raise bad_argument("length", value)


def _size(ctx: Context, args: list) -> Any:
    value = args[0]
    if value is None:
        return None
    kind = type(value)
    if kind is list or kind is str:
        return len(value)
    if kind is dict:
        return len(value)
    raise bad_argument("size", value)


# ---------------------------------------------------------------- lists


def _range(ctx: Context, args: list) -> Any:
    for arg in args:
        if type(arg) is not int:
            raise QueryArgumentError(f"range() needs integers, got {type_name(arg)}", "InvalidArgumentType")
    start, end = args[0], args[1]
    step = args[2] if len(args) > 2 else 1
    if step == 0:
        raise QueryArgumentError("range() step must not be zero", "NumberOutOfRange")
    count = max(0, (end - start) // step + 1)
    check_size(count)
    ctx.fits(_list_size(count, _INT_SIZE))
    ctx.tick(count)
    return list(range(start, end + (1 if step > 0 else -1), step))


#: What one integer and one string (besides its characters) take, for estimates made before building.
_INT_SIZE = 32
_STR_SIZE = 49


def _list_size(count: int, item: int) -> int:
    """Estimate the bytes of a list of ``count`` items of ``item`` bytes each, before it is built."""
    return 56 + count * (8 + item)


def _reverse(ctx: Context, args: list) -> Any:
    value = args[0]
    if value is None:
        return None
    kind = type(value)
    if kind is list or kind is str:
        return value[::-1]
    raise bad_argument("reverse", value)


def _coalesce(ctx: Context, args: list) -> Any:
    for value in args:
        if value is not None:
            return value
    return None


# ---------------------------------------------------------------- conversions


def _to_boolean(ctx: Context, args: list, strict: bool = True) -> Any:
    value = args[0]
    kind = type(value)
    if value is None or kind is bool:
        return value
    if kind is str:
        lowered = value.strip().lower()
        return True if lowered == "true" else (False if lowered == "false" else None)
    if kind is int:
        return value != 0
    if strict:
        raise bad_argument("toBoolean", value)
    return None


def _parse_number(text: str) -> int | float | None:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number


def _to_integer(ctx: Context, args: list, strict: bool = True) -> Any:
    value = args[0]
    kind = type(value)
    if value is None or kind is int:
        return value
    if kind is float:
        if value != value or math.isinf(value):
            return None
        integer = int(value)
        if not strict and not INT_MIN <= integer <= INT_MAX:
            return None  # toIntegerOrNull and toIntegerList: what does not fit does not convert
        return check_int(integer)
    if kind is str:
        number = _parse_number(value)
        if number is None or (type(number) is float and (number != number or math.isinf(number))):
            return None
        integer = int(number)
        return integer if INT_MIN <= integer <= INT_MAX else None
    if kind is bool:
        return int(value)
    if strict:
        raise bad_argument("toInteger", value)
    return None


def _to_float(ctx: Context, args: list, strict: bool = True) -> Any:
    value = args[0]
    kind = type(value)
    if value is None or kind is float:
        return value
    if kind is int:
        return float(value)
    if kind is str:
        number = _parse_number(value)
        return None if number is None else float(number)
    if strict:
        raise bad_argument("toFloat", value)
    return None


def _to_string(ctx: Context, args: list, strict: bool = True) -> Any:
    value = args[0]
    kind = type(value)
    if value is None or kind is str:
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return format_number(value)
    if kind in TEMPORAL_TYPES:
        return str(value)
    if strict:
        raise bad_argument("toString", value)
    return None


def _lenient(function: Callable[..., Any]) -> Scalar:
    def call(ctx: Context, args: list) -> Any:
        return function(ctx, args, strict=False)

    return call


def _each(name: str, function: Callable[..., Any]) -> Scalar:
    """Build toStringList() and its kin: null stays null, a list is converted item by item, leniently.

    Items the conversion cannot read become null, as in ``toStringOrNull``; anything but a list is an error.
    """

    def call(ctx: Context, args: list) -> Any:
        items = args[0]
        if items is None:
            return None
        if type(items) is not list:
            raise bad_argument(name, items)
        ctx.tick(len(items))
        return [function(ctx, [item], strict=False) for item in items]

    return call


# ---------------------------------------------------------------- strings


def _check_str(name: str, value: Any) -> None:
    if type(value) is not str:
        raise bad_argument(name, value)


def _check_int(name: str, value: Any) -> None:
    if type(value) is not int:
        raise bad_argument(name, value)


def _replace(ctx: Context, args: list) -> Any:
    if any(arg is None for arg in args):
        return None
    for arg in args:
        _check_str("replace", arg)
    text, search, replacement = args
    found = text.count(search)
    check_size(len(text) + found * (len(replacement) - len(search)))
    ctx.fits(_STR_SIZE + 4 * (len(text) + found * (len(replacement) - len(search))))
    return text.replace(search, replacement)


def _substring(ctx: Context, args: list) -> Any:
    text, start = args[0], args[1]
    if text is None:
        return None
    _check_str("substring", text)
    _check_int("substring", start)
    if start < 0:
        raise QueryArgumentError("substring() start must not be negative", "NumberOutOfRange")
    if len(args) > 2:
        length = args[2]
        _check_int("substring", length)
        if length < 0:
            raise QueryArgumentError("substring() length must not be negative", "NumberOutOfRange")
        return text[start : start + length]
    return text[start:]


def _left(ctx: Context, args: list) -> Any:
    text, length = args
    if text is None:
        return None
    _check_str("left", text)
    if length is None:
        raise QueryArgumentError("left() length must not be null", "NumberOutOfRange")
    _check_int("left", length)
    if length < 0:
        raise QueryArgumentError("left() length must not be negative", "NumberOutOfRange")
    return text[:length]


def _right(ctx: Context, args: list) -> Any:
    text, length = args
    if text is None:
        return None
    _check_str("right", text)
    if length is None:
        raise QueryArgumentError("right() length must not be null", "NumberOutOfRange")
    _check_int("right", length)
    if length < 0:
        raise QueryArgumentError("right() length must not be negative", "NumberOutOfRange")
    return text[len(text) - length :] if length else ""


def _split(ctx: Context, args: list) -> Any:
    text, separator = args
    if text is None or separator is None:
        return None
    _check_str("split", text)
    _check_str("split", separator)
    parts = len(text) if separator == "" else text.count(separator) + 1
    ctx.fits(_list_size(parts, _STR_SIZE) + 4 * len(text))
    if separator == "":
        return list(text)
    return text.split(separator)


# ---------------------------------------------------------------- maths


def _math(name: str, operation: Callable[[float], float]) -> Scalar:
    def call(ctx: Context, args: list) -> Any:
        value = args[0]
        if value is None:
            return None
        if not is_number(value):
            raise bad_argument(name, value)
        try:
            return operation(float(value))
        except (ValueError, ZeroDivisionError):
            return math.nan
        except OverflowError:
            return math.inf

    return call


def _abs(ctx: Context, args: list) -> Any:
    value = args[0]
    if value is None:
        return None
    if type(value) is int:
        return check_int(abs(value))
    if type(value) is float:
        return abs(value)
    raise bad_argument("abs", value)


def _rounding(name: str, operation: Callable[[float], float]) -> Scalar:
    def call(ctx: Context, args: list) -> Any:
        value = args[0]
        if value is None:
            return None
        if not is_number(value):
            raise bad_argument(name, value)
        if type(value) is float and (value != value or math.isinf(value)):
            return value
        return float(operation(value))

    return call


def _round_half_up(value: float) -> float:
    """Round halves toward positive infinity, as Java's Math.round (and so Cypher) does."""
    return math.floor(value + 0.5)


#: The rounding modes of round(value, precision, mode), as Java's RoundingMode names them.
_ROUNDING_MODES = {
    "UP": decimal.ROUND_UP,
    "DOWN": decimal.ROUND_DOWN,
    "CEILING": decimal.ROUND_CEILING,
    "FLOOR": decimal.ROUND_FLOOR,
    "HALF_UP": decimal.ROUND_HALF_UP,
    "HALF_DOWN": decimal.ROUND_HALF_DOWN,
    "HALF_EVEN": decimal.ROUND_HALF_EVEN,
    "UNNECESSARY": None,
}
# Wide enough that no float (at most 17 significant digits, exponents to about 10**308) loses digits.
_ROUNDING_CONTEXT = decimal.Context(prec=1000, Emax=10_000, Emin=-10_000)


def _round(ctx: Context, args: list) -> Any:
    value = args[0]
    if value is None:
        return None
    if not is_number(value):
        raise bad_argument("round", value)
    if type(value) is float and (value != value or math.isinf(value)):
        return value
    if len(args) == 1:
        return float(_round_half_up(value))
    precision, mode = args[1], args[2] if len(args) > 2 else "HALF_UP"
    if precision is None or mode is None:
        return None
    _check_int("round", precision)
    _check_str("round", mode)
    if mode not in _ROUNDING_MODES:
        raise QueryArgumentError(
            f"round() mode must be one of {', '.join(_ROUNDING_MODES)}, not {mode!r}", "InvalidArgumentValue"
        )
    return _round_decimal(value, precision, mode)


def _round_decimal(value: int | float, precision: int, mode: str) -> float:
    """Round the decimal a float prints as (as Java's BigDecimal.valueOf reads it) to ``precision`` places."""
    exact = decimal.Decimal(repr(float(value)))
    exponent = exact.as_tuple().exponent
    if isinstance(exponent, int) and -exponent <= precision:
        return float(value)  # no digit to drop
    quantum = decimal.Decimal(1).scaleb(-precision)
    rounding = _ROUNDING_MODES[mode]
    try:
        rounded = exact.quantize(quantum, rounding=rounding or decimal.ROUND_DOWN, context=_ROUNDING_CONTEXT)
    except decimal.InvalidOperation:  # a scale beyond the digits of any float
        rounded = decimal.Decimal(0) if precision < 0 else exact
    if rounding is None and rounded != exact:
        raise QueryArgumentError(f"round() mode UNNECESSARY, but {value!r} needs rounding", "InvalidArgumentValue")
    # + 0.0: a decimal rounded to zero has no sign in Java, so -0.0 becomes 0.0
    return float(rounded) + 0.0


def _sign(ctx: Context, args: list) -> Any:
    value = args[0]
    if value is None:
        return None
    if not is_number(value):
        raise bad_argument("sign", value)
    return (value > 0) - (value < 0)


def _log(operation: Callable[[float], float]) -> Callable[[float], float]:
    def call(value: float) -> float:
        if value == 0.0:
            return -math.inf
        if value < 0.0:
            return math.nan
        return operation(value)

    return call


def _sqrt(value: float) -> float:
    return math.nan if value < 0 else math.sqrt(value)


def _atan2(ctx: Context, args: list) -> Any:
    y, x = args
    if y is None or x is None:
        return None
    if not is_number(y):
        raise bad_argument("atan2", y)
    if not is_number(x):
        raise bad_argument("atan2", x)
    return math.atan2(float(y), float(x))


def _constant(value: float) -> Scalar:
    def call(ctx: Context, args: list) -> Any:
        return value

    return call


def _rand(ctx: Context, args: list) -> Any:
    return random.random()


def _random_uuid(ctx: Context, args: list) -> Any:
    return str(uuid.uuid4())


def _exists(ctx: Context, args: list) -> Any:
    """exists(n.key): whether the value is there. exists(pattern) is compiled as the pattern predicate."""
    return args[0] is not None


# ---------------------------------------------------------------- the catalogue

_SIGNATURE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_.]*)\((?P<arguments>[^()]*)\)")

#: The groups of the catalogue, in the order the README lists them.
CATEGORIES = (
    "aggregating",
    "predicate",
    "scalar",
    "list",
    "numeric",
    "logarithmic",
    "trigonometric",
    "string",
    "temporal",
    "vector",
    "bfxdb",
)


@dataclass(frozen=True, slots=True)
class Function:
    """One function a query may call.

    ``signature`` is written as the README shows it, e.g. ``substring(original, start[, length])``:
    the name, then the arguments, optional ones in brackets and ``...`` for any number more. The
    name and the argument counts are read from it. Exactly one of ``scalar`` and ``aggregate`` is set.
    """

    signature: str
    category: str
    doc: str
    scalar: Scalar | None = None
    aggregate: Callable[[Context], Accumulator] | None = None
    name: str = field(init=False)
    fewest: int = field(init=False)
    most: int | None = field(init=False)  # None: any number

    def __post_init__(self) -> None:
        match = _SIGNATURE.fullmatch(self.signature)
        if match is None or self.category not in CATEGORIES or (self.scalar is None) == (self.aggregate is None):
            raise ValueError(f"malformed catalogue entry {self.signature!r}")
        arguments = match["arguments"]
        required = [name for name in arguments.split("[", 1)[0].split(",") if name.strip() not in ("", "...")]
        named = [name for name in re.split(r"[\[\],]", arguments) if name.strip() not in ("", "...")]
        object.__setattr__(self, "name", match["name"])
        object.__setattr__(self, "fewest", len(required))
        object.__setattr__(self, "most", None if "..." in arguments else len(named))


def _scalars(category: str, *entries: tuple[str, Scalar, str]) -> list[Function]:
    return [Function(signature, category, doc, scalar=scalar) for signature, scalar, doc in entries]


def _temporal(signature: str, doc: str) -> Function:
    return Function(signature, "temporal", doc, scalar=TEMPORAL_FUNCTIONS[signature.split("(")[0].lower()])


_AGGREGATES = (
    ("avg(expression)", "avg", "The average of the numbers, as a float; null without any."),
    ("collect(expression)", "collect", "A list of the values that are not null."),
    ("count(expression)", "count", "How many values are not null; `count(*)` counts the rows."),
    ("max(expression)", "max", "The greatest value, in Cypher's order."),
    ("min(expression)", "min", "The least value, in Cypher's order."),
    ("percentileCont(expression, percentile)", "percentilecont", "The percentile (0.0 to 1.0), interpolated."),
    ("percentileDisc(expression, percentile)", "percentiledisc", "The percentile (0.0 to 1.0), the nearest value."),
    ("stDev(expression)", "stdev", "The standard deviation of the numbers as a sample."),
    ("stDevP(expression)", "stdevp", "The standard deviation of the numbers as a whole population."),
    ("sum(expression)", "sum", "The sum of the numbers; integers stay integers."),
)

_INSTANTS = (
    ("date", "a date"),
    ("localtime", "a local time"),
    ("time", "a time with its offset"),
    ("localdatetime", "a local date and time"),
    ("datetime", "a date and time with its zone"),
)

CATALOGUE: tuple[Function, ...] = (
    *(Function(signature, "aggregating", doc, aggregate=AGGREGATES[key]) for signature, key, doc in _AGGREGATES),
    *_scalars(
        "predicate",
        ("exists(expression)", _exists, "Whether a property is there (not null), or a pattern has a match."),
    ),
    *_scalars(
        "scalar",
        ("coalesce(expression, ...)", _coalesce, "The first argument that is not null."),
        ("endNode(relationship)", _unary("endNode", (RelRef,), lambda ctx, rel: NodeRef(_rel(ctx, rel).target)),
         "The node a relationship points to."),
        ("head(list)", _unary("head", (list,), lambda ctx, items: items[0] if items else None),
         "The first item of a list."),
        ("id(entity)", _unary("id", _ENTITY, lambda ctx, entity: entity.id),
         "The identity of a node or relationship, as an integer."),
        ("last(list)", _unary("last", (list,), lambda ctx, items: items[-1] if items else None),
         "The last item of a list."),
        ("length(path)", _length, "How many relationships a path has (or the size of a string or list)."),
        ("properties(entity)", _metadata_view("properties", dict),
         "The properties of a node or relationship, as a map."),
        ("randomUUID()", _random_uuid, "A random UUID, as a string."),
        ("size(value)", _size, "How many items a list, characters a string or entries a map has."),
        ("startNode(relationship)", _unary("startNode", (RelRef,), lambda ctx, rel: NodeRef(_rel(ctx, rel).source)),
         "The node a relationship starts at."),
        ("timestamp()", TEMPORAL_FUNCTIONS["timestamp"], "The statement's time, in milliseconds since the epoch."),
        ("toBoolean(value)", _to_boolean, "A string, integer or boolean as a boolean; null for other strings."),
        ("toBooleanOrNull(value)", _lenient(_to_boolean), "As toBoolean, but null for any value it cannot read."),
        ("toFloat(value)", _to_float, "A number or string as a float; null for a string that is no number."),
        ("toFloatOrNull(value)", _lenient(_to_float), "As toFloat, but null for any value it cannot read."),
        ("toInteger(value)", _to_integer, "A number, boolean or string as an integer (floats are truncated)."),
        ("toIntegerOrNull(value)", _lenient(_to_integer), "As toInteger, but null for any value it cannot read."),
        ("type(relationship)", _unary("type", (RelRef,), lambda ctx, rel: _rel(ctx, rel).rel_type),
         "The type of a relationship."),
    ),
    *_scalars(
        "list",
        ("keys(entity)", _metadata_view("keys", list), "The property keys of a node or relationship, or a map's keys."),
        ("labels(node)", _unary("labels", (NodeRef,), lambda ctx, node: list(ctx.node(node).labels)),
         "The labels of a node."),
        ("nodes(path)", _unary("nodes", (PathRef,), lambda ctx, path: list(path.nodes)), "The nodes of a path."),
        ("range(start, end[, step])", _range, "The integers from start to end, both included, step apart (1)."),
        ("relationships(path)", _unary("relationships", (PathRef,), lambda ctx, path: list(path.rels)),
         "The relationships of a path."),
        ("reverse(value)", _reverse, "A list or a string in reverse order."),
        ("tail(list)", _unary("tail", (list,), lambda ctx, items: items[1:]), "A list without its first item."),
        ("toBooleanList(list)", _each("toBooleanList", _to_boolean), "Each item as toBooleanOrNull reads it."),
        ("toFloatList(list)", _each("toFloatList", _to_float), "Each item as toFloatOrNull reads it."),
        ("toIntegerList(list)", _each("toIntegerList", _to_integer), "Each item as toIntegerOrNull reads it."),
        ("toStringList(list)", _each("toStringList", _to_string), "Each item as toStringOrNull reads it."),
    ),
    *_scalars(
        "numeric",
        ("abs(value)", _abs, "The absolute value of a number."),
        ("ceil(value)", _rounding("ceil", math.ceil), "The smallest whole number not below a number, as a float."),
        ("floor(value)", _rounding("floor", math.floor), "The greatest whole number not above a number, as a float."),
        ("rand()", _rand, "A random float from 0.0 (included) to 1.0 (excluded)."),
        ("round(value[, precision[, mode]])", _round,
         "A number rounded to precision decimal places (0), halves up unless a mode such as 'HALF_EVEN' says."),
        ("sign(value)", _sign, "-1, 0 or 1 as a number is negative, zero or positive."),
    ),
    *_scalars(
        "logarithmic",
        ("e()", _constant(math.e), "Euler's number e."),
        ("exp(value)", _math("exp", math.exp), "e to the power of a number."),
        ("log(value)", _math("log", _log(math.log)), "The natural logarithm of a number."),
        ("log10(value)", _math("log10", _log(math.log10)), "The base-10 logarithm of a number."),
        ("sqrt(value)", _math("sqrt", _sqrt), "The square root of a number."),
    ),
    *_scalars(
        "trigonometric",
        ("acos(value)", _math("acos", math.acos), "The arccosine of a number, in radians."),
        ("asin(value)", _math("asin", math.asin), "The arcsine of a number, in radians."),
        ("atan(value)", _math("atan", math.atan), "The arctangent of a number, in radians."),
        ("atan2(y, x)", _atan2, "The angle of the point (x, y) from the x axis, in radians."),
        ("cos(value)", _math("cos", math.cos), "The cosine of an angle in radians."),
        ("cot(value)", _math("cot", lambda value: 1.0 / math.tan(value)), "The cotangent of an angle in radians."),
        ("degrees(value)", _math("degrees", math.degrees), "An angle in radians, in degrees."),
        ("haversin(value)", _math("haversin", lambda value: (1.0 - math.cos(value)) / 2.0),
         "Half the versine of an angle in radians."),
        ("pi()", _constant(math.pi), "The number pi."),
        ("radians(value)", _math("radians", math.radians), "An angle in degrees, in radians."),
        ("sin(value)", _math("sin", math.sin), "The sine of an angle in radians."),
        ("tan(value)", _math("tan", math.tan), "The tangent of an angle in radians."),
    ),
    *_scalars(
        "string",
        ("left(original, length)", _left, "The first length characters of a string."),
        ("ltrim(original)", _unary("ltrim", (str,), lambda ctx, text: text.lstrip(" \t\n\r")),
         "A string without its leading whitespace."),
        ("replace(original, search, replace)", _replace, "A string with every search replaced."),
        ("right(original, length)", _right, "The last length characters of a string."),
        ("rtrim(original)", _unary("rtrim", (str,), lambda ctx, text: text.rstrip(" \t\n\r")),
         "A string without its trailing whitespace."),
        ("split(original, delimiter)", _split, "The parts of a string between the delimiters, as a list."),
        ("substring(original, start[, length])", _substring,
         "The characters of a string from start (0-based), length of them or all the rest."),
        ("toLower(original)", _unary("toLower", (str,), lambda ctx, text: text.lower()), "A string in lower case."),
        ("toString(value)", _to_string, "A number, boolean, string or temporal value as a string."),
        ("toStringOrNull(value)", _lenient(_to_string), "As toString, but null for any value it cannot write."),
        ("toUpper(original)", _unary("toUpper", (str,), lambda ctx, text: text.upper()), "A string in upper case."),
        ("trim(original)", _unary("trim", (str,), lambda ctx, text: text.strip(" \t\n\r")),
         "A string without its leading and trailing whitespace."),
    ),
    *(
        entry
        for kind, what in _INSTANTS
        for entry in (
            _temporal(
                f"{kind}([value])",
                f"Make {what} from a string, a map of components or another temporal value; now by default.",
            ),
            _temporal(f"{kind}.realtime([timezone])", f"Now as {what}, read from the clock at this moment."),
            _temporal(f"{kind}.statement([timezone])", f"Now as {what}, as the statement's clock reads it."),
            _temporal(f"{kind}.transaction([timezone])", f"Now as {what}, as the transaction's clock reads it."),
            _temporal(
                f"{kind}.truncate(unit, value[, fields])",
                f"A temporal value cut down to the unit as {what}, with fields put in place.",
            ),
        )
    ),
    _temporal("datetime.fromEpoch(seconds, nanoseconds)", "The UTC date and time at seconds since the epoch."),
    _temporal("datetime.fromEpochMillis(milliseconds)", "The UTC date and time at milliseconds since the epoch."),
    _temporal("duration(value)", "Make a duration from a string such as 'P1DT2H' or a map of components."),
    _temporal("duration.between(from, to)", "The duration from one temporal value to another."),
    _temporal("duration.inDays(from, to)", "The duration between two temporal values, in whole days."),
    _temporal("duration.inMonths(from, to)", "The duration between two temporal values, in whole months."),
    _temporal("duration.inSeconds(from, to)", "The duration between two temporal values, in seconds."),
    *_scalars(
        "vector",
        ("vector.similarity.cosine(a, b)", lambda ctx, args: search.cosine(*args),
         "How alike two vectors' directions are, (1 + cosine) / 2 from 0 to 1, as a cosine vector index scores."),
        ("vector.similarity.euclidean(a, b)", lambda ctx, args: search.euclidean(*args),
         "How near two vectors are, 1 / (1 + squared distance) from 0 to 1, as a euclidean vector index scores."),
    ),
    *_scalars(
        "bfxdb",
        ("expression(node)", _unary("expression", (NodeRef,), _expression),
         "A substrate's expression as a map {type, code}, or null."),
        ("invoke(node, parameters)", _invoke,
         "Evaluate a substrate's expression in the sandbox with a map of parameters."),
        ("substrate_id(entity)", _unary("substrate_id", _ENTITY, lambda ctx, entity: format_id(entity.id)),
         "The identity of a node or relationship in hex form, as the HTTP API shows it."),
    ),
)

#: Every function a query may call, by lower-case name (Cypher's function names ignore case).
FUNCTIONS: dict[str, Function] = {function.name.lower(): function for function in CATALOGUE}

#: CPU seconds one ``=~`` may spend on one string. A match cannot check the query's deadline as it
#: goes, and a pattern that backtracks catastrophically (``(a|aa)+$``) would run for hours.
REGEX_SECONDS = 0.25


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern)


def regex_match(text: Any, pattern: Any) -> bool | None:
    """Apply ``=~``: the whole string must match the (Java-style) regular expression.

    :raises QueryArgumentError: for a pattern that is no regular expression.
    :raises QueryLimitExceeded: when one match takes more than REGEX_SECONDS.
    """
    if text is None or pattern is None:
        return None
    if type(text) is not str or type(pattern) is not str:
        return None
    try:
        return _compiled(pattern).fullmatch(text, timeout=REGEX_SECONDS) is not None
    except regex.error as error:
        raise QueryArgumentError(f"invalid regular expression: {error}", "InvalidArgumentValue") from None
    except TimeoutError:
        raise QueryLimitExceeded(
            f"the regular expression {pattern!r} took more than {REGEX_SECONDS:g} s on one string of "
            f"{len(text):,} characters (it backtracks too much: avoid nested repetition like (a|aa)+)",
            "RegexTimeLimit",
        ) from None
