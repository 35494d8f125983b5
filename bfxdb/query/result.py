"""The answer of a query: column names, rows of values (all at once, or streamed), write statistics, plan text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, overload

from ..errors import QueryArgumentError

STAT_KEYS = (
    "nodes_created",
    "nodes_deleted",
    "relationships_created",
    "relationships_deleted",
    "properties_set",
    "labels_added",
    "labels_removed",
)

#: A read's statistics; copied for each result (a copy takes a third of the time of dict.fromkeys).
_ZERO_STATS = dict.fromkeys(STAT_KEYS, 0)


class LazyStats:
    """A ``stats`` attribute over an ``_stats`` slot: every key of STAT_KEYS, made at 0 on the first read.

    A read never asks for its counts, and the copy was a tenth of a point lookup's Python.
    """

    @overload
    def __get__(self, owner: None, kind: type) -> LazyStats: ...

    @overload
    def __get__(self, owner: object, kind: type | None = None) -> dict[str, int]: ...

    def __get__(self, owner: Any, kind: type | None = None) -> LazyStats | dict[str, int]:
        if owner is None:
            return self
        stats = owner._stats
        if stats is None:
            stats = owner._stats = _ZERO_STATS.copy()
        return stats


class Result:
    """Rows of a finished query. Iterating yields one dict per row, column name to value.

    ``stats`` holds every key of STAT_KEYS (all 0 for a read). ``plan`` is the plan's text (for
    PROFILE with each operator's rows and time first); ``profile`` is None but under PROFILE, where
    it lists per operator a dict of ``operator``, ``rows``, ``time_ms`` and ``part``. ``explained``
    is true for an EXPLAIN, which has no rows, only the plan.

    >>> result = Result(["x"], [(1,), (2,)])
    >>> [row["x"] for row in result], len(result), result.columns
    ([1, 2], 2, ['x'])
    """

    __slots__ = ("columns", "rows", "_stats", "plan", "profile", "explained")
    stats = LazyStats()

    def __init__(
        self,
        columns: list[str],
        rows: list[tuple],
        stats: dict[str, int] | None = None,
        plan: str | None = None,
        profile: list[dict[str, Any]] | None = None,
        explained: bool = False,
    ) -> None:
        self.columns = columns
        self.rows = rows
        self._stats = stats
        self.plan = plan
        self.profile = profile
        self.explained = explained

    def __iter__(self) -> Iterator[dict[str, Any]]:
        columns = self.columns
        for row in self.rows:
            yield dict(zip(columns, row))

    def __len__(self) -> int:
        return len(self.rows)

    def tuples(self) -> Iterator[tuple]:
        """Yield the rows as tuples of values, in column order (as Stream.tuples does)."""
        return iter(self.rows)

    def __repr__(self) -> str:
        return f"Result(columns={self.columns!r}, rows={len(self.rows)})"

    def to_dicts(self) -> list[dict[str, Any]]:
        """Return every row as a dict of column name to value."""
        return list(self)

    def to_networkx(self) -> Any:
        """Build a networkx MultiDiGraph of the nodes and relationships in the rows (extra ``networkx``)."""
        from ..interop import result_to_networkx

        return result_to_networkx(self)

    def to_pandas(self) -> Any:
        """Build a pandas DataFrame with one column per result column (extra ``pandas``)."""
        from ..interop import result_to_pandas

        return result_to_pandas(self)

    def single(self) -> dict[str, Any]:
        """Return the only row as a dict.

        :raises QueryArgumentError: when there is not exactly one row.
        """
        if len(self.rows) != 1:
            raise QueryArgumentError(f"expected exactly one row, got {len(self.rows)}")
        return dict(zip(self.columns, self.rows[0]))

    def scalar(self) -> Any:
        """Return the value of the only column of the only row.

        :raises QueryArgumentError: when the result is not exactly one row of one column.
        """
        if len(self.columns) != 1:
            raise QueryArgumentError(f"expected exactly one column, got {len(self.columns)}")
        return self.single()[self.columns[0]]


class Stream:
    """Rows of a query as they are produced; close it (or use it as a context manager) to end the query.

    Iterating yields one dict per row, ``tuples()`` the rows as tuples; ``row_count`` counts the
    rows handed out so far. A read holds one read transaction from the first pull until its rows
    end, an error, or close(); a query that writes has finished (and committed) before its first row.
    ``plan``, ``profile`` and ``explained`` are as Result's (a PROFILE has run to its end before its first row).

    >>> with Stream(["x"], iter([(1,), (2,)])) as stream:
    ...     [row["x"] for row in stream], stream.row_count
    ([1, 2], 2)
    """

    __slots__ = ("columns", "stats", "plan", "profile", "explained", "row_count", "_rows")

    def __init__(
        self,
        columns: list[str],
        rows: Iterator[tuple],
        stats: dict[str, int] | None = None,
        plan: str | None = None,
        profile: list[dict[str, Any]] | None = None,
        explained: bool = False,
    ) -> None:
        self.columns = columns
        self.stats = stats if stats is not None else _ZERO_STATS.copy()
        self.plan = plan
        self.profile = profile
        self.explained = explained
        self.row_count = 0
        self._rows = rows

    def tuples(self) -> Iterator[tuple]:
        """Yield the remaining rows as tuples of values, in column order."""
        for row in self._rows:
            self.row_count += 1
            yield row

    def __iter__(self) -> Iterator[dict[str, Any]]:
        columns = self.columns
        for row in self.tuples():
            yield dict(zip(columns, row))

    def __repr__(self) -> str:
        return f"Stream(columns={self.columns!r}, rows so far={self.row_count})"

    def close(self) -> None:
        """End the query early, releasing its transaction; the rows not pulled are never computed."""
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
