"""Helpers of the HTTP tests: the one error shape, request shortcuts, the seed's bodies, a live server.

The fixtures (``api_db``, ``make_api``, ``api``) are in this folder's conftest.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from ..conftest import SHARED

SEED = SHARED / "seed" / "000_4d67cbcd67c725b0.txt"
API = "/api/v1"
#: The two JSON bodies the seed's curl examples send, as the seed writes them.
SEED_CREATE_BODY = """{
    "expression_type": "lambda",
    "expression_code": "lambda **kw: kw.get(\\"x\\", 0) * kw.get(\\"y\\", 0)",
    "metadata": {"name": "multiply"}
  }"""
SEED_INVOKE_BODY = '{"parameters": {"x": 5, "y": 7}}'
_LISTENING = re.compile(r"on (http://\S+?)/api/v1 ")


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Check a response is an error in the one shape, with the given status (and code).

    :returns: the decoded body.
    """
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert isinstance(body.get("detail"), str) and body["detail"]
    assert isinstance(body.get("code"), str) and body["code"]
    assert "Traceback" not in response.get_data(as_text=True)
    if code is not None:
        assert body["code"] == code, body
    return body


def create(api, status: int = 201, **fields) -> dict:
    """POST a substrate and return the answer's body, checking its status."""
    response = api.post(f"{API}/substrates", json=fields)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def relate(api, source: str, target: str, rel_type: str = "LINK", **fields) -> dict:
    """POST a relationship and return the created relationship."""
    response = api.post(
        f"{API}/relationships", json={"rel_type": rel_type, "source_id": source, "target_id": target, **fields}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


class LiveServer:
    """A `python -m bfxdb.web` process on a free loopback port; its output is collected as it runs."""

    def __init__(self, process: subprocess.Popen, url: str, output: list[str], reader: threading.Thread) -> None:
        self.process = process
        self.url = url
        self.api = url + API
        self.output = output
        self._reader = reader

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Signal the server and wait for it to exit.

        :returns: its exit status.
        """
        if self.process.poll() is None:
            self.process.send_signal(sig)
        status = self.process.wait(timeout)
        self._reader.join(timeout)
        return status

    def text(self) -> str:
        """Everything the server printed so far."""
        return "".join(self.output)


@contextmanager
def live_server(path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 30):
    """Start `python -m bfxdb.web PATH --port 0 ARGS` and yield a LiveServer once it listens.

    :raises AssertionError: if it exits or prints no address before ``timeout`` seconds.
    """
    command = [sys.executable, "-m", "bfxdb.web", str(path), "--port", "0", *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=str(Path(path).parent),
    )
    output: list[str] = []
    found: list[str] = []
    listening = threading.Event()

    def read_output() -> None:
        # Keep draining after the banner, so a chatty server never blocks on a full pipe.
        for line in process.stdout:
            output.append(line)
            match = _LISTENING.search(line)
            if match and not found:
                found.append(match.group(1))
                listening.set()
        listening.set()

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    listening.wait(timeout)
    if not found:
        process.kill()
        process.wait(10)
        raise AssertionError("the server did not start:\n" + "".join(output))
    server = LiveServer(process, found[0], output, reader)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def http(method: str, url: str, body: str | bytes | dict | None = None, headers: dict | None = None):
    """Make one HTTP request with the standard library.

    :returns: (status, headers, decoded JSON body or text).
    """
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    if isinstance(data, str):
        data = data.encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, reply_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, reply_headers, raw = error.code, error.headers, error.read()
    text = raw.decode("utf-8")
    if reply_headers.get_content_type() == "application/json":
        return status, reply_headers, json.loads(text)
    return status, reply_headers, text


def seed_curl_bodies() -> list[str]:
    """Return the JSON bodies of the seed document's curl examples (its ``-d '...'`` arguments), verbatim."""
    text = SEED.read_text(encoding="utf-8")
    return re.findall(r"-d '(.*?)'", text, flags=re.S)
