"""The plan of a whole query: a pipeline of operators per single query, UNION, and the conversion of rows to results."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

from ...model import Path
from ..runtime import Context
from ..values import NodeRef, PathRef, RelRef, group_key
from .read import DirectReturn


class Operator(Protocol):
    """What a pipeline runs: every operator turns the stream of incoming rows into the stream of outgoing ones.

    A reading operator is a generator: it pulls its input row by row as its own output is pulled,
    so a LIMIT downstream stops the work upstream. A writing operator is eager: ``run`` reads its
    whole input before it writes (no MATCH feeds on the writes of its own query) and finishes its
    writes before it returns (every later clause sees all of them), whatever is pulled afterwards.
    """

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Turn the incoming rows into the outgoing rows."""
        ...

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN, one line per item."""
        ...


@dataclass(frozen=True, slots=True)
class Pipeline:
    """The operators of one single query, chained over streams of rows."""

    ops: tuple[Operator, ...]
    columns: tuple[str, ...]
    #: for a pipeline SQL answers alone: the function giving its result rows (or None: run it), else None
    direct: Callable[[Context], list[tuple] | None] | None = field(init=False)
    #: the same, giving the rows as they are pulled
    direct_stream: Callable[[Context], Iterator[tuple] | None] | None = field(init=False)

    def __post_init__(self) -> None:
        only: Any = self.ops[0] if len(self.ops) == 1 else None
        direct = direct_stream = None
        # CountPushdown, DirectReturn and OrderedLimit can answer a whole pipeline
        if self.columns and hasattr(only, "direct"):
            direct, direct_stream = only.direct, only.stream_direct
        object.__setattr__(self, "direct", direct)
        object.__setattr__(self, "direct_stream", direct_stream)

    def stream_from(self, row: dict, ctx: Context) -> Iterator[dict]:
        """Chain the operators starting from one row (a subquery's enclosing row, or the empty row).

        Writing operators have done their work when this returns; reading ones run as rows are pulled.
        """
        rows: Iterator[dict] = iter((row,))
        for op in self.ops:
            rows = op.run(rows, ctx)
        return rows

    def run_from(self, row: dict, ctx: Context, limit: int | None = None) -> list[dict]:
        """Run the operators starting from one row; at most ``limit`` result rows (the rest never computed)."""
        return list(islice(self.stream_from(row, ctx), limit))

    def describe(self) -> list[str]:
        """Describe the operators for EXPLAIN."""
        lines = []
        for op in self.ops:
            lines.extend(op.describe())
        return lines

    def profiled(self) -> tuple[Pipeline, list[Profiled]]:
        """A copy whose every operator counts its rows and times its work, and those operators.

        A DirectReturn is profiled as the MATCH and the RETURN it runs, so each has its own count.
        """
        wrapped: list[Profiled] = []
        for op in self.ops:
            parts = (op.match, op.projection) if isinstance(op, DirectReturn) else (op,)
            wrapped.extend(Profiled(part, Meter()) for part in parts)
        return Pipeline(tuple(wrapped), self.columns), wrapped


class Meter:
    """What PROFILE measured of one operator: rows it produced, and seconds spent producing them."""

    __slots__ = ("rows", "seconds")

    def __init__(self) -> None:
        self.rows = 0
        self.seconds = 0.0


@dataclass(frozen=True, slots=True)
class Profiled:
    """An operator under PROFILE: passes its rows on, counting them and timing each pull.

    The time of a pull includes the operators before it, which PROFILE subtracts when it reports.
    """

    op: Operator
    meter: Meter

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Run the operator, counting its rows and the time spent in it (and upstream)."""
        meter = self.meter
        clock = time.perf_counter
        started = clock()
        produced = iter(self.op.run(rows, ctx))  # a writing operator works here, before its first row
        meter.seconds += clock() - started
        while True:
            started = clock()
            try:
                row = next(produced)
            except StopIteration:
                meter.seconds += clock() - started
                return
            meter.seconds += clock() - started
            meter.rows += 1
            yield row

    def describe(self) -> list[str]:
        """Describe the operator it measures."""
        return self.op.describe()


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """A whole query: one pipeline per UNION part; ``union_all[i]`` joins part i and i + 1."""

    pipelines: tuple[Pipeline, ...]
    union_all: tuple[bool, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """The result columns (those of the first part)."""
        return self.pipelines[0].columns

    def execute(self, ctx: Context) -> list[tuple]:
        """Run every part to the end and combine them; returns rows as tuples of output values.

        Entities are converted once every part has run, so a part's rows show what later parts wrote.
        """
        if len(self.pipelines) == 1:
            pipeline = self.pipelines[0]
            if pipeline.direct is not None:
                direct_rows = pipeline.direct(ctx)
                if direct_rows is not None:
                    return direct_rows
        combined = list(self._combine(ctx))
        return [tuple([to_output(value, ctx) for value in row]) for row in combined]

    def stream(self, ctx: Context) -> Iterator[tuple]:
        """Run every part and combine them, giving rows of output values as they are pulled (reads only)."""
        if len(self.pipelines) == 1:
            direct_stream = self.pipelines[0].direct_stream
            if direct_stream is not None:
                direct_rows = direct_stream(ctx)
                if direct_rows is not None:
                    return direct_rows
        return (tuple([to_output(value, ctx) for value in row]) for row in self._combine(ctx))

    def _combine(self, ctx: Context) -> Iterator[tuple]:
        """Yield the parts' rows as tuples of query values; a part without columns runs to its end.

        Every part's values are read by the first part's column names, so that a part returning
        the same names in another order (``RETURN 3 AS b, 4 AS a``) lines up by name, not position.
        """
        seen: set | None = None if all(self.union_all) else set()
        columns = self.columns
        for pipeline in self.pipelines:
            rows = pipeline.stream_from({}, ctx)
            if not pipeline.columns:
                for _ in rows:
                    pass
                continue
            for row in rows:
                values = tuple([row[column] for column in columns])
                if seen is not None:
                    key = tuple(group_key(value) for value in values)
                    if key in seen:
                        continue
                    seen.add(key)
                yield values

    def profile(self, ctx: Context) -> tuple[list[tuple], list[dict[str, Any]]]:
        """Run the plan as ``execute`` does, measuring every operator (PROFILE).

        :returns: the result rows, and per operator in plan order a dict of ``operator`` (its
            EXPLAIN line), ``rows`` (rows it produced), ``time_ms`` (time in it alone, the operators
            before it excluded) and ``part`` (its UNION part, from 0).
        """
        parts = [pipeline.profiled() for pipeline in self.pipelines]
        rows = QueryPlan(tuple(pipeline for pipeline, _ in parts), self.union_all).execute(ctx)
        report: list[dict[str, Any]] = []
        for part, (_, ops) in enumerate(parts):
            upstream = 0.0
            for op in ops:
                own = max(op.meter.seconds - upstream, 0.0)
                upstream = op.meter.seconds
                report.append(
                    {"part": part, "operator": op.describe()[0], "rows": op.meter.rows, "time_ms": own * 1000.0}
                )
        return rows, report

    def describe(self) -> str:
        """Describe the plan as readable text, SQL included."""
        lines: list[str] = []
        for index, pipeline in enumerate(self.pipelines):
            if index:
                lines.append("UNION ALL" if self.union_all[index - 1] else "UNION")
            lines.extend(pipeline.describe())
        return "\n".join(lines)


_PLAIN = frozenset({int, str, float, bool, type(None)})


def to_output(value: Any, ctx: Context) -> Any:
    """Turn a value of a running query into what callers get.

    :param value: a query value, possibly holding node, relationship or path references.
    :param ctx: the run, whose cache holds the entities' data (deleted ones included).
    :returns: the value with Substrate, Relationship and Path objects in place of references.
    :raises EntityNotFound: for a reference to an entity that never existed.
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is NodeRef:
        return ctx.node(value, allow_deleted=True)
    if kind is RelRef:
        return ctx.rel(value, allow_deleted=True)
    if kind is list:
        return [to_output(item, ctx) for item in value]
    if kind is dict:
        return {key: to_output(item, ctx) for key, item in value.items()}
    if kind is PathRef:
        return Path(
            tuple(ctx.node(node, allow_deleted=True) for node in value.nodes),
            tuple(ctx.rel(rel, allow_deleted=True) for rel in value.rels),
        )
    return value


