"""A database on a read-only mount opens read-only and answers reads, whether or not its last writer checkpointed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import bfxdb
from bfxdb.cli import main

from ..conftest import REPO

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mounting a tmpfs needs root"
)

#: What every database of these tests holds: the rows of the first writer, then of the second.
NAMES = ["ada", "grace", "edsger"]


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[tuple[Path, Callable[[], None]]]:
    """A small tmpfs of the test's own and the call that remounts it read-only; always unmounted."""
    point = tmp_path / "media"
    point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(point)], check=True)
    try:
        yield point, lambda: subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
    finally:
        if subprocess.run(["umount", str(point)]).returncode != 0:
            # a connection the test left open keeps the mount busy: detach it now, it goes when they close
            subprocess.run(["umount", "-l", str(point)], check=True)


def _write(path: Path, names: list[str]) -> None:
    with bfxdb.connect(path) as db:
        for name in names:
            db.create_substrate(labels=["Person"], metadata={"name": name})


def _write_and_die(path: Path, names: list[str]) -> None:
    """Commit ``names`` in another process that ends without closing: its commits stay in the -wal."""
    code = (
        "import os, sys, bfxdb\n"
        "db = bfxdb.connect(sys.argv[1])\n"
        "for name in sys.argv[2:]:\n"
        "    db.create_substrate(labels=['Person'], metadata={'name': name})\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path), *names], cwd=REPO, check=True)


def _names(db: bfxdb.Database) -> list[str]:
    return [row[0] for row in db.query("MATCH (n:Person) RETURN n.name ORDER BY n.name").rows]


def test_the_mount_is_read_only(mount):
    point, remount_read_only = mount
    remount_read_only()
    with pytest.raises(OSError):
        (point / "x").write_text("x")


def test_a_checkpointed_database_opens_read_only_on_a_read_only_mount(mount):
    point, remount_read_only = mount
    path = point / "graph.db"
    _write(path, NAMES)
    assert not Path(f"{path}-wal").exists()  # the last writer checkpointed and removed its log
    remount_read_only()
    with bfxdb.connect(path, read_only=True) as db:
        assert db.store.immutable  # no -shm can be made beside it: SQLite's immutable
        assert _names(db) == sorted(NAMES)
        assert db.count_substrates() == len(NAMES)
        with pytest.raises(bfxdb.ReadOnlyError):
            db.create_substrate()
        assert bfxdb.check(db).ok


def test_a_database_whose_wal_holds_commits_opens_read_only_with_them(mount):
    point, remount_read_only = mount
    path = point / "graph.db"
    _write(path, NAMES[:1])
    _write_and_die(path, NAMES[1:])
    assert Path(f"{path}-wal").stat().st_size > 0 and Path(f"{path}-shm").exists()
    remount_read_only()
    with bfxdb.connect(path, read_only=True) as db:
        # the -wal and -shm are there: SQLite reads the log, read-only, and sees every commit
        assert not db.store.immutable
        assert _names(db) == sorted(NAMES)


def test_a_wal_without_its_shm_on_read_only_media_is_refused_not_read_stale(mount):
    point, remount_read_only = mount
    path = point / "graph.db"
    _write(path, NAMES[:1])
    _write_and_die(path, NAMES[1:])
    Path(f"{path}-shm").unlink()
    remount_read_only()
    # immutable=1 would read the file without the log: one name of three, and no error
    with pytest.raises(bfxdb.StorageError, match="graph.db-wal") as refused:
        bfxdb.connect(path, read_only=True)
    assert "copy the files to writable storage" in refused.value.message


def test_the_commands_read_a_database_on_a_read_only_mount(mount, runner):
    point, remount_read_only = mount
    path = point / "graph.db"
    _write(path, NAMES)
    remount_read_only()
    result = runner.invoke(main, ["query", str(path), "MATCH (n) RETURN count(n)", "--read-only", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "3"
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output


def test_a_writable_open_on_a_read_only_mount_says_to_open_it_read_only(mount):
    point, remount_read_only = mount
    path = point / "graph.db"
    _write(path, NAMES)
    remount_read_only()
    with pytest.raises(bfxdb.StorageError, match=r"read-only file system: open it read-only \(--read-only"):
        bfxdb.connect(path)


def test_a_write_through_a_writable_open_of_read_only_media_is_a_read_only_error_that_says_what_to_do(mount):
    point, remount_read_only = mount
    path = point / "graph.db"
    _write(path, NAMES[:1])
    _write_and_die(path, NAMES[1:])  # its -wal and -shm stay, so SQLite opens the file (read-only)
    remount_read_only()
    with bfxdb.connect(path) as db:
        assert _names(db) == sorted(NAMES)
        with pytest.raises(bfxdb.ReadOnlyError, match=r"open it read-only \(--read-only, read_only=True\)"):
            db.create_substrate(labels=["Person"], metadata={"name": "barbara"})
        assert _names(db) == sorted(NAMES)
