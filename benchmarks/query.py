"""Benchmark Cypher through Database.query against its hand-written SQL twin on the same file, and Kuzu.

Run: python -m benchmarks.query [--substrates N] [--rounds R] [--queries Q] [--profile]
 or: python -m benchmarks.query --everyday [--nodes N] [--rounds R] [--cap S] [--memory-cap GIB]
     for the everyday-queries table (benchmarks/everyday.py)
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import pstats
import random
import sqlite3
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bfxdb
from bfxdb.identity import to_signed, to_unsigned

from . import everyday
from .common import interleaved_medians, per_call_us
from .store import generate

try:
    import kuzu
except ImportError:
    kuzu = None

DEPTHS = (1, 2, 3, 5)
REACH_CYPHER = "MATCH (a)-[*1..{k}]->(b) WHERE id(a) = $id RETURN count(DISTINCT b)"
REACH_KUZU = "MATCH (a:N)-[:E*1..{k}]->(b:N) WHERE a.id = $id RETURN count(DISTINCT b)"
REACH_SQL = (
    "WITH RECURSIVE reach(node, depth) AS (SELECT node, 0 FROM substrates WHERE identity = ? "
    "UNION SELECT r.target, reach.depth + 1 "
    "FROM relationships r JOIN reach ON r.source = reach.node WHERE reach.depth < ?) "
    "SELECT count(DISTINCT node) FROM reach WHERE depth >= 1"
)
SUBSTRATE_COLUMNS = (
    "s.identity, s.expression_type, s.expression_code, s.metadata, s.created_at, "
    "(SELECT group_concat(n.name, CAST(X'1F' AS TEXT)) FROM substrate_labels l JOIN names n ON n.id = l.label "
    "WHERE l.node = s.node)"
)
POINT_SQL = f"SELECT {SUBSTRATE_COLUMNS} FROM substrates s WHERE s.identity = ?"
HOP_SQL = (
    f"SELECT {SUBSTRATE_COLUMNS} FROM relationships r JOIN substrates s ON s.node = r.target "
    "WHERE r.source = (SELECT node FROM substrates WHERE identity = ?)"
)
CREATED_AT = "2026-01-01T00:00:00.000000Z"


@dataclass(frozen=True)
class Workload:
    """One query in its three spellings, with the extra SQL parameters and how to read each answer.

    Answers are reduced to comparable values (a count, or a sorted list of identities) so the
    contenders can be checked against each other before any timing.
    """

    name: str
    cypher: str
    sql: str
    sql_extra: tuple[int, ...]
    kuzu: str
    bfxdb_answer: Callable[[Any], object]
    raw_answer: Callable[[list[tuple]], object]
    kuzu_answer: Callable[[list[list]], object]


def workloads() -> list[Workload]:
    """Return the measured queries: point lookup, 1-hop listing, then reachability at each depth."""
    # Both list substrates, so all three contenders' answers compare as sorted unsigned ids.
    identities = (
        lambda result: sorted([row[0].identity for row in result.rows]),
        lambda rows: sorted([to_unsigned(row[0]) for row in rows]),
        lambda rows: sorted([to_unsigned(row[0]["id"]) for row in rows]),
    )
    listed = [
        Workload(
            "point lookup", "MATCH (n) WHERE id(n) = $id RETURN n", POINT_SQL, (),
            "MATCH (n:N) WHERE n.id = $id RETURN n", *identities,
        ),
        Workload(
            "1-hop listing", "MATCH (a)-[r]->(b) WHERE id(a) = $id RETURN b", HOP_SQL, (),
            "MATCH (a:N)-[:E]->(b:N) WHERE a.id = $id RETURN b", *identities,
        ),
    ]
    for k in DEPTHS:
        listed.append(Workload(
            f"reach *1..{k} count", REACH_CYPHER.format(k=k), REACH_SQL, (k,), REACH_KUZU.format(k=k),
            lambda result: result.rows[0][0], lambda rows: rows[0][0], lambda rows: rows[0][0],
        ))
    return listed


def load_kuzu(folder: Path, substrates: list[dict], relationships: list[dict]) -> Any:
    """Load the same nodes and edges into a Kuzu database under `folder` via COPY FROM CSV.

    Kuzu keys are the signed ids: its Python binding cannot pass an integer >= 2**63 as a parameter.

    :returns: a Kuzu connection limited to one thread, like sqlite3.
    """
    nodes, edges = folder / "nodes.csv", folder / "edges.csv"
    with nodes.open("w", newline="") as stream:
        csv.writer(stream).writerows(
            (to_signed(s["identity"]), s["labels"][0], stored_json(s["metadata"]), CREATED_AT) for s in substrates
        )
    with edges.open("w", newline="") as stream:
        csv.writer(stream).writerows(
            (to_signed(r["source"]), to_signed(r["target"]), to_signed(r["identity"]), r["rel_type"],
             stored_json(r["metadata"]))
            for r in relationships
        )
    database = kuzu.Database(str(folder / "kuzu"))
    connection = kuzu.Connection(database, num_threads=1)
    connection.execute(
        "CREATE NODE TABLE N(id INT64, label STRING, metadata STRING, created_at STRING, PRIMARY KEY(id))"
    )
    connection.execute("CREATE REL TABLE E(FROM N TO N, id INT64, rel_type STRING, metadata STRING)")
    connection.execute(f"COPY N FROM '{nodes}' (HEADER=false)")
    connection.execute(f"COPY E FROM '{edges}' (HEADER=false)")
    return connection


def stored_json(value: dict) -> str:
    """Serialise metadata the way the store writes it, so Kuzu carries the same text."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def prepare_kuzu(graph: Any, text: str) -> Any:
    """Prepare a Kuzu statement once, its fastest way to repeat a query (bfxdb caches its plans too).

    Kuzu 0.11 deprecates separate prepare + execute but still supports it, and it cuts about
    40% of a point lookup's time against execute(text, parameters).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return graph.prepare(text)


def check_answers(workload: Workload, contenders: dict[str, Callable[[int], object]], count: int) -> None:
    """Compare every contender's answer with raw SQL's for each start id; exit loudly on the first mismatch."""
    for index in range(count):
        answers = {name: answer(index) for name, answer in contenders.items()}
        if any(value != answers["raw"] for value in answers.values()):
            raise SystemExit(f"ANSWERS DISAGREE for {workload.name!r} at start id index {index}: {answers!r}")


def measure(
    workload: Workload, db: bfxdb.Database, raw: sqlite3.Connection, graph: Any,
    starts: list[int], rounds: int,
) -> dict[str, float]:
    """Check that the contenders agree on `workload`, then return each one's median µs per query."""
    signed = [to_signed(start) for start in starts]
    parameters = [{"id": start} for start in starts]
    kuzu_parameters = [{"id": start} for start in signed]
    sql_parameters = [(start, *workload.sql_extra) for start in signed]
    runs: dict[str, Callable[[int], Any]] = {
        "bfxdb": lambda i: db.query(workload.cypher, parameters[i]),
        "raw": lambda i: raw.execute(workload.sql, sql_parameters[i]).fetchall(),
    }
    answers = {"bfxdb": workload.bfxdb_answer, "raw": workload.raw_answer}
    if graph is not None:
        prepared = prepare_kuzu(graph, workload.kuzu)
        runs["kuzu"] = lambda i: graph.execute(prepared, kuzu_parameters[i]).get_all()
        answers["kuzu"] = workload.kuzu_answer
    check_answers(
        workload, {name: (lambda i, run=run, name=name: answers[name](run(i))) for name, run in runs.items()},
        len(starts),
    )

    def timed(run: Callable[[int], Any]) -> Callable[[], float]:
        def one_round() -> float:
            iterator = iter(range(len(starts)))
            return per_call_us(lambda: run(next(iterator)), len(starts))
        return one_round

    return interleaved_medians({name: timed(run) for name, run in runs.items()}, rounds)


def profile_point_lookups(db: bfxdb.Database, starts: list[int], calls: int) -> None:
    """Print where Database.query spends its time over `calls` point lookups (cProfile, by own time)."""
    cypher = workloads()[0].cypher
    parameters = [{"id": starts[i % len(starts)]} for i in range(calls)]
    profiler = cProfile.Profile()
    profiler.enable()
    for each in parameters:
        db.query(cypher, each)
    profiler.disable()
    print(f"\ncProfile of {calls:,} point lookups through Database.query (top 25 by own time)")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def print_wide_table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Print rows of any width under a title, columns padded to their widest cell."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))


def main() -> None:
    """Load one random graph, check that every contender agrees, time them side by side and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--substrates", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--queries", type=int, default=2_000, help="start ids per contender per round")
    parser.add_argument("--profile", action="store_true", help="also cProfile 10 x Q point lookups")
    parser.add_argument("--everyday", action="store_true", help="run the everyday-queries table instead")
    everyday.add_options(parser)
    args = parser.parse_args()
    if args.everyday:
        everyday.run(args.nodes, args.rounds, args.cap, args.memory_cap)
        return

    substrates, relationships = generate(args.substrates)
    rng = random.Random(11)
    starts = [rng.choice(substrates)["identity"] for _ in range(args.queries)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with bfxdb.connect(folder / "bfx.db") as db:
            started = time.perf_counter()
            db.bulk_load(substrates=substrates, relationships=relationships)
            print(f"bfxdb bulk_load: {time.perf_counter() - started:.1f} s")
            graph = None
            if kuzu is None:
                print("kuzu is absent (pip install kuzu to compare with it)")
            else:
                started = time.perf_counter()
                graph = load_kuzu(folder, substrates, relationships)
                seconds = time.perf_counter() - started
                print(f"kuzu {kuzu.__version__} load, writing the CSV files and COPY FROM: {seconds:.1f} s")
            del substrates, relationships

            raw = sqlite3.connect(folder / "bfx.db")
            rows = []
            for workload in workloads():
                figures = measure(workload, db, raw, graph, starts, args.rounds)
                row = (workload.name, f"{figures['bfxdb']:.1f}", f"{figures['raw']:.1f}",
                       f"{figures['bfxdb'] / figures['raw']:.2f}x")
                if graph is not None:
                    row += (f"{figures['kuzu']:.1f}", f"{figures['kuzu'] / figures['raw']:.2f}x")
                rows.append(row)
                print(f"  measured {workload.name}", flush=True)
            raw.close()
            if graph is not None:
                graph.close()
                graph.database.close()
            if args.profile:
                profile_point_lookups(db, starts, 10 * args.queries)

    header = ("query (µs per query)", "bfxdb", "raw SQL", "bfxdb/raw")
    if graph is not None:
        header += ("kuzu", "kuzu/raw")
    print_wide_table(
        f"bfxdb query benchmark: {args.substrates:,} substrates, {2 * args.substrates:,} relationships, "
        f"{args.queries:,} random start ids, median of {args.rounds} interleaved rounds"
        + ("; kuzu: 1 thread, prepared statements" if graph is not None else ""),
        header, rows,
    )
    print("\ntarget: every Cypher figure <= 2x its raw SQL twin")


if __name__ == "__main__":
    main()
