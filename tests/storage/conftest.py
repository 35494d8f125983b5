"""Shared fixtures of the storage tests: copies of the committed files older releases made."""

from __future__ import annotations

import shutil
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
