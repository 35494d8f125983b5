"""The store's hot read path: adjacency in one statement of index lookups, statistics kept without a statement."""

from __future__ import annotations

import bfxdb


def _traced(db: bfxdb.Database, call) -> list[str]:
    """The SQL statements this thread's connection runs during ``call()``."""
    statements: list[str] = []
    connection = db.store._connection()
    connection.set_trace_callback(statements.append)
    try:
        call()
    finally:
        connection.set_trace_callback(None)
    return statements


def test_adjacency_reads_its_rows_by_index_lookups_with_no_subquery_per_row_and_no_sort(file_db):
    a = file_db.create_substrate(labels=["P"])
    b = file_db.create_substrate(labels=["P"])
    file_db.create_relationship(a.identity, b.identity, "KNOWS")
    for direction, typed in (("out", None), ("out", "KNOWS"), ("in", None), ("in", "KNOWS")):
        (sql,) = _traced(file_db, lambda d=direction, t=typed: file_db.store.adjacent(a.identity, d, t))
        plan = [row[3] for row in file_db.store.execute("EXPLAIN QUERY PLAN " + sql.split(" LIMIT ")[0])]
        assert not [step for step in plan if "CORRELATED" in step or "TEMP B-TREE" in step], plan
        assert all(step.startswith(("SEARCH", "SCALAR SUBQUERY", "REUSE SUBQUERY")) for step in plan), plan


def test_adjacency_gives_both_ends_the_type_and_stable_pages_in_each_direction(db):
    hub = db.create_substrate()
    others = [db.create_substrate() for _ in range(4)]
    made = [db.create_relationship(hub.identity, other.identity, kind) for other in others for kind in ("B", "A")]
    loop = db.create_relationship(hub.identity, hub.identity, "A", bidirectional=True)
    out = db.outgoing(hub.identity)
    assert {rel.identity for rel in out} == {rel.identity for rel in made} | {loop.identity}
    assert all(rel.source == hub.identity for rel in out)
    assert [rel.rel_type for rel in out] == ["B"] * 4 + ["A"] * 5  # types in order of first use
    assert db.outgoing(hub.identity, limit=3) + db.outgoing(hub.identity, offset=3) == out
    assert [rel.target for rel in db.incoming(hub.identity)] == [hub.identity]
    assert [(rel.source, rel.bidirectional) for rel in db.incoming(hub.identity, "A")] == [(hub.identity, True)]
    assert db.incoming(others[0].identity, "B")[0].source == hub.identity
    assert db.outgoing(hub.identity, "NEVER_USED") == []


def test_unchanged_statistics_are_handed_out_again_without_a_statement(file_db):
    file_db.create_substrate(labels=["P"])
    first = file_db.store.statistics()
    assert _traced(file_db, file_db.store.statistics) == []
    assert file_db.store.statistics() is first


def test_another_connections_commit_gives_new_statistics(db_path):
    with bfxdb.connect(db_path) as db, bfxdb.connect(db_path) as other:
        db.create_substrate(labels=["P"])
        first = db.store.statistics()
        assert first.label("P") == 1
        other.create_substrate(labels=["P"])
        second = db.store.statistics()
        assert second is not first and second.label("P") == 2
        with db.transaction():
            # inside a transaction the version is SQLite's own, and the snapshot's counts hold
            assert db.store.statistics().label("P") == 2
