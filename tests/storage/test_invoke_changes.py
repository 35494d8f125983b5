"""Database.invoke reuses compiled expressions, yet sees every change on its very next call."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import pytest

import bfxdb
from bfxdb import database
from bfxdb.storage.changes import DataVersion

ID = 0xB0B
DOUBLE = "lambda x: x * 2"
TRIPLE = "lambda x: x * 3"


@pytest.fixture
def shared(backend_target):
    """Two handles on one database, as two programs would have: (the one that invokes, the one that changes);
    a SQLite file, then a PostgreSQL schema."""
    with bfxdb.connect(backend_target) as invoker, bfxdb.connect(backend_target) as changer:
        changer.create_substrate("lambda", DOUBLE, identity=ID)
        yield invoker, changer


def _in_another_process(db_path, code: str) -> None:
    """Run ``code`` with ``db`` open on the file, in a fresh interpreter, and wait for it to end."""
    script = f"import bfxdb\nwith bfxdb.connect({str(db_path)!r}) as db:\n    {code}\n"
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


def _statements(db: bfxdb.Database) -> list[str]:
    """Record the SQL this thread's connection runs from now on."""
    seen: list[str] = []
    db.store._connection().set_trace_callback(seen.append)
    return seen


@pytest.mark.parametrize("backend_target", ["sqlite"], indirect=True)
def test_a_repeated_invoke_runs_no_sql_while_nothing_changes(shared):
    invoker, _ = shared
    assert invoker.invoke(ID, {"x": 1}) == 2
    seen = _statements(invoker)
    assert [invoker.invoke(ID, {"x": x}) for x in range(3)] == [0, 2, 4]
    assert seen == []


def test_a_delete_by_another_connection_is_seen_by_the_very_next_invoke(shared):
    invoker, changer = shared
    assert invoker.invoke(ID, {"x": 1}) == 2
    changer.delete_substrate(ID)
    with pytest.raises(bfxdb.NotFound):
        invoker.invoke(ID, {"x": 1})


def test_a_re_creation_under_the_same_id_by_another_connection_is_seen_by_the_very_next_invoke(shared):
    invoker, changer = shared
    assert invoker.invoke(ID, {"x": 1}) == 2
    changer.delete_substrate(ID)
    changer.create_substrate("lambda", TRIPLE, identity=ID)
    assert invoker.invoke(ID, {"x": 1}) == 3


@pytest.mark.parametrize("backend_target", ["sqlite"], indirect=True)
def test_an_expression_changed_behind_bfxdb_is_seen_by_the_very_next_invoke(shared, db_path):
    invoker, _ = shared
    assert invoker.invoke(ID, {"x": 1}) == 2
    raw = sqlite3.connect(db_path)
    with raw:
        raw.execute("UPDATE substrates SET expression_code = ? WHERE identity = ?", (TRIPLE, ID))
    raw.close()
    assert invoker.invoke(ID, {"x": 1}) == 3


@pytest.mark.parametrize(
    ("change", "then"),
    [
        (f"db.delete_substrate({ID})", bfxdb.NotFound),
        (f"db.delete_substrate({ID}); db.create_substrate('lambda', {TRIPLE!r}, identity={ID})", 3),
    ],
    ids=["delete", "re-create"],
)
def test_a_change_by_another_process_is_seen_by_the_very_next_invoke(shared, backend_target, change, then):
    invoker, _ = shared
    assert invoker.invoke(ID, {"x": 1}) == 2
    _in_another_process(backend_target, change)
    if then is bfxdb.NotFound:
        with pytest.raises(bfxdb.NotFound):
            invoker.invoke(ID, {"x": 1})
    else:
        assert invoker.invoke(ID, {"x": 1}) == then


def test_a_change_by_another_thread_of_the_same_handle_is_seen_by_the_very_next_invoke(shared):
    invoker, _ = shared
    assert invoker.invoke(ID, {"x": 1}) == 2
    worker = threading.Thread(target=invoker.delete_substrate, args=(ID,))
    worker.start()
    worker.join()
    with pytest.raises(bfxdb.NotFound):
        invoker.invoke(ID, {"x": 1})


def test_this_handles_own_writes_are_seen_inside_and_after_a_transaction(shared):
    invoker, _ = shared
    assert invoker.invoke(ID, {"x": 1}) == 2
    with pytest.raises(RuntimeError), invoker.transaction():
        invoker.delete_substrate(ID)
        with pytest.raises(bfxdb.NotFound):
            invoker.invoke(ID, {"x": 1})
        raise RuntimeError("roll back")
    assert invoker.invoke(ID, {"x": 1}) == 2
    invoker.delete_substrate(ID)
    invoker.create_substrate("lambda", TRIPLE, identity=ID)
    assert invoker.invoke(ID, {"x": 1}) == 3


def test_an_in_memory_database_sees_its_own_changes(db):
    db.create_substrate("lambda", DOUBLE, identity=ID)
    assert db.invoke(ID, {"x": 1}) == 2
    db.delete_substrate(ID)
    with pytest.raises(bfxdb.NotFound):
        db.invoke(ID, {"x": 1})
    db.create_substrate("lambda", TRIPLE, identity=ID)
    assert db.invoke(ID, {"x": 1}) == 3


def test_an_id_given_as_a_boolean_is_refused_though_its_number_is_cached(shared):
    invoker, changer = shared
    changer.create_substrate("constant", "7", identity=1)
    assert invoker.invoke(1) == 7
    with pytest.raises(bfxdb.InvalidId):
        invoker.invoke(True)


def test_an_expression_type_registered_anew_is_used_by_the_very_next_invoke(shared, monkeypatch):
    invoker, changer = shared
    types = bfxdb.sandbox.EXPRESSION_TYPES
    # A private copy of the table of compilers, so the type registered here leaves with the test.
    monkeypatch.setattr(types, "_compilers", dict(types._compilers))
    types.register("versioned", lambda code: lambda parameters: 1)
    changer.create_substrate("versioned", "v", identity=2)
    assert invoker.invoke(2) == 1
    types.register("versioned", lambda code: lambda parameters: 2)
    assert invoker.invoke(2) == 2


def test_the_cache_of_one_thread_holds_a_bounded_number_of_expressions(shared, monkeypatch):
    invoker, changer = shared
    monkeypatch.setattr(database, "MAX_CACHED_EXPRESSIONS", 3)
    for identity in range(1, 6):
        changer.create_substrate("constant", str(identity), identity=identity)
    assert [invoker.invoke(identity) for identity in range(1, 6)] == [1, 2, 3, 4, 5]
    assert len(invoker._expressions.compiled) <= 3


def test_an_invocable_keeps_the_expression_it_was_made_with(shared):
    invoker, changer = shared
    double = invoker.invocable(ID)
    assert [double({"x": x}) for x in range(3)] == [0, 2, 4]
    changer.delete_substrate(ID)
    changer.create_substrate("lambda", TRIPLE, identity=ID)
    assert double({"x": 1}) == 2
    assert invoker.invocable(ID)({"x": 1}) == 3


def test_an_invocable_of_a_missing_or_plain_substrate_is_refused(shared):
    invoker, changer = shared
    with pytest.raises(bfxdb.NotFound):
        invoker.invocable(0xDEAD)
    plain = changer.create_substrate(metadata={"no": "expression"})
    with pytest.raises(bfxdb.ExpressionError):
        invoker.invocable(plain.identity)


def test_the_version_of_a_wal_file_is_read_from_shared_memory_and_moves_with_every_commit(db_path):
    with bfxdb.connect(db_path) as db:
        db.create_substrate("constant", "1", identity=1)
        before = db.store.data_version()
        assert db.store._data_version._index is not None
        _in_another_process(db_path, "db.create_substrate('constant', '2', identity=2)")
        assert db.store.data_version() != before


def test_without_wal_the_version_falls_back_to_sqlites_data_version(tmp_path):
    path = tmp_path / "rollback.db"
    mine, theirs = sqlite3.connect(path, isolation_level=None), sqlite3.connect(path, isolation_level=None)
    mine.execute("CREATE TABLE t (x)")
    version = DataVersion(private_memory=False)
    before = version.of(mine)
    assert version._index is None
    assert version.of(mine) == before
    theirs.execute("INSERT INTO t VALUES (1)")
    after = version.of(mine)
    assert after != before
    mine.execute("INSERT INTO t VALUES (2)")
    assert version.of(mine) != after
    mine.execute("BEGIN")
    assert version.of(mine) is None
    mine.execute("ROLLBACK")
    mine.close()
    theirs.close()
