"""Fixtures of the HTTP tests: a database file per test and test clients of apps over it."""

from __future__ import annotations

from pathlib import Path

import pytest
from bfxdb.web import create_app

import bfxdb


@pytest.fixture
def api_db(tmp_path: Path):
    """A fresh database file for one test, shared by the app and the test's own checks."""
    with bfxdb.connect(tmp_path / "api.db") as database:
        yield database


@pytest.fixture
def make_api(api_db):
    """Build a test client over ``api_db`` with the given settings (``make_api(API_KEYS=["k"])``)."""

    def make(**config):
        return create_app(api_db, config).test_client()

    return make


@pytest.fixture
def api(make_api):
    """A test client over a fresh database, with default settings (no keys, no limits)."""
    return make_api()
