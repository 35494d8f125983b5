"""The operators that run a query inside a query: CALL { ... }, its IN TRANSACTIONS batches, and FOREACH."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from ...errors import QueryArgumentError, QueryError, QueryLimitExceeded, QueryTimeout, QueryTypeError
from ..runtime import Context
from ..values import group_key, type_name
from .plan import Pipeline

Evaluator = Callable[[dict, Context], Any]

#: Rows per transaction of ``CALL { ... } IN TRANSACTIONS`` without ``OF n ROWS``, as in Neo4j.
DEFAULT_BATCH_ROWS = 1000


@dataclass(frozen=True, slots=True)
class SubqueryBody:
    """The parts of a subquery's UNION, run from one row of the enclosing query.

    ``imports`` gives, per part, the variables it takes from that row (None: all of them, as
    EXISTS, COUNT and COLLECT do); ``columns`` are what it returns (none for a unit subquery).
    """

    parts: tuple[Pipeline, ...]
    imports: tuple[tuple[str, ...] | None, ...]
    union_all: tuple[bool, ...]
    columns: tuple[str, ...]

    def stream_from(self, row: dict, ctx: Context) -> Iterator[dict]:
        """Yield the body's rows for one enclosing row, UNION's duplicates dropped, as they are pulled."""
        seen: set | None = None if all(self.union_all) or not self.columns else set()
        columns = self.columns
        for pipeline, names in zip(self.parts, self.imports):
            # an import the body never reads may be missing: a MATCH binds only what the query reads
            inner = row if names is None else {name: row.get(name) for name in names}
            for result in pipeline.stream_from(inner, ctx):
                if seen is not None:
                    key = tuple([group_key(result[column]) for column in columns])
                    if key in seen:
                        continue
                    seen.add(key)
                yield result

    def run_from(self, row: dict, ctx: Context, limit: int | None = None) -> list[dict]:
        """Run from one row; at most ``limit`` result rows (the rest never computed)."""
        return list(islice(self.stream_from(row, ctx), limit))

    def describe(self) -> list[str]:
        """Describe the parts for EXPLAIN, indented under the operator that runs them."""
        lines: list[str] = []
        for index, (pipeline, names) in enumerate(zip(self.parts, self.imports)):
            if index:
                lines.append("  UNION ALL" if self.union_all[index - 1] else "  UNION")
            if names is not None:
                lines.append(f"  Import {', '.join(names) or '(nothing)'}")
            lines.extend(f"    {line}" for line in pipeline.describe())
        return lines


@dataclass(frozen=True, slots=True)
class SubqueryOp:
    """``CALL { ... }``: run the body once per incoming row.

    A returning subquery extends the row by each row the body returns (none: the row is dropped);
    a unit subquery (no RETURN) runs for its writes and passes the row on, so the row count stays.
    A body that writes makes the operator eager, as the writing operators are: every incoming row
    is read before the first run, and each run sees the writes of the runs before it.
    """

    body: SubqueryBody
    writes: bool

    @property
    def returns(self) -> tuple[str, ...]:
        """The variables the subquery adds to each row."""
        return self.body.columns

    @property
    def bound(self) -> tuple[str, ...]:
        """The variables the operator adds to each row."""
        return self.body.columns

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Run the body for every row: lazily for a read, eagerly when it writes."""
        if not self.writes:
            return (out for row in rows for out in self.apply(row, ctx))
        incoming = ctx.buffer(rows)
        out: list[dict] = []
        for row in incoming:
            out.extend(self.apply(row, ctx))
            ctx.holds(out)
        return iter(out)

    def apply(self, row: dict, ctx: Context) -> Iterator[dict]:
        """Run the body from one row; the body has run to its end before the first row is pulled from a unit call."""
        results = self.body.stream_from(row, ctx)
        columns = self.returns
        if not columns:
            for _ in results:
                pass
            return iter((row,))
        return (_extended(row, result, columns) for result in results)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN, the body's operators below it."""
        head = f"SubqueryCall -> {', '.join(self.returns)}" if self.returns else "SubqueryCall (unit)"
        return [head, *self.body.describe()]


def _extended(row: dict, result: dict, columns: tuple[str, ...]) -> dict:
    new = row.copy()
    for column in columns:
        new[column] = result[column]
    return new


@dataclass(frozen=True, slots=True)
class InTransactionsOp:
    """``CALL { ... } IN TRANSACTIONS [OF n ROWS] [ON ERROR ...]``: the subquery over batches of n
    incoming rows, each batch committed on its own once its rows have run.

    The incoming rows are all read first (the enclosing query only reads before this clause), unless
    ``streamed``. On an error in batch k, batches 1 to k - 1 stay committed and batch k is rolled back; then ``FAIL``
    (the default) fails the query, undoing what it did after the last commit too; ``CONTINUE``
    goes on with batch k + 1 and ``BREAK`` runs no further batch, the rows of the batches that did
    not commit passing on with the subquery's columns null. Timeouts and the memory budget, which
    bound the whole query, always fail it. ``status`` names the variable of ``REPORT STATUS AS``,
    bound on each row to its batch's ``{started, committed, transactionId, errorMessage}``.
    """

    call: SubqueryOp
    batch: Evaluator | None
    on_error: str = "FAIL"
    status: str | None = None
    #: pull the incoming rows batch by batch instead of all first: only for rows that no write of
    #: the subquery can change (LOAD CSV's) and nothing after it to see a half-done import
    streamed: bool = False

    @property
    def bound(self) -> tuple[str, ...]:
        """The variables the operator adds to each row."""
        return self.call.returns + ((self.status,) if self.status is not None else ())

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Run the batches, committing after each; returns the rows the subquery gave."""
        size = self._batch_size(ctx)
        ctx.store.next_batch(self.call.writes)  # refuses inside an explicit transaction, before any work
        if self.streamed:
            return self._streamed(rows, size, ctx)
        incoming = ctx.buffer(rows)
        batches = (incoming[start : start + size] for start in range(0, len(incoming), size))
        out: list[dict] = []
        for produced in self._batches(batches, ctx):
            out.extend(produced)
            ctx.holds(out)
        return iter(out)

    def _streamed(self, rows: Iterator[dict], size: int, ctx: Context) -> Iterator[dict]:
        """Pull the incoming rows a batch at a time, so that a whole file never sits in memory."""
        batches = iter(lambda: list(islice(rows, size)), [])
        for produced in self._batches(batches, ctx):
            yield from produced
            # nothing after the clause reads the entities a batch wrote: the run's cache need not keep them
            ctx.nodes.clear()
            ctx.rels.clear()

    def _batches(self, batches: Iterator[list[dict]], ctx: Context) -> Iterator[list[dict]]:
        """Run each batch, yielding the rows it gave; a batch that ran commits when the next is asked for."""
        store, write = ctx.store, self.call.writes
        broken = False
        for number, batch in enumerate(batches, 1):
            if broken:
                yield self._reported(self._not_run(batch), None, False, None)
                continue
            if self.on_error == "FAIL":
                yield [result for row in batch for result in self.call.apply(row, ctx)]
            else:
                saved = _Snapshot.of(ctx)
                try:
                    produced = [result for row in batch for result in self.call.apply(row, ctx)]
                except (QueryTimeout, QueryLimitExceeded):
                    raise
                except QueryError as error:
                    saved.restore(ctx)
                    store.next_batch(write, commit=False)
                    broken = self.on_error == "BREAK"
                    yield self._reported(self._not_run(batch), number, False, error.message)
                    continue
                yield self._reported(produced, number, True, None)
            store.next_batch(write)

    def _reported(self, rows: list[dict], number: int | None, committed: bool, error: str | None) -> list[dict]:
        """Bind REPORT STATUS's variable on the rows of batch ``number`` (None: a batch never started)."""
        if self.status is None:
            return rows
        status = {
            "started": number is not None,
            "committed": committed,
            "transactionId": None if number is None else f"batch-{number}",
            "errorMessage": error,
        }
        variable = self.status
        reported = []
        for row in rows:
            row = row.copy()
            row[variable] = status
            reported.append(row)
        return reported

    def _not_run(self, batch: list[dict]) -> list[dict]:
        """The rows of a batch that did not commit: as they came, with the subquery's columns null."""
        columns = self.call.returns
        if not columns:
            return batch
        nulls = dict.fromkeys(columns)
        return [_extended(row, nulls, columns) for row in batch]

    def _batch_size(self, ctx: Context) -> int:
        if self.batch is None:
            return DEFAULT_BATCH_ROWS
        size = self.batch({}, ctx)
        if type(size) is not int:
            raise QueryTypeError(f"IN TRANSACTIONS OF needs an integer, not {type_name(size)}", "InvalidArgumentType")
        if size < 1:
            raise QueryArgumentError(f"IN TRANSACTIONS OF needs at least 1 row, not {size}", "InvalidArgumentValue")
        return size

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN, the subquery below it."""
        head, *body = self.call.describe()
        size = "OF n ROWS" if self.batch is not None else f"OF {DEFAULT_BATCH_ROWS} ROWS"
        report = f" REPORT STATUS AS {self.status}" if self.status is not None else ""
        return [f"{head} IN TRANSACTIONS {size}{report} ON ERROR {self.on_error}", *body]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """What a batch changes in the run's context, kept so that a batch rolled back leaves no trace there."""

    stats: dict
    nodes: dict
    rels: dict
    deleted_nodes: set
    deleted_rels: set

    @staticmethod
    def of(ctx: Context) -> _Snapshot:
        return _Snapshot(
            ctx.stats.copy(), ctx.nodes.copy(), ctx.rels.copy(), ctx.deleted_nodes.copy(), ctx.deleted_rels.copy()
        )

    def restore(self, ctx: Context) -> None:
        """Put the context back as it was (in place: the run's operators share these objects)."""
        for current, saved in (
            (ctx.stats, self.stats),
            (ctx.nodes, self.nodes),
            (ctx.rels, self.rels),
            (ctx.deleted_nodes, self.deleted_nodes),
            (ctx.deleted_rels, self.deleted_rels),
        ):
            current.clear()
            current.update(saved)


@dataclass(frozen=True, slots=True)
class ForeachOp:
    """``FOREACH (x IN list | ...)``: run the updating clauses once per element, per incoming row.

    Eager like every writing operator; each element's run sees the writes of the runs before it,
    and what the clauses bind stays inside: the rows pass on unchanged. A null list does nothing.
    """

    variable: str
    source: Evaluator
    body: Pipeline

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Run the clauses for every element of every row's list; returns the rows."""
        incoming = ctx.buffer(rows)
        variable = self.variable
        for row in incoming:
            items = self.source(row, ctx)
            if items is None:
                continue
            if type(items) is not list:
                raise QueryTypeError(f"FOREACH needs a list, not {type_name(items)}", "InvalidArgumentType")
            for item in items:
                inner = row.copy()
                inner[variable] = item
                for _ in self.body.stream_from(inner, ctx):
                    pass
            ctx.tick(len(items) + 1)
        return iter(incoming)

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN, the clauses below it."""
        return [f"Foreach {self.variable}", *(f"    {line}" for line in self.body.describe())]
