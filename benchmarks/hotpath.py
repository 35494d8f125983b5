"""Benchmark the fixed cost of small everyday queries: db.query (and db.stream) beside the raw twin, per call.

Run: python -m benchmarks.hotpath [--nodes N] [--rounds R] [--calls C] [--clock wall|cpu] [--profile NAME]

It builds the everyday Person/KNOWS graph (benchmarks.everyday) in a temporary folder, then
times each small query through ``db.query`` with a cached plan, and its raw twin on the plain
raw schema, in interleaved rounds; figures are medians in µs per call. A second table times
the reads by id of benchmarks.store and benchmarks.query (get_substrate, the store's outgoing
listing, and the id-anchored Cypher queries) beside their twins on the bfxdb file itself, over
random ids. ``--clock cpu`` times by this process's CPU time, which a busy machine disturbs
far less than the wall clock. ``--profile NAME`` prints cProfile's top functions for that
query instead.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bfxdb
from bfxdb.identity import to_unsigned

from .common import interleaved_medians, per_call_us
from .everyday import TWO_HOP_SQL, build_graph, load_bfxdb, load_raw
from .query import HOP_SQL, POINT_SQL, REACH_CYPHER, REACH_SQL

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
#: The store's own listing of a substrate's outgoing relationships, written by hand (as benchmarks.store's).
OUT_SQL = (
    "SELECT identity, source, target, rel_type, metadata, bidirectional, created_at FROM relationships "
    "WHERE source = (SELECT node FROM substrates WHERE identity = ?) ORDER BY rel_type, target, identity"
)

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
    db: bfxdb.Database, raw: sqlite3.Connection, cypher: str, parameters: dict, sql: str, values: tuple, calls: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Callable[[], float]]:
    """One query's three measures, each giving µs per call over `calls` calls."""
    return {
        "query": lambda: per_call_us(lambda: db.query(cypher, parameters).rows, calls, clock),
        "stream": lambda: per_call_us(lambda: list(db.stream(cypher, parameters).tuples()), calls, clock),
        "raw": lambda: per_call_us(lambda: raw.execute(sql, values).fetchall(), calls, clock),
    }


def id_reads(db: bfxdb.Database, raw: sqlite3.Connection, ids: list[int]) -> dict[str, tuple[Callable, Callable]]:
    """Per read by id: (the bfxdb call, its raw twin on the same file), each taking a signed id."""
    reads: dict[str, tuple[Callable, Callable]] = {
        "get_substrate (raw: the row with its labels)": (
            lambda i: db.get_substrate(to_unsigned(i)), lambda i: raw.execute(POINT_SQL, (i,)).fetchone(),
        ),
        "store outgoing": (
            lambda i: db.store.adjacent(to_unsigned(i), "out"), lambda i: raw.execute(OUT_SQL, (i,)).fetchall(),
        ),
        "MATCH (n) WHERE id(n) = $id RETURN n": (
            lambda i: db.query("MATCH (n) WHERE id(n) = $id RETURN n", {"id": to_unsigned(i)}).rows,
            lambda i: raw.execute(POINT_SQL, (i,)).fetchall(),
        ),
        "MATCH (a)-[r]->(b) WHERE id(a) = $id RETURN b": (
            lambda i: db.query("MATCH (a)-[r]->(b) WHERE id(a) = $id RETURN b", {"id": to_unsigned(i)}).rows,
            lambda i: raw.execute(HOP_SQL, (i,)).fetchall(),
        ),
    }
    for k in (1, 2):
        cypher = REACH_CYPHER.format(k=k)
        reads[f"reach *1..{k} count"] = (
            lambda i, cypher=cypher: db.query(cypher, {"id": to_unsigned(i)}).rows,
            lambda i, k=k: raw.execute(REACH_SQL, (i, k)).fetchall(),
        )
    return reads


def over_ids(read: Callable, ids: list[int], calls: int, clock: Callable[[], float]) -> Callable[[], float]:
    """A measure of `read` over `calls` calls, cycling through `ids`."""
    def measure() -> float:
        cycle = itertools.cycle(ids)
        return per_call_us(lambda: read(next(cycle)), calls, clock)

    return measure


def main() -> None:
    """Build the graph, then time (or profile) each small query beside its raw twin."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="wall clock or this process's CPU time")
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
            clock = CLOCKS[args.clock]
            print(f"\nsmall queries, {args.nodes:,} nodes: median µs per call ({args.clock} clock) of "
                  f"{args.rounds} interleaved rounds")
            print("| query | db.query µs | db.stream µs | raw µs | query/raw |\n|---|---|---|---|---|")
            for name, (cypher, parameters, sql, values) in SMALL.items():
                db.query(cypher, parameters)
                measures = contenders(db, raw, cypher, parameters, sql, values, args.calls, clock)
                figures = interleaved_medians(measures, args.rounds)
                print(f"| {name} | {figures['query']:.1f} | {figures['stream']:.1f} | {figures['raw']:.2f} | "
                      f"{figures['query'] / figures['raw']:.1f}x |", flush=True)
            same_file = sqlite3.connect(folder / "bfx.db")
            ids = [row[0] for row in same_file.execute("SELECT identity FROM substrates ORDER BY random() LIMIT 1000")]
            print(f"\nreads by id, twins on the bfxdb file: median µs per call ({args.clock} clock) of "
                  f"{args.rounds} interleaved rounds")
            print("| read | bfxdb µs | raw µs | bfxdb/raw |\n|---|---|---|---|")
            for name, (read, twin) in id_reads(db, same_file, ids).items():
                read(ids[0])
                figures = interleaved_medians(
                    {"bfxdb": over_ids(read, ids, args.calls, clock), "raw": over_ids(twin, ids, args.calls, clock)},
                    args.rounds,
                )
                print(f"| {name} | {figures['bfxdb']:.2f} | {figures['raw']:.2f} | "
                      f"{figures['bfxdb'] / figures['raw']:.2f}x |", flush=True)
            same_file.close()
        raw.close()


if __name__ == "__main__":
    main()
