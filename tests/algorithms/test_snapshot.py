"""The snapshot: node numbers with gaps, reuse while the graph is unchanged, and what ends the reuse."""

from __future__ import annotations

import random
import sqlite3

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bfxdb
from bfxdb.algorithms import api

from .test_algorithms import EXAMPLES, close, graphs, load, oracle, partition

pytest.importorskip("igraph")


@EXAMPLES
@given(graphs(), st.data())
def test_node_numbers_with_gaps_match_networkx(graph, data):
    n, edges = graph
    gone = data.draw(st.sets(st.integers(1, n), max_size=n - 1))
    reference = oracle(n, edges)
    reference.remove_nodes_from(gone)
    with load(n, edges) as db:
        db.query("MATCH (x) WHERE x.i IN $gone DETACH DELETE x", {"gone": sorted(gone)})
        scores, weak = db.algorithms.pagerank(), db.algorithms.wcc()
    close(scores, nx.pagerank(reference, weight=None, tol=1e-12, max_iter=10_000), 1e-6)
    assert partition(weak) == {frozenset(c) for c in nx.weakly_connected_components(reference)}


@pytest.fixture
def taken(monkeypatch):
    """The projections snapshots were taken of, call by call."""
    projections: list = []
    real = api.take_snapshot

    def counted(store, projection, check, memory, version=None):
        projections.append(projection)
        return real(store, projection, check, memory, version)

    monkeypatch.setattr(api, "take_snapshot", counted)
    return projections


def test_a_second_call_on_the_unchanged_graph_reuses_the_snapshot(taken):
    with load(4, [(1, 2, "A", 1), (2, 3, "A", 1)]) as db:
        first = db.algorithms.wcc()
        assert db.algorithms.wcc() == first
        db.algorithms.pagerank()
        assert len(taken) == 1
        db.algorithms.wcc(relationship_types=["B"])
        assert len(taken) == 2  # another projection is another snapshot


def test_closing_the_database_lets_go_of_its_snapshot(taken):
    from bfxdb.algorithms import SNAPSHOTS

    with load(4, [(1, 2, "A", 1), (2, 3, "A", 1)]) as db:
        db.algorithms.wcc()
        store = db._store
        assert store in SNAPSHOTS._entries
    assert store not in SNAPSHOTS._entries


def test_a_write_of_the_same_connection_ends_the_reuse(taken):
    with load(4, [(1, 2, "A", 1), (2, 3, "A", 1)]) as db:
        assert len(partition(db.algorithms.wcc())) == 2
        db.query("MATCH (a {i: 3}), (b {i: 4}) CREATE (a)-[:A]->(b)")
        assert len(partition(db.algorithms.wcc())) == 1
        assert len(taken) == 2


def test_a_commit_from_another_connection_ends_the_reuse(tmp_path, taken):
    path = str(tmp_path / "g.db")
    with bfxdb.connect(path) as db, bfxdb.connect(path) as other:
        db.query("CREATE (:N {i: 1})-[:A]->(:N {i: 2}), (:N {i: 3})")
        assert len(partition(db.algorithms.wcc())) == 2
        assert len(partition(db.algorithms.wcc())) == 2
        other.query("MATCH (a {i: 2}), (b {i: 3}) CREATE (a)-[:A]->(b)")
        assert len(partition(db.algorithms.wcc())) == 1
        assert len(taken) == 2


def test_inside_a_transaction_the_algorithms_see_its_writes_and_reuse_nothing(taken):
    with load(3, [(1, 2, "A", 1)]) as db:
        db.algorithms.degree()
        with db.transaction():
            db.query("MATCH (a {i: 2}), (b {i: 3}) CREATE (a)-[:A]->(b)")
            assert db.algorithms.degree()[2] == 1.0
        assert len(taken) == 2


def test_writing_a_result_takes_a_snapshot_in_its_own_transaction(taken):
    with load(3, [(1, 2, "A", 1)]) as db:
        db.algorithms.wcc()
        assert db.algorithms.wcc(write="component").written == 3
        assert len(taken) == 2


def test_a_reused_snapshot_is_still_held_to_the_memory_budget(taken):
    with load(3, [(1, 2, "A", 1)]) as db:
        db.algorithms.wcc()
        with pytest.raises(bfxdb.QueryLimitExceeded, match="memory budget"):
            db.algorithms.wcc(memory=100)
        assert len(taken) == 1


@pytest.mark.parametrize("shift", [2**31, 2**32])
def test_node_numbers_past_31_and_32_bits_match_networkx(tmp_path, shift):
    rng = random.Random(7)
    n = 40
    edges = [(rng.randint(1, n), rng.randint(1, n), rng.choice("AB"), rng.randint(1, 9)) for _ in range(60)]
    path = tmp_path / "g.db"
    with bfxdb.connect(path) as db:
        db.bulk_load(
            [{"identity": i, "labels": ["N"], "metadata": {"i": i}} for i in range(1, n + 1)],
            [{"source": s, "target": t, "rel_type": kind, "metadata": {"w": w}} for s, t, kind, w in edges],
        )
    # as the sqlite3 shell could leave them: node numbers past 2**31 (two still pack into one integer)
    # and past 2**32 (they do not, and the relationships are read as two columns)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE substrates SET node = node + ? WHERE node > 1", (shift,))
        raw.execute("UPDATE substrate_labels SET node = node + ? WHERE node > 1", (shift,))
        for end in ("source", "target"):
            raw.execute(f"UPDATE relationships SET {end} = {end} + ? WHERE {end} > 1", (shift,))
        assert raw.execute("SELECT max(node) FROM substrates").fetchone()[0] == n + shift
    reference = oracle(n, edges)
    with bfxdb.connect(path) as db:
        scores, weak = db.algorithms.pagerank(), db.algorithms.wcc()
        weighted = db.algorithms.degree(weight_property="w", relationship_types=["A"])
    close(scores, nx.pagerank(reference, weight=None, tol=1e-12, max_iter=10_000), 1e-6)
    assert partition(weak) == {frozenset(c) for c in nx.weakly_connected_components(reference)}
    close(weighted, dict(oracle(n, edges, ("A",)).out_degree(weight="weight")), 1e-9)
