"""Benchmark `bfxdb import` of CSV and NDJSON files against bulk_load of the same rows, in the same run.

Run: python -m benchmarks.importing [--substrates N] [--rounds R]
(N substrates and 2N relationships; the record uses --substrates 1000000 --rounds 1.)
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bfxdb
from bfxdb.formats import import_files

from .common import interleaved_medians, print_table

LABELS = ("Person", "Place", "Thing", "Idea")
TYPES = ("KNOWS", "NEAR", "PART_OF")


def generate(count: int, seed: int = 7) -> tuple[list[dict], list[dict]]:
    """Make `count` substrate items and 2 * `count` relationship items (no relationship ids) for bulk_load."""
    rng = random.Random(seed)
    substrates = [
        {
            "identity": index + 1,
            "labels": [LABELS[index % 4]],
            "metadata": {"name": f"s{index}", "n": index, "w": index / 7},
        }
        for index in range(count)
    ]
    relationships = [
        {
            "source": rng.randrange(count) + 1,
            "target": rng.randrange(count) + 1,
            "rel_type": TYPES[index % 3],
            "metadata": {"w": index % 10},
        }
        for index in range(2 * count)
    ]
    return substrates, relationships


def write_csv(folder: Path, substrates: list[dict], relationships: list[dict]) -> list[Path]:
    """Write the items as neo4j-admin style CSV: decimal :ID values become the same identities."""
    nodes, edges = folder / "nodes.csv", folder / "edges.csv"
    with open(nodes, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow([":ID", ":LABEL", "name:string", "n:int", "w:float"])
        for s in substrates:
            writer.writerow(
                [s["identity"], s["labels"][0], s["metadata"]["name"], s["metadata"]["n"], repr(s["metadata"]["w"])]
            )
    with open(edges, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow([":START_ID", ":END_ID", ":TYPE", "w:int"])
        for r in relationships:
            writer.writerow([r["source"], r["target"], r["rel_type"], r["metadata"]["w"]])
    return [nodes, edges]


def write_ndjson(folder: Path, substrates: list[dict], relationships: list[dict]) -> list[Path]:
    """Write the items in the HTTP bulk format."""
    path = folder / "graph.ndjson"
    with open(path, "w", encoding="utf-8") as stream:
        for s in substrates:
            stream.write(
                json.dumps(
                    {"type": "substrate", "identity": s["identity"], "labels": s["labels"], "metadata": s["metadata"]}
                )
                + "\n"
            )
        for r in relationships:
            stream.write(
                json.dumps(
                    {
                        "type": "relationship",
                        "rel_type": r["rel_type"],
                        "source_id": r["source"],
                        "target_id": r["target"],
                        "metadata": r["metadata"],
                    }
                )
                + "\n"
            )
    return [path]


def timed_rows_per_second(folder: Path, rows: int, load: Callable[[bfxdb.Database], object]) -> float:
    """Load into a fresh file database and return rows per second, the file's creation excluded."""
    path = folder / "target.db"
    for leftover in folder.glob("target.db*"):
        leftover.unlink()
    with bfxdb.connect(path) as db:
        started = time.perf_counter()
        load(db)
        seconds = time.perf_counter() - started
        assert db.count_relationships() == rows * 2 // 3, "the load lost rows"
    return rows / seconds


def main() -> None:
    """Time each way of loading the same graph and print rows per second beside bulk_load's."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--substrates", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    substrates, relationships = generate(args.substrates)
    rows = len(substrates) + len(relationships)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_files = write_csv(folder, substrates, relationships)
        ndjson_files = write_ndjson(folder, substrates, relationships)
        figures = interleaved_medians(
            {
                "bulk_load": lambda: timed_rows_per_second(
                    folder, rows, lambda db: db.bulk_load(substrates, relationships)
                ),
                "csv": lambda: timed_rows_per_second(folder, rows, lambda db: import_files(db, csv_files)),
                "ndjson": lambda: timed_rows_per_second(folder, rows, lambda db: import_files(db, ndjson_files)),
            },
            args.rounds,
        )
        sizes = {
            name: sum(p.stat().st_size for p in files) for name, files in (("csv", csv_files), ("ndjson", ndjson_files))
        }
    reference = figures["bulk_load"]
    table = [
        ("bulk_load of in-memory dicts (rows/s)", f"{reference:,.0f}", f"{reference:,.0f}", "1.00x"),
        (
            f"bfxdb import CSV, {sizes['csv'] / 1e6:,.1f} MB (rows/s)",
            f"{figures['csv']:,.0f}",
            f"{reference:,.0f}",
            f"{figures['csv'] / reference:.2f}x",
        ),
        (
            f"bfxdb import NDJSON, {sizes['ndjson'] / 1e6:,.1f} MB (rows/s)",
            f"{figures['ndjson']:,.0f}",
            f"{reference:,.0f}",
            f"{figures['ndjson'] / reference:.2f}x",
        ),
    ]
    print_table(
        f"bfxdb import benchmark: {args.substrates:,} substrates + {2 * args.substrates:,} relationships "
        f"({rows:,} rows), median of {args.rounds} interleaved rounds; reference = bulk_load of the same rows",
        table,
    )
    print("\nimport reads, parses and checks every row (file:line for bad ones) before the same bulk_load.")


if __name__ == "__main__":
    main()
