"""The constant expression type: a JSON literal, returned whatever the parameters."""

from __future__ import annotations

import json
from typing import NoReturn

from bfxdb.errors import ExpressionRejected

from .values import CONTAINERS, Evaluator, Parameters


def compile_constant(code: str) -> Evaluator:
    """Compile a JSON literal into a function that ignores its parameters and returns it.

    :param code: the JSON text, e.g. ``{"a": [1, 2]}``.
    :returns: the evaluator; a list or dict comes back as a fresh copy each time.
    :raises ExpressionRejected: the text is not JSON, or holds NaN, an infinity or a float out of range.
    """
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
    if type(value) in CONTAINERS:

        def fresh_copy(parameters: Parameters) -> object:
            # A new copy each time: a caller may change the list or dict it is given.
            return json.loads(code)

        return fresh_copy

    def constant(parameters: Parameters) -> object:
        return value

    return constant


def _finite_float(text: str) -> float:
    value = float(text)
    if value - value != 0.0:
        raise ValueError(f"the number {text} is too large for a float")
    return value


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON value")
