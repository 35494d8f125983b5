"""Benchmark the graph algorithms (PageRank, WCC, Louvain, Leiden) against NetworkX on the same random graph.

Run: python -m benchmarks.algorithms [--nodes N] [--communities-nodes N] [--rounds R]

bfxdb's figures include taking the snapshot (reading the graph out of SQLite in one
transaction), which is also timed on its own at each size; NetworkX is given its graph already built.
Louvain and Leiden run on a graph with communities planted in it (``--communities-nodes``, 1M
by default; ``--inside`` of the relationships stay within blocks of BLOCK consecutive nodes):
on a uniform random graph, which has none, NetworkX's Louvain keeps making tiny gains and takes
hours at 1M (``--inside 0`` draws that graph). NetworkX's Louvain runs once: it takes minutes.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import networkx as nx

import bfxdb
from bfxdb.algorithms import Projection, take_snapshot

from .common import print_table

#: The memory budget the algorithms run under: the 1M-node snapshot is estimated at 524 MiB.
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


#: The nodes of one planted community.
BLOCK = 100


def planted_graph(db: bfxdb.Database, nodes: int, inside: float, seed: int = 1) -> list[tuple[int, int]]:
    """Load ``nodes`` substrates and 2 * ``nodes`` relationships from a uniformly random source, to a
    node of the source's block of BLOCK with probability ``inside``, else to any node; return the edges."""
    rng = random.Random(seed)
    edges = []
    for _ in range(2 * nodes):
        source = rng.randrange(nodes)
        target = source // BLOCK * BLOCK + rng.randrange(BLOCK) if rng.random() < inside else rng.randrange(nodes)
        edges.append((source + 1, min(target, nodes - 1) + 1))
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
    # as db.algorithms takes it: with the data version from before its transaction, which lets
    # the identities be read on a second connection beside the relationships
    version = db.store.data_version()

    def read(check: Callable[[], None]) -> float:
        return _timed(lambda: take_snapshot(db.store, Projection(), check, None, version))

    return db.store.run_bounded(False, None, read)


def _commit(db: bfxdb.Database) -> None:
    """Commit a write that leaves the graph as it is but ends the reuse of its snapshot (a new data version)."""
    db.query("MATCH (n) WHERE id(n) = 1 SET n.touched = coalesce(n.touched, 0) + 1")


def _warm_up(db: bfxdb.Database) -> None:
    """One untimed call first: NumPy and igraph are imported on first use, and the file is read into the OS cache."""
    db.algorithms.pagerank()


def measure(rounds: int, contenders: dict) -> dict[str, list[float]]:
    """Seconds of each contender, round by round, their rounds interleaved; a contender is
    (setup or None, timed call): the setup runs untimed just before the call."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (setup, call) in contenders.items():
            if setup is not None:
                setup()
            samples[name].append(_timed(call))
    return samples


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _groups(membership: dict) -> list[set]:
    """The communities of a {node: community} result, as NetworkX gives its own."""
    groups: dict[int, set] = {}
    for node, group in membership.items():
        groups.setdefault(group, set()).add(node)
    return list(groups.values())


def whole_graph(folder: str, nodes: int, rounds: int, rows: list) -> None:
    """PageRank and WCC at full size, each with a new snapshot and on the snapshot kept from the call before."""
    with bfxdb.connect(os.path.join(folder, "big.db"), query_timeout=None, query_memory=MEMORY) as db:
        started = time.perf_counter()
        edges = random_graph(db, nodes)
        print(f"loaded {nodes:,} nodes and {len(edges):,} relationships in {time.perf_counter() - started:.0f} s")
        directed = nx.DiGraph()
        directed.add_nodes_from(range(1, nodes + 1))
        directed.add_edges_from(edges)
        touch = functools.partial(_commit, db)
        _warm_up(db)
        figures = {
            name: _median(samples)
            for name, samples in measure(
                rounds,
                {
                    "snapshot": (touch, lambda: _snapshot(db)),
                    "PageRank": (touch, db.algorithms.pagerank),
                    "PageRank reused": (None, db.algorithms.pagerank),
                    "NetworkX PageRank": (None, lambda: nx.pagerank(directed, alpha=0.85, tol=1e-7)),
                    "WCC": (touch, db.algorithms.wcc),
                    "WCC reused": (None, db.algorithms.wcc),
                    "NetworkX WCC": (None, lambda: list(nx.weakly_connected_components(directed))),
                },
            ).items()
        }
    rows.append((f"snapshot of {nodes:,} / {len(edges):,} (s)", f"{figures['snapshot']:.2f}", "—", "—"))
    for name in ("PageRank", "WCC"):
        theirs = figures[f"NetworkX {name}"]
        for label, ours in ((f"{name} at {nodes:,}, new snapshot included (s)", figures[name]),
                            (f"{name} again, snapshot reused (s)", figures[f"{name} reused"])):
            rows.append((label, f"{ours:.2f}", f"{theirs:.2f}", f"{theirs / ours:.1f}x faster"))


def communities(folder: str, nodes: int, inside: float, rounds: int, rows: list) -> None:
    """Louvain and Leiden against NetworkX's Louvain (one round of it: it takes minutes), with modularity.

    bfxdb's rounds run before NetworkX's graph is built: held in the same process, its millions
    of objects make every garbage collection during bfxdb's call walk them (seconds at 1M).
    """
    with bfxdb.connect(os.path.join(folder, "communities.db"), query_timeout=None, query_memory=MEMORY) as db:
        edges = planted_graph(db, nodes, inside)
        # the communities found, kept to score their modularity after the timing
        found: dict[str, Any] = {}

        def louvain() -> None:
            found["bfxdb Louvain"] = _groups(db.algorithms.louvain())

        def leiden() -> None:
            found["bfxdb Leiden"] = _groups(db.algorithms.leiden())

        touch = functools.partial(_commit, db)
        _warm_up(db)
        figures = measure(
            rounds, {"snapshot": (touch, lambda: _snapshot(db)), "Louvain": (touch, louvain), "Leiden": (touch, leiden)}
        )
    undirected = nx.Graph()
    undirected.add_nodes_from(range(1, nodes + 1))
    undirected.add_edges_from(edges)

    def reference() -> None:
        found["NetworkX Louvain"] = nx.community.louvain_communities(undirected, seed=1)

    theirs = measure(1, {"NetworkX": (None, reference)})["NetworkX"][0]
    scores = {name: nx.community.modularity(undirected, groups) for name, groups in found.items()}
    graph = f"{inside:.0%} inside communities of {BLOCK}"
    rows.append((f"snapshot of {nodes:,} / {len(edges):,}, {graph} (s)", f"{_median(figures.pop('snapshot')):.2f}",
                 "—", "—"))
    for name, samples in figures.items():
        ours = _median(samples)
        ratio = f"{theirs / ours:.1f}x faster"
        rows.append((f"{name} at {nodes:,}, new snapshot included (s)", f"{ours:.2f}", f"{theirs:.2f} (Louvain)",
                     ratio))
    for name, value in scores.items():
        rows.append((f"modularity, {name}", f"{value:.4f}", "", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=1_000_000, help="0 leaves PageRank and WCC out")
    parser.add_argument("--communities-nodes", type=int, default=1_000_000, help="0 leaves Louvain and Leiden out")
    parser.add_argument("--inside", type=float, default=0.8, help="the share of relationships inside a community")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as folder:
        if args.nodes:
            whole_graph(folder, args.nodes, args.rounds, rows)
        if args.communities_nodes:
            communities(folder, args.communities_nodes, args.inside, args.rounds, rows)
    loads.append(os.getloadavg()[0])
    title = (
        f"graph algorithms; median of {args.rounds} interleaved rounds; "
        f"load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end"
    )
    print_table(title, rows)


if __name__ == "__main__":
    main()
