"""A 204 answer keeps an HTTP/1.1 keep-alive connection open, as every other answer does."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from .helpers import API, live_server

JSON = {"Content-Type": "application/json"}


def _exchange(connection: http.client.HTTPConnection, method: str, path: str, body: dict | None = None):
    connection.request(method, API + path, body=None if body is None else json.dumps(body), headers=JSON)
    response = connection.getresponse()
    return response, response.read()


def test_deletes_answered_204_keep_the_connection_for_the_next_request(tmp_path):
    with live_server(tmp_path / "graph.db") as server:
        address = urlsplit(server.url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        try:
            created, body = _exchange(connection, "POST", "/substrates", {"metadata": {"n": 1}})
            assert created.status == 201
            source = json.loads(body)["substrate_id"]
            _, body = _exchange(connection, "POST", "/substrates", {})
            target = json.loads(body)["substrate_id"]
            _, body = _exchange(
                connection, "POST", "/relationships", {"rel_type": "LINK", "source_id": source, "target_id": target}
            )
            relationship = json.loads(body)["relationship_id"]
            local_address = connection.sock.getsockname()

            for path in (f"/relationships/{relationship}", f"/substrates/{target}"):
                deleted, body = _exchange(connection, "DELETE", path)
                assert (deleted.status, body) == (204, b"")
                assert deleted.getheader("Connection") is None and not deleted.will_close
                # RFC 9110: a 204 carries neither a body nor a Content-Length.
                assert deleted.getheader("Content-Length") is None

            fetched, body = _exchange(connection, "GET", f"/substrates/{source}")
            assert fetched.status == 200 and json.loads(body)["metadata"] == {"n": 1}
            # http.client reconnects silently after a close: the same local address proves one connection.
            assert connection.sock is not None and connection.sock.getsockname() == local_address

            # A client that asks for the connection to close still has it closed.
            connection.request("DELETE", f"{API}/substrates/{source}", headers={"Connection": "close"})
            closing = connection.getresponse()
            assert closing.status == 204 and closing.getheader("Connection") == "close" and closing.will_close
        finally:
            connection.close()
        server.stop()
