"""Shared pytest fixtures: databases in memory and on disk, a CLI runner, and the repository's paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

import bfxdb

# The test command gives the same verdict on every run: hypothesis draws its examples from a fixed seed.
# `pytest --hypothesis-profile=explore` draws fresh ones, to hunt for new failures (see CONTRIBUTING.md).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("repeatable")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'


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
