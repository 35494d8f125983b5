"""The sandbox's limits, and the meter holding an invocation to its work and time budget."""

from __future__ import annotations

import threading
import time
from typing import Any

from bfxdb.errors import ExpressionLimitExceeded

from .refusals import LimitRefusal
from .values import Evaluator, Parameters

# Every check reads the limits from this module, so setting one (e.g.
# bfxdb.sandbox.limits.TIME_BUDGET_SECONDS = 0.5) takes effect at once for the
# run-time limits, and for the expressions compiled afterwards for compile-time ones.

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

# Operations touching fewer items than this are not charged to the meter: the
# code-length limit already bounds how many of them one expression holds.
_CHARGE_MINIMUM = 1024


class _Meter:
    """The work units and the time one invocation has left."""

    __slots__ = ("units_left", "deadline")

    def __init__(self) -> None:
        self.units_left = MAX_WORK_UNITS
        self.deadline = time.monotonic() + TIME_BUDGET_SECONDS

    def charge(self, units: int) -> None:
        self.units_left -= units
        if self.units_left < 0:
            raise LimitRefusal(f"the invocation touched more than {MAX_WORK_UNITS:,} items and characters")
        if time.monotonic() > self.deadline:
            raise LimitRefusal(f"the invocation ran longer than its {TIME_BUDGET_SECONDS:g} s time budget")


class _MeterState(threading.local):
    meter: _Meter | None = None


_state = _MeterState()


def metered(function: Evaluator) -> Evaluator:
    """Wrap an evaluator so each call runs with a fresh meter on its thread.

    :param function: the evaluator to bound.
    :returns: an evaluator doing the same within MAX_WORK_UNITS and TIME_BUDGET_SECONDS.
    """

    def run(parameters: Parameters) -> object:
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


def account(size: int, what: str) -> None:
    """Refuse an operation over MAX_SEQUENCE_LENGTH items and charge big ones to the meter.

    :param size: how many items or characters the operation touches or makes.
    :param what: the value it concerns, for the message, e.g. "the concatenation".
    :raises LimitRefusal: the size is over the limit, or the invocation's budget is spent.
    """
    if size > MAX_SEQUENCE_LENGTH:
        raise LimitRefusal(f"{what} has {size:,} items or characters; the limit is {MAX_SEQUENCE_LENGTH:,}")
    if size >= _CHARGE_MINIMUM:
        meter = _state.meter
        if meter is not None:
            meter.charge(size)


def deep_size(value: object, limit: int) -> int:
    """Count the items and characters inside a value, stopping soon after the count passes limit.

    :param value: a value of the expression's; lists and dicts are entered, other values count nothing.
    :param limit: the count past which counting may stop.
    :returns: the count, or a number over limit.
    """
    total = 0
    # Any: each item is dispatched on `kind`, its exact type read once; mypy cannot carry that over to the item.
    pending: list[Any] = [value]
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
