"""Benchmark the substrate phase of a bulk load alone: bfxdb (this checkout's, another's) against raw sqlite3.

Each load runs in a child process into a fresh file in --folder, fed from benchmarks/load.py's
generators (random 64-bit identities, one label, two metadata keys). "raw" is load.py's
hand-tuned reference for the substrates (its RAW_BEST settings: a staging table copied over in
key order, 1 GiB cache, then the label index); "rebuilt" is bulk_load as it is (schema v6: the
identity index dropped and built after the rows); "kept" (with --kept) is bulk_load with the
identity index left in place, as schema v5 had to; "against" (with --against PATH) is the
bulk_load of the bfxdb source checkout at PATH, for a before-and-after in one run. The clock of
each load starts after its imports, at the connect, and stops after the close; CPU time is the
user + system time of that span. Rounds are interleaved; the figures are medians of wall time
and of CPU time, the steadier of the two on a shared machine.

Run: python -m benchmarks.substrate_phase [--count 1000000] [--rounds 2] [--folder /tmp] [--kept]
     [--against PATH]
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

from .load import CREATED_AT_US, RAW_LABEL_INDEX, RAW_SCHEMA, batched, signed, substrate_items

KINDS = ("raw", "rebuilt", "kept", "against")


def raw_substrates(path: Path, count: int) -> None:
    """The reference's substrate phase: rows staged, copied in key order, then the label index."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = delete")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(f"PRAGMA cache_size = {-1024 * 1024}")
    connection.executescript(RAW_SCHEMA)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("CREATE TEMP TABLE staging (identity INTEGER, labels TEXT, metadata TEXT, created_at)")
    for items in batched(substrate_items(count), 10_000):
        connection.executemany(
            "INSERT INTO temp.staging VALUES (?, ?, ?, ?)",
            [(signed(s["identity"]), orjson.dumps(s["labels"]).decode(), orjson.dumps(s["metadata"]).decode(),
              CREATED_AT_US) for s in items],
        )
    connection.execute("INSERT INTO substrates SELECT * FROM temp.staging ORDER BY identity")
    connection.execute("DROP TABLE temp.staging")
    connection.execute(RAW_LABEL_INDEX)
    connection.execute("COMMIT")
    connection.close()


def bfxdb_substrates(path: Path, count: int) -> None:
    """bulk_load of the substrates alone, into a new file."""
    import bfxdb

    db = bfxdb.connect(path)
    db.bulk_load(substrates=substrate_items(count))
    db.close()


def cpu_seconds() -> float:
    """The user + system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(kind: str, path: Path, count: int, code: str | None) -> None:
    """Load, then print the wall and CPU seconds of the load as JSON."""
    if kind != "raw":
        if code:
            sys.path.insert(0, code)
        import bfxdb.storage.sqlite

        if kind == "kept":
            bfxdb.storage.sqlite._DEFERRABLE["substrates"] = ()
    began, cpu = time.perf_counter(), cpu_seconds()
    if kind == "raw":
        raw_substrates(path, count)
    else:
        bfxdb_substrates(path, count)
    print(json.dumps({"wall": time.perf_counter() - began, "cpu": cpu_seconds() - cpu}))


def main() -> None:
    """Run interleaved rounds of each kind and print medians and ratios to the reference."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--folder", default="/tmp")
    parser.add_argument("--kept", action="store_true", help="also bulk_load with the identity index kept")
    parser.add_argument("--against", metavar="PATH", help="also bulk_load with the bfxdb source checkout at PATH")
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.path), args.count, args.code)
        return
    kinds = [kind for kind in KINDS if kind in ("raw", "rebuilt") or getattr(args, kind)]
    results: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for number in range(args.rounds):
        for kind in kinds if number % 2 == 0 else kinds[::-1]:
            path = Path(args.folder) / f"substrate-phase-{kind}.db"
            path.unlink(missing_ok=True)
            code = ["--code", str(Path(args.against).resolve())] if kind == "against" else []
            output = subprocess.run(
                [sys.executable, "-m", "benchmarks.substrate_phase", "--child", kind, "--path", str(path),
                 "--count", str(args.count), *code],
                capture_output=True, text=True, check=True,
            ).stdout
            path.unlink(missing_ok=True)
            results[kind].append(json.loads(output))
            print(f"round {number + 1} {kind}: {results[kind][-1]}", file=sys.stderr, flush=True)
    medians = {kind: {measure: statistics.median(r[measure] for r in results[kind]) for measure in ("wall", "cpu")}
               for kind in kinds}
    print(f"| substrate phase at {args.count:,}, median of {args.rounds} | rows/s (wall) | ratio to raw "
          "| CPU s | ratio to raw (CPU) |")
    print("|---|---|---|---|---|")
    for kind in kinds:
        wall, cpu = medians[kind]["wall"], medians[kind]["cpu"]
        print(f"| {kind} | {args.count / wall:,.0f} | {medians['raw']['wall'] / wall:.2f}x | {cpu:.1f} "
              f"| {medians['raw']['cpu'] / cpu:.2f}x |")


if __name__ == "__main__":
    main()
