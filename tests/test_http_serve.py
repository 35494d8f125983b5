"""`bfxdb serve` as a real process on a free loopback port: the seed's examples over HTTP, keys, clean stops."""

from __future__ import annotations

import signal
import sys

import pytest

from tests.http_fixtures import SEED_CREATE_BODY, SEED_INVOKE_BODY, http, live_server

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
