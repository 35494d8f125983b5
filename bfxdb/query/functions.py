"""Cypher's built-in scalar functions, looked up by lower-case name, and the regex operator."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from typing import Any

from ..errors import QueryArgumentError, QueryTypeError
from ..identity import format_id
from .runtime import Context
from .temporal import TEMPORAL_FUNCTIONS, TEMPORAL_TYPES
from .values import (
    INT_MAX,
    INT_MIN,
    NodeRef,
    PathRef,
    RelRef,
    check_int,
    check_size,
    format_number,
    is_number,
    to_input,
    type_name,
)

Function = Callable[[Context, list], Any]


def bad_argument(name: str, value: Any) -> QueryTypeError:
    """Build the error for a function called with a value of the wrong type."""
    return QueryTypeError(f"{name}() cannot take {type_name(value)}", "InvalidArgumentValue")


def _unary(name: str, kinds: tuple[type, ...], operation: Callable[[Context, Any], Any]) -> Function:
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
    if node.expression_code is None:
        raise QueryArgumentError(f"substrate {node.substrate_id} has no expression", "InvalidArgumentValue")
    from .. import expressions  # imported late: the sandbox imports this package for "cypher"

    compiled = expressions.compile_expression(node.expression_type, node.expression_code)
    return to_input(compiled.invoke(parameters))


def _metadata_view(name: str, convert: Callable[[dict], Any]) -> Function:
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
    ctx.tick(count)
    return list(range(start, end + (1 if step > 0 else -1), step))


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
        return check_int(int(value))
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


def _lenient(function: Callable[..., Any]) -> Function:
    def call(ctx: Context, args: list) -> Any:
        return function(ctx, args, strict=False)

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
    return args[0].replace(args[1], args[2])


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
    if separator == "":
        return list(text)
    return text.split(separator)


# ---------------------------------------------------------------- maths


def _math(name: str, operation: Callable[[float], float]) -> Function:
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


def _rounding(name: str, operation: Callable[[float], float]) -> Function:
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
    precision = args[1]
    _check_int("round", precision)
    scale = 10.0**precision
    return _round_half_up(value * scale) / scale


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


def _constant(value: float) -> Function:
    def call(ctx: Context, args: list) -> Any:
        return value

    return call


def _rand(ctx: Context, args: list) -> Any:
    return random.random()


FUNCTIONS: dict[str, Function] = {
    "id": _unary("id", _ENTITY, lambda ctx, entity: entity.id),
    "substrate_id": _unary("substrate_id", _ENTITY, lambda ctx, entity: format_id(entity.id)),
    "expression": _unary("expression", (NodeRef,), _expression),
    "invoke": _invoke,
    "labels": _unary("labels", (NodeRef,), lambda ctx, node: list(ctx.node(node).labels)),
    "type": _unary("type", (RelRef,), lambda ctx, rel: _rel(ctx, rel).rel_type),
    "properties": _metadata_view("properties", dict),
    "keys": _metadata_view("keys", list),
    "startnode": _unary("startNode", (RelRef,), lambda ctx, rel: NodeRef(_rel(ctx, rel).source)),
    "endnode": _unary("endNode", (RelRef,), lambda ctx, rel: NodeRef(_rel(ctx, rel).target)),
    "nodes": _unary("nodes", (PathRef,), lambda ctx, path: list(path.nodes)),
    "relationships": _unary("relationships", (PathRef,), lambda ctx, path: list(path.rels)),
    "length": _length,
    "size": _size,
    "head": _unary("head", (list,), lambda ctx, items: items[0] if items else None),
    "last": _unary("last", (list,), lambda ctx, items: items[-1] if items else None),
    "tail": _unary("tail", (list,), lambda ctx, items: items[1:]),
    "range": _range,
    "reverse": _reverse,
    "coalesce": _coalesce,
    "toboolean": _to_boolean,
    "tobooleanornull": _lenient(_to_boolean),
    "tointeger": _to_integer,
    "tointegerornull": _lenient(_to_integer),
    "tofloat": _to_float,
    "tofloatornull": _lenient(_to_float),
    "tostring": _to_string,
    "tostringornull": _lenient(_to_string),
    "toupper": _unary("toUpper", (str,), lambda ctx, text: text.upper()),
    "tolower": _unary("toLower", (str,), lambda ctx, text: text.lower()),
    "trim": _unary("trim", (str,), lambda ctx, text: text.strip(" \t\n\r")),
    "ltrim": _unary("ltrim", (str,), lambda ctx, text: text.lstrip(" \t\n\r")),
    "rtrim": _unary("rtrim", (str,), lambda ctx, text: text.rstrip(" \t\n\r")),
    "replace": _replace,
    "substring": _substring,
    "left": _left,
    "right": _right,
    "split": _split,
    "abs": _abs,
    "ceil": _rounding("ceil", math.ceil),
    "floor": _rounding("floor", math.floor),
    "round": _round,
    "sign": _sign,
    "sqrt": _math("sqrt", _sqrt),
    "exp": _math("exp", math.exp),
    "log": _math("log", _log(math.log)),
    "log10": _math("log10", _log(math.log10)),
    "sin": _math("sin", math.sin),
    "cos": _math("cos", math.cos),
    "tan": _math("tan", math.tan),
    "asin": _math("asin", math.asin),
    "acos": _math("acos", math.acos),
    "atan": _math("atan", math.atan),
    "cot": _math("cot", lambda value: 1.0 / math.tan(value)),
    "atan2": _atan2,
    "degrees": _math("degrees", math.degrees),
    "radians": _math("radians", math.radians),
    "haversin": _math("haversin", lambda value: (1.0 - math.cos(value)) / 2.0),
    "e": _constant(math.e),
    "pi": _constant(math.pi),
    "rand": _rand,
    **TEMPORAL_FUNCTIONS,
}

def regex_match(text: Any, pattern: Any) -> bool | None:
    """Apply ``=~``: the whole string must match the (Java-style) regular expression."""
    if text is None or pattern is None:
        return None
    if type(text) is not str or type(pattern) is not str:
        return None
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error as error:
        raise QueryArgumentError(f"invalid regular expression: {error}", "InvalidArgumentValue") from None

