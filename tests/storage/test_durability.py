"""Crash safety and concurrency: SIGKILL at random moments, several processes on one file."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import bfxdb

from ..conftest import REPO

KILL_ROUNDS = int(os.environ.get("BFXDB_KILL_ROUNDS", "12"))
WORKERS = 4
WRITES_PER_WORKER = 150


def _spawn(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-m", "tests.storage.workers", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _collect_acknowledged(child: subprocess.Popen, acknowledged: list[int]) -> None:
    for line in child.stdout:
        acknowledged.append(int(line))


def _wait_for_more(acknowledged: list[int], count: int, child: subprocess.Popen, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while len(acknowledged) == count and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


def test_committed_data_survives_sigkill_at_random_moments(db_path):
    rng = random.Random(20261127)
    acknowledged: list[int] = []
    next_id = 1
    for _ in range(KILL_ROUNDS):
        child = _spawn("commit-loop", str(db_path), str(next_id))
        reader = threading.Thread(target=_collect_acknowledged, args=(child, acknowledged))
        reader.start()
        # Kill at a random moment after the child's first commit: a busy machine may take
        # longer than any fixed pause to start Python and import bfxdb.
        _wait_for_more(acknowledged, len(acknowledged), child)
        time.sleep(rng.uniform(0.0, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait()
        reader.join()
        assert child.returncode == -signal.SIGKILL, child.stderr.read()

        check = sqlite3.connect(db_path)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("PRAGMA foreign_key_check").fetchall() == []
        check.close()
        with bfxdb.connect(db_path) as db:
            stored = {s.identity for s in db.find_substrates()}
            missing = set(acknowledged) - stored
            assert not missing, f"acknowledged commits lost after SIGKILL: {sorted(missing)[:10]}"
            next_id = max(stored, default=0) + 1
    assert len(acknowledged) > KILL_ROUNDS, "the child never got to commit"


def test_several_processes_write_and_read_one_file_without_errors(db_path):
    with bfxdb.connect(db_path) as db:
        db.create_substrate(identity=0, labels=["Anchor"])
    children = [
        _spawn("mixed-load", str(db_path), str(worker), str(WRITES_PER_WORKER)) for worker in range(1, WORKERS + 1)
    ]
    outcomes = [child.communicate(timeout=300) for child in children]
    for child, (out, err) in zip(children, outcomes):
        assert child.returncode == 0, err
        assert out.strip() == "done"
    with bfxdb.connect(db_path) as db:
        assert db.count_substrates() == 1 + WORKERS * WRITES_PER_WORKER
        assert len(db.incoming(0, limit=None)) == WORKERS * WRITES_PER_WORKER
        for worker in range(1, WORKERS + 1):
            assert len(db.find_substrates(label=f"W{worker}")) == WRITES_PER_WORKER


def test_threads_share_one_database_handle(db_path):
    errors: list[BaseException] = []
    with bfxdb.connect(db_path) as db:

        def work(offset: int) -> None:
            try:
                for index in range(100):
                    db.create_substrate(identity=offset + index)
                    db.count_substrates()
            except BaseException as error:  # collected and re-raised by the main thread
                errors.append(error)

        threads = [threading.Thread(target=work, args=(n * 1000,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert db.count_substrates() == 400
