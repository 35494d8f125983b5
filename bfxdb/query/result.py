"""The answer of a query: column names, rows of values, write statistics and the plan text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


class Result:
    """Rows of a finished query. Iterating yields one dict per row, column name to value.

    ``stats`` holds every key of STAT_KEYS (all 0 for a read).

    >>> result = Result(["x"], [(1,), (2,)])
    >>> [row["x"] for row in result], len(result), result.columns
    ([1, 2], 2, ['x'])
    """

    __slots__ = ("columns", "rows", "stats", "plan")

    def __init__(
        self,
        columns: list[str],
        rows: list[tuple],
        stats: dict[str, int] | None = None,
        plan: str | None = None,
    ) -> None:
        self.columns = columns
        self.rows = rows
        self.stats = stats if stats is not None else dict.fromkeys(STAT_KEYS, 0)
        self.plan = plan

    def __iter__(self) -> Iterator[dict[str, Any]]:
        columns = self.columns
        for row in self.rows:
            yield dict(zip(columns, row))

    def __len__(self) -> int:
        return len(self.rows)

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
