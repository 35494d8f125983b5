"""How a sandboxed operation refuses its operands, and how its failures are worded for the user."""

from __future__ import annotations

from bfxdb.errors import BfxError, ExpressionError, ExpressionLimitExceeded

from .values import short


class Refusal(Exception):
    """An operation refused its operands.

    Operations raise it (or let Python raise one of OPERATION_ERRORS) without a position;
    the closure of the syntax node that ran them turns it into an ExpressionError that
    ends with "(line L, column C)", so it never leaves the sandbox.
    """

    error_class: type[ExpressionError] = ExpressionError


class LimitRefusal(Refusal):
    """An operation would pass a size, time or work limit."""

    error_class = ExpressionLimitExceeded


OPERATION_ERRORS = (Refusal, ArithmeticError, TypeError, ValueError, LookupError)
"""What an allowed operation may raise on bad operands: reported as the expression's own failure."""


def failure_text(exc: BaseException) -> str:
    """Word an operation's failure for the user.

    :param exc: one of OPERATION_ERRORS.
    :returns: the message, without a position.
    """
    if isinstance(exc, Refusal):
        return str(exc)
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, KeyError):
        return f"key {short(exc.args[0])} not found" if exc.args else "key not found"
    if isinstance(exc, IndexError):
        return str(exc) or "index out of range"
    if isinstance(exc, OverflowError):
        return f"number out of range: {exc}"
    if isinstance(exc, TypeError):
        return f"wrong type: {exc}"
    return f"invalid value: {exc}"


def located(exc: Exception, where: str) -> ExpressionError:
    """Turn an operation's failure into the error to raise, placed at a syntax node.

    :param exc: one of OPERATION_ERRORS.
    :param where: the node's position, "(line L, column C)".
    :returns: an ExpressionLimitExceeded for a limit, else an ExpressionError.
    """
    error_class = exc.error_class if isinstance(exc, Refusal) else ExpressionError
    return error_class(f"{failure_text(exc)} {where}")


def invocation_error(exc: Exception) -> ExpressionError:
    """Turn whatever escaped an evaluator into the error an invocation raises.

    :param exc: the exception, not an ExpressionError.
    :returns: the ExpressionError (or ExpressionLimitExceeded) to raise from it.
    """
    if isinstance(exc, RecursionError):
        return ExpressionLimitExceeded("the expression's data nests too deeply to evaluate")
    if isinstance(exc, MemoryError):
        return ExpressionLimitExceeded("the expression ran out of memory")
    if isinstance(exc, BfxError):
        return ExpressionError(exc.message, **exc.details)
    if isinstance(exc, OPERATION_ERRORS):
        return (exc.error_class if isinstance(exc, Refusal) else ExpressionError)(failure_text(exc))
    return ExpressionError(f"the expression failed: {type(exc).__name__}: {exc}")
