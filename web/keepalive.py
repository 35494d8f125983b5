"""Keep an HTTP/1.1 connection open after an answer without a body (204, 304), which waitress closes."""

from __future__ import annotations

from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import WSGITask


class BodilessKeepAliveTask(WSGITask):
    """A waitress task that leaves the connection open after a 204 or 304 the client means to keep.

    Waitress closes an HTTP/1.1 connection after every answer without Content-Length, because
    such a body ends only when the connection does. A 204 or 304 has no body: it ends with its
    header (RFC 9112 section 6.3) and must not carry Content-Length (RFC 9110 section 8.6), so
    waitress closed the connection after each one, costing a client a reconnect per DELETE.
    """

    #: True while the header of an answer that ends with its header, on a connection kept open, is built.
    _ends_with_header = False

    def build_response_header(self) -> bytes:
        """Build the header as waitress does, without closing for the missing length of a bodiless answer."""
        self._ends_with_header = (
            not self.has_body
            and self.version == "1.1"
            and not self.close_on_finish
            and self.request.headers.get("CONNECTION", "").lower() != "close"
        )
        try:
            header: bytes = super().build_response_header()
            return header
        finally:
            self._ends_with_header = False

    def set_close_on_finish(self) -> None:
        """Close after this answer, unless it is the bodiless answer whose header is being built."""
        if not self._ends_with_header:
            super().set_close_on_finish()


class KeepAliveChannel(HTTPChannel):
    """A waitress connection whose requests run as BodilessKeepAliveTask."""

    task_class = BodilessKeepAliveTask


def keep_bodiless_answers_alive(server: Any) -> None:
    """Make the connections a waitress server (or multi-socket server) accepts from now on keep-alive after 204s.

    :param server: what ``waitress.create_server`` returned.
    """
    listeners = [server] if isinstance(server, BaseWSGIServer) else list(getattr(server, "map", {}).values())
    for listener in listeners:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = KeepAliveChannel
