"""Shared fixtures of the storage tests: copies of the committed files older releases made."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def release_file(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a committed fixture file (``v1.db``, ``v2.db``, ...) into the test's folder and give its path."""

    def copy(name: str) -> Path:
        path = tmp_path / name
        shutil.copyfile(FIXTURES / name, path)
        return path

    return copy


@pytest.fixture
def table_names() -> Callable[[Path], set[str]]:
    """A function giving the names of the tables a file holds, read with plain sqlite3."""

    def names(path: Path) -> set[str]:
        connection = sqlite3.connect(path)
        try:
            return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            connection.close()

    return names
