"""Fixtures and checks of the fault tests: a small tmpfs mounted for one test, a file's soundness after a fault."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import bfxdb
from bfxdb.cli import main

#: Big enough to hold a fresh database and a few batches of `big_rows`, small enough to fill in a second.
TMPFS_SIZE = "1m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 1 MB tmpfs mounted for this test (root only) and unmounted after it, whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def big_rows(count: int, size: int = 3000) -> list[dict]:
    """NDJSON substrate records of about ``size`` bytes each, identities 1 to ``count`` in order."""
    return [
        {"type": "substrate", "identity": n, "labels": ["Big"], "metadata": {"pad": uuid.uuid4().hex * (size // 32)}}
        for n in range(1, count + 1)
    ]


def write_ndjson(path: Path, records: list[dict]) -> Path:
    """Write records one a line and return the path."""
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def assert_sound(path: Path, identities: set[int]) -> None:
    """The file passes PRAGMA integrity_check and `bfxdb check`, and holds exactly these substrates."""
    plain = sqlite3.connect(path)
    try:
        assert plain.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        plain.close()
    checked = CliRunner().invoke(main, ["check", str(path)])
    assert checked.exit_code == 0, checked.output
    with bfxdb.connect(path, read_only=True) as db:
        present = {substrate.identity for substrate in db.find_substrates(limit=None)}
    assert present == identities, f"{len(present)} present, {len(identities)} reported"
