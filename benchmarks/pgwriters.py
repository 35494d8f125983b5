"""Benchmark many writer processes on one PostgreSQL database: throughput, and proof that no row is lost or doubled.

Each of N processes (1, 2, 4 by default) writes --per-writer small transactions as fast as it
can: one labelled substrate with metadata saying which writer and which row it is, and one
relationship from it to a hub substrate every writer shares (so writers lock the same row).
bfxdb does it with create_substrate then create_relationship in one db.transaction(); the
reference is what a careful engineer writes by hand with psycopg over the same tables: one
INSERT ... RETURNING, one label INSERT and one relationship INSERT, in one transaction per row.
Rounds alternate reference / bfxdb on a fresh schema each; after every round the schema is
checked: every (writer, row) pair present exactly once, as many relationships to the hub, no
node number used twice. Medians of rows per second and the ratio bfxdb / reference are printed
as JSON lines.

Run: python -m benchmarks.pgwriters --url postgresql://bfxdb:bfxdb@127.0.0.1:5432/bfxdb_test
         [--writers 1,2,4] [--per-writer 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import time
import uuid
from collections import Counter

import psycopg

import bfxdb

HUB = 1


def _bfxdb_writer(url: str, number: int, count: int, start, done) -> None:
    with bfxdb.connect(url) as db:
        start.wait()
        for i in range(count):
            with db.transaction():
                made = db.create_substrate(labels=["W"], metadata={"writer": number, "i": i})
                db.create_relationship(made.identity, HUB, "TO_HUB")
    done.put(number)


def _reference_writer(url: str, number: int, count: int, start, done) -> None:
    base, schema = url.split("?schema=")
    with psycopg.connect(base) as connection:
        connection.execute(f'SET search_path TO "{schema}"')
        label = _one(connection.execute("SELECT id FROM names WHERE name = 'W'"))
        rel_type = _one(connection.execute("SELECT id FROM names WHERE name = 'TO_HUB'"))
        hub = _one(connection.execute("SELECT node FROM substrates WHERE identity = %s", (HUB,)))
        connection.commit()
        start.wait()
        for i in range(count):
            node = _one(connection.execute(
                "INSERT INTO substrates (identity, metadata, created_at) VALUES (%s, %s, %s) RETURNING node",
                ((number + 1) << 32 | i, json.dumps({"writer": number, "i": i}), time.time_ns() // 1000),
            ))
            connection.execute("INSERT INTO substrate_labels (node, label) VALUES (%s, %s)", (node, label))
            connection.execute(
                "INSERT INTO relationships (source, target, rel_type, metadata, created_at) "
                "SELECT %s, node, %s, '{}', %s FROM substrates WHERE node = %s FOR KEY SHARE",
                (node, rel_type, time.time_ns() // 1000, hub),
            )
            connection.commit()
    done.put(number)


def _one(cursor: psycopg.Cursor) -> int:
    row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def _prepare(url: str) -> None:
    """A fresh schema with the hub and the names both writers use (the reference interns none itself)."""
    with bfxdb.connect(url) as db:
        db.create_substrate(identity=HUB, labels=["Hub"])
        db.store.execute("INSERT INTO names (name) VALUES ('W'), ('TO_HUB')")


def _verify(url: str, writers: int, count: int) -> None:
    """Every (writer, row) pair exactly once, one hub relationship each, node numbers distinct."""
    with bfxdb.connect(url, read_only=True) as db:
        pairs = Counter((s.metadata["writer"], s.metadata["i"]) for s in db.find_substrates(label="W"))
        expected = {(writer, i) for writer in range(writers) for i in range(count)}
        assert set(pairs) == expected, f"lost rows: {len(expected - set(pairs))}"
        assert max(pairs.values()) == 1, "duplicated rows"
        incoming = db.incoming(HUB)
        assert len(incoming) == len({r.identity for r in incoming}) == writers * count
        nodes = [row[0] for row in db.store.execute("SELECT node FROM substrates")]
        assert len(nodes) == len(set(nodes)) == writers * count + 1


def _round(url: str, writer, writers: int, count: int) -> float:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    target = url + ("&" if "?" in url else "?") + "schema=" + schema
    try:
        _prepare(target)
        context = multiprocessing.get_context("spawn")
        start, done = context.Event(), context.Queue()
        processes = [context.Process(target=writer, args=(target, n, count, start, done)) for n in range(writers)]
        for process in processes:
            process.start()
        time.sleep(1.0)  # let every process import and connect: the clock times writing only
        started = time.perf_counter()
        start.set()
        for _ in processes:
            done.get(timeout=600)
        elapsed = time.perf_counter() - started
        for process in processes:
            process.join(60)
        assert [process.exitcode for process in processes] == [0] * writers
        _verify(target, writers, count)
        return writers * count / elapsed
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BFXDB_TEST_POSTGRES"), help="a postgresql:// URL")
    parser.add_argument("--writers", default="1,2,4", help="writer process counts, comma-separated")
    parser.add_argument("--per-writer", type=int, default=500, help="rows each writer writes")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    if not arguments.url:
        parser.error("give --url or set BFXDB_TEST_POSTGRES")
    for writers in map(int, arguments.writers.split(",")):
        rates: dict[str, list[float]] = {"reference": [], "bfxdb": []}
        for _ in range(arguments.rounds):
            for name, writer in (("reference", _reference_writer), ("bfxdb", _bfxdb_writer)):
                rates[name].append(_round(arguments.url, writer, writers, arguments.per_writer))
        medians = {name: statistics.median(values) for name, values in rates.items()}
        print(
            json.dumps(
                {
                    "writers": writers,
                    "rows": writers * arguments.per_writer,
                    "rows_per_s": {name: [round(value) for value in values] for name, values in rates.items()},
                    "median_rows_per_s": {name: round(value) for name, value in medians.items()},
                    "ratio": round(medians["bfxdb"] / medians["reference"], 2),
                    "lost_or_duplicated": 0,
                    "load_average": os.getloadavg()[0],
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
