"""Benchmark the everyday Cypher queries on PostgreSQL against hand-written SQL there, beside the SQLite figures.

Run: python -m benchmarks.pg_everyday --url postgresql://bfxdb:bfxdb@127.0.0.1:5432/bfxdb_test
     [--nodes N] [--rounds R] [--cap SECONDS] [--memory-cap GIB] [--cpu N]

The graph of benchmarks.everyday (N Person nodes with an indexed `pid`, an unindexed `age` and a
`name`; 2N KNOWS relationships between random people) is loaded four times in one run: bfxdb on a
SQLite file and bfxdb in a fresh schema of the server (both with `bulk_load`, then `CREATE INDEX
FOR (n:Person) ON (n.pid)`), and the plain raw schema by hand on SQLite and in another fresh
schema of the server (`person(id, pid UNIQUE, age, name)`, `knows(id, src, dst)` with indexes on
`(src, dst)` and `(dst, src)` built after the rows, then ANALYZE). Each query's raw twin is the
SQLite twin of benchmarks.everyday written for PostgreSQL (`%s` placeholders, `knows.id` for the
relationship uniqueness SQLite reads from `rowid`, `= ANY(%s)` for a BFS frontier,
`generate_series` for the UNWIND count). Answers are checked equal on both engines before
timing; the medians are of interleaved rounds. Both schemas are dropped at the end.
"""

from __future__ import annotations

import argparse
import math
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg

import bfxdb

from .everyday import (
    SQLITE,
    Dialect,
    Figure,
    add_options,
    build_graph,
    everyday_queries,
    load_bfxdb,
    load_raw,
    measure,
    milliseconds,
    timed_raw,
    times,
    verdict,
)

#: The issue's target for PostgreSQL: bfxdb's query within 2x of hand-written SQL on the same server.
TARGET_RATIO = 2.0

POSTGRES = Dialect(
    "PostgreSQL",
    lambda sql: sql.replace(".rowid", ".id").replace("?", "%s"),
    "SELECT dst FROM knows WHERE src = ANY(%s) UNION SELECT src FROM knows WHERE dst = ANY(%s)",
    list,
    "WITH r AS (SELECT generate_series(1, %s) AS x) SELECT count(*) FROM r AS a, r AS b",
    (psycopg.errors.QueryCanceled,),
)

RAW_SCHEMA = (
    "CREATE TABLE person (id BIGINT PRIMARY KEY, pid TEXT UNIQUE, age INT, name TEXT)",
    "CREATE TABLE knows (id BIGINT PRIMARY KEY, src BIGINT NOT NULL REFERENCES person(id), "
    "dst BIGINT NOT NULL REFERENCES person(id))",
)
RAW_INDEXES = (
    "CREATE INDEX knows_out ON knows(src, dst)",
    "CREATE INDEX knows_in ON knows(dst, src)",
    "ANALYZE person",
    "ANALYZE knows",
)


def schema_url(url: str, schema: str) -> str:
    """The URL that makes bfxdb use `schema` of the server at `url`."""
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


def load_raw_postgres(url: str, schema: str, people: list[tuple[str, int, str]], edges: list[tuple[int, int]]) -> None:
    """Write the graph into the raw schema on the server by COPY, indexes built after the rows, then ANALYZE."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        connection.execute(f'SET search_path TO "{schema}"')
        with connection.transaction():
            for statement in RAW_SCHEMA:
                connection.execute(statement)
            with connection.cursor().copy("COPY person (id, pid, age, name) FROM STDIN") as copy:
                for index, (pid, age, name) in enumerate(people):
                    copy.write_row((index + 1, pid, age, name))
            with connection.cursor().copy("COPY knows (id, src, dst) FROM STDIN") as copy:
                for index, (source, target) in enumerate(edges):
                    copy.write_row((index + 1, source + 1, target + 1))
        for statement in RAW_INDEXES:
            connection.execute(statement)
    print(f"raw PostgreSQL schema load with its indexes: {time.perf_counter() - started:.1f} s", flush=True)


def raw_postgres(url: str, schema: str, cap: float) -> psycopg.Connection:
    """A connection to the raw schema whose statements stop after `cap` seconds."""
    connection = psycopg.connect(url, autocommit=True)
    connection.execute(f'SET search_path TO "{schema}"')
    connection.execute(f"SET statement_timeout = {int(cap * 1000)}")
    return connection


def drop_schemas(url: str, schemas: Iterable[str]) -> None:
    """Drop the schemas a run made on the server, with all they hold."""
    with psycopg.connect(url, autocommit=True) as connection:
        for schema in schemas:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def pin(cpu: int, connections: list[Any]) -> None:
    """Run this process and the server processes of these connections (psycopg's, or a store's) on one CPU only.

    Each small query is a request and a wait for its answer; on a machine with idle cores the
    wait's cost depends on whether the client and the server process happen to share one
    (the same `SELECT 1` took 23 µs on one connection and 72 µs on another, run after run).
    Pinned, both sides pay the same and runs agree.
    """
    os.sched_setaffinity(0, {cpu})
    for connection in connections:
        os.sched_setaffinity(connection.execute("SELECT pg_backend_pid()").fetchone()[0], {cpu})


def run(url: str, nodes: int, rounds: int, cap: float, memory_gib: float, cpu: int | None = None) -> None:
    """Load the four copies, measure every everyday query on both engines and print the table.

    :param cpu: pin this process and both server connections to that CPU (see pin).
    """
    memory = int(memory_gib * 2**30)
    people, edges = build_graph(nodes)
    schemas = {"bfxdb": f"bench_bfx_{uuid.uuid4().hex[:8]}", "raw": f"bench_raw_{uuid.uuid4().hex[:8]}"}
    postgres_url = schema_url(url, schemas["bfxdb"])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            load_bfxdb(folder / "bfx.db", people, edges)
            load_raw(folder / "raw.db", people, edges)
            load_bfxdb(postgres_url, people, edges)
            load_raw_postgres(url, schemas["raw"], people, edges)
            del people, edges
            sqlite_raw = sqlite3.connect(folder / "raw.db")
            deadline = [math.inf]
            timed_raw(sqlite_raw, deadline)
            postgres_raw = raw_postgres(url, schemas["raw"], cap)
            rows: list[tuple[Figure, Figure]] = []
            with bfxdb.connect(folder / "bfx.db") as on_sqlite, bfxdb.connect(postgres_url) as on_postgres:
                if cpu is not None:
                    # the store's connection of this thread, which every query here runs on
                    pin(cpu, [postgres_raw, on_postgres.store])
                sides = (
                    (everyday_queries(sqlite_raw, nodes, SQLITE), on_sqlite, sqlite_raw, folder / "bfx.db", SQLITE),
                    (
                        everyday_queries(postgres_raw, nodes, POSTGRES), on_postgres, postgres_raw, postgres_url,
                        POSTGRES,
                    ),
                )
                for on_each in zip(*(queries for queries, *_ in sides)):
                    pair = [
                        measure(query, db, raw, path, rounds, cap, memory, deadline, dialect)
                        for query, (_, db, raw, path, dialect) in zip(on_each, sides)
                    ]
                    for figure, dialect in zip(pair, (SQLITE, POSTGRES)):
                        print(f"  {dialect.name} {figure.name}: bfxdb {milliseconds(figure.bfxdb)}, raw "
                              f"{milliseconds(figure.raw)} (ms; {figure.note})", flush=True)
                    rows.append((pair[0], pair[1]))
            postgres_raw.close()
            sqlite_raw.close()
    finally:
        drop_schemas(url, schemas.values())
    print_table(rows, nodes, rounds, cap)


def ratio_of(figure: Figure) -> str:
    """bfxdb's time over its twin's, or a dash past the cap."""
    return "—" if math.isinf(figure.bfxdb) else times(figure.bfxdb / figure.raw)


def print_table(rows: list[tuple[Figure, Figure]], nodes: int, rounds: int, cap: float) -> None:
    """Print both engines' figures side by side as Markdown, ready for benchmarks/README.md."""
    print(
        f"\neveryday queries on PostgreSQL and SQLite: {nodes:,} Person nodes, {2 * nodes:,} KNOWS relationships; "
        f"median of {rounds} interleaved rounds (3 for a query over 1 s); cap {cap:g} s per query\n"
    )
    print("| query | PostgreSQL: bfxdb ms | hand-written SQL ms | bfxdb/SQL | <= 2x | SQLite: bfxdb ms | raw ms | "
          "bfxdb/raw | PostgreSQL note |")
    print("|---|---|---|---|---|---|---|---|---|")
    for on_sqlite, on_postgres in rows:
        print(
            f"| {on_postgres.name} | {milliseconds(on_postgres.bfxdb)} | {milliseconds(on_postgres.raw)} | "
            f"{ratio_of(on_postgres)} | {verdict(on_postgres, 0, TARGET_RATIO)} | {milliseconds(on_sqlite.bfxdb)} | "
            f"{milliseconds(on_sqlite.raw)} | {ratio_of(on_sqlite)} | {on_postgres.note} |"
        )
    print(f"\ntarget on PostgreSQL: every query <= {TARGET_RATIO:g}x hand-written SQL on the same server")


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BFXDB_TEST_POSTGRES"), help="a postgresql:// URL")
    add_options(parser)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cpu", type=int, help="pin this process and both server connections to this CPU")
    arguments = parser.parse_args()
    if not arguments.url:
        parser.error("give --url or set BFXDB_TEST_POSTGRES")
    run(arguments.url, arguments.nodes, arguments.rounds, arguments.cap, arguments.memory_cap, arguments.cpu)


if __name__ == "__main__":
    main()
