"""A writer in another process holding the write lock: reads stay fast, writes answer 503 with Retry-After in time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from bfxdb.web import create_app
from bfxdb.web.state import close_app
from bfxdb.web.writers import QUEUE_PATIENCE, WriterLimit, writer_slots

import bfxdb

from ..storage.foreign import write_lock_held
from .helpers import API, SEED_CREATE_BODY, assert_error, http, live_server

JSON = {"Content-Type": "application/json"}
#: The write wait the live server is given, and how long past it an answer may take on a busy machine.
WAIT = 1.5
MARGIN = 1.5


def timed(method: str, url: str, body=None, headers=None):
    """Make one request; returns (seconds taken, status, headers, body)."""
    started = time.monotonic()
    status, reply_headers, reply = http(method, url, body, headers)
    return time.monotonic() - started, status, reply_headers, reply


def assert_busy(answer) -> None:
    """Check an answer is the write wait's 503: in time, with Retry-After and the error shape."""
    seconds, status, headers, body = answer
    assert status == 503, body
    assert body["code"] == "database_busy" and body["detail"] and body["retry_after"] == 2
    assert headers["Retry-After"] == "2"  # WAIT rounded up to whole seconds
    assert seconds < WAIT + MARGIN


def test_a_foreign_writer_stalls_neither_reads_nor_the_server(tmp_path):
    path = tmp_path / "g.db"
    with live_server(path, "--write-wait", str(WAIT)) as server:
        api = server.api
        status, _, created = http("POST", f"{api}/substrates", SEED_CREATE_BODY, JSON)
        assert status == 201
        reads = [
            ("GET", f"{api}/substrates/{created['substrate_id']}", None),
            ("GET", f"{api}/substrates?limit=5", None),
            ("GET", f"{api}/health", None),
            ("POST", f"{api}/query", {"query": "MATCH (n) RETURN count(n) AS c"}),
            ("POST", f"{api}/substrates/{created['substrate_id']}/invoke", {"parameters": {"x": 5, "y": 7}}),
        ]
        writes = [("POST", f"{api}/substrates", {"metadata": {"n": n}}) for n in range(6)]
        writes += [
            ("POST", f"{api}/query", {"query": "CREATE (:Written)"}),
            ("POST", f"{api}/import?atomic=true", '{"type": "substrate", "metadata": {"imported": true}}\n'),
        ]
        with write_lock_held(path), ThreadPoolExecutor(len(writes)) as pool:
            waiting = [pool.submit(timed, method, url, body, JSON) for method, url, body in writes]
            time.sleep(0.3)  # the writers are in: the server's four threads would all be theirs
            answered = []
            while not all(future.done() for future in waiting):
                for method, url, body in reads:
                    seconds, status, _, reply = timed(method, url, body, JSON)
                    assert status == 200, reply
                    answered.append(seconds)
            for future in waiting:
                assert_busy(future.result())
        assert len(answered) >= len(reads) and max(answered) < 1.0, answered
        # The lock is free again: every kind of write goes through.
        assert http("POST", f"{api}/substrates", {"metadata": {"after": True}}, JSON)[0] == 201
        assert http("POST", f"{api}/query", {"query": "CREATE (:Written)"}, JSON)[0] == 200
        status, _, report = http("POST", f"{api}/import", '{"type": "substrate", "metadata": {}}\n', JSON)
        assert status == 200 and report["substrates"] == 1
        server.stop()
    with bfxdb.connect(path) as db:
        # only what was acknowledged was written: the seed's substrate and the three after the lock
        assert db.count_substrates() == 4


def test_a_write_beyond_the_slots_gives_up_once_they_stop_moving():
    limit = WriterLimit(1, wait=10)
    inside = threading.Event()
    leave = threading.Event()

    def hold():
        with limit.slot():
            inside.set()
            leave.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        inside.wait(10)
        time.sleep(QUEUE_PATIENCE)
        started = time.monotonic()
        with pytest.raises(bfxdb.DatabaseBusy, match="writer slot"), limit.slot():
            pass
        # it did not sit out the whole wait, holding a thread that reads need
        assert time.monotonic() - started < QUEUE_PATIENCE
    finally:
        leave.set()
        holder.join(10)


def test_a_write_beyond_the_slots_waits_while_they_change_hands():
    limit = WriterLimit(1, wait=10)
    done = []

    def write(number):
        with limit.slot():
            time.sleep(QUEUE_PATIENCE / 5)
            done.append(number)

    threads = [threading.Thread(target=write, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # eight writes of a fifth of the patience each, one at a time: each waited, none was refused
    assert sorted(done) == list(range(8))


def test_writes_take_all_threads_but_one():
    assert [writer_slots(threads) for threads in (1, 2, 4, 16)] == [1, 1, 3, 15]


def test_a_write_past_the_wait_is_a_503_in_the_error_shape(tmp_path):
    app = create_app(tmp_path / "api.db", {"WRITE_WAIT": 0.2})
    client = app.test_client()
    try:
        with write_lock_held(tmp_path / "api.db"):
            started = time.monotonic()
            response = client.post(f"{API}/substrates", json={})
            body = assert_error(response, 503, "database_busy")
            assert response.headers["Retry-After"] == "1" and body["retry_after"] == 1
            assert "write lock" in body["detail"] and time.monotonic() - started < 0.2 + MARGIN
            assert client.get(f"{API}/substrates").status_code == 200
        assert client.post(f"{API}/substrates", json={}).status_code == 201
    finally:
        close_app(app)
