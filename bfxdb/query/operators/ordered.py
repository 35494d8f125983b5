"""ORDER BY a node's string property with LIMIT after a first MATCH: SQL orders and limits when that is exact."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..runtime import Context
from .read import MatchOp, ProjectionOp
from .read import _count_argument as count_argument


@dataclass(frozen=True, slots=True)
class OrderedLimit:
    """A first MATCH whose projection orders by ``variable.key`` ascending, with a LIMIT.

    SQL returns the first SKIP + LIMIT matches in that order (a property index serves it);
    the projection then orders, skips and limits those few rows as it would all of them.
    When SQL cannot show its rows are the first ones (see MatchPlan.run_ordered), every
    match goes to the projection.
    """

    match: MatchOp
    projection: ProjectionOp
    variable: str
    key: str

    @property
    def columns(self) -> tuple[str, ...]:
        """The projection's columns."""
        return self.projection.columns

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Order and limit in SQL when exact, else match everything and let the projection order."""
        incoming = list(rows)
        limit = count_argument(self.projection.limit, ctx, "LIMIT")
        if len(incoming) == 1 and limit is not None:
            count = (count_argument(self.projection.skip, ctx, "SKIP") or 0) + limit
            matches = self.match.plan.run_ordered(incoming[0], ctx, self.variable, self.key, count) if count else []
            if matches is not None:
                return self.projection.run(iter(matches), ctx)
        return self.projection.run(self.match.run(iter(incoming), ctx), ctx)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        plan = self.match.plan
        _, ordered = plan.render_ordered(plan.explain_kinds(), self.variable, self.key)
        return [
            f"OrderedLimit {self.variable}.{self.key} -> {', '.join(self.match.new)}",
            f"  SQL: {ordered}",
            "  Fallback: every match, ordered in Python, when a row has no string or a list or map there",
            *self.projection.describe(),
        ]
