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

#: Label counts are exact up to this many rows and stop there: an estimate needs the order of
#: magnitude, and a capped count over the label index costs about a millisecond where a full one
#: of a 1M-row label costs 15 ms.
COUNT_CAP = 10_000

#: The tables whose statistics bfxdb keeps: substrates, with its property indexes. Not
#: substrate_labels nor relationships: the SQL the query compiler writes is shaped for SQLite's
#: planner without statistics there, and with them it picks Bloom filters and table lookups
#: instead of the covering traversal indexes (measured at 1M nodes: a 2-hop chain LIMIT 3 took
#: 146 ms instead of 0.07 ms, an anchored *1..3 walk 0.29 ms instead of 0.06 ms).
ANALYSED_TABLES = ("substrates",)


#: The row count sqlite_stat1 gives substrates is raised to at least this: what SQLite assumes of
#: a table without statistics, which the compiler's SQL is shaped for. Knowing a smaller true size,
#: SQLite builds a Bloom filter over the whole substrates table for a join after a recursive CTE
#: (measured at 20,000 nodes: an anchored *1..3 walk took 19 ms instead of 0.3 ms). The mean rows
#: per value, which rank the indexes, stay true.
PLANNER_MIN_ROWS = 1 << 20


def has_statistics(connection: sqlite3.Connection, table: str) -> bool:
    """Tell whether sqlite_stat1 describes ``table``."""
    return any(row[0] == table for row in stat_rows(connection))


def is_stale(connection: sqlite3.Connection, table: str, written: int) -> bool:
    """Tell whether ``written`` rows bulk-written since the last ANALYZE make ``table``'s statistics stale.

    Stale when ANALYZE never described the table, or the rows written reach STALE_FRACTION of the
    rows there were before them.
    """
    if written <= 0:
        return False
    if not has_statistics(connection, table):
        return True
    # the table name is one of ANALYSED_TABLES, never a query's
    total = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return written >= STALE_FRACTION * max(total - written, 0)


def analyse(connection: sqlite3.Connection, target: str) -> None:
    """Run a full ANALYZE of one table or one index, then raise substrates' row count to PLANNER_MIN_ROWS.

    A full one, not ``PRAGMA analysis_limit``: a sampled ANALYZE writes rows-per-value figures
    bounded by its sample (an index on a property with 2,000 rows per value reads as 101), and
    those figures are what SQLite and the estimator rank indexes by.
    """
    connection.execute(f"ANALYZE {quote_identifier(target)}")
    raised = False
    for table, index, stat in stat_rows(connection):
        rows, _, rest = stat.partition(" ")
        if table == "substrates" and int(rows) < PLANNER_MIN_ROWS:
            connection.execute(
                "UPDATE sqlite_stat1 SET stat = ? WHERE tbl = ? AND idx IS ?",
                (" ".join(filter(None, (str(PLANNER_MIN_ROWS), rest))), table, index),
            )
            raised = True
    if raised:
        connection.execute("ANALYZE sqlite_schema")  # makes the planner read the changed figures


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
        """Count the substrates (SQLite counts them from a b-tree: 13 ms at 1M nodes; once per snapshot)."""
        return self._cached("rows", "substrates", "SELECT count(*) FROM substrates", ()) or 0.0

    def relationships(self) -> float:
        """Count the relationships (once per snapshot)."""
        return self._cached("rows", "relationships", "SELECT count(*) FROM relationships", ()) or 0.0

    def label(self, label: str) -> float:
        """Count the substrates with ``label`` from the label index, up to COUNT_CAP: two labels past it tie."""
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM substrate_labels "
            "WHERE label = (SELECT id FROM names WHERE name = ?) LIMIT ?)"
        )
        return self._cached("label", label, sql, (label, COUNT_CAP)) or 0.0

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
