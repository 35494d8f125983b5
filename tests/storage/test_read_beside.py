"""A read on a second connection beside a transaction: used only when both read the same state."""

from __future__ import annotations

import sqlite3
import threading

import networkx as nx
import pytest

import bfxdb
from bfxdb.storage.sqlite import SQLiteStore

pytest.importorskip("igraph")

COUNT = "SELECT count(*) FROM substrates"


@pytest.fixture
def db(tmp_path):
    with bfxdb.connect(tmp_path / "graph.db") as database:
        database.bulk_load(
            ({"identity": i, "labels": ["N"]} for i in range(1, 41)),
            ({"source": i, "target": i % 40 + 1, "rel_type": "R"} for i in range(1, 41, 2)),
        )
        yield database


def _in_a_read_transaction(store: SQLiteStore, sql: str, before=None):
    """Read ``version``, begin a read transaction, read once in it, then run ``before`` and read beside."""
    version = store.data_version()

    def read(check):
        store.execute(COUNT).fetchone()  # the transaction's snapshot begins here
        if before is not None:
            before()
        pending = store.read_beside(version, sql)
        return None if pending is None else pending()

    return store.run_bounded(False, None, read)


def test_the_row_read_beside_is_the_row_of_the_same_state(db):
    assert _in_a_read_transaction(db.store, COUNT) == (40,)


def test_a_commit_between_the_version_and_the_read_beside_throws_the_row_away(db, tmp_path):
    def commit_elsewhere():
        other = sqlite3.connect(tmp_path / "graph.db")
        with other:
            other.execute("UPDATE substrates SET metadata = '{\"x\": 1}' WHERE node = 1")
        other.close()

    assert _in_a_read_transaction(db.store, COUNT, commit_elsewhere) is None


def test_nothing_is_read_beside_without_a_version_or_in_memory(db):
    assert db.store.read_beside(None, COUNT) is None
    with bfxdb.connect() as memory:
        assert memory.store.read_beside(memory.store.data_version(), COUNT) is None


def test_an_algorithm_reads_identities_beside_and_agrees_with_networkx(db, monkeypatch):
    used = []
    real = SQLiteStore._read_beside_now

    def counted(self, *args):
        used.append(threading.current_thread().name)
        return real(self, *args)

    monkeypatch.setattr(SQLiteStore, "_read_beside_now", counted)
    reference = nx.MultiDiGraph()
    reference.add_nodes_from(range(1, 41))
    reference.add_edges_from((i, i % 40 + 1) for i in range(1, 41, 2))
    components = db.algorithms.wcc()
    assert used and used[0].startswith("bfxdb-beside")
    groups: dict = {}
    for node, group in components.items():
        groups.setdefault(group, set()).add(node)
    assert {frozenset(g) for g in groups.values()} == {frozenset(c) for c in nx.weakly_connected_components(reference)}


def test_a_snapshot_whose_read_beside_saw_a_commit_reads_its_own_transaction(db, tmp_path, monkeypatch):
    """A commit lands between the version and the read beside: the identities come from the transaction."""
    real = SQLiteStore.read_beside

    def commit_first(self, version, sql, params=()):
        other = sqlite3.connect(tmp_path / "graph.db")
        with other:
            other.execute("UPDATE substrates SET metadata = '{\"x\": 2}' WHERE node = 2")
        other.close()
        return real(self, version, sql, params)

    monkeypatch.setattr(SQLiteStore, "read_beside", commit_first)
    ranks = db.algorithms.pagerank()
    assert sorted(ranks) == list(range(1, 41))
    assert abs(sum(ranks.values()) - 1) < 1e-9


def test_closing_the_store_stops_its_reading_thread(tmp_path):
    with bfxdb.connect(tmp_path / "g.db") as database:
        database.bulk_load(({"identity": i} for i in range(1, 4)), ())
        database.algorithms.wcc()
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("bfxdb-beside")]


def test_a_read_beside_past_the_time_limit_is_a_timeout_and_leaves_the_store_usable(db):
    store = db.store
    slow = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c"
    version = store.data_version()

    def read(check):
        store.execute(COUNT).fetchone()
        pending = store.read_beside(version, slow)
        assert pending is not None
        return pending()

    with pytest.raises(bfxdb.QueryTimeout):
        store.run_bounded(False, 0.2, read)
    assert _in_a_read_transaction(store, COUNT) == (40,)


@pytest.fixture
def dense(tmp_path):
    """More relationships than nodes, so the snapshot splits their read between two connections."""
    edges = [(i % 30 + 1, (7 * i) % 30 + 1) for i in range(90)]
    with bfxdb.connect(tmp_path / "dense.db") as database:
        database.bulk_load(
            ({"identity": i} for i in range(1, 31)),
            ({"source": s, "target": t, "rel_type": "R"} for s, t in edges),
        )
        yield database, edges


def _snapshot(db: bfxdb.Database, direction: str = "NATURAL"):
    from bfxdb.algorithms import Projection, take_snapshot

    version = db.store.data_version()
    projection = Projection(direction=direction)
    return db.store.run_bounded(False, None, lambda check: take_snapshot(db.store, projection, check, None, version))


@pytest.mark.parametrize("direction", ["NATURAL", "REVERSE"])
def test_the_relationships_split_between_two_connections_are_all_of_them_in_order(dense, monkeypatch, direction):
    db, edges = dense
    beside = []
    real = SQLiteStore._read_beside_now

    def counted(self, version, sql, *args):
        beside.append(sql)
        return real(self, version, sql, *args)

    monkeypatch.setattr(SQLiteStore, "_read_beside_now", counted)
    snapshot = _snapshot(db, direction)
    assert any("FROM relationships" in sql for sql in beside)
    pairs = list(zip(snapshot.sources.tolist(), snapshot.targets.tolist()))
    ends = [(s - 1, t - 1) if direction == "NATURAL" else (t - 1, s - 1) for s, t in edges]
    assert sorted(pairs) == sorted(ends)
    assert snapshot.targets.tolist() == sorted(snapshot.targets.tolist())


def test_a_commit_before_the_second_half_is_read_beside_leaves_the_transactions_relationships(
    dense, tmp_path, monkeypatch
):
    db, edges = dense
    real = SQLiteStore.read_beside

    def commit_before_the_relationships(self, version, sql, params=()):
        if "FROM relationships" in sql:
            other = sqlite3.connect(tmp_path / "dense.db")
            with other:
                other.execute(
                    "INSERT INTO relationships (source, target, rel_type, created_at) "
                    "SELECT 1, 30, rel_type, 0 FROM relationships LIMIT 1"
                )
            other.close()
        return real(self, version, sql, params)

    monkeypatch.setattr(SQLiteStore, "read_beside", commit_before_the_relationships)
    snapshot = _snapshot(db)
    assert sorted(zip(snapshot.sources.tolist(), snapshot.targets.tolist())) == sorted(
        (s - 1, t - 1) for s, t in edges
    )
    assert db.query("MATCH ()-[r]->() RETURN count(r)").rows == [(91,)]
