"""Fixtures of the format tests: a CLI runner and a writer of small input files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner


@pytest.fixture
def runner() -> CliRunner:
    """A click runner for `bfxdb import` and `bfxdb export`."""
    return CliRunner()


@pytest.fixture
def text_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write ``text_file(name, text)`` as UTF-8 into the test's temporary folder and return its path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
