"""Benchmark the fixed cost of small everyday queries: db.query (and db.stream) beside the raw twin, per call.

Run: python -m benchmarks.hotpath [--nodes N] [--rounds R] [--calls C] [--profile NAME]

It builds the everyday Person/KNOWS graph (benchmarks.everyday) in a temporary folder, then
times each small query through ``db.query`` with a cached plan, and its raw twin on the plain
raw schema, in interleaved rounds; figures are medians in µs per call. ``--profile NAME``
prints cProfile's top functions for that query instead.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

import bfxdb

from .common import interleaved_medians, per_call_us
from .everyday import TWO_HOP_SQL, build_graph, load_bfxdb, load_raw

SMALL = {
    "LIMIT 5": ("MATCH (n) RETURN n LIMIT 5", {}, "SELECT id, pid, age, name FROM person LIMIT 5", ()),
    "ORDER BY indexed LIMIT 3": (
        "MATCH (n:Person) RETURN n.pid ORDER BY n.pid LIMIT 3", {}, "SELECT pid FROM person ORDER BY pid LIMIT 3", (),
    ),
    "anchored 2-hop": (
        "MATCH (a:Person {pid: $p})-[:KNOWS]->()-[:KNOWS]->(c:Person) WHERE c.age > $x RETURN c.pid",
        {"p": "p17", "x": 50}, TWO_HOP_SQL, ("p17", 50),
    ),
    "point lookup": (
        "MATCH (n:Person {pid: $p}) RETURN n.name", {"p": "p17"}, "SELECT name FROM person WHERE pid = ?", ("p17",),
    ),
}


def contenders(
    db: bfxdb.Database, raw: sqlite3.Connection, cypher: str, parameters: dict, sql: str, values: tuple, calls: int
) -> dict[str, Callable[[], float]]:
    """One query's three measures, each giving µs per call over `calls` calls."""
    return {
        "query": lambda: per_call_us(lambda: db.query(cypher, parameters).rows, calls),
        "stream": lambda: per_call_us(lambda: list(db.stream(cypher, parameters).tuples()), calls),
        "raw": lambda: per_call_us(lambda: raw.execute(sql, values).fetchall(), calls),
    }


def main() -> None:
    """Build the graph, then time (or profile) each small query beside its raw twin."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--profile", choices=sorted(SMALL), default=None)
    args = parser.parse_args()
    people, edges = build_graph(args.nodes)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        load_bfxdb(folder / "bfx.db", people, edges)
        load_raw(folder / "raw.db", people, edges)
        raw = sqlite3.connect(folder / "raw.db")
        with bfxdb.connect(folder / "bfx.db") as db:
            if args.profile:
                cypher, parameters, _, _ = SMALL[args.profile]
                db.query(cypher, parameters)
                profiler = cProfile.Profile()
                profiler.runcall(lambda: [db.query(cypher, parameters) for _ in range(args.calls)])
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
                return
            print(f"\nsmall queries, {args.nodes:,} nodes: median µs per call of {args.rounds} interleaved rounds")
            print("| query | db.query µs | db.stream µs | raw µs | query/raw |\n|---|---|---|---|---|")
            for name, (cypher, parameters, sql, values) in SMALL.items():
                db.query(cypher, parameters)
                measures = contenders(db, raw, cypher, parameters, sql, values, args.calls)
                figures = interleaved_medians(measures, args.rounds)
                print(f"| {name} | {figures['query']:.1f} | {figures['stream']:.1f} | {figures['raw']:.2f} | "
                      f"{figures['query'] / figures['raw']:.1f}x |", flush=True)
        raw.close()


if __name__ == "__main__":
    main()
