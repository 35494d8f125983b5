"""Benchmark vector search: top-10 over 100k x 384 vectors against NumPy brute force over a raw table of BLOBs.

Run: python -m benchmarks.vectors [--vectors N] [--dimensions D] [--queries Q] [--rounds R]

bfxdb answers ``CALL db.index.vector.queryNodes`` through Cypher, on a file made with bulk_load
and CREATE VECTOR INDEX. The reference is what a careful engineer writes by hand: the same
vectors as float32 BLOBs in a plain table of another file, read into one in-memory NumPy matrix,
normalised once, and ranked by one matrix-vector product and argpartition. Cold is the first
query after opening the file (reading the vectors into memory included); warm the median of the
queries after it. Recall is bfxdb's top-10 against the reference's exact top-10 (float64 scores).
"After one write" is a query straight after a commit that set one node's vector (the write not
timed): bfxdb patches its cached matrix with the rows the index's change log names; "read in
full" is the same with the cache dropped first, which is what every query after a write cost
before the change log.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np

import bfxdb
from bfxdb.search import vectors as search_vectors

from .common import print_table

QUERY = "CALL db.index.vector.queryNodes('chunks', $k, $q) YIELD node, score RETURN id(node) AS id, score"
K = 10


def _timed(function: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def _options(dimensions: int) -> str:
    return f"OPTIONS {{indexConfig: {{`vector.dimensions`: {dimensions}, `vector.similarity_function`: 'cosine'}}}}"


def build(path: str, vectors: np.ndarray) -> dict[str, float]:
    """Load the vectors as node properties, then make the index over them; the times and sizes of each step."""
    figures: dict[str, float] = {}
    with bfxdb.connect(path, query_timeout=None) as db:
        rows = vectors.tolist()  # what a program storing float32 embeddings hands over: Python floats
        seconds, _ = _timed(lambda: db.bulk_load({"labels": ["Chunk"], "metadata": {"e": row}} for row in rows))
        figures["bulk_load s"] = seconds
        before = os.path.getsize(path)
        create = f"CREATE VECTOR INDEX chunks FOR (n:Chunk) ON n.e {_options(len(rows[0]))}"
        seconds, _ = _timed(lambda: db.query(create))
        figures["CREATE VECTOR INDEX s"] = seconds
        db.store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        figures["index bytes per vector"] = (os.path.getsize(path) - before) / len(rows)
        figures["JSON bytes per vector"] = db.store.execute(
            "SELECT avg(length(json_extract(metadata, '$.e'))) FROM substrates"
        ).fetchone()[0]
        figures["BLOB bytes per vector"] = db.store.execute("SELECT avg(length(vector)) FROM vectors_1").fetchone()[0]
    return figures


def build_reference(path: str, vectors: np.ndarray) -> None:
    """The careful engineer's table: (id, float32 BLOB), in a file of its own."""
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, v BLOB NOT NULL)")
        connection.executemany(
            "INSERT INTO raw VALUES (?, ?)", ((i, row.astype("<f4").tobytes()) for i, row in enumerate(vectors))
        )
    connection.close()


class Reference:
    """NumPy brute force over a float32 matrix read once from the raw table, rows normalised."""

    def __init__(self, path: str, dimensions: int) -> None:
        connection = sqlite3.connect(path)
        rows = connection.execute("SELECT id, v FROM raw ORDER BY id").fetchall()
        connection.close()
        self.ids = np.array([row[0] for row in rows])
        matrix = np.frombuffer(b"".join(row[1] for row in rows), dtype="<f4").reshape(len(rows), dimensions)
        self.matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    def top(self, query: np.ndarray, k: int) -> list[int]:
        scores = self.matrix @ (query / np.linalg.norm(query))
        best = np.argpartition(scores, len(scores) - k)[len(scores) - k :]
        return self.ids[best[np.argsort(-scores[best])]].tolist()


def exact(vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    """The true top k by cosine, in float64: what recall is measured against."""
    matrix = vectors.astype(np.float64)
    scores = matrix @ query.astype(np.float64) / np.linalg.norm(matrix, axis=1)
    return np.argsort(-scores, kind="stable")[:k].tolist()


def _after_one_write(
    db: bfxdb.Database, queries: np.ndarray, originals: dict[int, list[float]], rng: np.random.Generator
) -> tuple[float, float]:
    """Median seconds of a query after a commit that sets one node's vector: with the matrix patched,
    and with the cached matrix dropped so it is read in full; the two interleaved. The nodes written
    get their ``originals`` back afterwards, so recall is measured on the same vectors every round."""
    write = "MATCH (n:Chunk) WHERE id(n) = $id SET n.e = $e"
    identities = list(originals)
    patched, reread = [], []
    for number, query in enumerate(queries):
        for seconds in (patched, reread):
            db.query(write, {"id": identities[number % len(identities)], "e": rng.standard_normal(len(query)).tolist()})
            if seconds is reread:
                search_vectors._cache.clear()
            seconds.append(_timed(lambda query=query: db.query(QUERY, {"k": K, "q": query.tolist()}))[0])
    for identity, vector in originals.items():
        db.query(write, {"id": identity, "e": vector})
    return statistics.median(patched), statistics.median(reread)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--dimensions", type=int, default=384)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((args.vectors, args.dimensions), dtype=np.float32)
    queries = rng.standard_normal((args.queries, args.dimensions), dtype=np.float32)
    with tempfile.TemporaryDirectory() as folder:
        path, raw = os.path.join(folder, "graph.db"), os.path.join(folder, "raw.db")
        figures = build(path, vectors)
        build_reference(raw, vectors)
        with bfxdb.connect(path) as db:
            # node numbers follow the load order, so a node's number maps to its row of `vectors`
            order = db.store.execute("SELECT identity FROM substrates ORDER BY node").fetchall()
            row_of = {signed % (1 << 64): row for row, (signed,) in enumerate(order)}
        cold: list[tuple[float, float]] = []
        warm: list[tuple[float, float]] = []
        after_write: list[tuple[float, float]] = []
        recall: list[float] = []
        truth = [exact(vectors, query, K) for query in queries]
        for _ in range(args.rounds):
            with bfxdb.connect(path) as db:
                seconds, _ = _timed(lambda: db.query(QUERY, {"k": K, "q": queries[0].tolist()}))
                ours_cold = seconds
                ours_warm = []
                for query, expected in zip(queries, truth):
                    seconds, result = _timed(lambda db=db, query=query: db.query(QUERY, {"k": K, "q": query.tolist()}))
                    ours_warm.append(seconds)
                    found = [row_of[row[0]] for row in result.rows]
                    recall.append(len(set(found) & set(expected)) / K)
                originals = {identity: vectors[row].tolist() for identity, row in list(row_of.items())[:100]}
                after_write.append(_after_one_write(db, queries, originals, rng))
            started = time.perf_counter()
            reference = Reference(raw, args.dimensions)
            reference.top(queries[0], K)
            theirs_cold = time.perf_counter() - started
            theirs_warm = []
            for query, expected in zip(queries, truth):
                seconds, found = _timed(lambda reference=reference, query=query: reference.top(query, K))
                theirs_warm.append(seconds)
                assert len(set(found) & set(expected)) == K
            cold.append((ours_cold, theirs_cold))
            warm.append((statistics.median(ours_warm), statistics.median(theirs_warm)))
    ours_cold, theirs_cold = (statistics.median(pair[i] for pair in cold) for i in (0, 1))
    ours_warm, theirs_warm = (statistics.median(pair[i] for pair in warm) for i in (0, 1))
    patched, reread = (statistics.median(pair[i] for pair in after_write) for i in (0, 1))
    print(f"{args.vectors:,} vectors x {args.dimensions}, top-{K}, {args.queries} queries x {args.rounds} rounds; "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, value in figures.items():
        print(f"  {name}: {value:,.1f}")
    print_table(
        "cosine top-10 (median ms; the reference: NumPy over a float32 matrix read from a raw BLOB table)",
        [
            ("cold: first query after open", f"{ours_cold * 1e3:.1f}", f"{theirs_cold * 1e3:.1f}",
             f"{ours_cold / theirs_cold:.2f}x"),
            ("warm", f"{ours_warm * 1e3:.2f}", f"{theirs_warm * 1e3:.2f}", f"{ours_warm / theirs_warm:.2f}x"),
            ("after one write: matrix patched", f"{patched * 1e3:.2f}", f"{theirs_warm * 1e3:.2f} (warm)",
             f"{patched / theirs_warm:.2f}x"),
            ("after one write: matrix read in full (as before)", f"{reread * 1e3:.1f}",
             f"{theirs_warm * 1e3:.2f} (warm)", f"{reread / theirs_warm:.2f}x"),
            ("recall@10", f"{statistics.mean(recall):.3f}", "1.000", ""),
        ],
    )


if __name__ == "__main__":
    main()
