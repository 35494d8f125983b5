"""Estimate how many rows a node pattern matches, from the statistics SQLite keeps, to choose where walks start."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..storage import Statistics

#: Selectivity of a property filter no index statistics describe, by operator: Neo4j's planner
#: defaults (equality 0.1, range 0.3, a property's presence 0.5).
DEFAULT_SELECTIVITY = {
    "=": 0.1,
    "IN": 0.1,
    "<": 0.3,
    "<=": 0.3,
    ">": 0.3,
    ">=": 0.3,
    "IS NULL": 0.5,
    "IS NOT NULL": 0.5,
}

#: A cached plan keeps its choice until the option it chose is estimated at more than this many
#: times the best option: the plan changes with the order of magnitude, not with every write.
REPLAN_FACTOR = 10.0


@dataclass(frozen=True, slots=True)
class NodeShape:
    """What restricts a node pattern, as the estimator reads it.

    ``bound``: its id is known (a bound variable or ``id(n) = x``). ``labels``: its labels.
    ``filters``: (key, op) of its property filters, op as a PropertyFilter's. ``across``: the
    node is the far end of one fixed hop from a node of that shape (an anchored seed).
    """

    bound: bool = False
    labels: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()
    across: NodeShape | None = None

    def rows(self, statistics: Statistics) -> float:
        """Estimate the rows matching the shape: 1 for an id; else the label's count (or all nodes)
        times each filter's selectivity (an indexed equality's rows per value over all nodes, or
        DEFAULT_SELECTIVITY); an anchored node is its anchor's estimate times the mean degree."""
        if self.across is not None:
            nodes = statistics.nodes()
            degree = statistics.relationships() / nodes if nodes else 0.0
            return self.across.rows(statistics) * degree
        if self.bound:
            return 1.0
        nodes = statistics.nodes()
        base = min(statistics.label(label) for label in self.labels) if self.labels else nodes
        rows = base
        for key, op in self.filters:
            per_value = statistics.rows_per_value(key) if op in ("=", "IN") else None
            if per_value is not None and nodes:
                rows *= min(per_value / nodes, 1.0)
            else:
                rows *= DEFAULT_SELECTIVITY.get(op, DEFAULT_SELECTIVITY["="])
        # a filter matches a whole row or none: no fewer than one row of a non-empty base
        return max(rows, min(base, 1.0))

    def describe(self) -> str:
        """Say in a few words what the estimate counts."""
        if self.across is not None:
            return f"the neighbours of ({self.across.describe()})"
        if self.bound:
            return "a bound id"
        words = [":" + ":".join(self.labels) if self.labels else "all nodes"]
        words.extend(f"{key} {op}" for key, op in self.filters)
        return ", ".join(words)


@dataclass(frozen=True, slots=True)
class Choice:
    """A choice made on estimates: the options (seeds) it weighed and the index of the one it took."""

    options: tuple[NodeShape, ...]
    chosen: int

    def holds(self, statistics: Statistics) -> bool:
        """Tell whether the chosen option is still within REPLAN_FACTOR of the best, on these statistics."""
        rows = [option.rows(statistics) for option in self.options]
        return rows[self.chosen] <= REPLAN_FACTOR * min(rows) or rows[self.chosen] <= 1.0


class Estimator:
    """Estimates from one store's statistics while a query is planned; records the choices made on them.

    The plan cache keeps the choices beside the plan (see ``choices_hold``), so a plan chosen on
    statistics that have since changed by an order of magnitude is planned again.
    """

    __slots__ = ("statistics", "explain", "choices")

    def __init__(self, statistics: Statistics, explain: bool = False) -> None:
        self.statistics = statistics
        #: also estimate every node of every pattern, for EXPLAIN and PROFILE to show
        self.explain = explain
        self.choices: list[Choice] = []

    def rows(self, shape: NodeShape) -> float:
        """Estimate the rows of a node shape."""
        return shape.rows(self.statistics)

    def record(self, options: Sequence[NodeShape], chosen: int) -> None:
        """Remember that ``options[chosen]`` was taken on these estimates."""
        if len(options) > 1:
            self.choices.append(Choice(tuple(options), chosen))


def choices_hold(choices: tuple[Choice, ...], statistics: Statistics) -> bool:
    """Tell whether every choice a cached plan made still holds on the current statistics."""
    return all(choice.holds(statistics) for choice in choices)


def format_rows(rows: float) -> str:
    """Write an estimate for EXPLAIN: ``~1 row``, ``~2,500 rows``."""
    rounded = max(round(rows), 0)
    return f"~{rounded:,} row{'' if rounded == 1 else 's'}"
