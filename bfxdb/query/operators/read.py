"""The reading operators: MATCH, UNWIND, WITH / RETURN, the counts and rows SQL answers alone; CREATE / DROP INDEX."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any, ClassVar

from ...errors import QueryArgumentError, QuerySyntaxError
from ...identity import to_unsigned
from ...storage import is_simple_key
from ..aggregates import Accumulator, Distinct
from ..dialect import SHORT_PAGE, FixedPage
from ..runtime import Context, row_size
from ..sqlplan import EXPLAINED_DIALECT, PAGE_LIMIT, PAGE_OFFSET, MatchPlan, stored_properties
from ..values import Descending, estimate_size, group_key, order_key

Evaluator = Callable[[dict, Context], Any]


# ---------------------------------------------------------------- reading operators


@dataclass(frozen=True, slots=True)
class MatchOp:
    """MATCH / OPTIONAL MATCH: one SQL query per incoming row, then the residual WHERE."""

    plan: MatchPlan
    optional: bool
    where: Evaluator | None
    new: tuple[str, ...]

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Extend each row with every match of the pattern (or nulls, when optional), as they are pulled."""
        plan, where = self.plan, self.where
        for row in rows:
            matched = False
            for match in plan.iterate(row, ctx):
                if where is None or where(match, ctx) is True:
                    matched = True
                    yield match
            if not matched and self.optional:
                extended = row.copy()
                for name in self.new:
                    extended[name] = None
                yield extended

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        head = "OptionalMatch" if self.optional else "Match"
        lines = [f"{head} -> {', '.join(self.new) or '(no new variables)'}", f"  SQL: {self.plan.explain()}"]
        if self.where is not None:
            lines.append("  Filter: residual WHERE evaluated in Python")
        return lines


@dataclass(frozen=True, slots=True)
class UnwindOp:
    """UNWIND: one row per list element."""

    expression: Evaluator
    variable: str

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Expand each row by the elements of the evaluated list (null gives no rows)."""
        variable = self.variable
        tick = ctx.tick
        for row in rows:
            value = self.expression(row, ctx)
            if value is None:
                continue
            items = value if type(value) is list else [value]
            tick(len(items) + 1)
            for item in items:
                new = row.copy()
                new[variable] = item
                yield new

    def count(self, rows: Iterator[dict], ctx: Context) -> tuple[dict | None, int]:
        """Count the rows run() would yield without building them: (the first of them, or None; how many).

        The lists are evaluated as for run(), and the work is ticked alike.
        """
        variable = self.variable
        tick = ctx.tick
        first = None
        count = 0
        for row in rows:
            value = self.expression(row, ctx)
            if value is None:
                continue
            size = len(value) if type(value) is list else 1
            tick(size + 1)
            if first is None and size:
                first = row.copy()
                first[variable] = value[0] if type(value) is list else value
            count += size
        return first, count

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        return [f"Unwind -> {self.variable}"]


@dataclass(frozen=True, slots=True)
class CountedUnwind:
    """UNWIND feeding a projection that only counts rows (``count(*)``, no grouping key): no row is built.

    The count is the sum of the unwound lists' lengths, what counting the rows one by one gives.
    """

    unwind: UnwindOp
    projection: ProjectionOp

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Count what the UNWIND would yield and give the projection that count."""
        return self.projection.run_count(lambda: self.unwind.count(rows, ctx), ctx)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        return [*self.unwind.describe(), "  Counted: the rows are counted, not built", *self.projection.describe()]


def fuse_counts(ops: list) -> tuple:
    """Join each UNWIND with a following projection that only counts rows into one CountedUnwind."""
    fused: list = []
    for op in ops:
        if isinstance(op, ProjectionOp) and op.counts_only and fused and type(fused[-1]) is UnwindOp:
            fused[-1] = CountedUnwind(fused[-1], op)
        else:
            fused.append(op)
    return tuple(fused)


@dataclass(frozen=True, slots=True)
class AggregateSpec:
    """One aggregate call of a projection: its result goes to the synthetic variable ``name``."""

    name: str
    function: str
    accumulator: Callable[[Context], Accumulator]
    args: tuple[Evaluator, ...]
    distinct: bool
    star: bool


def _new_accumulator(spec: AggregateSpec, ctx: Context) -> Accumulator:
    accumulator = spec.accumulator(ctx)
    return Distinct(accumulator, ctx) if spec.distinct else accumulator


@dataclass(frozen=True, slots=True)
class ProjectionOp:
    """WITH / RETURN: project, aggregate, DISTINCT, ORDER BY, SKIP, LIMIT, then WITH's WHERE.

    ``values`` gives each column's evaluator over the aggregated row, or None for a grouping key
    (whose value ``keys`` computed); ``aggregates`` is None when the projection does not aggregate.
    """

    columns: tuple[str, ...]
    keys: tuple[tuple[str, Evaluator], ...]
    values: tuple[tuple[str, Evaluator | None], ...]
    aggregates: tuple[AggregateSpec, ...] | None
    distinct: bool
    order: tuple[tuple[Evaluator, bool], ...]
    skip: Evaluator | None
    limit: Evaluator | None
    where: Evaluator | None
    final: bool
    #: nothing but the keys to compute: the common case, taken first in run()
    plain: bool = field(init=False)
    #: one group whose aggregates are all count(*): how many rows there are is all it reads of them
    counts_only: bool = field(init=False)

    def __post_init__(self) -> None:
        plain = not (
            self.aggregates is not None or self.distinct or self.order or self.skip or self.limit or self.where
        )
        object.__setattr__(self, "plain", plain)
        counts_only = (
            self.aggregates is not None
            and not self.keys
            and all(spec.star and not spec.distinct for spec in self.aggregates)
        )
        object.__setattr__(self, "counts_only", counts_only)

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Project the rows; yields dicts of the projected columns.

        Rows stream through, but for aggregation (whose groups need every row) and ORDER BY
        (which keeps every row, or only the first SKIP + LIMIT ones when there is a LIMIT).
        """
        if self.plain:
            keys = self.keys
            tick = ctx.tick
            for row in rows:
                tick()
                yield {column: evaluator(row, ctx) for column, evaluator in keys}
            return
        skip, stop = self._page(ctx)
        pairs: Iterator[tuple[dict, dict]]
        if self.aggregates is not None:
            pairs = iter(self._aggregate(rows, ctx, self.aggregates))
        else:
            pairs = self._project(rows, ctx)
        yield from self._finish(pairs, ctx, skip, stop)

    def run_count(self, count: Callable[[], tuple[dict | None, int]], ctx: Context) -> Iterator[dict]:
        """Run a projection that only counts (see counts_only) on ``count()``: (the first row or None, how many)."""
        skip, stop = self._page(ctx)
        first, rows = count()
        yield from self._finish(iter((self._count_group(first, rows, ctx),)), ctx, skip, stop)

    def _page(self, ctx: Context) -> tuple[int, int | None]:
        """SKIP and where the rows stop (SKIP + LIMIT, or None), checked before any row is read."""
        skip = _count_argument(self.skip, ctx, "SKIP") or 0
        limit = _count_argument(self.limit, ctx, "LIMIT")
        return skip, None if limit is None else skip + limit

    def _finish(
        self, pairs: Iterator[tuple[dict, dict]], ctx: Context, skip: int, stop: int | None
    ) -> Iterator[dict]:
        """DISTINCT, ORDER BY, SKIP, LIMIT and WITH's WHERE over the projected (row, scope) pairs."""
        if self.distinct:
            pairs = self._distinct(pairs, ctx)
        if self.order:
            pairs = iter(self._sort(pairs, ctx, stop))
        if skip or stop is not None:
            pairs = islice(pairs, skip, stop)
        if self.where is None:
            for projected, _ in pairs:
                yield projected
            return
        # WITH ... WHERE also sees the variables bound before the WITH
        where = self.where
        for projected, scope in pairs:
            merged = scope.copy()
            merged.update(projected)
            if where(merged, ctx) is True:
                yield projected

    def _project(self, rows: Iterator[dict], ctx: Context) -> Iterator[tuple[dict, dict]]:
        keys = self.keys
        tick = ctx.tick
        for row in rows:
            tick()
            yield {column: evaluator(row, ctx) for column, evaluator in keys}, row

    def _distinct(self, pairs: Iterator[tuple[dict, dict]], ctx: Context) -> Iterator[tuple[dict, dict]]:
        """Pass on the first pair of each distinct projection, keeping only the keys seen (charged to the budget)."""
        seen = set()
        columns = self.columns
        for projected, scope in pairs:
            key = tuple(group_key(projected[column]) for column in columns)
            if key not in seen:
                ctx.hold(estimate_size(key))
                seen.add(key)
                yield projected, scope

    def _aggregate(
        self, rows: Iterator[dict], ctx: Context, specs: tuple[AggregateSpec, ...]
    ) -> list[tuple[dict, dict]]:
        """Consume every row into one accumulator set per group; state grows with groups, not rows."""
        keys = self.keys
        if not keys:
            return [self._aggregate_all(rows, ctx, specs)]
        tick = ctx.tick
        groups: dict[tuple, tuple[dict, dict, list]] = {}
        for row in rows:
            tick()
            key_values = {column: evaluator(row, ctx) for column, evaluator in keys}
            group = tuple(group_key(value) for value in key_values.values())
            entry = groups.get(group)
            if entry is None:
                ctx.hold(row_size(key_values) + estimate_size(group) + _GROUP_SIZE)
                entry = groups[group] = (key_values, row, [_new_accumulator(spec, ctx) for spec in specs])
            for spec, accumulator in zip(specs, entry[2]):
                _feed(spec, accumulator, row, ctx)
        pairs = []
        for key_values, first, accumulators in groups.values():
            scope = first.copy()
            for spec, accumulator in zip(specs, accumulators):
                scope[spec.name] = accumulator.result()
            pairs.append(self._project_group(key_values, scope, ctx))
        return pairs

    def _aggregate_all(
        self, rows: Iterator[dict], ctx: Context, specs: tuple[AggregateSpec, ...]
    ) -> tuple[dict, dict]:
        """Aggregate without grouping keys: one group, even of no rows, and count(*) only counts."""
        first = next(rows, None)
        scope = {} if first is None else first.copy()
        fed = [(spec, _new_accumulator(spec, ctx)) for spec in specs if not spec.star or spec.distinct]
        count = 0
        if first is not None and fed:
            tick = ctx.tick
            for row in chain((first,), rows):
                tick()
                count += 1
                for spec, accumulator in fed:
                    _feed(spec, accumulator, row, ctx)
        elif first is not None:
            # the operators upstream have ticked for these rows
            return self._count_group(first, 1 + sum(1 for _ in rows), ctx)
        results = {spec.name: accumulator.result() for spec, accumulator in fed}
        for spec in specs:
            scope[spec.name] = results[spec.name] if spec.name in results else count
        return self._project_group({}, scope, ctx)

    def _count_group(self, first: dict | None, count: int, ctx: Context) -> tuple[dict, dict]:
        """The one group of a projection whose aggregates are all count(*), from its first row and row count."""
        scope = {} if first is None else first.copy()
        for spec in self.aggregates or ():
            scope[spec.name] = count
        return self._project_group({}, scope, ctx)

    def _project_group(self, key_values: dict, scope: dict, ctx: Context) -> tuple[dict, dict]:
        """Project one group's columns from its keys and its scope (holding the aggregates' results)."""
        projected = {}
        for column, evaluator in self.values:
            projected[column] = key_values[column] if evaluator is None else evaluator(scope, ctx)
        return projected, scope

    def _sort(self, pairs: Iterator[tuple[dict, dict]], ctx: Context, stop: int | None) -> list[tuple[dict, dict]]:
        """Sort the pairs, stably; with ``stop``, keep only the first ``stop`` (a heap of that size)."""
        order = self.order
        tick = ctx.tick

        def sort_key(pair: tuple[dict, dict]) -> tuple:
            tick()
            projected, scope = pair
            merged = scope.copy()
            merged.update(projected)
            return tuple(
                Descending(order_key(evaluator(merged, ctx))) if descending else order_key(evaluator(merged, ctx))
                for evaluator, descending in order
            )

        if stop is None:
            return sorted(ctx.buffer(pairs, _pair_size), key=sort_key)
        if stop == 0:
            return []
        # nsmallest is documented as sorted(...)[:stop], ties in input order included
        return heapq.nsmallest(stop, pairs, key=sort_key)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        head = "Return" if self.final else "With"
        extras = []
        if self.aggregates is not None:
            extras.append(f"aggregate {', '.join(spec.function for spec in self.aggregates)}")
        if self.distinct:
            extras.append("distinct")
        if self.order:
            extras.append("order by")
        if self.skip is not None:
            extras.append("skip")
        if self.limit is not None:
            extras.append("limit")
        if self.where is not None:
            extras.append("where")
        suffix = f" ({'; '.join(extras)})" if extras else ""
        return [f"{head} {', '.join(self.columns)}{suffix}"]


#: The bytes a sort buffer's (projected, scope) pair adds beside its two rows: the pair and its sort key.
_PAIR_SIZE = 120
#: The bytes a group adds beside its key values: its entry, the dict slot and its accumulators' list.
_GROUP_SIZE = 200


def _pair_size(pair: tuple[dict, dict]) -> int:
    return _PAIR_SIZE + row_size(pair[0]) + row_size(pair[1])


def _feed(spec: AggregateSpec, accumulator: Any, row: dict, ctx: Context) -> None:
    """Give one row's argument values to an aggregate's accumulator (percentiles take two, by add_with)."""
    if spec.star:
        accumulator.add(True)
    elif spec.function.startswith("percentile"):
        accumulator.add_with(spec.args[0](row, ctx), spec.args[1](row, ctx))
    else:
        accumulator.add(spec.args[0](row, ctx))


@dataclass(frozen=True, slots=True)
class LiteralCount:
    """The evaluator of a SKIP or LIMIT the query writes as a non-negative integer: its SQL may hold the number."""

    value: int

    def __call__(self, row: dict, ctx: Context) -> int:
        return self.value


def fixed_page(projection: ProjectionOp) -> FixedPage | None:
    """The (LIMIT, OFFSET) of a projection whose SKIP and LIMIT are each absent or an integer literal, else None.

    LIMIT -1 is none, as the page parameters have it (see Dialect.page).
    """
    skip, limit = projection.skip, projection.limit
    if (skip is None or type(skip) is LiteralCount) and (limit is None or type(limit) is LiteralCount):
        return (-1 if limit is None else limit.value, 0 if skip is None else skip.value)
    return None


def _count_argument(evaluator: Evaluator | None, ctx: Context, clause: str) -> int | None:
    if evaluator is None:
        return None
    value = evaluator({}, ctx)
    if type(value) is not int:
        raise QuerySyntaxError(f"{clause} needs an integer, got {value!r}", "InvalidArgumentType")
    if value < 0:
        raise QuerySyntaxError(f"{clause} must not be negative, got {value}", "NegativeIntegerArgument")
    return value


@dataclass(frozen=True, slots=True)
class CountPushdown:
    """A first MATCH whose only consumer counts: SQL computes the counts in one statement.

    ``counts`` has one (variable, or None for ``count(*)``; distinct) pair per column.
    """

    match: MatchOp
    counts: tuple[tuple[str | None, bool], ...]
    columns: tuple[str, ...]
    fallback: ProjectionOp

    def direct(self, ctx: Context) -> list[tuple] | None:
        """Answer a whole query with one SQL statement, or None when Python must check rows."""
        values = self.match.plan.run_counts({}, ctx, self.counts)
        return None if values is None else [tuple(values)]

    def stream_direct(self, ctx: Context) -> Iterator[tuple] | None:
        """The rows of direct(), as an iterator."""
        rows = self.direct(ctx)
        return None if rows is None else iter(rows)

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Count in SQL; fall back to matching and aggregating when a check must run in Python."""
        incoming = list(rows)
        if len(incoming) == 1:
            values = self.match.plan.run_counts(incoming[0], ctx, self.counts)
            if values is not None:
                yield dict(zip(self.columns, values))
                return
        yield from self.fallback.run(self.match.run(iter(incoming), ctx), ctx)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        select = ", ".join(
            "count(*)" if name is None else f"count({'DISTINCT ' if distinct else ''}{name})"
            for name, distinct in self.counts
        )
        return [
            f"CountInSql {select} -> {', '.join(self.columns)}",
            f"  SQL: {self.match.plan.explain()}",
        ]


@dataclass(frozen=True, slots=True)
class DirectReturn:
    """A first MATCH feeding a plain RETURN of entities, ids or properties, with SKIP / LIMIT: SQL rows are result rows.

    Every SQL row of the pattern is one match (uniqueness is checked in SQL) and the RETURN
    neither filters, orders nor merges rows, so SKIP and LIMIT go into the SQL as OFFSET and
    LIMIT whenever no check has to run in Python (else the general path runs). ``select`` is
    the select list the output columns index into: only the columns they read, or None for
    the pattern's own (whole entities, or a DISTINCT that its select list defines).
    """

    match: MatchOp
    projection: ProjectionOp
    outputs: tuple[tuple[Callable[[tuple, int], Any], int], ...]  # per column: (decoder, first SQL column)
    select: str | None = None
    columns: tuple[str, ...] = field(init=False)
    #: the page the query writes as integers (see fixed_page), known once the plan is made
    fixed: FixedPage | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", self.projection.columns)
        object.__setattr__(self, "fixed", fixed_page(self.projection))

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Run the general way (used inside UNION, where rows are dicts)."""
        return self.projection.run(self.match.run(rows, ctx), ctx)

    def direct(self, ctx: Context) -> list[tuple] | None:
        """Build the result rows straight from SQL, or None when a check must run in Python."""
        statement = self._statement(ctx)
        if statement is None:
            return None
        sql_rows = ctx.store.fetch_all(*statement) if statement else ()
        # A list comprehension, not the stream's generator: this is the hot path of small reads.
        outputs = self.outputs
        if len(outputs) == 1:
            # one column, the commonest RETURN: no inner comprehension per row
            ((decode, column),) = outputs
            rows = [(decode(sql_row, column),) for sql_row in sql_rows]
        else:
            rows = [tuple([decode(sql_row, column) for decode, column in outputs]) for sql_row in sql_rows]
        ctx.tick(len(rows))
        return rows

    def stream_direct(self, ctx: Context) -> Iterator[tuple] | None:
        """Build the result rows straight from SQL as they are pulled, or None when a check must run in Python.

        Only SQL works per row here, so the progress handler's deadline is check enough.
        """
        statement = self._statement(ctx)
        if statement is None:
            return None
        return self._decode(ctx.store.execute(*statement) if statement else ())

    def _statement(self, ctx: Context) -> tuple[str, dict] | tuple[()] | None:
        """The SQL statement and parameters answering the query, () when no row can match, or None.

        None: a check must run in Python, so the query runs the general way.
        """
        plan = self.match.plan
        if plan.residual:
            return None
        projection = self.projection
        # evaluated first, as the projection would: a bad SKIP or LIMIT fails before any SQL runs
        skip = None if projection.skip is None else _count_argument(projection.skip, ctx, "SKIP")
        limit = None if projection.limit is None else _count_argument(projection.limit, ctx, "LIMIT")
        bound = plan.bind({}, ctx)
        if bound is None or limit == 0:
            return ()
        params, kinds, python_filters = bound
        if python_filters:
            return None
        page = skip is not None or limit is not None
        fixed = self.fixed if page else None
        if page and fixed is None:
            # SQLite reads a negative LIMIT as none (and PostgreSQL's dialect renders it so)
            params[PAGE_LIMIT] = -1 if limit is None else limit
            params[PAGE_OFFSET] = skip or 0
        short = limit is not None and limit <= SHORT_PAGE
        return plan.render(kinds, self.select, page, False, ctx.store.dialect, fixed, short), params

    def _decode(self, cursor: Iterable[tuple]) -> Iterator[tuple]:
        outputs = self.outputs
        for sql_row in cursor:
            yield tuple([decode(sql_row, column) for decode, column in outputs])

    def explain_sql(self, dialect: str | None = None) -> str:
        """The SQL as EXPLAIN shows it (see MatchPlan.explain), with this operator's select list and page."""
        plan, projection = self.match.plan, self.projection
        page = projection.skip is not None or projection.limit is not None
        fixed = self.fixed
        short = fixed is not None and 0 <= fixed[0] <= SHORT_PAGE
        dialect = dialect or EXPLAINED_DIALECT.get()
        return plan.render(plan.explain_kinds(), self.select, page, False, dialect, fixed, short)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        return [f"DirectReturn {', '.join(self.columns)}", f"  SQL: {self.explain_sql()}"]


def direct_property(key: str) -> Callable[[tuple, int], Any]:
    """The output decoder of ``v.key``: read the property from the metadata column it is given."""

    def decode(row: tuple, column: int) -> Any:
        return stored_properties(row[column]).get(key)

    return decode


def decode_column(row: tuple, column: int) -> Any:
    """Read a column as it is: a value SQL already gives as Cypher's (the text of an ordered string property)."""
    return row[column]


def decode_id(row: tuple, column: int) -> int:
    """Read an identity column as the unsigned id."""
    return to_unsigned(row[column])


# ---------------------------------------------------------------- schema commands


@dataclass(frozen=True, slots=True)
class IndexCommand:
    """CREATE INDEX / DROP INDEX on a node property: a property_indexes row plus SQLite expression indexes.

    DROP INDEX by name drops a search index (full-text, vector) of that name too.
    """

    action: str
    name: str | None
    label: str | None
    properties: tuple[str, ...]
    if_exists: bool = False

    columns: ClassVar[tuple[str, ...]] = ()

    def index_name(self) -> str:
        """The index's name: given, or derived from label and properties."""
        if self.name:
            return self.name
        return f"index_{self.label}_{'_'.join(self.properties)}"

    def execute(self, ctx: Context) -> list[tuple]:
        """Create or drop the index in the current transaction; returns no rows.

        :raises QueryArgumentError: for a property key that cannot be indexed, or a missing index.
        """
        name = self.index_name()
        if self.action == "create":
            for key in self.properties:
                if not is_simple_key(key):
                    raise QueryArgumentError(
                        f"property {key!r} cannot be indexed: use letters, digits and underscores",
                        "InvalidArgumentValue",
                    )
            if any(index.name == name for index in ctx.store.search_indexes()):
                raise QueryArgumentError(
                    f"cannot create index `{name}`: a search index has that name", "IndexWithNameAlreadyExists"
                )
            ctx.store.create_property_index(name, self.label, self.properties)
            return []
        # a search index of any kind (full-text, vector) goes by name; the store drops it by its kind
        if self.name and ctx.store.drop_search_index(self.name):
            return []
        if not ctx.store.drop_property_index(self.name, self.label, self.properties) and not self.if_exists:
            raise QueryArgumentError(f"no index named {name!r}", "IndexNotFound")
        return []

    def describe(self) -> str:
        """Describe the command for EXPLAIN."""
        return f"{self.action.title()}Index {self.index_name()} ON :{self.label}({', '.join(self.properties)})"
