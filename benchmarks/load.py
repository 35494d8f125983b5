"""Benchmark bulk loading and scale: bfxdb's bulk_load against hand-tuned raw sqlite3, at 1M and 10M substrates.

Each load runs in a child process of its own (so its peak RSS, VmHWM, is its own) into a
fresh file in --folder, fed from generators that make the same items lazily: random 64-bit
substrate identities, one label, two metadata keys, then 2 relationships per substrate
between random substrates. bfxdb gets ``Database.bulk_load(substrates=..., relationships=...)``;
the reference is what a careful engineer writes by hand with plain sqlite3 for the same
information (see RAW_SCHEMA and raw_load). Loads alternate raw / bfxdb, then point lookups
and a 2-hop count run interleaved over every file kept, so 10M reads are compared with 1M
reads of the same moment. Files are deleted at the end.

Run: python -m benchmarks.load [--sizes 1000000,10000000] [--rounds 3] [--limit SECONDS] [--folder /tmp]
     (--limit stops a bfxdb load still running)
     python -m benchmarks.load --raw-sweep --sizes 1000000   # the reference's settings, measured
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

from .common import per_call_us

LABELS = ("Person", "Place", "Thing", "Idea")
TYPES = ("KNOWS", "NEAR", "PART_OF")
SEED = 7
MASK = (1 << 64) - 1
CREATED_AT_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in microseconds

# The hand-written schema: the same information as a bfxdb file (64-bit identities, a label
# set, JSON metadata, a created time; typed directed relationships with their own ids and
# metadata; traversal indexes both ways; a label index), nothing more. Labels live in the
# row as a JSON array (one read for a point lookup) and once more in the label index.
RAW_SCHEMA = """
CREATE TABLE substrates (
    identity   INTEGER PRIMARY KEY,
    labels     TEXT NOT NULL,
    metadata   TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE substrate_labels (
    label     TEXT NOT NULL,
    substrate INTEGER NOT NULL,
    PRIMARY KEY (label, substrate)
) WITHOUT ROWID;
CREATE TABLE relationships (
    identity   INTEGER PRIMARY KEY,
    source     INTEGER NOT NULL,
    target     INTEGER NOT NULL,
    rel_type   TEXT NOT NULL,
    metadata   TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
"""
RAW_LABEL_INDEX = (
    "INSERT INTO substrate_labels (label, substrate) "
    "SELECT j.value, s.identity FROM substrates AS s, json_each(s.labels) AS j ORDER BY 1, 2"
)
RAW_TRAVERSAL_INDEXES = (
    "CREATE INDEX relationships_out ON relationships (source, rel_type, target)",
    "CREATE INDEX relationships_in ON relationships (target, rel_type, source)",
)
# Every endpoint must be a substrate; the distinct endpoints come off the new indexes in
# key order, so the primary-key probes walk the substrate table front to back.
RAW_ENDPOINT_CHECK = (
    "SELECT count(*) FROM (SELECT DISTINCT source AS id FROM relationships INDEXED BY relationships_out) "
    "WHERE id NOT IN (SELECT identity FROM substrates)",
    "SELECT count(*) FROM (SELECT DISTINCT target AS id FROM relationships INDEXED BY relationships_in) "
    "WHERE id NOT IN (SELECT identity FROM substrates)",
)
RAW_POINT = "SELECT identity, labels, metadata, created_at FROM substrates WHERE identity = ?"
RAW_TWO_HOPS = (
    "SELECT count(*) FROM relationships AS r1 JOIN relationships AS r2 "
    "ON r2.source = r1.target AND r2.rel_type = ?2 WHERE r1.source = ?1 AND r1.rel_type = ?2"
)
PROGRESS_EVERY = 500_000
BFXDB_CREATED_AT = "2026-01-01T00:00:00.000000Z"  # CREATED_AT_US as bfxdb writes it
TWO_HOPS = "MATCH (a)-[:KNOWS]->()-[:KNOWS]->(c) WHERE id(a) = $id RETURN count(c)"

#: The reference's settings, chosen by --raw-sweep at 1M on this machine (benchmarks/README.md).
#: Its sorts (the staging copy, the label rows, the traversal indexes) run in a small cache with
#: sorter threads, as bfxdb's index builds do (INDEX_BUILD_CACHE_KIB): 2.5 times as fast at 20M rows.
RAW_BEST = {"journal": "delete", "cache_mib": 1024, "batch": 10_000, "threads": 0, "substrate_order": "staging",
            "sort_cache_mib": 8, "sort_threads": min(4, os.cpu_count() or 1)}


def identity_of(index: int) -> int:
    """The substrate identity of item `index`: splitmix64's finaliser, a bijection, so all differ."""
    z = (index + (SEED << 40) + 1) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def substrate_items(count: int) -> Iterator[dict]:
    """Make `count` substrate items in the bulk_load format, one at a time."""
    for index in range(count):
        yield {
            "identity": identity_of(index),
            "labels": [LABELS[index % 4]],
            "metadata": {"n": index, "name": f"s{index}"},
        }


def relationship_items(count: int) -> Iterator[dict]:
    """Make 2 * `count` relationship items between random substrates, one at a time; bfxdb assigns their ids."""
    rng = random.Random(SEED)
    for index in range(2 * count):
        yield {
            "source": identity_of(rng.randrange(count)),
            "target": identity_of(rng.randrange(count)),
            "rel_type": TYPES[index % 3],
            "metadata": {"w": index % 10},
        }


def signed(identity: int) -> int:
    """The two's-complement form SQLite's INTEGER holds for an unsigned 64-bit identity."""
    return identity - (1 << 64) if identity >= 1 << 63 else identity


def batched(items: Iterator, size: int) -> Iterator[list]:
    """Cut an iterator into lists of `size` items."""
    while batch := list(itertools.islice(items, size)):
        yield batch


def raw_load(path: Path, count: int, journal: str, cache_mib: int, batch: int, threads: int,
             substrate_order: str, sort_cache_mib: int, sort_threads: int) -> dict[str, float]:
    """Load by hand into RAW_SCHEMA in one transaction; returns the seconds of each phase.

    substrate_order "batch" sorts each batch by key before inserting it; "staging" writes all
    rows to a temporary table and copies them over in key order (one full sort by SQLite).
    The sorts run with a cache of sort_cache_mib and sort_threads sorter threads.
    """
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(f"PRAGMA journal_mode = {journal}")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(f"PRAGMA cache_size = {-cache_mib * 1024}")
    connection.execute(f"PRAGMA threads = {threads}")
    connection.executescript(RAW_SCHEMA)
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = now - mark
        mark = now

    def sorting(on: bool) -> None:
        connection.execute(f"PRAGMA cache_size = {-(sort_cache_mib if on else cache_mib) * 1024}")
        connection.execute(f"PRAGMA threads = {sort_threads if on else threads}")

    connection.execute("BEGIN IMMEDIATE")
    # orjson (a bfxdb dependency already) writes the same compact JSON about 10x faster than json.dumps
    def dumps(value: object) -> str:
        return orjson.dumps(value).decode()

    target = "substrates"
    if substrate_order == "staging":
        connection.execute("CREATE TEMP TABLE staging (identity INTEGER, labels TEXT, metadata TEXT, created_at)")
        target = "temp.staging"
    insert = f"INSERT INTO {target} (identity, labels, metadata, created_at) VALUES (?, ?, ?, ?)"
    for items in batched(substrate_items(count), batch):
        rows = [(signed(s["identity"]), dumps(s["labels"]), dumps(s["metadata"]), CREATED_AT_US) for s in items]
        if substrate_order == "batch":
            rows.sort()
        connection.executemany(insert, rows)
    sorting(True)
    if substrate_order == "staging":
        connection.execute("INSERT INTO substrates SELECT * FROM temp.staging ORDER BY identity")
        connection.execute("DROP TABLE temp.staging")
    phase("substrate rows")
    connection.execute(RAW_LABEL_INDEX)
    phase("label index")
    sorting(False)
    insert = "INSERT INTO relationships (source, target, rel_type, metadata, created_at) VALUES (?, ?, ?, ?, ?)"
    for items in batched(relationship_items(count), batch):
        connection.executemany(
            insert,
            [(signed(r["source"]), signed(r["target"]), r["rel_type"], dumps(r["metadata"]), CREATED_AT_US)
             for r in items],
        )
    phase("relationship rows")
    sorting(True)
    for statement in RAW_TRAVERSAL_INDEXES:
        connection.execute(statement)
    sorting(False)
    phase("traversal indexes")
    missing = sum(connection.execute(statement).fetchone()[0] for statement in RAW_ENDPOINT_CHECK)
    if missing:
        connection.execute("ROLLBACK")
        raise RuntimeError(f"{missing} relationship endpoints are not substrates")
    phase("endpoint check")
    connection.execute("COMMIT")
    phase("commit")
    connection.close()
    phase("close")
    return phases


def progress(what: str, items: Iterator[dict], started: float) -> Iterator[dict]:
    """Pass items through, printing to stderr how many were taken and when, every PROGRESS_EVERY."""
    for number, item in enumerate(items, 1):
        if number % PROGRESS_EVERY == 0:
            print(f"progress {what} {number} {time.perf_counter() - started:.3f}", file=sys.stderr, flush=True)
        yield item


def bfxdb_load(path: Path, count: int) -> dict[str, float]:
    """Load with Database.bulk_load fed from the generators; seconds to the first relationship and after."""
    import bfxdb

    db = bfxdb.connect(path)
    marks: dict[str, float] = {}

    def relationships() -> Iterator[dict]:
        marks["substrates done"] = time.perf_counter()
        print(f"progress substrates-done {count} {marks['substrates done'] - started:.3f}", file=sys.stderr, flush=True)
        yield from progress("relationships", relationship_items(count), started)

    # bulk_load ends with the planner statistics (ANALYZE) after its commit: timed on its own too
    refresh = db.store.refresh_statistics

    def timed_refresh() -> list[str]:
        began = time.perf_counter()
        try:
            return refresh()
        finally:
            marks["statistics"] = time.perf_counter() - began

    db.store.refresh_statistics = timed_refresh
    # the identity index the substrates dropped is built as the first relationships arrive: its
    # time belongs to the substrates
    identity_index_back = db.store._identity_index_back

    def timed_identity_index(*args: object) -> None:
        began = time.perf_counter()
        try:
            identity_index_back(*args)
        finally:
            marks["identity index"] = marks.get("identity index", 0.0) + time.perf_counter() - began

    db.store._identity_index_back = timed_identity_index
    started = time.perf_counter()
    db.bulk_load(substrates=progress("substrates", substrate_items(count), started), relationships=relationships())
    loaded = time.perf_counter()
    db.close()
    closed = time.perf_counter()
    identity_index = marks.get("identity index", 0.0)
    return {
        "substrates": marks["substrates done"] - started + identity_index,
        "relationships": loaded - marks["substrates done"] - identity_index,
        "close": closed - loaded,
        "of which statistics": marks.get("statistics", 0.0),
        "of which identity index": identity_index,
    }


def peak_rss_mib() -> float:
    """This process's peak resident set size (VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def file_bytes(path: Path) -> int:
    """The file with whatever journal or WAL it left behind."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists())


def child(args: argparse.Namespace) -> None:
    """Run one load in this process and print its phases, peak RSS and file size as JSON."""
    path = Path(args.path)
    if args.child == "bfxdb":
        phases = bfxdb_load(path, args.count)
    else:
        phases = raw_load(path, args.count, **json.loads(args.settings))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"phases": phases, "rss_mib": peak_rss_mib(), "bytes": file_bytes(path),
                      "cpu_seconds": usage.ru_utime + usage.ru_stime}))


def run_child(kind: str, path: Path, count: int, settings: dict | None = None,
              limit: float | None = None) -> dict:
    """Load in a fresh child process; returns its report.

    A child still loading after `limit` seconds is stopped (its transaction, uncommitted,
    leaves nothing): the report then holds its peak RSS so far and its progress marks.
    """
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        stale.unlink(missing_ok=True)
    command = [sys.executable, "-m", "benchmarks.load", "--child", kind, "--path", str(path), "--count", str(count),
               "--settings", json.dumps(settings or {})]
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
        try:
            output, _ = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            rss = int(next(line for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
                           if line.startswith("VmHWM:")).split()[1]) / 1024
            process.kill()
            process.communicate()
            errors.seek(0)
            marks = [line.split()[1:] for line in errors if line.startswith("progress ")]
            for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                stale.unlink(missing_ok=True)
            return {"unfinished": limit, "rss_mib": rss,
                    "progress": [(what, int(number), float(seconds)) for what, number, seconds in marks]}
        if process.returncode:
            errors.seek(0)
            raise RuntimeError(f"{kind} load failed: {errors.read()}")
    return json.loads(output)


def rates(report: dict, count: int) -> tuple[float, float]:
    """Substrates/s and relationships/s of a load report; relationships include commit and close."""
    if "unfinished" in report:
        return unfinished_rates(report, count)
    phases = report["phases"]
    if "substrates" in phases:
        substrate_seconds = phases["substrates"]
    else:
        substrate_seconds = phases["substrate rows"] + phases["label index"]
    relationship_seconds = sum(seconds for name, seconds in phases.items() if not name.startswith("of which"))
    relationship_seconds -= substrate_seconds
    return count / substrate_seconds, 2 * count / relationship_seconds


def unfinished_rates(report: dict, count: int) -> tuple[float, float]:
    """Rows/s of a stopped load from its progress marks: substrates over their phase, relationships so far."""
    marks = report["progress"]
    done = [seconds for what, _, seconds in marks if what == "substrates-done"]
    if not done:
        substrates = [(number, seconds) for what, number, seconds in marks if what == "substrates"]
        return (substrates[-1][0] / substrates[-1][1] if substrates else 0.0), 0.0
    relationships = [(number, seconds) for what, number, seconds in marks if what == "relationships"]
    number, seconds = relationships[-1] if relationships else (0, done[0] + 1)
    return count / done[0], number / (seconds - done[0])


def describe(report: dict, count: int) -> str:
    """One stderr line about a load."""
    substrate_rate, relationship_rate = rates(report, count)
    text = f"{substrate_rate:,.0f} substrates/s, {relationship_rate:,.0f} relationships/s, {report['rss_mib']:.0f} MiB"
    if "unfinished" in report:
        return f"{text}, stopped after {report['unfinished']:.0f} s, progress {report['progress']}"
    return (f"{text}, {report['bytes'] / count:.1f} B/substrate, {report['cpu_seconds']:.1f} CPU s, "
            f"phases {report['phases']}")


def size_label(count: int) -> str:
    """1000000 -> '1M', 100000 -> '100k'."""
    return f"{count // 1_000_000}M" if count % 1_000_000 == 0 else f"{count // 1000}k"


def raw_sweep(folder: Path, count: int, rounds: int) -> None:
    """Time the reference under each candidate setting, interleaved, and print the medians."""
    base = dict(RAW_BEST)
    variants = {"RAW_BEST": base}
    variants["wal"] = {**base, "journal": "wal"}
    variants["cache 64 MiB"] = {**base, "cache_mib": 64}
    variants["batch 50k"] = {**base, "batch": 50_000}
    variants["batch 1M"] = {**base, "batch": 1_000_000}
    variants["sorted batches"] = {**base, "substrate_order": "batch"}
    variants["unsorted"] = {**base, "substrate_order": "none"}
    variants["threads 2"] = {**base, "threads": 2}
    variants["sorts in the large cache"] = {**base, "sort_cache_mib": base["cache_mib"], "sort_threads": 0}
    samples: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name in variants}
    path = folder / "sweep.db"
    for _ in range(rounds):
        for name, settings in variants.items():
            report = run_child("raw", path, count, settings)
            substrate_rate, relationship_rate = rates(report, count)
            samples[name].append((substrate_rate, relationship_rate, report["rss_mib"], report["bytes"]))
            print(f"  {name}: {substrate_rate:,.0f} substrates/s, {relationship_rate:,.0f} relationships/s, "
                  f"{report['rss_mib']:.0f} MiB, phases {report['phases']}", file=sys.stderr)
    path.unlink(missing_ok=True)
    print(f"\nraw reference settings at {size_label(count)}, median of {rounds} interleaved rounds "
          f"(base: {json.dumps(base)})")
    for name, values in samples.items():
        print(f"  {name:14} substrates {statistics.median(v[0] for v in values):>10,.0f}/s  relationships "
              f"{statistics.median(v[1] for v in values):>10,.0f}/s  peak RSS {max(v[2] for v in values):6.0f} MiB  "
              f"{statistics.median(v[3] for v in values) / count:6.1f} B/substrate")


def copy_into_bfxdb(raw_path: Path, path: Path) -> float:
    """Make a bfxdb file holding the raw file's graph by SQL, sorted, indexes after; returns seconds.

    For reads at a size whose bulk_load did not finish: bfxdb's own schema (made by
    bfxdb.connect) and rows, relationship ids as the raw file appended them.
    """
    import bfxdb

    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    bfxdb.connect(path).close()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = DELETE")
    connection.execute("PRAGMA cache_size = -1048576")
    connection.execute("ATTACH DATABASE ? AS raw", (str(raw_path),))
    indexes = connection.execute(
        "SELECT name, sql FROM main.sqlite_schema WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('substrate_labels', 'relationships')"
    ).fetchall()
    connection.execute("BEGIN IMMEDIATE")
    for name, _ in indexes:
        connection.execute(f'DROP INDEX main."{name}"')
    connection.execute(
        "INSERT INTO main.substrates (identity, expression_type, expression_code, metadata, created_at) "
        "SELECT identity, NULL, NULL, metadata, ? FROM raw.substrates ORDER BY identity", (BFXDB_CREATED_AT,))
    connection.execute(
        "INSERT INTO main.substrate_labels (substrate, label) "
        "SELECT s.identity, j.value FROM raw.substrates AS s, json_each(s.labels) AS j ORDER BY 1, 2")
    connection.execute(
        "INSERT INTO main.relationships (identity, source, target, rel_type, metadata, bidirectional, created_at) "
        "SELECT identity, source, target, rel_type, metadata, 0, ? FROM raw.relationships ORDER BY identity",
        (BFXDB_CREATED_AT,))
    for _, sql in indexes:
        connection.execute(sql)
    connection.execute("COMMIT")
    connection.execute("ANALYZE main")
    connection.execute("DETACH DATABASE raw")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.close()
    return time.perf_counter() - started


def read_figures(files: dict[tuple[str, int], Path], lookups: int, rounds: int) -> dict[tuple[str, int], float]:
    """Median µs of get_substrate / the 2-hop count and their raw twins, over every file, interleaved."""
    import bfxdb

    contenders = {}
    handles: list = []
    for (kind, count), path in files.items():
        rng = random.Random(11)
        probes = [identity_of(rng.randrange(count)) for _ in range(lookups)]
        signed_probes = [signed(identity) for identity in probes]
        if kind != "raw":
            db = bfxdb.connect(path, read_only=True)
            handles.append(db)

            def point(db=db, probes=probes) -> float:
                it = iter(probes)
                return per_call_us(lambda: db.get_substrate(next(it)), len(probes))

            def hops(db=db, probes=probes) -> float:
                it = iter(probes)
                return per_call_us(lambda: db.query(TWO_HOPS, {"id": next(it)}).rows, len(probes))
        else:
            raw = sqlite3.connect(path)
            handles.append(raw)

            def point(raw=raw, probes=signed_probes) -> float:
                it = iter(probes)
                return per_call_us(lambda: raw.execute(RAW_POINT, (next(it),)).fetchone(), len(probes))

            def hops(raw=raw, probes=signed_probes) -> float:
                it = iter(probes)
                return per_call_us(lambda: raw.execute(RAW_TWO_HOPS, (next(it), "KNOWS")).fetchone(), len(probes))
        contenders[(kind, count, "point")] = point
        contenders[(kind, count, "2-hop")] = hops
    samples: dict = {name: [] for name in contenders}
    # a first round warms the parser's and planner's caches and the files' pages: not counted
    for round_number in range(rounds + 1):
        for name, measure in contenders.items():
            figure = measure()
            if round_number:
                samples[name].append(figure)
    for handle in handles:
        handle.close()
    return {name: statistics.median(values) for name, values in samples.items()}


def print_rows(title: str, header: tuple[str, str, str, str], rows: list[tuple[str, str, str, str]]) -> None:
    """Print rows under a title and a header of four columns."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    print(f"\n{title}")
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
    sys.stdout.flush()


def load_table(count: int, reports: dict[str, list[dict]]) -> None:
    """Print the load figures of one size: medians of the rounds, largest peak RSS."""
    def median(kind: str, which: int) -> float:
        return statistics.median(rates(report, count)[which] for report in reports[kind])

    def size(kind: str) -> str:
        sizes = [report["bytes"] / count for report in reports[kind] if "bytes" in report]
        return f"{statistics.median(sizes):,.0f}" if sizes else "unfinished"

    bfx_rss, raw_rss = (max(report["rss_mib"] for report in reports[kind]) for kind in ("bfxdb", "raw"))
    unfinished = [report["unfinished"] for report in reports["bfxdb"] if "unfinished" in report]
    rows = [
        ("substrates (rows/s)", f"{median('bfxdb', 0):,.0f}", f"{median('raw', 0):,.0f}",
         f"{median('bfxdb', 0) / median('raw', 0):.2f}x"),
        ("relationships (rows/s)" + (" so far" if unfinished else ""), f"{median('bfxdb', 1):,.0f}",
         f"{median('raw', 1):,.0f}", f"{median('bfxdb', 1) / median('raw', 1):.2f}x"),
        ("bytes per substrate with its 2 relationships", size("bfxdb"), size("raw"), ""),
        ("peak RSS of the loading process (MiB)", f"{bfx_rss:,.0f}", f"{raw_rss:,.0f}", f"{bfx_rss / raw_rss:.2f}x"),
    ]
    if not unfinished:
        # on a shared machine the CPU time of a load varies less than its wall time
        bfx_cpu, raw_cpu = (statistics.median(report["cpu_seconds"] for report in reports[kind])
                            for kind in ("bfxdb", "raw"))
        rows.append(("CPU seconds of the whole load (user + system)", f"{bfx_cpu:,.1f}", f"{raw_cpu:,.1f}",
                     f"{bfx_cpu / raw_cpu:.2f}x"))
    title = (f"bulk load at {size_label(count)} substrates, {size_label(2 * count)} relationships, fed from "
             f"generators, each in a fresh file and child process: median of {len(reports['raw'])} rounds")
    if unfinished:
        title += f"; bfxdb's load stopped unfinished after {unfinished[0]:.0f} s (rates from its progress marks)"
    print_rows(title, ("measure", "bfxdb bulk_load", "raw sqlite3", "ratio"), rows)


def main() -> None:
    """Load every size with both contenders, measure reads on the files, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated substrate counts")
    parser.add_argument("--rounds", type=int, default=3, help="loads per contender at sizes up to 1M (larger: 1)")
    parser.add_argument("--read-rounds", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=5_000)
    parser.add_argument("--limit", type=float, default=None,
                        help="stop a bfxdb load still running after this many seconds")
    parser.add_argument("--folder", default="/tmp")
    parser.add_argument("--raw-sweep", action="store_true", help="measure the reference's candidate settings")
    parser.add_argument("--child", choices=("raw", "bfxdb"), help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--settings", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"reference settings: {json.dumps(RAW_BEST)}; load average at start {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="bfxdb-load-", dir=args.folder) as tmp:
        folder = Path(tmp)
        if args.raw_sweep:
            for count in sizes:
                raw_sweep(folder, count, args.rounds)
            return
        loads: dict[int, dict[str, list[dict]]] = {}
        files: dict[tuple[str, int], Path] = {}
        for count in sizes:
            loads[count] = {"raw": [], "bfxdb": []}
            rounds = args.rounds if count <= 1_000_000 else 1
            for round_number in range(rounds):
                order = ("raw", "bfxdb") if round_number % 2 == 0 else ("bfxdb", "raw")
                for kind in order:
                    path = folder / f"{kind}-{count}.db"
                    settings = RAW_BEST if kind == "raw" else None
                    report = run_child(kind, path, count, settings, None if kind == "raw" else args.limit)
                    loads[count][kind].append(report)
                    if "unfinished" not in report:
                        files[(kind, count)] = path
                    print(f"  {kind} {size_label(count)} round {round_number + 1}: {describe(report, count)}",
                          file=sys.stderr, flush=True)
            load_table(count, loads[count])
        # A size whose bulk_load did not finish gets its bfxdb file by SQL from the raw one; the
        # smallest size too, so the scale ratio compares files made the same way.
        if any(("bfxdb", count) not in files for count in sizes):
            for count in sorted({sizes[0], *(c for c in sizes if ("bfxdb", c) not in files)}):
                path = folder / f"copy-{count}.db"
                seconds = copy_into_bfxdb(files[("raw", count)], path)
                files[("copy", count)] = path
                print(f"  copied the raw {size_label(count)} file into a bfxdb file in {seconds:.0f} s, "
                      f"{file_bytes(path) / count:.1f} B/substrate", file=sys.stderr, flush=True)
        reads = read_figures(files, args.lookups, args.read_rounds)

    read_header = ("measure", "bfxdb", "raw sqlite3", "ratio")
    for count in sizes:
        rows = []
        for kind in ("bfxdb", "copy"):
            if (kind, count, "point") not in reads:
                continue
            file = "bulk_load file" if kind == "bfxdb" else "file copied by SQL"
            for what, label in (("point", "get_substrate vs raw row (µs)"),
                                ("2-hop", "2-hop count via db.query vs raw SQL (µs)")):
                mine, theirs = reads[(kind, count, what)], reads[("raw", count, what)]
                rows.append((f"{label}, {file}", f"{mine:.1f}", f"{theirs:.1f}", f"{mine / theirs:.2f}x"))
        print_rows(f"reads at {size_label(count)}: median of {args.read_rounds} interleaved rounds of "
                   f"{args.lookups:,} random probes, over every file at once", read_header, rows)
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        rows = []

        def load_median(kind: str, count: int, which: int) -> float:
            return statistics.median(rates(report, count)[which] for report in loads[count][kind])

        for kind in ("bfxdb", "raw"):
            for which, what in ((0, "substrates/s"), (1, "relationships/s")):
                large_rate, small_rate = load_median(kind, large, which), load_median(kind, small, which)
                rows.append((f"{kind} load {what}", f"{large_rate:,.0f}", f"{small_rate:,.0f}",
                             f"{large_rate / small_rate:.2f}x"))
        for kind in ("bfxdb", "copy", "raw"):
            if (kind, large, "point") not in reads or (kind, small, "point") not in reads:
                continue
            for what in ("point", "2-hop"):
                ratio = reads[(kind, large, what)] / reads[(kind, small, what)]
                rows.append((f"{kind} {what} (µs)", f"{reads[(kind, large, what)]:.1f}",
                             f"{reads[(kind, small, what)]:.1f}", f"{ratio:.2f}x"))
        print_rows(f"scale: {size_label(large)} against {size_label(small)}, the same run",
                   ("measure", size_label(large), size_label(small), "ratio"), rows)
        print("\ntargets: load rate at the large size >= 0.7x the small; point and 2-hop time <= 1.5x")
    print(f"\nload average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
