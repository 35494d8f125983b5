"""Planner statistics: keep SQLite's sqlite_stat1 current, and read the row counts the query planner estimates from."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from .quoting import quote_identifier

#: A table is analysed again once the rows written to it in bulk since its last ANALYZE reach
#: this fraction of the rows that ANALYZE counted (or it was never analysed). Half, not a tenth:
#: an import arrives in many batches, and re-analysing at every 10% growth would cost about eleven
#: full ANALYZEs of the final size, at a half about three.
STALE_FRACTION = 0.5

#: Counts are exact up to this many rows and stop there (past it: what ANALYZE recorded, if more):
#: an estimate needs the order of magnitude, and a capped count over an index costs about a
#: millisecond where a full one of a 1M-row label costs 15 ms.
COUNT_CAP = 10_000

#: The tables whose statistics bulk writes make stale, in the order they are analysed.
BULK_TABLES = ("substrates", "substrate_labels", "relationships")


def analysed_rows(connection: sqlite3.Connection, table: str) -> int | None:
    """Return the row count ANALYZE last recorded for ``table`` in sqlite_stat1, or None if it has none."""
    try:
        row = connection.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = ? LIMIT 1", (table,)).fetchone()
    except sqlite3.OperationalError:
        return None  # no ANALYZE ever ran: sqlite_stat1 does not exist yet
    return None if row is None else int(row[0].split()[0])


def is_stale(connection: sqlite3.Connection, table: str, written: int) -> bool:
    """Tell whether ``written`` rows written since the last ANALYZE make ``table``'s statistics stale."""
    if written <= 0:
        return False
    analysed = analysed_rows(connection, table)
    return analysed is None or written >= STALE_FRACTION * analysed


def analyse(connection: sqlite3.Connection, target: str) -> None:
    """Run a full ANALYZE of one table or one index (its own transaction unless the caller has one open).

    A full one, not ``PRAGMA analysis_limit``: a sampled ANALYZE writes rows-per-value figures
    bounded by its sample (an index on a property with 2,000 rows per value reads as 101), and
    those figures are what SQLite and the estimator rank indexes by.
    """
    connection.execute(f"ANALYZE {quote_identifier(target)}")


class Statistics:
    """Row counts of one state of the database, each counted on first use and then kept.

    The store hands out a new one after any write, so a count is never older than the data it
    describes by more than the writes of the statement reading it.
    """

    __slots__ = ("_connection", "_counts")

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._counts: dict[tuple[str, str], float | None] = {}

    def _cached(self, kind: str, name: str, sql: str, params: tuple) -> float | None:
        """Run a one-value statement once per (kind, name); its value as a float, None for no row."""
        key = (kind, name)
        if key not in self._counts:
            row = self._connection.execute(sql, params).fetchone()
            self._counts[key] = None if row is None else float(row[0])
        return self._counts[key]

    def nodes(self) -> float:
        """Count the substrates: exactly up to COUNT_CAP, past it what the last ANALYZE counted if more."""
        return self._rows("substrates")

    def relationships(self) -> float:
        """Count the relationships: exactly up to COUNT_CAP, past it what the last ANALYZE counted if more."""
        return self._rows("relationships")

    def _rows(self, table: str) -> float:
        # the table name comes from the two calls above, never from a query
        counted = self._cached("rows", table, f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT ?)", (COUNT_CAP,))
        if counted is not None and counted >= COUNT_CAP:
            return max(counted, float(analysed_rows(self._connection, table) or 0))
        return counted or 0.0

    def label(self, label: str) -> float:
        """Count the substrates with ``label`` (up to COUNT_CAP), from the label index."""
        sql = "SELECT count(*) FROM (SELECT 1 FROM substrate_labels WHERE label = ? LIMIT ?)"
        counted = self._cached("label", label, sql, (label, COUNT_CAP)) or 0.0
        if counted >= COUNT_CAP:
            # past the cap, sqlite_stat1's mean rows per label is the best cheap figure
            per_label = self._stat("substrate_labels_by_label", 1)
            return max(counted, per_label or 0.0)
        return counted

    def rows_per_value(self, key: str) -> float | None:
        """Return sqlite_stat1's average rows per value of the property index on ``key``.

        :returns: None when no property index holds ``key``; SQLite's own guess of 10 rows when
            the index has no statistics yet. Substrates without the property count as one value,
            so a sparse key reads higher than its equality matches.
        """
        index = "property_" + key
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?"
        indexed = self._cached("index", key, sql, (index,))
        if not indexed:
            return None
        per_value = self._stat(index, 1)
        return _SQLITE_EQUALITY_GUESS if per_value is None else per_value

    def _stat(self, index: str, position: int) -> float | None:
        """Read one figure of an index's sqlite_stat1 row ("rows d1 d2 ...": d1 is the mean rows per
        value of its first column); None before ANALYZE has described the index."""
        key = ("stat", index)
        if key not in self._counts:
            stat = next((row[2] for row in stat_rows(self._connection) if row[1] == index), None)
            figures = stat.split() if stat else []
            self._counts[key] = float(figures[position]) if len(figures) > position else None
        return self._counts[key]


#: What SQLite assumes an equality on an index matches when the index has no statistics.
_SQLITE_EQUALITY_GUESS = 10.0


def stat_rows(connection: sqlite3.Connection) -> Iterable[tuple[str, str | None, str]]:
    """Return sqlite_stat1's rows (table, index, stat), none before the first ANALYZE."""
    try:
        return connection.execute("SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx").fetchall()
    except sqlite3.OperationalError:
        return []
