"""SIGKILL and SIGINT in the middle of a CLI import and SIGKILL of a server in the middle of an HTTP import.

After each the file passes its checks and holds exactly what was reported: nothing for an
import in one transaction, whole batches (and, after SIGINT, exactly the batches named) for
one that commits batch by batch. A SIGKILL during a migration is tested in
tests/storage/test_migration.py (test_a_migration_killed_half_way_leaves_the_v1_file_as_it_was).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ..conftest import REPO
from ..web.helpers import live_server
from .conftest import assert_sound, write_ndjson

#: Each test starts a process and kills it: together 20 s or more, so they run with -m slow.
pytestmark = pytest.mark.slow

ROWS = 60_000
BATCH = 1_000


@pytest.fixture(scope="module")
def rows_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An NDJSON file of ROWS small substrates, identities 1 to ROWS in order."""
    records = [
        {"type": "substrate", "identity": n, "labels": ["K"], "metadata": {"n": f"v{n}"}} for n in range(1, ROWS + 1)
    ]
    return write_ndjson(tmp_path_factory.mktemp("kills") / "rows.ndjson", records)


def _read_position(pid: int, path: Path) -> int:
    """How far the process has read into the file at ``path`` (its descriptor's offset); -1 if it has none open."""
    folder = Path(f"/proc/{pid}/fd")
    try:
        for entry in folder.iterdir():
            if os.readlink(entry) == str(path):
                info = (Path(f"/proc/{pid}/fdinfo") / entry.name).read_text()
                return int(re.search(r"pos:\s*(\d+)", info)[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return -1


def _import_until_half_read(database: Path, source: Path, *options: str) -> subprocess.Popen:
    """Start `bfxdb import` and return once it has read half of ``source`` (it is then loading rows)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bfxdb", "import", str(database), str(source), "--batch-size", str(BATCH), *options],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        stderr=subprocess.PIPE,
        text=True,
    )
    half = source.stat().st_size // 2
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline and _read_position(child.pid, source) < half:
        time.sleep(0.002)
    assert child.poll() is None, "the import ended before it could be stopped: grow the file"
    return child


def _whole_batches(database: Path) -> set[int]:
    """The substrates present, checked to be the first k batches of the file for some k."""
    plain = sqlite3.connect(database)
    try:
        count = plain.execute("SELECT count(*) FROM substrates").fetchone()[0]
    finally:
        plain.close()
    assert count % BATCH == 0, f"{count} rows: not whole batches of {BATCH}"
    return set(range(1, count + 1))


def test_sigkill_of_an_import_in_one_transaction_leaves_nothing(tmp_path, rows_file):
    database = tmp_path / "g.db"
    child = _import_until_half_read(database, rows_file)
    child.kill()
    child.wait()
    assert_sound(database, set())


def test_sigkill_of_an_import_by_batches_leaves_whole_batches(tmp_path, rows_file):
    database = tmp_path / "g.db"
    child = _import_until_half_read(database, rows_file, "--commit-batches")
    child.kill()
    child.wait()
    kept = _whole_batches(database)
    assert 0 < len(kept) < ROWS
    assert_sound(database, kept)


def test_sigint_of_an_import_in_one_transaction_says_nothing_was_imported(tmp_path, rows_file):
    database = tmp_path / "g.db"
    child = _import_until_half_read(database, rows_file)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert "interrupted (Ctrl-C)" in stderr and "nothing was imported" in stderr
    assert_sound(database, set())


def test_sigint_of_an_import_by_batches_names_exactly_the_batches_committed(tmp_path, rows_file):
    database = tmp_path / "g.db"
    child = _import_until_half_read(database, rows_file, "--commit-batches")
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    said = re.search(r"([\d,]+) batch(?:es)? of up to [\d,]+ rows committed \(([\d,]+) substrates", stderr)
    assert said, stderr
    batches, substrates = (int(group.replace(",", "")) for group in said.groups())
    assert 0 < batches and substrates == batches * BATCH
    assert_sound(database, set(range(1, substrates + 1)))


def _post(url: str, body: bytes) -> socket.socket:
    """Send a POST /import of ``body`` and return the connection, without waiting for the answer."""
    address = urlsplit(url)
    connection = socket.create_connection((address.hostname, address.port))
    head = (
        f"POST {address.path}/import?{address.query} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Content-Type: application/x-ndjson\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    connection.sendall(head.encode() + body)
    return connection


def _count(database: Path) -> int:
    plain = sqlite3.connect(database)
    try:
        return plain.execute("SELECT count(*) FROM substrates").fetchone()[0]
    finally:
        plain.close()


def _cpu_seconds(pid: int) -> float:
    """The CPU time the process has used so far (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _until_busy_importing(pid: int, database: Path, connection: socket.socket, atomic: bool) -> None:
    """Wait until the server has worked on the import for a while (batched: committed two batches), unanswered.

    An atomic import shows nothing from outside before it commits, so its progress is told by
    the CPU time the server spends on it; the response not having come says it is not done.
    """
    started = _cpu_seconds(pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (_cpu_seconds(pid) - started > 0.15) if atomic else (_count(database) >= 2 * BATCH):
            break
        time.sleep(0.01)
    connection.setblocking(False)
    try:
        answer = connection.recv(1)
    except BlockingIOError:
        return
    raise AssertionError(f"the server answered before it could be killed ({answer!r}): grow the body")


@pytest.mark.parametrize("atomic", [True, False])
def test_sigkill_of_a_server_in_the_middle_of_an_http_import(tmp_path, rows_file, atomic):
    database = tmp_path / "g.db"
    body = rows_file.read_bytes()
    with live_server(database) as server:
        query = f"batch_size={BATCH}" + ("&atomic=true" if atomic else "")
        connection = _post(f"{server.api}?{query}", body)
        try:
            _until_busy_importing(server.process.pid, database, connection, atomic)
            assert server.process.poll() is None, server.text()
            server.stop(signal.SIGKILL)
        finally:
            connection.close()
    kept = set() if atomic else _whole_batches(database)
    assert atomic or 0 < len(kept) < ROWS
    assert_sound(database, kept)
