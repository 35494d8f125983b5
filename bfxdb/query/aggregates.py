"""Cypher's aggregate functions as accumulators: count, sum, avg, min, max, collect, stDev, percentiles."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..errors import QueryArgumentError
from .runtime import Context
from .values import FIXED_SIZES, bad_argument, check_int, estimate_size, group_key, is_number, order_key

#: The bytes one number kept by stDev or a percentile takes: the float and its list slot.
_NUMBER_SIZE = 32
#: A list slot, beside the item in it.
_SLOT = 8
#: How many collected bytes may wait before they are charged to the budget.
_BATCH = 64 * 1024


class Accumulator:
    """Base of the aggregate accumulators: feed values with add, read the result with result.

    Accumulators that keep their inputs charge them to the run's memory budget as they come.
    """

    __slots__ = ()

    def add(self, value: Any) -> None:
        """Take one input value (nulls arrive here too; most aggregates skip them)."""
        raise NotImplementedError

    def result(self) -> Any:
        """Return the aggregate of the values taken so far."""
        raise NotImplementedError


class Count(Accumulator):
    """count(x): the number of non-null values."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def add(self, value: Any) -> None:
        if value is not None:
            self.n += 1

    def result(self) -> Any:
        return self.n


class Sum(Accumulator):
    """sum(x): integers stay integers until a float arrives."""

    __slots__ = ("total",)

    def __init__(self) -> None:
        self.total: int | float = 0

    def add(self, value: Any) -> None:
        if value is None:
            return
        if not is_number(value):
            raise bad_argument("sum", value)
        self.total += value
        if type(self.total) is int:
            check_int(self.total)

    def result(self) -> Any:
        return self.total


class Avg(Accumulator):
    """avg(x): a float, or null without input."""

    __slots__ = ("total", "n")

    def __init__(self) -> None:
        self.total: float = 0.0
        self.n = 0

    def add(self, value: Any) -> None:
        if value is None:
            return
        if not is_number(value):
            raise bad_argument("avg", value)
        self.total += value
        self.n += 1

    def result(self) -> Any:
        return self.total / self.n if self.n else None


class Extreme(Accumulator):
    """min(x) / max(x) over Cypher's orderability, skipping nulls."""

    __slots__ = ("best", "best_key", "sign")

    def __init__(self, sign: int) -> None:
        self.best: Any = None
        self.best_key: Any = None
        self.sign = sign

    def add(self, value: Any) -> None:
        if value is None:
            return
        key = order_key(value)
        if self.best_key is None or (key < self.best_key if self.sign < 0 else key > self.best_key):
            self.best, self.best_key = value, key

    def result(self) -> Any:
        return self.best


class Collect(Accumulator):
    """collect(x): the non-null values in arrival order."""

    __slots__ = ("items", "ctx", "unpaid", "paid_items")

    def __init__(self, ctx: Context) -> None:
        self.items: list = []
        self.ctx = ctx
        #: bytes collected but not yet charged (charging in batches keeps each item cheap), and
        #: how many items were charged
        self.unpaid = 0
        self.paid_items = 0

    def add(self, value: Any) -> None:
        if value is not None:
            fixed = FIXED_SIZES.get(type(value))
            self.unpaid += _SLOT + (estimate_size(value) if fixed is None else fixed)
            self.items.append(value)
            if self.unpaid > _BATCH:
                self.ctx.hold(self.unpaid, len(self.items) - self.paid_items)
                self.unpaid, self.paid_items = 0, len(self.items)

    def result(self) -> Any:
        return self.items


class Deviation(Accumulator):
    """stDev(x) (sample) and stDevP(x) (population) over the numbers seen."""

    __slots__ = ("values", "population", "ctx")

    def __init__(self, ctx: Context, population: bool) -> None:
        self.values: list[float] = []
        self.population = population
        self.ctx = ctx

    def add(self, value: Any) -> None:
        if value is None:
            return
        if not is_number(value):
            raise bad_argument("stDev", value)
        self.ctx.hold(_NUMBER_SIZE)
        self.values.append(float(value))

    def result(self) -> Any:
        n = len(self.values)
        divisor = n if self.population else n - 1
        if divisor <= 0:
            return 0.0
        mean = sum(self.values) / n
        return math.sqrt(sum((v - mean) ** 2 for v in self.values) / divisor)


class Percentile(Accumulator):
    """percentileCont / percentileDisc: the percentile argument is read with the first value."""

    __slots__ = ("values", "percentile", "continuous", "ctx")

    def __init__(self, ctx: Context, continuous: bool) -> None:
        self.values: list[float] = []
        self.percentile: Any = None
        self.continuous = continuous
        self.ctx = ctx

    def add_with(self, value: Any, percentile: Any) -> None:
        """Take one value together with the percentile argument evaluated on the same row."""
        if percentile is not None and not is_number(percentile):
            raise bad_argument("percentile", percentile)
        if percentile is not None and not 0.0 <= percentile <= 1.0:
            raise QueryArgumentError(f"percentile {percentile} is not between 0 and 1", "NumberOutOfRange")
        self.percentile = percentile
        if value is None:
            return
        if not is_number(value):
            raise bad_argument("percentile", value)
        self.ctx.hold(_NUMBER_SIZE)
        self.values.append(value)

    def result(self) -> Any:
        if not self.values or self.percentile is None:
            return None
        ordered = sorted(self.values)
        n = len(ordered)
        p = float(self.percentile)
        if self.continuous:
            position = p * (n - 1)
            lower = math.floor(position)
            upper = math.ceil(position)
            if lower == upper:
                return float(ordered[lower])
            return float(ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower))
        index = max(0, math.ceil(p * n) - 1) if p > 0 else 0
        return ordered[index]


class Distinct(Accumulator):
    """Wrap an accumulator so that it sees each distinct non-null value once."""

    __slots__ = ("inner", "seen", "ctx")

    def __init__(self, inner: Accumulator, ctx: Context) -> None:
        self.inner = inner
        self.seen: set = set()
        self.ctx = ctx

    def add(self, value: Any) -> None:
        if value is None:
            return
        key = group_key(value)
        if key in self.seen:
            return
        self.ctx.hold(_SET_SLOT + estimate_size(value))
        self.seen.add(key)
        self.inner.add(value)

    def add_with(self, value: Any, percentile: Any) -> None:
        """Forward a percentile aggregate's two arguments, deduplicating on the value."""
        if value is not None:
            key = group_key(value)
            if key in self.seen:
                return
            self.ctx.hold(_SET_SLOT + estimate_size(value))
            self.seen.add(key)
        self.inner.add_with(value, percentile)  # type: ignore[attr-defined]

    def result(self) -> Any:
        return self.inner.result()


#: A set entry's share of the table: its hash, the key and the spare room sets keep.
_SET_SLOT = 40

#: Each aggregate's factory: the run in, a fresh accumulator out.
AGGREGATES: dict[str, Callable[[Context], Accumulator]] = {
    "count": lambda ctx: Count(),
    "sum": lambda ctx: Sum(),
    "avg": lambda ctx: Avg(),
    "min": lambda ctx: Extreme(-1),
    "max": lambda ctx: Extreme(1),
    "collect": Collect,
    "stdev": lambda ctx: Deviation(ctx, False),
    "stdevp": lambda ctx: Deviation(ctx, True),
    "percentilecont": lambda ctx: Percentile(ctx, True),
    "percentiledisc": lambda ctx: Percentile(ctx, False),
}

#: Aggregates whose result does not change when an input value is repeated.
DUPLICATE_INSENSITIVE = frozenset({"min", "max"})
