"""Benchmark the store against raw sqlite3 on the same rows: bulk load, point reads, adjacency, invoke.

Run: python -m benchmarks.store [--substrates N] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import bfxdb
from bfxdb.identity import to_signed
from bfxdb.sandbox import compile_expression

from .common import interleaved_medians, per_call_us, print_table

MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'
LABELS = ("Person", "Place", "Thing", "Idea")
TYPES = ("KNOWS", "NEAR", "PART_OF")
SUBSTRATE_SQL = (
    "INSERT INTO substrates (identity, expression_type, expression_code, metadata, created_at) VALUES (?, ?, ?, ?, ?)"
)
# schema v2: labels and types by their id in names, relationship ends by node number
LABEL_SQL = (
    "INSERT INTO substrate_labels (node, label) SELECT s.node, n.id FROM substrates AS s, names AS n "
    "WHERE s.identity = ? AND n.name = ?"
)
NAME_SQL = "INSERT OR IGNORE INTO names (name) VALUES (?)"
RELATIONSHIP_SQL = (
    "INSERT INTO relationships (identity, source, target, rel_type, metadata, bidirectional, created_at) "
    "SELECT ?, s.node, t.node, n.id, ?, ?, ? FROM substrates AS s, substrates AS t, names AS n "
    "WHERE s.identity = ? AND t.identity = ? AND n.name = ?"
)


def generate(count: int, seed: int = 7) -> tuple[list[dict], list[dict]]:
    """Make `count` substrate items and 2 * `count` relationship items in the bulk_load format."""
    rng = random.Random(seed)
    ids = list({rng.getrandbits(64) for _ in range(count + count // 100 + 10)})[:count]
    substrates = [
        {"identity": identity, "labels": [LABELS[index % 4]], "metadata": {"n": index, "name": f"s{index}"}}
        for index, identity in enumerate(ids)
    ]
    relationships = [
        {
            "identity": rng.getrandbits(64),
            "source": ids[rng.randrange(count)],
            "target": ids[rng.randrange(count)],
            "rel_type": TYPES[index % 3],
            "metadata": {"w": index % 10},
        }
        for index in range(2 * count)
    ]
    return substrates, relationships


def raw_load(path: Path, substrates: list[dict], relationships: list[dict]) -> None:
    """Load the same items by hand: sqlite3 executemany into the same schema, one transaction."""
    created_at = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in microseconds, as schema v2 stores times
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        SUBSTRATE_SQL,
        ((to_signed(s["identity"]), None, None, json.dumps(s["metadata"]), created_at) for s in substrates),
    )
    connection.executemany(NAME_SQL, [(name,) for name in LABELS + TYPES])
    connection.executemany(LABEL_SQL, ((to_signed(s["identity"]), s["labels"][0]) for s in substrates))
    connection.executemany(
        RELATIONSHIP_SQL,
        (
            (to_signed(r["identity"]), json.dumps(r["metadata"]), 0, created_at,
             to_signed(r["source"]), to_signed(r["target"]), r["rel_type"])
            for r in relationships
        ),
    )
    connection.execute("COMMIT")
    connection.close()


def fresh_file(folder: Path, name: str) -> Path:
    """Create an empty bfxdb file (schema only) and return its path."""
    path = folder / name
    bfxdb.connect(path).close()
    return path


def measure_loads(
    folder: Path, substrates: list[dict], relationships: list[dict], rounds: int
) -> tuple[dict[str, float], Path]:
    """Time raw and bfxdb loads of the same rows into fresh files, `rounds` times; median rows/s.

    Returns the figures and the last bfxdb file, for the read benchmarks.
    """
    samples: dict[str, list[float]] = {}

    def timed(name: str, count: int, load) -> None:
        started = time.perf_counter()
        load()
        samples.setdefault(name, []).append(count / (time.perf_counter() - started))

    for round_number in range(rounds):
        raw_path = fresh_file(folder, f"raw{round_number}.db")
        bfx_path = fresh_file(folder, f"bfx{round_number}.db")
        with bfxdb.connect(bfx_path) as db:
            timed("raw substrates/s", len(substrates), lambda path=raw_path: raw_load(path, substrates, []))
            timed("bfxdb substrates/s", len(substrates), lambda: db.bulk_load(substrates=substrates))
            timed("bfxdb relationships/s", len(relationships), lambda: db.bulk_load(relationships=relationships))
            timed("raw relationships/s", len(relationships), lambda path=raw_path: raw_load(path, [], relationships))
        if round_number < rounds - 1:
            for path in folder.glob(f"*{round_number}.db*"):
                path.unlink()
    return {name: statistics.median(values) for name, values in samples.items()}, bfx_path


def main() -> None:
    """Run every comparison and print a table of figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--substrates", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--load-rounds", type=int, default=3, help="fresh-file loads per contender")
    args = parser.parse_args()

    substrates, relationships = generate(args.substrates)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        loads, bfx_file = measure_loads(folder, substrates, relationships, args.load_rounds)
        rows = [
            ("bulk_load substrates (rows/s)", f"{loads['bfxdb substrates/s']:,.0f}",
             f"{loads['raw substrates/s']:,.0f}", f"{loads['bfxdb substrates/s'] / loads['raw substrates/s']:.2f}x"),
            ("bulk_load relationships (rows/s)", f"{loads['bfxdb relationships/s']:,.0f}",
             f"{loads['raw relationships/s']:,.0f}",
             f"{loads['bfxdb relationships/s'] / loads['raw relationships/s']:.2f}x"),
        ]

        rng = random.Random(11)
        probe_ids = [rng.choice(substrates)["identity"] for _ in range(args.lookups)]
        with bfxdb.connect(bfx_file) as db:
            raw = sqlite3.connect(bfx_file)
            point_sql = (
                "SELECT identity, expression_type, expression_code, metadata, created_at "
                "FROM substrates WHERE identity = ?"
            )
            # The same row with its labels: what get_substrate returns, written by hand.
            point_labels_sql = (
                "SELECT s.identity, s.expression_type, s.expression_code, s.metadata, s.created_at, "
                "(SELECT group_concat(n.name, CAST(X'1F' AS TEXT)) FROM substrate_labels AS l JOIN names AS n "
                "ON n.id = l.label WHERE l.node = s.node) FROM substrates AS s WHERE s.identity = ?"
            )
            out_sql = (
                "SELECT identity, source, target, rel_type, metadata, bidirectional, created_at "
                "FROM relationships WHERE source = (SELECT node FROM substrates WHERE identity = ?) "
                "ORDER BY rel_type, target, identity"
            )
            signed = [to_signed(i) for i in probe_ids]

            def probe(call) -> float:
                iterator = iter(range(len(probe_ids)))
                return per_call_us(lambda: call(next(iterator)), len(probe_ids))

            reads = interleaved_medians(
                {
                    "get_substrate": lambda: probe(lambda i: db.get_substrate(probe_ids[i])),
                    "raw get": lambda: probe(lambda i: raw.execute(point_sql, (signed[i],)).fetchone()),
                    "raw get+labels": lambda: probe(lambda i: raw.execute(point_labels_sql, (signed[i],)).fetchone()),
                    "outgoing": lambda: probe(lambda i: db.store.adjacent(probe_ids[i], "out")),
                    "raw outgoing": lambda: probe(lambda i: raw.execute(out_sql, (signed[i],)).fetchall()),
                },
                args.rounds,
            )
            raw.close()
            rows.append(("get_substrate vs raw row (µs)", f"{reads['get_substrate']:.2f}", f"{reads['raw get']:.2f}",
                         f"{reads['get_substrate'] / reads['raw get']:.2f}x"))
            rows.append(("get_substrate vs raw row+labels (µs)", f"{reads['get_substrate']:.2f}",
                         f"{reads['raw get+labels']:.2f}", f"{reads['get_substrate'] / reads['raw get+labels']:.2f}x"))
            rows.append(("outgoing (µs)", f"{reads['outgoing']:.2f}", f"{reads['raw outgoing']:.2f}",
                         f"{reads['outgoing'] / reads['raw outgoing']:.2f}x"))

            multiply = db.create_substrate("lambda", MULTIPLY)
            compiled = compile_expression("lambda", MULTIPLY)
            plain = lambda **kw: kw.get("x", 0) * kw.get("y", 0)  # noqa: E731 - the same text as MULTIPLY
            params = {"x": 5, "y": 7}
            calls = 200_000
            invokes = interleaved_medians(
                {
                    "sandbox": lambda: calls / (per_call_us(lambda: compiled.invoke(params), calls) * calls / 1e6),
                    "plain": lambda: calls / (per_call_us(lambda: plain(**params), calls) * calls / 1e6),
                    "db.invoke": lambda: 20_000 / (per_call_us(lambda: db.invoke(multiply.identity, params),
                                                               20_000) * 20_000 / 1e6),
                },
                args.rounds,
            )
            rows.append(("invoke (calls/s)", f"{invokes['sandbox']:,.0f}", f"{invokes['plain']:,.0f}",
                         f"{invokes['sandbox'] / invokes['plain']:.2f}x"))
            rows.append(("Database.invoke incl. lookup (calls/s)", f"{invokes['db.invoke']:,.0f}",
                         f"{invokes['plain']:,.0f}", f"{invokes['db.invoke'] / invokes['plain']:.2f}x"))

    print_table(f"bfxdb store benchmark: {args.substrates:,} substrates, {2 * args.substrates:,} relationships, "
                f"loads: median of {args.load_rounds} fresh files each; reads: median of {args.rounds} "
                "interleaved rounds", rows)
    print("\ntargets: bulk_load >= 0.8x raw; get_substrate and outgoing <= 1.5x raw time; invoke >= 0.5x plain")


if __name__ == "__main__":
    main()
