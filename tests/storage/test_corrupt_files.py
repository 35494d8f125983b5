"""A file that is damaged or is no database gives a clean bfxdb error everywhere, and `check` reports it."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from bfxdb.web import create_app
from click.testing import CliRunner

import bfxdb
from bfxdb import maintenance
from bfxdb.cli import main
from bfxdb.storage import SCHEMA_VERSION
from bfxdb.storage.schema import IDENTITY_INDEX

API = "/api/v1"


@dataclass(frozen=True)
class Healthy:
    """A healthy bfxdb file, big enough that its tables span many pages: its bytes, and where substrates live."""

    data: bytes
    #: the root pages of the substrates table and of its identity index (a count reads the index)
    substrates_roots: tuple[int, ...]
    page_size: int


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Healthy:
    """Substrates 1 to 2000, each linked NEXT to the one after."""
    path = tmp_path_factory.mktemp("healthy") / "healthy.db"
    with bfxdb.connect(path) as db:
        loaded = db.bulk_load(
            [{"identity": n, "labels": ["P"], "metadata": {"n": n, "pad": "x" * 200}} for n in range(1, 2001)],
            [{"source": n, "target": n + 1, "rel_type": "NEXT"} for n in range(1, 2000)],
        )
    assert loaded == {"substrates": 2000, "relationships": 1999}
    plain = sqlite3.connect(path)
    roots = tuple(
        root
        for (root,) in plain.execute(
            "SELECT rootpage FROM sqlite_schema WHERE tbl_name = 'substrates' AND rootpage > 0 "
            "AND name IN ('substrates', ?)",
            (IDENTITY_INDEX,),
        )
    )
    page_size = plain.execute("PRAGMA page_size").fetchone()[0]
    plain.close()
    return Healthy(path.read_bytes(), roots, page_size)


def _random_bytes(healthy: Healthy) -> bytes:
    return random.Random(9).randbytes(8192)


def _text_file(healthy: Healthy) -> bytes:
    return b"name,age\nada,36\n" * 100


def _truncated(healthy: Healthy) -> bytes:
    return healthy.data[: len(healthy.data) // 2]


def _damaged_page(healthy: Healthy) -> bytes:
    """A valid header and schema, with garbage over the root pages of the substrates table and its identity index."""
    assert len(healthy.substrates_roots) == 2 and min(healthy.substrates_roots) > 1
    damaged = bytearray(healthy.data)
    for root in healthy.substrates_roots:
        start = (root - 1) * healthy.page_size
        damaged[start : start + healthy.page_size] = b"\xde\xad\xbe\xef" * (healthy.page_size // 4)
    return bytes(damaged)


#: Files that cannot even be opened, and the one that opens but breaks on reading.
UNOPENABLE = {"random bytes": _random_bytes, "text file": _text_file, "truncated": _truncated}
KINDS = {**UNOPENABLE, "damaged page": _damaged_page}


@pytest.fixture(params=list(KINDS))
def corrupt(request: pytest.FixtureRequest, healthy: Healthy, tmp_path: Path) -> Path:
    """The path of one kind of bad file, named after its kind."""
    path = tmp_path / f"{request.param.replace(' ', '_')}.db"
    path.write_bytes(KINDS[request.param](healthy))
    return path


@pytest.fixture
def damaged(healthy: Healthy, tmp_path: Path) -> Path:
    """The path of a file with a valid header and a damaged page."""
    path = tmp_path / "damaged.db"
    path.write_bytes(_damaged_page(healthy))
    return path


# ---------------------------------------------------------------- Python API

#: Each public call, given an open database, on a table the damaged page breaks.
CALLS: dict[str, Callable[[bfxdb.Database, Path], object]] = {
    "get_substrate": lambda db, _: db.get_substrate(1),
    "find_substrates": lambda db, _: db.find_substrates(label="P"),
    "count_substrates": lambda db, _: db.count_substrates(),
    "query": lambda db, _: db.query("MATCH (n:P) RETURN n.n ORDER BY n.n LIMIT 3").rows,
    "query with a write": lambda db, _: db.query("MATCH (n:P {n: 1}) SET n.seen = true"),
    "stats": lambda db, _: maintenance.graph_stats(db),
    "backup": lambda db, folder: maintenance.backup(db, folder / "copy.db"),
    "scan": lambda db, _: list(db.iter_substrates()),
}


@pytest.mark.parametrize("read_only", [True, False], ids=["read-only", "writable"])
def test_connect_refuses_a_file_that_is_not_a_readable_database(healthy, tmp_path, read_only):
    for name, make in UNOPENABLE.items():
        path = tmp_path / f"{name.replace(' ', '_')}.db"
        path.write_bytes(make(healthy))
        with pytest.raises(bfxdb.DatabaseCorrupt, match="damaged|not a bfxdb database") as caught:
            bfxdb.connect(path, read_only=read_only)
        assert isinstance(caught.value, bfxdb.StorageError) and str(path) in str(caught.value)


@pytest.mark.parametrize("call", list(CALLS))
def test_every_call_on_a_bad_file_raises_database_corrupt(corrupt, tmp_path, call):
    with pytest.raises(bfxdb.DatabaseCorrupt):
        with bfxdb.connect(corrupt) as db:
            CALLS[call](db, tmp_path)


def test_check_reports_a_damaged_page_instead_of_raising(damaged):
    with bfxdb.connect(damaged, read_only=True) as db:
        report = maintenance.check(db)
    assert not report.ok
    # which check meets the damaged page first depends on the file's layout (sqlite_stat1 moves it)
    assert report.checks[0] == "PRAGMA integrity_check"
    assert report.problems == {"integrity": 1}
    assert "damaged" in report.examples["integrity"][0]


def test_the_database_still_works_after_meeting_the_damage(damaged):
    with bfxdb.connect(damaged) as db:
        with pytest.raises(bfxdb.DatabaseCorrupt):
            db.get_substrate(1)
        assert db.count_relationships() == 1999
        with pytest.raises(bfxdb.DatabaseCorrupt), db.transaction():
            db.count_substrates()
        assert db.schema_version() == SCHEMA_VERSION


def test_a_postgresql_server_that_does_not_answer_is_a_storage_error_without_the_password():
    # port 1 on the loopback: nothing listens there, so the connection is refused at once
    with pytest.raises(bfxdb.StorageError, match="cannot connect") as caught:
        bfxdb.connect("postgresql://user:secret@127.0.0.1:1/graph", timeout=2)
    assert "secret" not in str(caught.value)


# ---------------------------------------------------------------- CLI

#: Each command, given the bad file's path and a scratch folder.
COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "check": lambda path, _: ["check", str(path)],
    "stats": lambda path, _: ["stats", str(path)],
    "stats --json": lambda path, _: ["stats", "--json", str(path)],
    "query": lambda path, _: ["query", str(path), "MATCH (n) RETURN count(n)"],
    "export": lambda path, folder: ["export", str(path), str(folder / "out.ndjson")],
    "backup": lambda path, folder: ["backup", str(path), str(folder / "copy.db")],
    "import": lambda path, folder: ["import", str(path), str(_ndjson(folder))],
    "shell": lambda path, _: ["shell", str(path)],
}


def _ndjson(folder: Path) -> Path:
    path = folder / "more.ndjson"
    path.write_text('{"kind": "substrate", "labels": ["Q"]}\n')
    return path


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_on_a_bad_file_fails_with_one_line(corrupt, tmp_path, command):
    result = CliRunner().invoke(main, COMMANDS[command](corrupt, tmp_path), input="MATCH (n) RETURN n;\n")
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    problem = [line for line in result.stderr.splitlines() if line.strip()]
    if command == "check" and corrupt.stem == "damaged_page":
        # check opened the file, so it reports the damage as a finding: its kind, then the reason.
        assert problem[0] == "PROBLEM integrity: 1" and "damaged" in problem[1]
    else:
        assert len(problem) == 1 and problem[0].startswith("Error: "), result.stderr
        assert "damaged" in problem[0] or "not a bfxdb database" in problem[0]


# ---------------------------------------------------------------- HTTP

#: Each route (method, path, JSON body) on the damaged table.
ROUTES = {
    "list substrates": ("get", f"{API}/substrates", None),
    "get substrate": ("get", f"{API}/substrates/1", None),
    "update substrate": ("patch", f"{API}/substrates/1", {"metadata": {"n": 0}}),
    "delete substrate": ("delete", f"{API}/substrates/1", None),
    "invoke": ("post", f"{API}/substrates/1/invoke", {"parameters": {}}),
    "divide": ("post", f"{API}/substrates/1/divide", None),
    "neighbours": ("get", f"{API}/substrates/1/neighbours", None),
    "create relationship": ("post", f"{API}/relationships", {"source_id": "1", "target_id": "2", "rel_type": "R"}),
    "query": ("post", f"{API}/query", {"query": "MATCH (n:P) RETURN n LIMIT 1"}),
    "metrics": ("get", f"{API}/metrics", None),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_route_on_a_damaged_file_answers_in_the_error_shape(damaged, route):
    method, url, body = ROUTES[route]
    client = create_app(str(damaged)).test_client()
    response = getattr(client, method)(url, json=body)
    assert response.status_code in (500, 503), response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()
    assert error["code"] == "database_corrupt" and "damaged" in error["detail"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_the_app_refuses_a_file_it_cannot_open(healthy, tmp_path):
    for name, make in UNOPENABLE.items():
        path = tmp_path / f"{name.replace(' ', '_')}.db"
        path.write_bytes(make(healthy))
        with pytest.raises(bfxdb.DatabaseCorrupt):
            create_app(str(path))
