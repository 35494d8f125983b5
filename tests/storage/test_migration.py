"""Schema v1 files (made by the release before schema v2) upgrade in place, completely or not at all."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import bfxdb
from bfxdb import maintenance
from bfxdb.storage import SCHEMA_VERSION

from ..conftest import REPO

FIXTURES = Path(__file__).parent / "fixtures"


def _expected() -> dict:
    """What v1.json says the fixture holds, as the v1 release returned it."""
    found: dict = {"substrates": [], "relationships": []}
    for line in (FIXTURES / "v1.json").read_text().splitlines():
        record = json.loads(line)
        if "invoke" in record:
            found["invoke"] = record["invoke"]
        else:
            ((kind, item),) = record.items()
            found[kind].append(item)
    return found


@pytest.fixture
def v1_file(release_file) -> Path:
    """A copy of the committed v1 fixture file."""
    return release_file("v1.db")


def test_the_fixture_is_a_v1_file(v1_file):
    plain = sqlite3.connect(v1_file)
    assert plain.execute("PRAGMA user_version").fetchone() == (1,)
    plain.close()


def test_a_v1_file_is_migrated_with_everything_it_held(v1_file):
    expected = _expected()
    with bfxdb.connect(v1_file) as db:
        assert db.schema_version() == SCHEMA_VERSION
        assert [s.to_dict() for s in db.iter_substrates()] == expected["substrates"]
        assert [r.to_dict() for r in db.iter_relationships()] == expected["relationships"]
        substrate_id, parameters, result = expected["invoke"]
        assert db.invoke(substrate_id, parameters) == result
        stats = db.store.graph_stats()
        assert [(index["name"], index["label"]) for index in stats.property_indexes] == [
            ("person_age", "Person"),
            ("person_pid", "Person"),
        ]
        assert {"property_pid", "property_age"} <= {
            name for (name,) in db.store.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'substrates'")
        }
        assert "property_pid" in db.query("EXPLAIN MATCH (n:Person {pid: 'p7'}) RETURN n").plan
        assert db.query("MATCH (n:Person {pid: 'p7'})-[:KNOWS]->(m) RETURN m.pid").rows == [("p8",)]
        assert db.query("MATCH (n:Émigré) RETURN count(n)").rows == [(40,)]
        assert maintenance.check(db).ok


def test_a_migrated_file_takes_new_rows_after_the_old_ones(v1_file):
    with bfxdb.connect(v1_file) as db:
        created = db.create_relationship(1, 2, "KNOWS")
        top = max(r["identity"] for r in _expected()["relationships"] if r["identity"] < 1 << 63)
        assert created.identity == top + 1
        assert db.outgoing(1, "KNOWS")[-1].identity == created.identity
        node = db.create_substrate(labels=["Person"], metadata={"pid": "new"})
        assert db.query("MATCH (n:Person {pid: 'new'}) RETURN id(n)").rows == [(node.identity,)]


def test_a_v1_file_opened_read_only_asks_for_a_writable_open_first(v1_file):
    with pytest.raises(bfxdb.StorageError, match="open it writable once"):
        bfxdb.connect(v1_file, read_only=True)


def _grow_v1(path: Path, substrates: int) -> None:
    """Add rows to a v1 file by hand, in v1's own layout, so that migrating it takes a while."""
    plain = sqlite3.connect(path, isolation_level=None)
    plain.execute("BEGIN")
    plain.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO substrates (identity, metadata, created_at) "
        "SELECT i * 1000003, json_object('pid', 'q' || i), '2026-01-01T00:00:00.000001Z' FROM n",
        (1000 + substrates,),
    )
    plain.execute("INSERT INTO substrate_labels SELECT identity, 'Person' FROM substrates WHERE identity > 1000000")
    plain.execute(
        "INSERT INTO relationships (identity, source, target, rel_type, created_at) "
        "SELECT identity + 7, identity, identity, 'SELF', created_at FROM substrates WHERE identity > 1000000"
    )
    plain.execute("COMMIT")
    plain.close()


def _counts(path: Path) -> tuple:
    plain = sqlite3.connect(path)
    try:
        return (
            plain.execute("PRAGMA user_version").fetchone()[0],
            plain.execute("SELECT count(*) FROM substrates").fetchone()[0],
            plain.execute("SELECT count(*) FROM relationships").fetchone()[0],
            plain.execute("PRAGMA integrity_check").fetchone()[0],
        )
    finally:
        plain.close()


def _kill_migration(path: Path) -> None:
    """Start a migrating open of ``path`` in a child and SIGKILL it once it has written into the -wal."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, bfxdb; bfxdb.connect(sys.argv[1]).close()", str(path)],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    wal = Path(str(path) + "-wal")
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > 1 << 20:
            break
        time.sleep(0.002)
    assert child.poll() is None, "the migration ended before it could be killed: grow the file"
    child.send_signal(signal.SIGKILL)
    child.wait()


def test_a_migration_killed_half_way_leaves_the_v1_file_as_it_was(v1_file):
    # The migration's pages reach the -wal as its cache spills and at its commit, so on a busy
    # machine a kill seen in the -wal may land after the commit; then the file is v3, whole,
    # and the run proves nothing: grow the file and kill again, earlier in its migration.
    for grow in (200_000, 400_000, 800_000):
        shutil.copyfile(FIXTURES / "v1.db", v1_file)
        for stale in (Path(f"{v1_file}-wal"), Path(f"{v1_file}-shm")):
            stale.unlink(missing_ok=True)
        _grow_v1(v1_file, grow)
        before = _counts(v1_file)
        assert before[0] == 1
        _kill_migration(v1_file)
        after = _counts(v1_file)
        if after[0] == 1:
            break
        assert after == (SCHEMA_VERSION, *before[1:]), "a migration that committed must keep every row"
    else:
        pytest.skip("every kill landed after the migration's commit")
    assert after == before
    with bfxdb.connect(v1_file) as db:
        assert db.schema_version() == SCHEMA_VERSION
        assert db.count_substrates() == before[1]
        assert db.count_relationships() == before[2]
        assert maintenance.check(db).ok
