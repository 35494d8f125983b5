"""Shared pytest fixtures: databases in memory and on disk, a CLI runner, and the repository's paths."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

import bfxdb

# The test command gives the same verdict on every run: hypothesis draws its examples from a fixed seed.
# `pytest --hypothesis-profile=explore` draws fresh ones, to hunt for new failures (see CONTRIBUTING.md).
# No per-example deadline: it is a wall-clock timer, and on a busy machine it fails examples that are right.
settings.register_profile("repeatable", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None)
settings.load_profile("repeatable")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of the PostgreSQL server in BFXDB_TEST_POSTGRES; the test is skipped, saying why, when none answers."""
    url = os.environ.get("BFXDB_TEST_POSTGRES")
    if not url:
        pytest.skip("no PostgreSQL server: set BFXDB_TEST_POSTGRES to a postgresql:// URL (.ci/run does)")
    psycopg = pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as error:
        pytest.skip(f"the PostgreSQL server of BFXDB_TEST_POSTGRES cannot be reached: {error}")
    return url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty bfxdb schema on the test server, dropped after the test."""
    import psycopg

    schema = "test_" + uuid.uuid4().hex[:12]
    yield postgres_server + ("&" if "?" in postgres_server else "?") + "schema=" + schema
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


#: The backends a test parametrised with `backend_target` runs on.
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A target for a new database on each backend: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return str(tmp_path / "graph.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def db():
    """A fresh in-memory database."""
    with bfxdb.connect() as database:
        yield database


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The path of a database file in a temporary folder (not yet created)."""
    return tmp_path / "graph.db"


@pytest.fixture
def file_db(db_path: Path):
    """A fresh database in a file."""
    with bfxdb.connect(db_path) as database:
        yield database


@pytest.fixture
def runner() -> CliRunner:
    """A click runner that invokes the `bfxdb` commands in this process."""
    return CliRunner()
