"""A compiled expression: checked once, then invoked with parameters, its result checked to be JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bfxdb.errors import ExpressionError, ExpressionLimitExceeded

from . import limits
from .refusals import invocation_error
from .values import JSON_SCALARS, Evaluator, Parameters, type_name


class CompiledExpression:
    """An expression checked once at create time, ready to be invoked many times."""

    __slots__ = ("expression_type", "expression_code", "_function")

    def __init__(self, expression_type: str, expression_code: str, function: Evaluator) -> None:
        self.expression_type = expression_type
        self.expression_code = expression_code
        self._function = function

    def __repr__(self) -> str:
        code = self.expression_code if len(self.expression_code) <= 60 else self.expression_code[:57] + "..."
        return f"CompiledExpression({self.expression_type!r}, {code!r})"

    def invoke(self, parameters: Mapping[str, object] | None = None) -> object:
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
            raise invocation_error(exc) from exc
        if type(result) in JSON_SCALARS:
            return result
        return checked_result(result)


def _parameters_dict(parameters: object) -> Parameters:
    if parameters is None:
        return {}
    if isinstance(parameters, Mapping):
        return dict(parameters)
    raise ExpressionError(f"parameters must be a JSON object (a dict), not {type_name(parameters)}")


def checked_result(value: object) -> object:
    """Return a result if it is a JSON value within MAX_RESULT_SIZE.

    :param value: what an evaluator returned.
    :returns: the same value.
    :raises ExpressionError: it is not a JSON value (a float that is inf or nan, a key that is not a str, ...).
    :raises ExpressionLimitExceeded: it holds more than MAX_RESULT_SIZE values and characters.
    """
    if type(value) is float:
        if value - value == 0.0:  # false exactly for inf and nan
            return value
        raise ExpressionError(f"the result {value!r} is not a JSON number")
    limit = limits.MAX_RESULT_SIZE
    size = 0
    # Any: each item is dispatched on `kind`, its exact type read once (the loop is hot for big results);
    # mypy cannot carry that test over to the item.
    pending: list[Any] = [value]
    # Iterative, and stopped by the size limit, so deep or cyclic parameters passed through end too.
    while pending and size <= limit:
        item = pending.pop()
        kind = type(item)
        size += 1
        if kind is str:
            size += len(item)
        elif kind is list:
            size += len(item)
            if size <= limit:
                pending.extend(item)
        elif kind is dict:
            size += len(item)
            if size <= limit:
                for key, member in item.items():
                    if type(key) is not str:
                        raise ExpressionError(
                            f"the result has a dict key of type {type_name(key)}; JSON object keys are strings"
                        )
                    size += len(key)
                    pending.append(member)
        elif kind is float:
            if item - item != 0.0:
                raise ExpressionError(f"the result contains {item!r}, which is not a JSON number")
        elif kind not in JSON_SCALARS:
            raise ExpressionError(f"the result contains a {type_name(item)}, which is not a JSON value")
    if size > limit:
        raise ExpressionLimitExceeded(f"the result holds more than {limit:,} values and characters")
    return value
