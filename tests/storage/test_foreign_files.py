"""Another application's SQLite file is refused by every way of opening it, and left byte for byte as it was."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import bfxdb
from bfxdb.cli import main
from bfxdb.storage import SCHEMA_VERSION

from ..conftest import REPO


def _accounts(connection: sqlite3.Connection) -> None:
    connection.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)")
    connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, account INTEGER REFERENCES accounts(id))")
    connection.execute("INSERT INTO accounts (owner) VALUES ('ada'), ('grace')")


def _versioned_accounts(connection: sqlite3.Connection) -> None:
    _accounts(connection)
    connection.execute("PRAGMA user_version = 2")


def _wal_accounts(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA journal_mode = WAL")
    _accounts(connection)


def _a_clashing_substrates_table(connection: sqlite3.Connection) -> None:
    # bfxdb's own table names, but not bfxdb's file: no user_version
    connection.execute("CREATE TABLE substrates (node INTEGER PRIMARY KEY, what TEXT)")
    connection.execute("CREATE TABLE relationships (identity INTEGER PRIMARY KEY)")


def _only_a_view(connection: sqlite3.Connection) -> None:
    connection.execute("CREATE VIEW answer AS SELECT 42 AS value")


def _only_an_application_id(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA application_id = 1196444237")  # 'GPKG', a GeoPackage


FOREIGN_FILES: dict[str, Callable[[sqlite3.Connection], None]] = {
    "tables": _accounts,
    "tables and a user_version": _versioned_accounts,
    "tables in WAL mode": _wal_accounts,
    "bfxdb's table names without its version": _a_clashing_substrates_table,
    "a view and no table": _only_a_view,
    "an application_id and nothing else": _only_an_application_id,
}


@pytest.fixture(params=list(FOREIGN_FILES))
def foreign(request, tmp_path: Path) -> Path:
    """Another application's SQLite file, closed, alone in its directory."""
    folder = tmp_path / "app"
    folder.mkdir()
    path = folder / "other-app.db"
    connection = sqlite3.connect(path)
    FOREIGN_FILES[request.param](connection)
    connection.commit()
    connection.close()
    return path


def _state(path: Path) -> tuple[str, list[str], int]:
    """What a refused open must leave as it was: the file's hash, the other names in its directory
    and the size of its write-ahead log.

    A read-only reader of a WAL-mode file, SQLite's shell included, leaves an empty -wal and the
    -shm index beside it (it may not delete them); no page of the database is in them.
    """
    wal = path.with_name(path.name + "-wal")
    names = sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm")))
    return hashlib.sha256(path.read_bytes()).hexdigest(), names, wal.stat().st_size if wal.exists() else 0


OPENS: dict[str, dict] = {
    "writable": {},
    "read-only": {"read_only": True},
    "create=True": {"create": True},
    "create=False": {"create": False},
}


@pytest.mark.parametrize("options", list(OPENS))
def test_connect_refuses_a_foreign_file_and_leaves_it_unchanged(foreign, options):
    before = _state(foreign)
    with pytest.raises(bfxdb.ForeignDatabase) as refused:
        bfxdb.connect(foreign, **OPENS[options])
    assert str(foreign) in refused.value.message
    assert "not a bfxdb database" in refused.value.message
    assert "bfxdb init" in refused.value.message
    assert _state(foreign) == before


def test_the_message_names_what_the_file_holds(tmp_path):
    path = tmp_path / "other-app.db"
    connection = sqlite3.connect(path)
    _accounts(connection)
    connection.commit()
    connection.close()
    with pytest.raises(bfxdb.ForeignDatabase, match="the tables accounts, orders"):
        bfxdb.connect(path)


@pytest.mark.parametrize(
    "arguments",
    [
        ["query", "{path}", "MATCH (n) RETURN count(n)"],
        ["query", "{path}", "MATCH (n) RETURN count(n)", "--read-only"],
        ["shell", "{path}"],
        ["stats", "{path}"],
        ["check", "{path}"],
        ["backup", "{path}", "{path}.copy"],
        ["export", "{path}", "{path}.ndjson"],
        ["import", "{path}", "{path}.ndjson"],
        ["init", "{path}"],
        ["demo", "{path}"],
    ],
    ids=lambda arguments: " ".join(arguments[:1] + [a for a in arguments[2:] if a.startswith("--")]),
)
def test_every_command_refuses_a_foreign_file_with_one_line_and_exit_1(runner, foreign, arguments):
    (foreign.parent / "other-app.db.ndjson").write_text('{"type": "node", "id": "0x1"}\n')
    before = _state(foreign)
    result = runner.invoke(main, [argument.format(path=foreign) for argument in arguments], input="")
    assert result.exit_code == 1, result.output
    message = result.stderr.strip()
    assert "\n" not in message
    assert message.startswith(f"Error: '{foreign}' is not a bfxdb database")
    assert _state(foreign) == before


def test_the_server_refuses_to_start_on_a_foreign_file(foreign):
    before = _state(foreign)
    finished = subprocess.run(
        [sys.executable, "-m", "bfxdb", "serve", str(foreign), "--port", "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 1, finished.stdout
    assert finished.stderr.strip().splitlines()[-1].startswith(f"Error: '{foreign}' is not a bfxdb database")
    assert "Serving" not in finished.stdout
    assert _state(foreign) == before


def test_an_empty_file_becomes_a_database_as_before(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with bfxdb.connect(path) as db:
        assert db.schema_version() == SCHEMA_VERSION
        db.create_substrate(metadata={"name": "first"})
    with bfxdb.connect(path, create=False) as db:
        assert db.count_substrates() == 1


def test_a_missing_file_becomes_a_database_as_before(tmp_path):
    path = tmp_path / "new.db"
    with bfxdb.connect(path) as db:
        assert db.schema_version() == SCHEMA_VERSION
    assert path.exists()


def test_create_false_refuses_a_missing_file_and_makes_none(tmp_path):
    path = tmp_path / "missing.db"
    with pytest.raises(bfxdb.StorageError, match="missing.db"):
        bfxdb.connect(path, create=False)
    assert list(tmp_path.iterdir()) == []


def test_create_false_refuses_an_empty_file_and_leaves_it_empty(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(bfxdb.StorageError, match="is empty, not a bfxdb database"):
        bfxdb.connect(path, create=False)
    assert path.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_a_bfxdb_file_with_a_table_of_the_users_own_still_opens(db_path):
    bfxdb.connect(db_path).close()
    connection = sqlite3.connect(db_path)
    connection.execute("CREATE TABLE my_notes (note TEXT)")
    connection.commit()
    connection.close()
    with bfxdb.connect(db_path) as db:
        assert db.count_substrates() == 0


def test_init_makes_a_database_and_says_so(runner, tmp_path):
    path = tmp_path / "new.db"
    result = runner.invoke(main, ["init", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"created bfxdb database {path} (schema version {SCHEMA_VERSION})\n"
    with bfxdb.connect(path, create=False) as db:
        assert db.schema_version() == SCHEMA_VERSION


def test_init_keeps_a_bfxdb_database_already_there(runner, file_db):
    file_db.create_substrate(metadata={"name": "kept"})
    result = runner.invoke(main, ["init", file_db.path])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{file_db.path} is already a bfxdb database (schema version {SCHEMA_VERSION})\n"
    assert file_db.count_substrates() == 1
