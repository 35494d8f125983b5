"""Benchmark deletes with schema v3's cascade trigger against the same file without it (schema v2's behaviour).

Run: python -m benchmarks.deleting [--substrates N] [--rounds R]

The graph: N Person substrates, each with KNOWS to the next and the next but two (2N
relationships); a tenth of them also labelled Gone, and N/10 more substrates labelled Lone with
no relationships. Each round copies the file fresh, then times one of: Cypher ``DETACH DELETE`` of
the Gone substrates (bfxdb deletes their relationships first, so the trigger finds none), Cypher
``DELETE`` of the Lone ones, and one SQL ``DELETE FROM substrates`` of the Gone ones as the
sqlite3 shell would run it (with the trigger it also deletes their relationships; the reference,
without it, deletes them by hand first, as a careful shell user would have to).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bfxdb

from .common import interleaved_medians, print_table

GONE = "(SELECT node FROM substrate_labels WHERE label = (SELECT id FROM names WHERE name = 'Gone'))"
SHELL_DELETE = f"DELETE FROM substrates WHERE node IN {GONE}"
BY_HAND = (
    f"DELETE FROM relationships WHERE source IN {GONE}",
    f"DELETE FROM relationships WHERE target IN {GONE}",
    f"DELETE FROM substrate_labels WHERE node IN {GONE} AND label != (SELECT id FROM names WHERE name = 'Gone')",
    SHELL_DELETE,
    "DELETE FROM substrate_labels WHERE node NOT IN (SELECT node FROM substrates)",
)


def build(folder: Path, substrates: int) -> tuple[Path, Path]:
    """Write the graph with the trigger (a v3 file as bfxdb makes it) and a copy without it."""
    with_trigger = folder / "v3.db"
    with bfxdb.connect(with_trigger) as db:
        db.bulk_load(
            [
                {"identity": n, "labels": ["Person", "Gone"] if n % 10 == 0 else ["Person"]}
                for n in range(1, substrates + 1)
            ]
            + [{"identity": substrates + n, "labels": ["Lone"]} for n in range(1, substrates // 10 + 1)],
            [
                {"source": n, "target": (n + step) % substrates + 1, "rel_type": "KNOWS"}
                for n in range(1, substrates + 1)
                for step in (0, 2)
            ],
        )
    without = folder / "v2-like.db"
    shutil.copyfile(with_trigger, without)
    plain = sqlite3.connect(without)
    plain.execute("DROP TRIGGER substrates_cascade")
    plain.commit()
    plain.close()
    return with_trigger, without


def _fresh(template: Path) -> Path:
    copy = template.with_name("run-" + template.name)
    shutil.copyfile(template, copy)
    return copy


def cypher(template: Path, text: str) -> Callable[[], float]:
    """Time one Cypher statement on a fresh copy, in milliseconds."""

    def measure() -> float:
        with bfxdb.connect(_fresh(template)) as db:
            started = time.perf_counter()
            db.query(text)
            return (time.perf_counter() - started) * 1e3

    return measure


def shell(template: Path, statements: tuple[str, ...]) -> Callable[[], float]:
    """Time SQL statements in one transaction on a fresh copy, as the sqlite3 shell runs them, in milliseconds."""

    def measure() -> float:
        plain = sqlite3.connect(_fresh(template), isolation_level=None)
        started = time.perf_counter()
        plain.execute("BEGIN")
        for statement in statements:
            plain.execute(statement)
        plain.execute("COMMIT")
        elapsed = (time.perf_counter() - started) * 1e3
        orphans = plain.execute(
            "SELECT count(*) FROM relationships WHERE source NOT IN (SELECT node FROM substrates) "
            "OR target NOT IN (SELECT node FROM substrates)"
        ).fetchone()[0]
        plain.close()
        assert orphans == 0, f"{orphans} orphan relationships"
        return elapsed

    return measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--substrates", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        with_trigger, without = build(Path(folder), args.substrates)
        cases = {
            "DETACH DELETE of the Gone (ms)": (
                cypher(with_trigger, "MATCH (n:Gone) DETACH DELETE n"),
                cypher(without, "MATCH (n:Gone) DETACH DELETE n"),
            ),
            "DELETE of the Lone (ms)": (
                cypher(with_trigger, "MATCH (n:Lone) DELETE n"),
                cypher(without, "MATCH (n:Lone) DELETE n"),
            ),
            "shell DELETE FROM substrates (ms)": (shell(with_trigger, (SHELL_DELETE,)), shell(without, BY_HAND)),
        }
        contenders = {
            f"{name} {side}": measure
            for name, pair in cases.items()
            for side, measure in zip(("trigger", "none"), pair)
        }
        medians = interleaved_medians(contenders, args.rounds)
    rows = [
        (name, f"{medians[name + ' trigger']:.1f}", f"{medians[name + ' none']:.1f}",
         f"{medians[name + ' trigger'] / medians[name + ' none']:.2f}")
        for name in cases
    ]
    gone = args.substrates // 10
    print_table(
        f"{gone:,} substrates deleted of {args.substrates + gone:,} (bfxdb: the v3 trigger; reference: without it)",
        rows,
    )


if __name__ == "__main__":
    main()
