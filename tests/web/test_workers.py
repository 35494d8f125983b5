"""`bfxdb serve --workers N`: processes on one socket over one file, replaced when they die, stopped together."""

from __future__ import annotations

import http.client as http_client
import json
import os
import signal
import socket
import sys
import time
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest
from bfxdb.web.serve import serve
from bfxdb.web.workers import START_SECONDS, ConnectionShares, WorkerPool
from click.testing import CliRunner

from .helpers import API, http, live_server

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need fork()")

#: Connections tried before concluding that the kernel hands them all to one worker.
CONNECTIONS_TRIED = 200


def running(pid: int) -> bool:
    """Whether a process exists and is not a zombie (an orphan's zombie waits for init, which may never reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def wait_until(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def request(connection: HTTPConnection, method: str, path: str, body: dict | None = None):
    """One request on a kept-alive connection: (status, decoded JSON body or None)."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    connection.request(method, API + path, json.dumps(body) if body is not None else None, headers)
    response = connection.getresponse()
    raw = response.read()
    return response.status, json.loads(raw) if raw else None


def connections_to_two_workers(url: str) -> tuple[dict[int, HTTPConnection], list]:
    """Open kept-alive connections until two are served by different processes.

    :returns: ({pid: a connection to that worker}, every other connection opened, to close).
    """
    parts = urlsplit(url)
    by_pid: dict[int, HTTPConnection] = {}
    spare = []
    for _ in range(CONNECTIONS_TRIED):
        connection = HTTPConnection(parts.hostname, parts.port, timeout=30)
        pid = request(connection, "GET", "/metrics")[1]["pid"]
        if pid in by_pid:
            spare.append(connection)
        else:
            by_pid[pid] = connection
        if len(by_pid) == 2:
            break
    return by_pid, spare


def parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def test_one_worker_serves_from_the_serve_process_itself(tmp_path):
    with live_server(tmp_path / "g.db") as server:
        assert http("GET", f"{server.api}/metrics")[2]["pid"] == server.process.pid
        assert "worker processes" not in server.text()
        assert server.stop() == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_two_workers_serve_from_two_processes_that_share_writes_and_all_stop_on_a_signal(tmp_path, sig):
    with live_server(tmp_path / "g.db", "--workers", "2") as server:
        by_pid, spare = connections_to_two_workers(server.url)
        try:
            assert len(by_pid) == 2, f"{CONNECTIONS_TRIED} connections all went to pid {list(by_pid)}"
            (first, one), (second, other) = by_pid.items()
            assert server.process.pid not in by_pid
            if sys.platform == "linux":
                assert parent_of(first) == parent_of(second) == server.process.pid
            # What one worker writes, the other reads at once: both use the one file.
            status, created = request(one, "POST", "/substrates", {"metadata": {"by": first}})
            assert status == 201
            status, fetched = request(other, "GET", f"/substrates/{created['substrate_id']}")
            assert status == 200 and fetched["metadata"] == {"by": first}
            # A 204 closes its connection, so the delete goes last on its connection, then is checked on the other.
            assert request(other, "DELETE", f"/substrates/{created['substrate_id']}")[0] == 204
            assert request(one, "GET", f"/substrates/{created['substrate_id']}")[0] == 404
            # Still the same connection to the same worker, which counts its own requests and says whose they are.
            assert request(one, "GET", "/metrics")[1]["pid"] == first
        finally:
            for connection in [*by_pid.values(), *spare]:
                connection.close()
        started = time.monotonic()
        assert server.stop(sig, timeout=15) == 0
        assert time.monotonic() - started < 15
        assert not any(running(pid) for pid in by_pid)
        assert "Stopped." in server.text() and "2 worker processes" in server.text()
        port = urlsplit(server.url).port
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=5):
            pass


def test_a_worker_takes_only_its_share_of_a_burst_of_connections_while_another_is_slow_to_accept(tmp_path):
    with live_server(tmp_path / "g.db", "--workers", "2") as server:
        by_pid, spare = connections_to_two_workers(server.url)
        for connection in spare:
            connection.close()
        assert len(by_pid) == 2
        (busy, _), (slow, _) = by_pid.items()
        # Let both publish their counts (1 connection each) after the spare connections closed.
        time.sleep(1.5)
        port = urlsplit(server.url).port
        burst = []
        os.kill(slow, signal.SIGSTOP)
        try:
            for _ in range(4):
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                sock.sendall(f"GET {API}/metrics HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
                burst.append(sock)
            time.sleep(0.5)
        finally:
            os.kill(slow, signal.SIGCONT)
        answered_by = []
        # Every response is read before any connection closes: a close would free a place at the busy worker.
        for sock in burst:
            response = http_client.HTTPResponse(sock)
            response.begin()
            answered_by.append(json.loads(response.read())["pid"])
        for sock in burst:
            sock.close()
        for connection in by_pid.values():
            connection.close()
        # Without the balance the busy worker takes all four; with it, it stops one above its share
        # (at two of them) while the slow worker still counts, and the slow one takes the rest once it runs.
        assert answered_by.count(busy) <= 2 and len(answered_by) == 4, answered_by
        assert server.stop() == 0


def test_a_worker_that_dies_is_reported_and_replaced(tmp_path):
    with live_server(tmp_path / "g.db", "--workers", "2") as server:
        victim = http("GET", f"{server.api}/metrics")[2]["pid"]
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: f"(pid {victim}) was killed by SIGKILL" in server.text()), server.text()
        assert "starting a new worker" in server.text()
        # The replacement and the survivor serve; the dead one never answers again.
        seen = {http("GET", f"{server.api}/metrics")[2]["pid"] for _ in range(20)}
        assert victim not in seen and not running(victim)
        assert server.process.poll() is None
        assert server.stop() == 0


def test_workers_stop_when_the_serve_process_is_killed_and_say_the_rate_limit_is_theirs(tmp_path):
    with live_server(tmp_path / "g.db", "--workers", "2", "--rate-limit", "1000/s") as server:
        assert wait_until(lambda: "a client may get up to 2 times it" in server.text()), server.text()
        by_pid, spare = connections_to_two_workers(server.url)
        for connection in [*by_pid.values(), *spare]:
            connection.close()
        assert by_pid
        server.process.kill()
        server.process.wait(10)
        assert wait_until(lambda: not any(running(pid) for pid in by_pid)), "workers outlived the serve process"


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--workers", "0"], {}),
        (["--workers", "-2"], {}),
        (["--workers", "two"], {}),
        (["--workers", "1.5"], {}),
        (["--workers", "65"], {}),
        ([], {"BFXDB_WORKERS": "0"}),
        ([], {"BFXDB_WORKERS": "100000"}),
    ],
)
def test_serve_refuses_a_bad_number_of_workers(tmp_path, args, env):
    result = CliRunner().invoke(serve, [str(tmp_path / "g.db"), *args], env=env)
    assert result.exit_code == 2 and "--workers" in result.output, result.output
    assert not (tmp_path / "g.db").exists()


@pytest.mark.parametrize("path", [":memory:", "file::memory:?cache=shared"])
def test_serve_refuses_several_workers_over_an_in_memory_database(path):
    result = CliRunner().invoke(serve, [path, "--workers", "2"])
    assert result.exit_code == 2 and "in-memory" in result.output, result.output


def test_workers_that_keep_dying_at_start_stop_the_server_with_an_error():
    import click

    reports: list[str] = []
    pool = WorkerPool(2, lambda index: 3, reports.append)
    started = time.monotonic()
    with pytest.raises(click.ClickException, match="3 workers in a row died"):
        pool.run()
    assert time.monotonic() - started < START_SECONDS * 3
    assert pool.workers == {}
    assert len(reports) == 2
    assert all("exited with status 3 after" in line and "starting a new worker" in line for line in reports)


def test_connection_shares_leave_out_workers_that_are_gone_or_silent(monkeypatch):
    from bfxdb.web import workers

    clock = [100.0]
    monkeypatch.setattr(workers.time, "monotonic", lambda: clock[0])
    shares = ConnectionShares(3)
    assert shares.fewest() is None
    shares.publish(1, 5)
    shares.publish(2, 2)
    assert shares.fewest() == 2
    assert shares.may_accept(1, 3) and not shares.may_accept(1, 4)
    shares.forget(2)
    assert shares.may_accept(1, 9)
    shares.publish(2, 0)
    clock[0] += workers.STALE_SECONDS + 1
    # Worker 2 published nothing since: it no longer holds the others back.
    assert shares.may_accept(1, 9)
