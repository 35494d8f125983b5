"""Benchmark anchored traversals and index-ordered LIMIT through Cypher against raw-SQL twins on one file.

Run: python -m benchmarks.pushdown [--substrates N] [--rounds R]

The graph: N Person nodes with a ``pid`` property ("p0" .. "pN-1") and a Cypher property index on
it, and 2N random KNOWS relationships. Each Cypher query is timed beside hand-written SQL that
computes the same answer on the same file, after checking that both answers agree.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bfxdb

from .common import interleaved_medians, print_table

ANCHORED = "MATCH (a:Person {pid: 'p5'})-[:KNOWS*1..3]->(c) RETURN count(DISTINCT c)"
ANCHORED_SPLIT = "MATCH (a:Person) WHERE a.pid = 'p5' MATCH (a)-[:KNOWS*1..3]->(c) RETURN count(DISTINCT c)"
ANCHORED_SQL = (
    "WITH RECURSIVE reach(node, depth) AS ("
    "SELECT s.node, 0 FROM substrates AS s WHERE json_extract(s.metadata, '$.\"pid\"') = ? "
    "AND EXISTS (SELECT 1 FROM substrate_labels AS l WHERE l.node = s.node "
    "AND l.label = (SELECT id FROM names WHERE name = 'Person')) "
    "UNION SELECT r.target, reach.depth + 1 FROM reach JOIN relationships AS r "
    "ON r.source = reach.node AND r.rel_type = (SELECT id FROM names WHERE name = 'KNOWS') WHERE reach.depth < 3) "
    "SELECT count(DISTINCT node) FROM reach WHERE depth >= 1"
)
ORDERED = "MATCH (n:Person) RETURN n.pid ORDER BY n.pid LIMIT 3"
ORDERED_SQL = (
    "SELECT json_extract(s.metadata, '$.\"pid\"') AS pid FROM substrates AS s "
    "WHERE json_extract(s.metadata, '$.\"pid\"') IS NOT NULL "
    "AND EXISTS (SELECT 1 FROM substrate_labels AS l WHERE l.node = s.node "
    "AND l.label = (SELECT id FROM names WHERE name = 'Person')) "
    "ORDER BY json_extract(s.metadata, '$.\"pid\"') LIMIT 3"
)


def build(path: Path, count: int, seed: int = 11) -> None:
    """Write the benchmark graph into a new bfxdb file at ``path``."""
    rng = random.Random(seed)
    ids = list(range(1, count + 1))
    substrates = [{"identity": i, "labels": ["Person"], "metadata": {"pid": f"p{i - 1}"}} for i in ids]
    relationships = [
        {"identity": index + 1, "source": rng.choice(ids), "target": rng.choice(ids), "rel_type": "KNOWS"}
        for index in range(2 * count)
    ]
    db = bfxdb.connect(str(path))
    db.bulk_load(substrates, relationships)
    db.query("CREATE INDEX FOR (n:Person) ON (n.pid)")
    db.close()


def timed(function: Callable[[], Any]) -> Callable[[], float]:
    """Wrap a call into a measure returning its milliseconds."""

    def measure() -> float:
        started = time.perf_counter()
        function()
        return (time.perf_counter() - started) * 1e3

    return measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--substrates", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "graph.db"
        started = time.perf_counter()
        build(path, args.substrates)
        print(f"built {args.substrates:,} Person nodes and {2 * args.substrates:,} KNOWS in "
              f"{time.perf_counter() - started:.1f} s")
        db = bfxdb.connect(str(path))
        raw = sqlite3.connect(path)
        cases = [
            ("anchored *1..3, inline map", lambda: db.query(ANCHORED).rows,
             lambda: [list(row) for row in raw.execute(ANCHORED_SQL, ("p5",))]),
            ("anchored *1..3, split WHERE", lambda: db.query(ANCHORED_SPLIT).rows,
             lambda: [list(row) for row in raw.execute(ANCHORED_SQL, ("p5",))]),
            ("ORDER BY indexed pid LIMIT 3", lambda: db.query(ORDERED).rows,
             lambda: [list(row) for row in raw.execute(ORDERED_SQL)]),
        ]
        rows = []
        for name, cypher, sql in cases:
            answer, expected = [list(row) for row in cypher()], sql()
            if answer != expected:
                raise SystemExit(f"{name}: Cypher answered {answer}, SQL {expected}")
            medians = interleaved_medians({"cypher": timed(cypher), "sql": timed(sql)}, args.rounds)
            rows.append((f"{name} (ms)", f"{medians['cypher']:.2f}", f"{medians['sql']:.2f}",
                         f"{medians['cypher'] / medians['sql']:.2f}x"))
        print_table(f"pushdown, {args.substrates:,} nodes, median of {args.rounds} interleaved rounds", rows)
        raw.close()
        db.close()


if __name__ == "__main__":
    main()
