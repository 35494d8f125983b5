"""Benchmark everyday Cypher queries on a Person/KNOWS graph against hand-written SQL on a plain raw schema.

Run: python -m benchmarks.everyday [--nodes N] [--rounds R] [--cap SECONDS] [--memory-cap GIB]
(also: python -m benchmarks.query --everyday --nodes N ...)
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import random
import resource
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bfxdb

from .common import interleaved_medians, per_call_us

ANCHORS = 10
FAR_AGE = 50
UNWIND_ROWS = 5_000
SHORTEST_DISTANCE = 5
MAX_HOPS = 6
TARGET_RATIO = 3.0
TARGET_SECONDS = 0.1
TARGET_NODES = 1_000_000
CHECK_BUDGET = 5.0
SLOW = 1.0
MEASURE_SECONDS = 0.1

RAW_SCHEMA = (
    "CREATE TABLE person (id INTEGER PRIMARY KEY, pid TEXT UNIQUE, age INT, name TEXT)",
    "CREATE TABLE knows (src INTEGER NOT NULL REFERENCES person(id), dst INTEGER NOT NULL REFERENCES person(id))",
)
RAW_INDEXES = (
    "CREATE INDEX knows_out ON knows(src, dst)",
    "CREATE INDEX knows_in ON knows(dst, src)",
    "ANALYZE",
)
# Fixed-length patterns join knows once per hop; rowid <> rowid is Cypher's rule that one
# match never uses the same relationship twice.
TWO_HOP_SQL = (
    "SELECT c.pid FROM person a JOIN knows k1 ON k1.src = a.id "
    "JOIN knows k2 ON k2.src = k1.dst AND k2.rowid <> k1.rowid JOIN person c ON c.id = k2.dst "
    "WHERE a.pid = ? AND c.age > ?"
)
THREE_HOP_SQL = (
    "SELECT c.pid FROM person a JOIN knows k1 ON k1.src = a.id "
    "JOIN knows k2 ON k2.src = k1.dst AND k2.rowid <> k1.rowid "
    "JOIN knows k3 ON k3.src = k2.dst AND k3.rowid <> k1.rowid AND k3.rowid <> k2.rowid "
    "JOIN person c ON c.id = k3.dst WHERE a.pid = ? AND c.age > ?"
)
CHAIN_SQL = (
    "SELECT a.pid, b.pid, c.pid FROM knows k1 JOIN knows k2 ON k2.src = k1.dst AND k2.rowid <> k1.rowid "
    "JOIN person a ON a.id = k1.src JOIN person b ON b.id = k1.dst JOIN person c ON c.id = k2.dst"
)
# Walks and relationship-unique trails of length 1..k reach the same nodes: the shortest walk
# to a node is a path. So a CTE over (node, depth) gives Cypher's count(DISTINCT c).
REACH_SQL = (
    "WITH RECURSIVE reach(node, depth) AS (SELECT id, 0 FROM person WHERE pid = ? "
    "UNION SELECT k.dst, reach.depth + 1 FROM knows k JOIN reach ON k.src = reach.node WHERE reach.depth < 3) "
    "SELECT count(DISTINCT node) FROM reach WHERE depth >= 1"
)
PRODUCT_SQL = (
    "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < ?) "
    "SELECT count(*) FROM r AS a, r AS b"
)
NEIGHBOURS_SQL = (
    "SELECT dst FROM knows WHERE src IN (SELECT value FROM json_each(?)) "
    "UNION SELECT src FROM knows WHERE dst IN (SELECT value FROM json_each(?))"
)


@dataclass(frozen=True)
class Dialect:
    """How the raw twins are written for one SQL engine: the statements that differ, how values are spelt.

    `translate` turns the SQLite text of a twin (``?`` placeholders, ``rowid``) into this
    engine's; `neighbours` takes the frontier twice, bound as `frontier` makes it; `stopped` is
    what a statement stopped by the engine's time limit raises.
    """

    name: str
    translate: Callable[[str], str]
    neighbours: str
    frontier: Callable[[list[int]], object]
    product: str
    stopped: tuple[type[BaseException], ...]


SQLITE = Dialect("SQLite", lambda sql: sql, NEIGHBOURS_SQL, json.dumps, PRODUCT_SQL, (sqlite3.OperationalError,))


@dataclass(frozen=True)
class Everyday:
    """One everyday query: its Cypher, its raw twin, the parameter sets, and how to read answers.

    `raw` is the timed twin: it runs on the raw connection and returns its rows or value.
    `answer` reduces a bfxdb Result and `raw_answer` the twin's output to comparable values,
    untimed; they use the raw connection where the answer is only defined up to order (LIMIT
    without ORDER BY): then both sides reduce to "k rows, every one of them valid".
    """

    name: str
    cypher: str
    parameters: tuple[dict[str, Any], ...]
    raw: Callable[[Any, dict[str, Any]], object]
    answer: Callable[[Any, Any], object]
    raw_answer: Callable[[Any, Any], object] = lambda _, value: value


@dataclass(frozen=True)
class Figure:
    """What one query measured: medians in seconds (inf past the cap) and the probe's outcome.

    `peak_rss_mb` is how far the probe's peak RSS rose above its RSS just before the query.
    """

    name: str
    bfxdb: float
    raw: float
    note: str
    peak_rss_mb: float


def build_graph(nodes: int, seed: int = 13) -> tuple[list[tuple[str, int, str]], list[tuple[int, int]]]:
    """Return (pid, age, name) per person and 2 * `nodes` (source, target) index pairs at random."""
    rng = random.Random(seed)
    people = [(f"p{index}", rng.randrange(100), f"name{index}") for index in range(nodes)]
    edges = [(rng.randrange(nodes), rng.randrange(nodes)) for _ in range(2 * nodes)]
    return people, edges


def load_bfxdb(
    path: Path | str, people: list[tuple[str, int, str]], edges: list[tuple[int, int]], seed: int = 17
) -> None:
    """Bulk-load the graph into a bfxdb file or PostgreSQL URL with random 64-bit identities, then index Person.pid."""
    rng = random.Random(seed)
    identities = list({rng.getrandbits(64) for _ in range(len(people) + len(people) // 100 + 10)})[: len(people)]
    with bfxdb.connect(path) as db:
        started = time.perf_counter()
        db.bulk_load(
            substrates=(
                {"identity": identity, "labels": ["Person"], "metadata": {"pid": pid, "age": age, "name": name}}
                for identity, (pid, age, name) in zip(identities, people)
            ),
            relationships=(
                {"source": identities[source], "target": identities[target], "rel_type": "KNOWS"}
                for source, target in edges
            ),
        )
        print(f"bfxdb bulk_load: {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        db.query("CREATE INDEX FOR (n:Person) ON (n.pid)")
        print(f"bfxdb CREATE INDEX FOR (n:Person) ON (n.pid): {time.perf_counter() - started:.1f} s", flush=True)


def load_raw(path: Path, people: list[tuple[str, int, str]], edges: list[tuple[int, int]]) -> None:
    """Write the same graph into the plain raw schema, indexes built after the rows as one would by hand."""
    started = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("BEGIN")
    for statement in RAW_SCHEMA:
        connection.execute(statement)
    connection.executemany(
        "INSERT INTO person (id, pid, age, name) VALUES (?, ?, ?, ?)",
        ((index + 1, pid, age, name) for index, (pid, age, name) in enumerate(people)),
    )
    connection.executemany("INSERT INTO knows (src, dst) VALUES (?, ?)", ((s + 1, t + 1) for s, t in edges))
    for statement in RAW_INDEXES:
        connection.execute(statement)
    connection.execute("COMMIT")
    connection.close()
    print(f"raw schema load with its indexes: {time.perf_counter() - started:.1f} s", flush=True)


def raw_id(raw: Any, pid: str, dialect: Dialect = SQLITE) -> int:
    """The raw row id of the person with `pid`."""
    found: int = raw.execute(dialect.translate("SELECT id FROM person WHERE pid = ?"), (pid,)).fetchone()[0]
    return found


def neighbours(raw: Any, frontier: list[int], dialect: Dialect = SQLITE) -> list[int]:
    """The nodes one KNOWS relationship away from any of `frontier`, either direction, in one statement."""
    encoded = dialect.frontier(frontier)
    return [node for (node,) in raw.execute(dialect.neighbours, (encoded, encoded))]


def shortest_length(raw: Any, parameters: dict[str, Any], dialect: Dialect = SQLITE) -> int | None:
    """Bidirectional BFS over raw SQL: the length of a shortest undirected path of 1..MAX_HOPS, or None."""
    start, end = raw_id(raw, parameters["p"], dialect), raw_id(raw, parameters["q"], dialect)
    sides = [({start: 0}, [start]), ({end: 0}, [end])]
    depth = [0, 0]
    while depth[0] + depth[1] < MAX_HOPS and sides[0][1] and sides[1][1]:
        side = 0 if len(sides[0][1]) <= len(sides[1][1]) else 1
        seen, frontier = sides[side]
        other = sides[1 - side][0]
        depth[side] += 1
        hits = []
        following = []
        for node in neighbours(raw, frontier, dialect):
            if node in other:
                hits.append(depth[side] + other[node])
            if node not in seen:
                seen[node] = depth[side]
                following.append(node)
        if hits:
            return min(hits)
        sides[side] = (seen, following)
    return None


def nodes_at_distance(raw: Any, start: int, distance: int, dialect: Dialect = SQLITE) -> list[int]:
    """The raw ids at exactly `distance` undirected hops from `start` (plain BFS)."""
    seen, frontier = {start}, [start]
    for _ in range(distance):
        following = [node for node in set(neighbours(raw, frontier, dialect)) if node not in seen]
        seen.update(following)
        frontier = following
    return sorted(frontier)


def pid_of(raw: Any, identity: int, dialect: Dialect = SQLITE) -> str:
    """The pid of raw row `identity`."""
    found: str = raw.execute(dialect.translate("SELECT pid FROM person WHERE id = ?"), (identity,)).fetchone()[0]
    return found


def valid_rows(raw: Any, sql: str, rows: list[tuple]) -> tuple[int, bool]:
    """(how many rows, whether every row is found by `sql` with the row's values as its parameters)."""
    return len(rows), all(raw.execute(sql, tuple(row)).fetchone() is not None for row in rows)


def everyday_queries(raw: Any, nodes: int, dialect: Dialect = SQLITE, seed: int = 19) -> list[Everyday]:
    """Return the measured queries, their twins in `dialect` on `raw`, their anchors drawn at random from
    the graph (the same for both sides, and for every dialect: the raw ids and the BFS are the same)."""
    sql = dialect.translate
    rng = random.Random(seed)
    anchors = tuple({"p": f"p{rng.randrange(nodes)}", "x": FAR_AGE} for _ in range(ANCHORS))
    pairs: list[dict[str, Any]] = []
    while len(pairs) < ANCHORS:
        start = rng.randrange(nodes) + 1
        far = nodes_at_distance(raw, start, SHORTEST_DISTANCE, dialect)
        if far:
            pairs.append({"p": pid_of(raw, start, dialect), "q": pid_of(raw, rng.choice(far), dialect)})
    skip = max(nodes // 10, 1)
    ages = tuple({"x": age} for age in rng.sample(range(100), 5))

    def scalar(result: Any) -> object:
        return result.rows[0][0] if result.rows else None

    def pids(result: Any) -> object:
        return sorted(row[0] for row in result.rows)

    def raw_scalar(text: str, *names: str) -> Callable[[Any, dict[str, Any]], object]:
        return lambda connection, parameters: connection.execute(text, [parameters[n] for n in names]).fetchone()[0]

    def raw_pids(text: str) -> Callable[[Any, dict[str, Any]], object]:
        return lambda connection, parameters: sorted(
            pid for (pid,) in connection.execute(text, (parameters["p"], parameters["x"]))
        )

    node_row = sql("SELECT 1 FROM person WHERE pid = ? AND age = ? AND name = ?")
    chain = sql(CHAIN_SQL)
    chain_row = sql(f"{CHAIN_SQL} WHERE a.pid = ? AND b.pid = ? AND c.pid = ? LIMIT 1")
    name_row = sql("SELECT 1 FROM person WHERE name = ?")
    first_rows, first_pids = sql("SELECT id, pid, age, name FROM person LIMIT 5"), sql(
        "SELECT pid FROM person ORDER BY pid LIMIT 3"
    )
    page, age_count = sql("SELECT name FROM person LIMIT 5 OFFSET ?"), sql("SELECT count(*) FROM person WHERE age = ?")
    return [
        Everyday(
            "MATCH (n) RETURN n LIMIT 5", "MATCH (n) RETURN n LIMIT 5", ({},),
            lambda connection, _: connection.execute(first_rows).fetchall(),
            lambda connection, result: valid_rows(
                connection, node_row,
                [(n.metadata["pid"], n.metadata["age"], n.metadata["name"]) for (n,) in result.rows],
            ),
            lambda connection, rows: valid_rows(connection, node_row, [row[1:] for row in rows]),
        ),
        Everyday(
            "anchored *1..3 count(DISTINCT c)",
            "MATCH (a:Person {pid: $p})-[:KNOWS*1..3]->(c) RETURN count(DISTINCT c)",
            anchors, raw_scalar(sql(REACH_SQL), "p"), lambda _, result: scalar(result),
        ),
        Everyday(
            "ORDER BY indexed pid LIMIT 3", "MATCH (n:Person) RETURN n.pid ORDER BY n.pid LIMIT 3", ({},),
            lambda connection, _: [pid for (pid,) in connection.execute(first_pids)],
            lambda _, result: [row[0] for row in result.rows],
        ),
        Everyday(
            "2-hop chain LIMIT 3",
            "MATCH (a:Person)-[:KNOWS]->(b:Person)-[:KNOWS]->(c:Person) RETURN a.pid, b.pid, c.pid LIMIT 3",
            ({},),
            lambda connection, _: connection.execute(f"{chain} LIMIT 3").fetchall(),
            lambda connection, result: valid_rows(connection, chain_row, result.rows),
            lambda connection, rows: valid_rows(connection, chain_row, rows),
        ),
        Everyday(
            f"two {UNWIND_ROWS:,}-row UNWINDs count(*)",
            "UNWIND range(1, $n) AS x UNWIND range(1, $n) AS y RETURN count(*)", ({"n": UNWIND_ROWS},),
            raw_scalar(dialect.product, "n"), lambda _, result: scalar(result),
        ),
        Everyday(
            "anchored 2-hop, far end age > $x",
            "MATCH (a:Person {pid: $p})-[:KNOWS]->()-[:KNOWS]->(c:Person) WHERE c.age > $x RETURN c.pid",
            anchors, raw_pids(sql(TWO_HOP_SQL)), lambda _, result: pids(result),
        ),
        Everyday(
            "anchored 3-hop, far end age > $x",
            "MATCH (a:Person {pid: $p})-[:KNOWS]->()-[:KNOWS]->()-[:KNOWS]->(c:Person) WHERE c.age > $x "
            "RETURN c.pid",
            anchors, raw_pids(sql(THREE_HOP_SQL)), lambda _, result: pids(result),
        ),
        Everyday(
            f"SKIP {skip:,} LIMIT 5", "MATCH (n:Person) RETURN n.name SKIP $skip LIMIT 5", ({"skip": skip},),
            lambda connection, parameters: connection.execute(page, (parameters["skip"],)).fetchall(),
            lambda connection, result: valid_rows(connection, name_row, result.rows),
            lambda connection, rows: valid_rows(connection, name_row, rows),
        ),
        Everyday(
            "count(*) WHERE unindexed age = $x", "MATCH (n:Person) WHERE n.age = $x RETURN count(*)", ages,
            raw_scalar(age_count, "x"), lambda _, result: scalar(result),
        ),
        Everyday(
            f"shortestPath *..{MAX_HOPS} between pids",
            f"MATCH p = shortestPath((a:Person {{pid: $p}})-[:KNOWS*..{MAX_HOPS}]-(b:Person {{pid: $q}})) "
            "RETURN length(p)",
            tuple(pairs), lambda connection, parameters: shortest_length(connection, parameters, dialect),
            lambda _, result: scalar(result),
        ),
    ]


def memory_status(field: str) -> float:
    """A field of /proc/self/status (VmRSS, VmHWM) in MB.

    ru_maxrss will not do: after fork and exec it still counts the parent's resident pages.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return math.nan


def probe_child(sender: Any, path: str, cypher: str, parameters: dict[str, Any], cap: float, memory: int) -> None:
    """Run one query in a fresh process under an address-space limit; send (status, seconds, peak RSS growth MB)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    status = "ok"
    started = time.perf_counter()
    before = memory_status("VmRSS")
    try:
        with bfxdb.connect(path, read_only=True) as db:
            before = memory_status("VmRSS")
            started = time.perf_counter()
            db.query(cypher, parameters, timeout=cap)
    except bfxdb.QueryTimeout:
        status = "> cap"
    except MemoryError:
        status = "> memory cap"
    except bfxdb.BfxError as error:
        status = f"{type(error).__name__}"
    seconds = time.perf_counter() - started
    sender.send((status, seconds, memory_status("VmHWM") - before))


def probe(path: Path | str, query: Everyday, cap: float, memory: int) -> tuple[str, float, float]:
    """Try `query` once in a child process so a runaway (time or memory) cannot stall or sink the run.

    The child gets the query's own timeout and, past cap + 10 s, is killed from here: the
    time limit does not yet cover all of the engine's Python-side work.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=probe_child, args=(sender, str(path), query.cypher, query.parameters[0], cap, memory)
    )
    child.start()
    sender.close()
    if receiver.poll(cap + 10):
        try:
            status, seconds, peak = receiver.recv()
        except EOFError:
            status, seconds, peak = "> memory cap (killed)", math.inf, math.nan
    else:
        child.kill()
        status, seconds, peak = "> cap (killed)", math.inf, math.nan
    child.join()
    if status == "ok" and seconds > cap:
        status = "> cap"
    return status, seconds, peak


def timed_raw(raw: sqlite3.Connection, sql_deadline: list[float]) -> None:
    """Make the raw connection stop any statement past the deadline held in `sql_deadline`."""
    raw.set_progress_handler(lambda: int(time.perf_counter() > sql_deadline[0]), 10_000)


def measure(
    query: Everyday, db: bfxdb.Database, raw: Any, path: Path | str,
    rounds: int, cap: float, memory: int, deadline: list[float], dialect: Dialect = SQLITE,
) -> Figure:
    """Probe, check the answers agree on as many parameter sets as the budget allows, then time both sides.

    `path` is what the probe's child connects to (a file or a PostgreSQL URL).
    """
    status, seconds, peak = probe(path, query, cap, memory)
    deadline[0] = time.perf_counter() + cap
    started = time.perf_counter()
    query.raw(raw, query.parameters[0])
    raw_seconds = time.perf_counter() - started
    checked = max(1, min(len(query.parameters), int(CHECK_BUDGET / max(seconds, raw_seconds, 1e-6))))
    if status == "ok":
        try:
            check(query, db, raw, checked, cap, deadline)
        except bfxdb.QueryTimeout:
            status = "> cap"
    contenders = {
        "raw": lambda: timed_call(
            lambda i: query.raw(raw, query.parameters[i]), checked, raw_seconds, cap, deadline, dialect.stopped
        )
    }
    if status == "ok":
        # the probe's time includes parsing and planning in a fresh process: a warm call tells
        # how many calls fill MEASURE_SECONDS (else a 60 µs query is timed over 5 calls)
        started = time.perf_counter()
        db.query(query.cypher, query.parameters[0], timeout=cap)
        warm = time.perf_counter() - started
        contenders["bfxdb"] = lambda: timed_call(
            lambda i: db.query(query.cypher, query.parameters[i], timeout=cap), checked, warm, cap, deadline,
            dialect.stopped,
        )
    slow = max(seconds, raw_seconds) > SLOW
    figures = interleaved_medians(contenders, min(rounds, 3) if slow else rounds)
    note = f"answers equal on {checked} of {len(query.parameters)} parameter sets" if status == "ok" else status
    return Figure(query.name, figures.get("bfxdb", math.inf) / 1e6, figures["raw"] / 1e6, note, peak)


def check(query: Everyday, db: bfxdb.Database, raw: Any, checked: int, cap: float, deadline: list[float]) -> None:
    """Compare both sides' answers on the first `checked` parameter sets; exit loudly on a mismatch."""
    for parameters in query.parameters[:checked]:
        deadline[0] = time.perf_counter() + cap
        mine = query.answer(raw, db.query(query.cypher, parameters, timeout=cap))
        theirs = query.raw_answer(raw, query.raw(raw, parameters))
        if mine != theirs:
            raise SystemExit(
                f"ANSWERS DISAGREE for {query.name!r} with {parameters!r}: bfxdb {mine!r}, raw {theirs!r}"
            )


def timed_call(
    run: Callable[[int], object], sets: int, estimate: float, cap: float, deadline: list[float],
    stopped: tuple[type[BaseException], ...] = SQLITE.stopped,
) -> float:
    """Mean µs per call over about MEASURE_SECONDS of calls cycling through `sets` parameter sets; inf past the cap.

    `stopped` is what the raw engine raises for a statement past its time limit.
    """
    calls = max(1, min(200, int(MEASURE_SECONDS / max(estimate, 1e-6))))
    counter = iter(range(calls))
    deadline[0] = time.perf_counter() + cap * calls
    try:
        return per_call_us(lambda: run(next(counter) % sets), calls)
    except bfxdb.QueryTimeout:
        return math.inf
    except stopped:
        return math.inf


def milliseconds(seconds: float) -> str:
    """Seconds as milliseconds with three significant figures, or "> cap"."""
    if math.isinf(seconds):
        return "> cap"
    value = seconds * 1000
    return f"{value:.3g}" if value < 1000 else f"{value:,.0f}"


def times(ratio: float) -> str:
    """A ratio as "1.23x", or "12,345x" once the decimals stop mattering."""
    return f"{ratio:.2f}x" if ratio < 100 else f"{ratio:,.0f}x"


def verdict(figure: Figure, nodes: int, ratio: float = TARGET_RATIO) -> str:
    """Whether a figure meets the issue's target (<= `ratio` x raw; at 1M nodes also <= 100 ms unless raw is not)."""
    if math.isinf(figure.bfxdb):
        return "no"
    if figure.bfxdb > ratio * figure.raw:
        return "no"
    if nodes >= TARGET_NODES and figure.bfxdb > TARGET_SECONDS and figure.raw <= TARGET_SECONDS:
        return "no (> 100 ms)"
    return "yes"


def run(nodes: int, rounds: int, cap: float, memory_gib: float) -> None:
    """Build both files, measure every everyday query and print the table."""
    memory = int(memory_gib * 2**30)
    people, edges = build_graph(nodes)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        load_bfxdb(folder / "bfx.db", people, edges)
        load_raw(folder / "raw.db", people, edges)
        del people, edges
        raw = sqlite3.connect(folder / "raw.db")
        deadline = [math.inf]
        timed_raw(raw, deadline)
        figures = []
        with bfxdb.connect(folder / "bfx.db") as db:
            for query in everyday_queries(raw, nodes):
                figure = measure(query, db, raw, folder / "bfx.db", rounds, cap, memory, deadline)
                figures.append(figure)
                print(f"  measured {query.name}: bfxdb {milliseconds(figure.bfxdb)}, raw {milliseconds(figure.raw)} "
                      f"(ms; {figure.note})", flush=True)
        raw.close()
    print_figures(figures, nodes, rounds, cap, memory_gib)


def print_figures(figures: list[Figure], nodes: int, rounds: int, cap: float, memory_gib: float) -> None:
    """Print the table as Markdown, ready for benchmarks/README.md."""
    print(
        f"\neveryday queries: {nodes:,} Person nodes, {2 * nodes:,} KNOWS relationships; median of {rounds} "
        f"interleaved rounds (3 for a query over {SLOW:g} s); cap {cap:g} s and {memory_gib:g} GiB per query\n"
    )
    print("| query | bfxdb ms | raw ms | bfxdb/raw | target met | bfxdb peak RSS + MB | note |")
    print("|---|---|---|---|---|---|---|")
    for figure in figures:
        ratio = "—" if math.isinf(figure.bfxdb) else times(figure.bfxdb / figure.raw)
        peak = "—" if math.isnan(figure.peak_rss_mb) else f"+{figure.peak_rss_mb:,.0f}"
        print(f"| {figure.name} | {milliseconds(figure.bfxdb)} | {milliseconds(figure.raw)} | {ratio} | "
              f"{verdict(figure, nodes)} | {peak} | {figure.note} |")
    print(f"\ntarget: every query <= {TARGET_RATIO:g}x its raw twin, and at {TARGET_NODES:,} nodes none over "
          f"{TARGET_SECONDS * 1000:g} ms unless its raw twin is too")


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options this benchmark takes (shared with benchmarks.query --everyday)."""
    parser.add_argument("--nodes", type=int, default=200_000, help="Person nodes (2x as many KNOWS)")
    parser.add_argument("--cap", type=float, default=30.0, help="seconds a query may take before it reads '> cap'")
    parser.add_argument("--memory-cap", type=float, default=4.0, help="GiB of address space for a probed query")


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    add_options(parser)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    run(args.nodes, args.rounds, args.cap, args.memory_cap)


if __name__ == "__main__":
    main()
