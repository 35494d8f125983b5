"""Measure how near any SQL on bfxdb's schema comes to the raw twin, for the everyday queries nearest their targets.

Run: python -m benchmarks.floors [--nodes N] [--rounds R] [--url POSTGRESQL_URL] [--cpu N]

The graph of benchmarks.everyday is loaded into bfxdb and into the plain raw schema (on SQLite,
and also on PostgreSQL when `--url` names a server). For two queries, each beside its raw twin
in interleaved rounds, the table times what bfxdb runs and the cheapest statements that any
engine could run on bfxdb's tables for the same answer, step by step:

- `count(*) WHERE unindexed age = $x`: every row read without its JSON; the JSON equality
  alone (SQLite's `json_extract`, PostgreSQL's containment `@>`); a cheaper text test that is
  not exact (a substring of the JSON text; the value's text by `->>`), timed for its cost
  only; the JSON equality and the label test; bfxdb's query. If the JSON test alone is over
  the target ratio, no plan reaches the target on this storage: the remaining cost is the
  format, not the engine.
- `MATCH (n) RETURN n LIMIT 5`: the five nodes' columns alone; bfxdb's own statement (the
  columns and each node's labels, taken from EXPLAIN); bfxdb's query, which adds decoding five
  nodes and its layers.

On PostgreSQL every connection of the run (bfxdb's too) plans without parallel workers
(`max_parallel_workers_per_gather = 0`, through PGOPTIONS): the steps then compare what each
statement costs per row, not how many workers the planner chose for it on two cores.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import bfxdb

from .common import interleaved_medians, per_call_us
from .everyday import SQLITE, TARGET_RATIO, build_graph, load_bfxdb, load_raw, times
from .pg_everyday import POSTGRES, drop_schemas, load_raw_postgres, pin, raw_postgres, schema_url
from .pg_everyday import TARGET_RATIO as POSTGRES_TARGET_RATIO

AGES = (5, 30, 50, 77, 99)
SAMPLE_SECONDS = 0.1
#: seconds a PostgreSQL statement of the run may take before the server stops it
STATEMENT_CAP = 60.0
COUNT_CYPHER = "MATCH (n:Person) WHERE n.age = $x RETURN count(*)"
PAGE_CYPHER = "MATCH (n) RETURN n LIMIT 5"
PAGE_TWIN = "SELECT id, pid, age, name FROM person LIMIT 5"
NODE_COLUMNS = "SELECT identity, expression_type, expression_code, metadata, created_at FROM substrates LIMIT 5"
COUNT_FROM = "SELECT count(*) FROM substrates AS s WHERE "
LABEL_TEST = "EXISTS (SELECT 1 FROM substrate_labels AS l WHERE l.node = s.node AND l.label = ?)"
JSON_TEST = {
    "SQLite": ("json_extract(s.metadata, '$.age') = ?", lambda age: age),
    "PostgreSQL": ("s.metadata @> ?::jsonb", lambda age: f'{{"age": {age}}}'),
}
# Cheaper than any exact test, and wrong for some stored JSON (spaces, 30.0 for 30, escapes):
# timed to show the target is out of reach even for a test that may give a wrong answer.
INEXACT_TEST = {
    "SQLite": ("instr(s.metadata, ?) > 0", lambda age: f'"age":{age},'),
    "PostgreSQL": ("s.metadata ->> 'age' = ?", str),
}


def statement_of(db: bfxdb.Database, cypher: str) -> str:
    """The one SQL statement EXPLAIN shows for a query that runs as one statement without parameters."""
    lines = [line.strip() for line in db.query(f"EXPLAIN {cypher}").plan.splitlines()]
    statements = [line.removeprefix("SQL: ") for line in lines if line.startswith("SQL: ")]
    if len(statements) != 1:
        raise SystemExit(f"{cypher!r} does not run as one statement: {statements!r}")
    return statements[0]


def timed(run: Callable[[int], object]) -> Callable[[], float]:
    """A contender: calls of `run` (cycling through AGES) filling about SAMPLE_SECONDS, as µs per call."""
    started = per_call_us(lambda: run(0), 1)
    calls = max(1, min(2_000, int(SAMPLE_SECONDS * 1e6 / max(started, 1.0))))
    counter = itertools.count()
    return lambda: per_call_us(lambda: run(next(counter) % len(AGES)), calls)


def contenders(
    name: str, db: bfxdb.Database, bfx: Any, raw: Any, person: int, spell: Callable[[str], str]
) -> dict[str, dict[str, Callable[[], float]]]:
    """The timed steps of both queries on one backend; `spell` turns SQLite's text into the backend's."""
    test, value = JSON_TEST[name]
    inexact, inexact_value = INEXACT_TEST[name]

    def on(connection: Any, sql: str, *arguments: Callable[[int], object]) -> Callable[[], float]:
        text = spell(sql)
        return timed(lambda i: connection.execute(text, [argument(AGES[i]) for argument in arguments]).fetchall())

    page = statement_of(db, PAGE_CYPHER)
    return {
        "count(*) WHERE unindexed age = $x": {
            "raw twin: person.age = ?": on(raw, "SELECT count(*) FROM person WHERE age = ?", lambda age: age),
            "every row read, no JSON": on(bfx, COUNT_FROM + "s.created_at <> ?", lambda _: -1),
            "the JSON test alone": on(bfx, COUNT_FROM + test, value),
            "an inexact text test alone (not an answer)": on(bfx, COUNT_FROM + inexact, inexact_value),
            "the JSON test and the label test": on(
                bfx, f"{COUNT_FROM}{test} AND {LABEL_TEST}", value, lambda _: person
            ),
            "bfxdb query": timed(lambda i: db.query(COUNT_CYPHER, {"x": AGES[i]}).rows),
        },
        "MATCH (n) RETURN n LIMIT 5": {
            "raw twin: person LIMIT 5": on(raw, PAGE_TWIN),
            "the nodes' columns alone": on(bfx, NODE_COLUMNS),
            "bfxdb's statement (with labels)": timed(lambda _: bfx.execute(page).fetchall()),
            "bfxdb query": timed(lambda _: db.query(PAGE_CYPHER).rows),
        },
    }


def print_steps(name: str, steps: dict[str, dict[str, Callable[[], float]]], rounds: int, target: float) -> None:
    """Time each query's steps in interleaved rounds and print them as Markdown, each against its twin."""
    for query, contenders_of in steps.items():
        medians = interleaved_medians(contenders_of, rounds)
        twin = next(iter(medians.values()))
        print(f"\n{name}, {query} (target <= {target:g}x its twin; medians of {rounds} interleaved rounds)\n")
        print("| step | µs per call | / raw twin |")
        print("|---|---|---|")
        for step, micros in medians.items():
            print(f"| {step} | {micros:,.1f} | {times(micros / twin)} |")


def label_id(connection: Any) -> int:
    """The id bfxdb keeps the label Person under."""
    return connection.execute("SELECT id FROM names WHERE name = 'Person'").fetchone()[0]


def run_sqlite(nodes: int, rounds: int) -> None:
    """Load both SQLite files and print the steps there."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        people, edges = build_graph(nodes)
        load_bfxdb(folder / "bfx.db", people, edges)
        load_raw(folder / "raw.db", people, edges)
        # millions of live tuples would make every collection of the cyclic GC slower for bfxdb's reads
        del people, edges
        with (
            closing(sqlite3.connect(folder / "bfx.db")) as bfx,
            closing(sqlite3.connect(folder / "raw.db")) as raw,
            bfxdb.connect(folder / "bfx.db") as db,
        ):
            steps = contenders("SQLite", db, bfx, raw, label_id(bfx), SQLITE.translate)
            print_steps("SQLite", steps, rounds, TARGET_RATIO)


def run_postgres(url: str, nodes: int, rounds: int, cpu: int | None) -> None:
    """Load both schemas on the server, print the steps there, and drop the schemas."""
    os.environ["PGOPTIONS"] = f"{os.environ.get('PGOPTIONS', '')} -c max_parallel_workers_per_gather=0".strip()
    schemas = {"bfxdb": f"floor_bfx_{uuid.uuid4().hex[:8]}", "raw": f"floor_raw_{uuid.uuid4().hex[:8]}"}
    try:
        people, edges = build_graph(nodes)
        load_bfxdb(schema_url(url, schemas["bfxdb"]), people, edges)
        load_raw_postgres(url, schemas["raw"], people, edges)
        del people, edges
        with (
            raw_postgres(url, schemas["bfxdb"], STATEMENT_CAP) as bfx,
            raw_postgres(url, schemas["raw"], STATEMENT_CAP) as raw,
            bfxdb.connect(schema_url(url, schemas["bfxdb"])) as db,
        ):
            if cpu is not None:
                pin(cpu, [bfx, raw, db.store])
            steps = contenders("PostgreSQL", db, bfx, raw, label_id(bfx), POSTGRES.translate)
            print_steps("PostgreSQL", steps, rounds, POSTGRES_TARGET_RATIO)
    finally:
        drop_schemas(url, schemas.values())


def main() -> None:
    """Parse the options and measure each backend asked for."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=200_000, help="Person nodes (2x as many KNOWS)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--url", help="also measure on this PostgreSQL server (fresh schemas, dropped after)")
    parser.add_argument("--cpu", type=int, help="on PostgreSQL, pin this process and the server connections to one CPU")
    args = parser.parse_args()
    print(f"{args.nodes:,} Person nodes, {2 * args.nodes:,} KNOWS relationships")
    run_sqlite(args.nodes, args.rounds)
    if args.url:
        run_postgres(args.url, args.nodes, args.rounds, args.cpu)


if __name__ == "__main__":
    main()
