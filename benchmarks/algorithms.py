"""Benchmark the graph algorithms (PageRank, WCC, Louvain, Leiden) against NetworkX on the same random graph.

Run: python -m benchmarks.algorithms [--nodes N] [--communities-nodes N] [--rounds R]

bfxdb's figures include taking the snapshot (reading the graph out of SQLite in one
transaction), which is also shown on its own; NetworkX is given its graph already built.
Louvain runs on a smaller graph (``--communities-nodes``): NetworkX's Louvain takes minutes
at 100k nodes, and igraph's own slows down more than linearly on uniform random graphs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable

import networkx as nx

import bfxdb
from bfxdb.algorithms import ALGORITHMS, Projection, take_snapshot

from .common import print_table

#: The memory budget the algorithms run under: the 1M-node snapshot needs about 300 MiB.
MEMORY = 4 << 30


def random_graph(db: bfxdb.Database, nodes: int, seed: int = 1) -> list[tuple[int, int]]:
    """Load ``nodes`` substrates and 2 * ``nodes`` uniformly random relationships; return the edges."""
    rng = random.Random(seed)
    edges = [(rng.randrange(nodes) + 1, rng.randrange(nodes) + 1) for _ in range(2 * nodes)]
    db.bulk_load(
        ({"identity": i, "labels": ["N"]} for i in range(1, nodes + 1)),
        ({"source": s, "target": t, "rel_type": "R"} for s, t in edges),
    )
    return edges


def _timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _snapshot(db: bfxdb.Database) -> float:
    def read(check: Callable[[], None]) -> float:
        return _timed(lambda: take_snapshot(db.store, Projection(), check, None))

    return db.store.run_bounded(False, None, read)


def _compute_alone(db: bfxdb.Database, method: str) -> Callable[[], object]:
    """The algorithm on a snapshot taken beforehand: its computation and result alone."""
    algorithm = next(algorithm for algorithm in ALGORITHMS if algorithm.method == method)
    snapshot = db.store.run_bounded(False, None, lambda check: take_snapshot(db.store, Projection(), check, None))
    return lambda: dict(zip(snapshot.identities, algorithm.compute(snapshot, {}, [])))


def measure(rounds: int, contenders: dict) -> dict[str, tuple[float, float]]:
    """Median seconds of each (bfxdb, NetworkX) pair, their rounds interleaved (NaN for no NetworkX)."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (ours, theirs) in contenders.items():
            samples[name].append((_timed(ours), _timed(theirs) if theirs else float("nan")))
    return {
        name: (statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs))
        for name, pairs in samples.items()
    }


def _modularity(graph: nx.Graph, membership: dict) -> float:
    groups: dict[int, set] = {}
    for node, group in membership.items():
        groups.setdefault(group, set()).add(node)
    return nx.community.modularity(graph, list(groups.values()))


def whole_graph(folder: str, nodes: int, rounds: int, rows: list) -> None:
    """PageRank and WCC at full size, and the snapshot alone."""
    with bfxdb.connect(os.path.join(folder, "big.db"), query_timeout=None, query_memory=MEMORY) as db:
        started = time.perf_counter()
        edges = random_graph(db, nodes)
        print(f"loaded {nodes:,} nodes and {len(edges):,} relationships in {time.perf_counter() - started:.0f} s")
        directed = nx.DiGraph()
        directed.add_nodes_from(range(1, nodes + 1))
        directed.add_edges_from(edges)
        snapshot = statistics.median(_snapshot(db) for _ in range(rounds))
        alone = {"PageRank": _compute_alone(db, "pagerank"), "WCC": _compute_alone(db, "wcc")}
        figures = measure(
            rounds,
            {
                "PageRank": (db.algorithms.pagerank, lambda: nx.pagerank(directed, alpha=0.85, tol=1e-7)),
                "WCC": (db.algorithms.wcc, lambda: list(nx.weakly_connected_components(directed))),
                "PageRank alone": (alone["PageRank"], None),
                "WCC alone": (alone["WCC"], None),
            },
        )
    rows.append((f"snapshot of {nodes:,} / {len(edges):,} (s)", f"{snapshot:.2f}", "—", "—"))
    for name in ("PageRank", "WCC"):
        ours, theirs = figures[name]
        rows.append((f"{name} at {nodes:,}, snapshot included (s)", f"{ours:.2f}", f"{theirs:.2f}",
                     f"{theirs / ours:.1f}x faster"))
        compute = figures[f"{name} alone"][0]
        ratio = f"{theirs / compute:.1f}x faster"
        rows.append((f"{name} on a snapshot taken before (s)", f"{compute:.2f}", f"{theirs:.2f}", ratio))


def communities(folder: str, nodes: int, rounds: int, rows: list) -> None:
    """Louvain and Leiden against NetworkX's Louvain (one round of it: it takes minutes), with modularity."""
    with bfxdb.connect(os.path.join(folder, "small.db"), query_timeout=None, query_memory=MEMORY) as db:
        edges = random_graph(db, nodes)
        undirected = nx.Graph()
        undirected.add_nodes_from(range(1, nodes + 1))
        undirected.add_edges_from(edges)
        found: dict[str, float] = {}

        def louvain() -> None:
            found["bfxdb Louvain"] = _modularity(undirected, db.algorithms.louvain())

        def leiden() -> None:
            found["bfxdb Leiden"] = _modularity(undirected, db.algorithms.leiden())

        def reference() -> None:
            found["NetworkX Louvain"] = nx.community.modularity(
                undirected, nx.community.louvain_communities(undirected, seed=1)
            )

        theirs = measure(1, {"NetworkX": (reference, None)})["NetworkX"][0]
        figures = measure(rounds, {"Louvain": (louvain, None), "Leiden": (leiden, None)})
    for name, (ours, _) in figures.items():
        ratio = f"{theirs / ours:.1f}x faster"
        rows.append((f"{name} at {nodes:,} (s)", f"{ours:.2f}", f"{theirs:.2f} (Louvain)", ratio))
    for name, value in found.items():
        rows.append((f"modularity, {name}", f"{value:.4f}", "", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--communities-nodes", type=int, default=100_000, help="0 leaves Louvain and Leiden out")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        whole_graph(folder, args.nodes, args.rounds, rows)
        if args.communities_nodes:
            communities(folder, args.communities_nodes, args.rounds, rows)
    print_table(f"graph algorithms, bfxdb with its snapshot; median of {args.rounds} interleaved rounds", rows)


if __name__ == "__main__":
    main()
