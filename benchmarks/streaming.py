"""Benchmark queries whose answer needs a fraction of their input (LIMIT, count) against hand-written SQL.

Run: python -m benchmarks.streaming [--substrates N] [--rounds R] [--engine DIR] [--file PATH]

``--engine DIR`` imports bfxdb from another checkout (e.g. main's), so the same script, on the
same file, measures before and after. Each figure is the median of interleaved rounds; the peak
memory is the growth of the process's resident high-water mark over one run in a forked child.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import interleaved_medians, print_table

COLUMNS = (
    "s.identity, s.expression_type, s.expression_code, s.metadata, s.created_at, "
    "(SELECT group_concat(n.name, CAST(X'1F' AS TEXT)) FROM substrate_labels l JOIN names n ON n.id = l.label "
    "WHERE l.node = s.node)"
)
#: (name, Cypher, its hand-written SQL twin)
QUERIES = (
    ("first 5 nodes", "MATCH (n) RETURN n LIMIT 5", f"SELECT {COLUMNS} FROM substrates s LIMIT 5"),
    (
        "2 hops, first 3",
        "MATCH (a)-->()-->(c) RETURN c LIMIT 3",
        f"SELECT {COLUMNS} FROM relationships r1 JOIN relationships r2 ON r2.source = r1.target "
        "JOIN substrates s ON s.node = r2.target WHERE r1.identity <> r2.identity LIMIT 3",
    ),
    (
        "count of 5,000 x 5,000 UNWIND",
        "UNWIND range(1, 5000) AS a UNWIND range(1, 5000) AS b RETURN count(*)",
        "WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM a WHERE x < 5000) "
        "SELECT count(*) FROM a, a AS b",
    ),
)


def build(bfxdb: Any, path: Path, count: int) -> None:
    """Make a random graph of ``count`` labelled nodes and ``2 * count`` typed relationships."""
    rng = random.Random(7)
    ids = list({rng.getrandbits(63) for _ in range(count + count // 100 + 10)})[:count]
    substrates = ({"identity": identity, "labels": ["N"], "metadata": {"i": i}} for i, identity in enumerate(ids))
    relationships = (
        {"identity": rng.getrandbits(63), "source": rng.choice(ids), "target": rng.choice(ids), "rel_type": "E"}
        for _ in range(2 * count)
    )
    with bfxdb.connect(path) as database:
        database.bulk_load(substrates, relationships)


def timed(function: Callable[[], object]) -> Callable[[], float]:
    """Wrap a call so it returns its duration in milliseconds."""

    def measure() -> float:
        started = time.perf_counter()
        function()
        return (time.perf_counter() - started) * 1000

    return measure


def peak_mb(function: Callable[[], object]) -> float:
    """Run ``function`` once in a forked child and return the growth of its peak resident memory (MB)."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        function()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.write(write, str((after - before) / 1024).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(child, 0)
    return float(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--substrates", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", help="import bfxdb from this checkout instead")
    parser.add_argument("--file", help="the graph file: built when missing, kept (default: a temporary one)")
    args = parser.parse_args()
    if args.engine:
        sys.path.insert(0, str(Path(args.engine).resolve()))
    bfxdb = importlib.import_module("bfxdb")
    print(f"bfxdb from {Path(bfxdb.__file__).parent.parent}")
    folder = tempfile.TemporaryDirectory()
    path = Path(args.file) if args.file else Path(folder.name) / "graph.db"
    if not path.exists():
        build(bfxdb, path, args.substrates)
    rows = []
    for name, cypher, sql in QUERIES:

        def cypher_run(text: str = cypher) -> object:
            # a connection per run, as in a forked child: nothing cached but the plan
            with bfxdb.connect(path) as database:
                return database.query(text, timeout=600).rows

        def sql_run(text: str = sql) -> object:
            connection = sqlite3.connect(path)
            try:
                return [(row[0], json.loads(row[3])) if len(row) > 1 else row for row in connection.execute(text)]
            finally:
                connection.close()

        cypher_run()
        medians = interleaved_medians({"bfxdb": timed(cypher_run), "sql": timed(sql_run)}, args.rounds)
        memory = peak_mb(cypher_run), peak_mb(sql_run)
        rows.append((f"{name} (ms)", f"{medians['bfxdb']:.1f}", f"{medians['sql']:.1f}", _ratio(medians)))
        rows.append((f"{name} (peak MB)", f"{memory[0]:.1f}", f"{memory[1]:.1f}", ""))
    print_table(f"{args.substrates:,} nodes, {2 * args.substrates:,} relationships; reference: raw SQL", rows)
    folder.cleanup()


def _ratio(medians: dict[str, float]) -> str:
    return f"{medians['bfxdb'] / medians['sql']:.1f}x" if medians["sql"] else "-"


if __name__ == "__main__":
    main()
