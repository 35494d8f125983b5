"""ORDER BY a node's string property with LIMIT after a first MATCH: SQL orders and limits when that is exact."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from ...errors import BfxError
from ..dialect import FixedPage
from ..runtime import Context, StatementWatch
from ..sqlplan import EXPLAINED_DIALECT
from .plan import to_output
from .read import MatchOp, ProjectionOp, fixed_page
from .read import _count_argument as count_argument


@dataclass(frozen=True, slots=True)
class OrderedLimit:
    """A first MATCH whose projection orders by ``variable.key`` ascending, with a LIMIT.

    SQL returns the LIMIT matches after SKIP in that order (a property index serves it), and
    the projection projects them as they come (``rest``: no ORDER BY, SKIP or LIMIT left), for
    SQL's order of strings is Cypher's. When SQL cannot show its rows are the first ones (see
    MatchPlan.run_ordered), every match goes to the whole projection.
    """

    match: MatchOp
    projection: ProjectionOp
    variable: str
    key: str
    #: for a RETURN of entities, ids or properties: per column (decoder, first SQL column), as
    #: DirectReturn's, and the select list they index into (None: the pattern's own)
    outputs: tuple[tuple[Callable[[tuple, int], Any], int], ...] | None = None
    select: str | None = None
    rest: ProjectionOp = field(init=False)
    #: the page the query writes as integers (see fixed_page), known once the plan is made
    fixed: FixedPage | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rest", replace(self.projection, order=(), skip=None, limit=None))
        object.__setattr__(self, "fixed", fixed_page(self.projection))

    @property
    def columns(self) -> tuple[str, ...]:
        """The projection's columns."""
        return self.projection.columns

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Order and limit in SQL when exact, else match everything and let the projection order."""
        incoming = list(rows)
        if len(incoming) == 1:
            matches = self._ordered(incoming[0], ctx)
            if matches is not None:
                return self.rest.run(iter(matches), ctx)
        return self.projection.run(self.match.run(iter(incoming), ctx), ctx)

    def _ordered(self, row: dict, ctx: Context) -> list[dict] | None:
        """The matches SKIP and LIMIT leave, in order, from SQL; None when SQL cannot show they are those."""
        projection = self.projection
        limit = count_argument(projection.limit, ctx, "LIMIT")
        skip = count_argument(projection.skip, ctx, "SKIP") or 0
        if limit is None:
            return None
        if not limit:
            return []
        return self.match.plan.run_ordered(row, ctx, self.variable, self.key, limit, skip, self.fixed is not None)

    def direct(self, ctx: Context) -> list[tuple] | None:
        """Answer a query run outside a transaction from the one ordered SQL statement, or None when it needs more.

        The projection runs over the few rows SQL gave; should it need the store again (an
        entity not selected, a pattern in an expression), the answer is None, to be run again
        in a transaction, so what it returns was read from one snapshot. In a transaction the
        answer is always None: run() does the same work, with its fallback, without repeating SQL.
        """
        if not ctx.outside_transaction:
            return None
        outputs = self.outputs
        if outputs is not None:
            # the result rows straight from SQL's: nothing else to read, nothing to project
            limit = count_argument(self.projection.limit, ctx, "LIMIT")
            skip = count_argument(self.projection.skip, ctx, "SKIP") or 0
            if not limit:
                return None if limit is None else []
            sql_rows = self.match.plan.ordered_rows(
                {}, ctx, self.variable, self.key, limit, skip, self.select, self.fixed
            )
            if sql_rows is None:
                return None
            return [tuple([decode(sql_row, column) for decode, column in outputs]) for sql_row in sql_rows]
        matches = self._ordered({}, ctx)
        if matches is None:
            return None
        store = ctx.store
        watch = ctx.store = StatementWatch(store)
        columns = self.rest.columns
        try:
            rows = [tuple([to_output(row[c], ctx) for c in columns]) for row in self.rest.run(iter(matches), ctx)]
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
        kinds, dialect = plan.explain_kinds(), EXPLAINED_DIALECT.get()
        ordered = plan.render_ordered(kinds, self.variable, self.key, self.select, dialect, self.fixed)
        return [
            f"OrderedLimit {self.variable}.{self.key} -> {', '.join(self.match.new)}",
            f"  SQL: {ordered}",
            "  Fallback: every match, ordered in Python, when a row has no string or a list or map there",
            *self.projection.describe(),
        ]
