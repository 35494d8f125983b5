"""Transactions under pressure: a write lock held elsewhere past the wait, and time limits that name what was set."""

from __future__ import annotations

import time
import uuid

import pytest
from bfxdb.web import create_app

import bfxdb

from .foreign import write_lock_held


def test_the_embedded_api_waits_its_own_timeout_for_the_lock_then_raises_database_busy(tmp_path):
    path = tmp_path / "g.db"
    with bfxdb.connect(path) as db:
        assert db.store.timeout == 30.0  # the embedded default; `bfxdb serve` waits --write-wait
    with bfxdb.connect(path, timeout=0.3) as db:
        db.create_substrate(identity=1)
        with write_lock_held(path):
            started = time.monotonic()
            with pytest.raises(bfxdb.DatabaseBusy, match="write lock for over 0.3 s") as caught:
                db.create_substrate(identity=2)
            assert 0.3 <= time.monotonic() - started < 2
            assert caught.value.http_status == 503 and isinstance(caught.value, bfxdb.StorageError)
            # reads never wait for the writer
            started = time.monotonic()
            assert db.get_substrate(1).identity == 1 and db.count_substrates() == 1
            assert db.query("MATCH (n) RETURN count(n) AS c").rows == [(1,)]
            assert time.monotonic() - started < 0.3
        db.create_substrate(identity=2)
        assert db.count_substrates() == 2


def _fresh(query: str) -> str:
    """The query under a text never planned before, so that planning takes part of its time limit."""
    return f"{query} // {uuid.uuid4()}"


@pytest.mark.parametrize(
    "query",
    [
        # stopped in SQL by the progress handler
        "MATCH (a), (b), (c) WHERE a.i + b.i + c.i < 0 RETURN a.i",
        # stopped in Python, between rows
        "UNWIND range(1, 9000000) AS i WITH i WHERE i < 0 RETURN i",
    ],
)
def test_a_streamed_query_past_its_limit_names_the_limit_set_not_what_planning_left(db, query):
    db.query("UNWIND range(1, 2000) AS i CREATE (:N {i: i})")
    with pytest.raises(bfxdb.QueryTimeout) as caught:
        list(db.stream(_fresh(query), timeout=0.3))
    assert str(caught.value) == "the query ran past its time limit of 0.3 s"
    with pytest.raises(bfxdb.QueryTimeout) as caught:
        db.query(_fresh(query), timeout=0.3)
    assert str(caught.value) == "the query ran past its time limit of 0.3 s"


def test_a_query_past_its_limit_over_http_names_the_limit_set(db):
    db.query("UNWIND range(1, 2000) AS i CREATE (:N {i: i})")
    client = create_app(db).test_client()
    query = _fresh("MATCH (a), (b), (c) WHERE a.i + b.i + c.i < 0 RETURN a.i")
    response = client.post("/api/v1/query", json={"query": query, "timeout_ms": 300})
    assert response.status_code == 504
    assert response.get_json()["detail"] == "the query ran past its time limit of 0.3 s"


def test_a_write_after_sqlite_ended_the_enclosing_transaction_is_refused_not_committed_alone(tmp_path):
    path = tmp_path / "g.db"
    with bfxdb.connect(path) as db:
        with pytest.raises(bfxdb.TransactionAborted, match="begin a new transaction"):
            with db.transaction():
                db.create_substrate(identity=1)
                # what SQLite does by itself on a full disk or an interrupt inside a statement
                db.store.execute("ROLLBACK")
                db.create_substrate(identity=2)
        assert db.count_substrates() == 0
        db.create_substrate(identity=3)  # the next transaction is a fresh one
    with bfxdb.connect(path) as db:
        assert [s.identity for s in db.find_substrates()] == [3]
