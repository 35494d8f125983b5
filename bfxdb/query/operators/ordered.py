"""ORDER BY a node's string property with LIMIT after a first MATCH: SQL orders and limits when that is exact."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ...errors import BfxError
from ..runtime import Context, StatementWatch
from .plan import to_output
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

    def direct(self, ctx: Context) -> list[tuple] | None:
        """Answer a query run outside a transaction from the one ordered SQL statement, or None when it needs more.

        The projection runs over the few rows SQL gave; should it need the store again (an
        entity not selected, a pattern in an expression), the answer is None, to be run again
        in a transaction, so what it returns was read from one snapshot. In a transaction the
        answer is always None: run() does the same work, with its fallback, without repeating SQL.
        """
        if not ctx.outside_transaction:
            return None
        projection = self.projection
        limit = count_argument(projection.limit, ctx, "LIMIT")
        if limit is None:
            return None
        count = (count_argument(projection.skip, ctx, "SKIP") or 0) + limit
        matches = self.match.plan.run_ordered({}, ctx, self.variable, self.key, count) if count else []
        if matches is None:
            return None
        store = ctx.store
        watch = ctx.store = StatementWatch(store)
        columns = projection.columns
        try:
            rows = [tuple([to_output(row[c], ctx) for c in columns]) for row in projection.run(iter(matches), ctx)]
        except BfxError:
            if watch.used:
                return None
            raise
        finally:
            ctx.store = store
        return None if watch.used else rows

    def stream_direct(self, ctx: Context) -> Iterator[tuple] | None:
        """The rows of direct(), as an iterator."""
        rows = self.direct(ctx)
        return None if rows is None else iter(rows)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        plan = self.match.plan
        ordered = plan.render_ordered(plan.explain_kinds(), self.variable, self.key)
        return [
            f"OrderedLimit {self.variable}.{self.key} -> {', '.join(self.match.new)}",
            f"  SQL: {ordered}",
            "  Fallback: every match, ordered in Python, when a row has no string or a list or map there",
            *self.projection.describe(),
        ]
