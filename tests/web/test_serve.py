"""`bfxdb serve` as a real process on a free loopback port: the seed's examples over HTTP, keys, clean stops."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time

import pytest
from bfxdb.web.serve import RESPONSE_BUFFER_BYTES, OncePerInterval, create_tuned_server, parse_cpus, serve
from click.testing import CliRunner

from .helpers import SEED_CREATE_BODY, SEED_INVOKE_BODY, http, live_server

JSON = {"Content-Type": "application/json"}


def test_serve_answers_the_seed_examples_over_http_and_stops_cleanly_on_sigterm(tmp_path):
    path = tmp_path / "graph.db"
    with live_server(path) as server:
        status, _, health = http("GET", f"{server.api}/health")
        assert status == 200 and health["status"] == "ok"
        status, headers, created = http("POST", f"{server.api}/substrates", SEED_CREATE_BODY, JSON)
        assert status == 201 and headers["Server"] == "bfxdb"
        status, _, invoked = http("POST", f"{server.api}/substrates/{created['substrate_id']}/invoke",
                                  SEED_INVOKE_BODY, JSON)
        assert status == 200 and invoked["result"] == 35
        status, _, error = http("GET", f"{server.api}/substrates/0x1")
        assert status == 404 and error["code"] == "not_found"
        assert server.stop(signal.SIGTERM) == 0
        assert "Stopped." in server.text()
    # The data outlived the server.
    import bfxdb

    with bfxdb.connect(path) as db:
        assert db.invoke(created["substrate_id"], {"x": 5, "y": 7}) == 35


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a POSIX signal")
def test_serve_stops_cleanly_on_sigint(tmp_path):
    with live_server(tmp_path / "g.db") as server:
        assert http("GET", f"{server.api}/health")[0] == 200
        assert server.stop(signal.SIGINT) == 0
        assert "Stopped." in server.text()


def test_serve_takes_its_settings_from_environment_variables(tmp_path):
    env = {"BFXDB_API_KEY": "k1 k2", "BFXDB_READ_ONLY_KEY": "r1", "BFXDB_THREADS": "2"}
    with live_server(tmp_path / "g.db", env=env) as server:
        assert http("GET", f"{server.api}/substrates")[0] == 401
        assert http("GET", f"{server.api}/substrates", headers={"X-API-Key": "k2"})[0] == 200
        assert http("POST", f"{server.api}/substrates", "{}", {"X-API-Key": "r1", **JSON})[0] == 403
        assert http("POST", f"{server.api}/substrates", "{}", {"Authorization": "Bearer k1", **JSON})[0] == 201
        assert "No API key set" not in server.text()
        server.stop()


def test_serve_without_path_uses_and_names_bfxdb_db(tmp_path):
    import os
    import subprocess

    process = subprocess.Popen(
        [sys.executable, "-m", "bfxdb.web", "--port", "0"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ),
    )
    try:
        first = process.stdout.readline()
        assert "No PATH given: using ./bfxdb.db" in first
        assert "Serving" in process.stdout.readline()
        assert (tmp_path / "bfxdb.db").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=15)
    assert process.returncode == 0


def test_serve_read_only_refuses_writes(tmp_path):
    import bfxdb

    bfxdb.connect(tmp_path / "ro.db").close()
    with live_server(tmp_path / "ro.db", "--read-only") as server:
        status, _, error = http("POST", f"{server.api}/substrates", "{}", JSON)
        assert status == 403 and error["code"] == "read_only"
        server.stop()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="pinning needs sched_setaffinity (Linux)")
def test_serve_pins_itself_to_the_cpus_asked_for_and_sends_large_bodies_whole(tmp_path):
    cpu = min(os.sched_getaffinity(0))
    with live_server(tmp_path / "g.db", "--cpus", str(cpu)) as server:
        assert os.sched_getaffinity(server.process.pid) == {cpu}
        # Far beyond the response buffer: a large body must still arrive whole and parse.
        status, _, document = http("GET", f"{server.api}/openapi.json")
        assert status == 200 and "/api/v1/substrates/{substrate_id}" in document["paths"]
        assert len(json.dumps(document)) > RESPONSE_BUFFER_BYTES
        server.stop()


@pytest.mark.parametrize("text", ["x", "1-", "-1", "3-1", "0,,1", "", "0-99999"])
def test_serve_refuses_a_malformed_cpu_list(tmp_path, text):
    result = CliRunner().invoke(serve, [str(tmp_path / "g.db"), "--cpus", text])
    assert result.exit_code == 2 and "--cpus" in result.output
    assert not (tmp_path / "g.db").exists()


def test_cpu_lists_parse_into_cpu_numbers():
    assert parse_cpus("0") == {0}
    assert parse_cpus("0-2,5") == {0, 1, 2, 5}
    assert parse_cpus(" 1 , 3-3") == {1, 3}


def test_waitress_gets_the_response_buffer_while_it_still_supports_one():
    from bfxdb.web import create_app
    from waitress.adjustments import Adjustments

    server = create_tuned_server(create_app(":memory:"), host="127.0.0.1", port=0)
    try:
        if hasattr(Adjustments, "send_bytes"):
            assert server.adj.send_bytes == RESPONSE_BUFFER_BYTES
        else:
            assert not hasattr(server.adj, "send_bytes")
    finally:
        server.close()


@pytest.mark.parametrize("supported", [True, False])
def test_the_response_buffer_is_asked_for_only_from_a_waitress_that_has_it(monkeypatch, supported):
    import waitress
    from waitress.adjustments import Adjustments

    asked: list[dict] = []
    monkeypatch.setattr(waitress, "create_server", lambda app, **options: asked.append(options) or options)
    if supported:
        monkeypatch.setattr(Adjustments, "send_bytes", 1, raising=False)
    else:
        monkeypatch.delattr(Adjustments, "send_bytes", raising=False)
    create_tuned_server(object(), host="127.0.0.1", port=0)
    assert asked == [{"host": "127.0.0.1", "port": 0, **({"send_bytes": RESPONSE_BUFFER_BYTES} if supported else {})}]


def test_queue_depth_warnings_are_thinned_to_one_per_interval(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    thinning = OncePerInterval(10)

    def record() -> logging.LogRecord:
        return logging.LogRecord("waitress.queue", logging.WARNING, __file__, 1, "Task queue depth is %d", (3,), None)

    assert thinning.filter(record())
    assert not any(thinning.filter(record()) for _ in range(5))
    clock[0] += 10.5
    passed = record()
    assert thinning.filter(passed)
    assert passed.getMessage() == "Task queue depth is 3 (5 similar warnings in the last 10 s)"


def test_warm_up_builds_the_cypher_parser_that_serve_would_otherwise_build_in_the_first_request():
    import subprocess

    check = (
        "import bfxdb; from bfxdb.query import parser; "
        "before = parser._lark.cache_info().currsize; bfxdb.warm_up(); "
        "print(before, parser._lark.cache_info().currsize)"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "1"]
