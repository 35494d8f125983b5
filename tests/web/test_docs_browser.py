"""Swagger UI and ReDoc render every operation in headless Chromium, offline, against a live server."""

from __future__ import annotations

import subprocess
import tempfile

import pytest
from bfxdb.web.openapi import build_document

from .chromium import CHROMIUM, HEADLESS_FLAGS
from .helpers import live_server

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (apt-get install -y chromium chromium-driver) - docs pages not checked",
)
FLAGS = [
    *HEADLESS_FLAGS,
    # Run page timers and fetches until the network is idle (or 20 s of virtual time pass).
    "--virtual-time-budget=20000",
]
OPERATIONS = [
    (path, method, operation["operationId"])
    for path, item in build_document()["paths"].items()
    for method, operation in item.items()
    if method != "parameters"
]


def rendered_dom(url: str) -> str:
    """Load a page in a fresh headless Chromium profile and return the DOM after its scripts ran."""
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("browser") / "graph.db") as live:
        yield live
        live.stop()


def test_swagger_ui_lists_every_operation(server):
    dom = rendered_dom(f"{server.api}/docs")
    assert "swagger-ui" in dom and "bfxdb HTTP API" in dom
    for path, method, operation_id in OPERATIONS:
        assert f'data-path="{path}"' in dom, path
        assert f"opblock-{method}" in dom, method
        assert operation_id in dom, operation_id


def test_redoc_lists_every_operation(server):
    dom = rendered_dom(f"{server.api}/redoc")
    assert "bfxdb HTTP API" in dom
    for _, _, operation_id in OPERATIONS:
        assert f"operation/{operation_id}" in dom, operation_id
