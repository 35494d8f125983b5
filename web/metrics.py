"""Count requests by route and status, keep recent latencies, and render both as JSON or Prometheus text."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, Request, Response, request
from werkzeug.local import LocalProxy

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

#: Latest latencies kept per route: enough for a stable p99 without growing forever.
WINDOW = 2048
QUANTILES = (0.5, 0.9, 0.99)


class RequestMetrics:
    """Thread-safe request counters and latency windows for one app."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = {}
        self._latencies: dict[str, deque[float]] = {}
        self._totals: dict[str, int] = {}
        self._sums: dict[str, float] = {}

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request and keep its latency."""
        key = (method, route, status)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            window = self._latencies.get(route)
            if window is None:
                window = self._latencies[route] = deque(maxlen=WINDOW)
            window.append(seconds)
            self._totals[route] = self._totals.get(route, 0) + 1
            self._sums[route] = self._sums.get(route, 0.0) + seconds

    def uptime(self) -> float:
        """Seconds since the app was created."""
        return time.monotonic() - self.started

    def snapshot(self) -> tuple[list[dict[str, Any]], dict[str, dict[str, float]]]:
        """Copy the counters and summarise latencies.

        :returns: (request counts as rows, per-route ``{"count", "sum", "p50", "p90", "p99"}``, times in ms).
        """
        with self._lock:
            counts = sorted(self._counts.items())
            windows = {route: sorted(window) for route, window in self._latencies.items()}
            totals = dict(self._totals)
            sums = dict(self._sums)
        rows = [
            {"method": method, "route": route, "status": status, "count": count}
            for (method, route, status), count in counts
        ]
        latency = {
            route: {"count": totals[route], "sum": round(sums[route] * 1000, 3)}
            | {f"p{round(q * 100)}": round(_quantile(values, q) * 1000, 3) for q in QUANTILES}
            for route, values in sorted(windows.items())
        }
        return rows, latency


def _quantile(ordered: list[float], q: float) -> float:
    """Nearest-rank quantile of an ordered, non-empty list."""
    index = min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))
    return ordered[index]


def make_recorder(metrics: RequestMetrics) -> Callable[[Response], Response]:
    """Build the after_request hook that records each response in ``metrics``."""

    def record(response: Response) -> Response:
        # Flask types `request` as a Request, but it is a LocalProxy: fetch the object once, not per attribute.
        req = cast("LocalProxy[Request]", request)._get_current_object()
        started = req.environ.get("bfx.started")
        if started is not None:
            rule = req.url_rule
            route = rule.rule if rule is not None else "<unmatched>"
            metrics.record(req.method, route, response.status_code, time.perf_counter() - started)
        return response

    return record


def install(app: Flask, metrics: RequestMetrics) -> None:
    """Time every request from the moment the app gets it and record it when its response is ready.

    The clock starts in a thin WSGI wrapper rather than a before_request hook: it is cheaper, and
    routing, auth and rate limits count in the latency.
    """
    inner = app.wsgi_app

    def timed(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["bfx.started"] = time.perf_counter()
        return inner(environ, start_response)

    # Flask's documented way to wrap the app in WSGI middleware; mypy refuses any assignment to a method.
    app.wsgi_app = timed  # type: ignore[method-assign]
    app.after_request(make_recorder(metrics))


def prometheus_text(values: dict[str, Any], rows: list[dict[str, Any]], latency: dict[str, dict]) -> str:
    """Render metrics in the Prometheus text exposition format (version 0.0.4).

    :param values: the gauges (``total_substrates``, ``uptime_seconds``, ...) and ``version``.
    :returns: the exposition text, ending with a newline.
    """
    lines = [
        "# HELP bfxdb_info bfxdb version.",
        "# TYPE bfxdb_info gauge",
        f'bfxdb_info{{version="{_escape(values["version"])}"}} 1',
    ]
    gauges = (
        ("substrates", "total_substrates", "Substrates stored."),
        ("relationships", "total_relationships", "Relationships stored."),
        ("uptime_seconds", "uptime_seconds", "Seconds since the server started."),
        ("database_size_bytes", "database_size_bytes", "Database file plus WAL, in bytes."),
    )
    for name, key, text in gauges:
        if values.get(key) is not None:
            lines += [f"# HELP bfxdb_{name} {text}", f"# TYPE bfxdb_{name} gauge", f"bfxdb_{name} {values[key]}"]
    lines += ["# HELP bfxdb_http_requests_total HTTP requests answered.", "# TYPE bfxdb_http_requests_total counter"]
    for row in rows:
        labels = f'method="{row["method"]}",route="{_escape(row["route"])}",status="{row["status"]}"'
        lines.append(f"bfxdb_http_requests_total{{{labels}}} {row['count']}")
    lines += [
        "# HELP bfxdb_http_request_duration_seconds Latency over the latest requests per route.",
        "# TYPE bfxdb_http_request_duration_seconds summary",
    ]
    for route, summary in latency.items():
        route_label = _escape(route)
        for q in QUANTILES:
            seconds = summary[f"p{round(q * 100)}"] / 1000
            lines.append(f'bfxdb_http_request_duration_seconds{{route="{route_label}",quantile="{q}"}} {seconds:.6f}')
        lines.append(f'bfxdb_http_request_duration_seconds_sum{{route="{route_label}"}} {summary["sum"] / 1000:.6f}')
        lines.append(f'bfxdb_http_request_duration_seconds_count{{route="{route_label}"}} {summary["count"]}')
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
