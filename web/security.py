"""Guard the API: API keys (read-write and read-only), per-client rate limits, and CORS."""

from __future__ import annotations

import hmac
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import TypeVar, cast

from flask import Flask, Request, Response, current_app, g, request
from werkzeug.local import LocalProxy

from .errors import Forbidden, RateLimited, Unauthorized

View = TypeVar("View", bound=Callable)

#: How a view is guarded: "open" needs no key, "read" any key, "write" a read-write key.
OPEN, READ, WRITE = "open", "read", "write"
_ACCESS_ATTRIBUTE = "bfx_access"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PERIODS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*([a-z]+)\s*)?$")
#: Past this many tracked clients, idle (full) buckets are dropped so memory stays bounded.
MAX_BUCKETS = 10_000
CORS_HEADERS = "Authorization, Content-Type, X-API-Key"
CORS_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"


def access(level: str) -> Callable[[View], View]:
    """Mark a view with the access it needs, overriding the default (GET: read, others: write).

    :param level: ``OPEN``, ``READ`` or ``WRITE``.
    """

    def mark(view: View) -> View:
        # An attribute on the view function, as Flask marks views itself (required_methods, ...).
        setattr(view, _ACCESS_ATTRIBUTE, level)
        return view

    return mark


class KeyRing:
    """The server's API keys; compares in constant time so a key cannot be guessed byte by byte."""

    def __init__(self, read_write: Iterable[str] = (), read_only: Iterable[str] = ()) -> None:
        self._keys = [(key.encode(), True) for key in read_write if key] + [
            (key.encode(), False) for key in read_only if key
        ]

    @property
    def enabled(self) -> bool:
        """Whether any key is configured; without keys every request may read and write."""
        return bool(self._keys)

    def lookup(self, presented: str) -> bool | None:
        """Check a presented key.

        :returns: True for a read-write key, False for a read-only key, None if unknown.
        """
        candidate = presented.encode()
        found = None
        # Compare against every key, without stopping early, so timing says nothing about which matched.
        for key, writable in self._keys:
            if hmac.compare_digest(candidate, key) and found is None:
                found = writable
        return found


def presented_key() -> str | None:
    """Return the API key of the current request, from ``Authorization: Bearer`` or ``X-API-Key``."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("X-API-Key") or None


class RateLimiter:
    """A token bucket per client: ``rate`` requests per ``period`` seconds, with bursts up to ``rate``."""

    def __init__(self, rate: float, period: float) -> None:
        self.capacity = rate
        self.refill = rate / period
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Spend one token of a client's bucket.

        :returns: 0 if the request may go ahead, else the seconds until a token is free.
        """
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - stamp) * self.refill)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                if len(self._buckets) > MAX_BUCKETS:
                    self._prune(now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.refill

    def _prune(self, now: float) -> None:
        full = [
            client
            for client, (tokens, stamp) in self._buckets.items()
            if tokens + (now - stamp) * self.refill >= self.capacity
        ]
        for client in full:
            del self._buckets[client]


def parse_rate(text: str | None) -> RateLimiter | None:
    """Build a rate limiter from text such as ``100/s``, ``600/min`` or ``5000/hour`` (plain ``N``: per second).

    :returns: None for no limit (empty text or ``0``).
    :raises ValueError: for text in another form.
    """
    if text is None or not str(text).strip() or str(text).strip() == "0":
        return None
    match = _RATE.match(str(text).lower())
    if not match or (match.group(2) or "s") not in _PERIODS or float(match.group(1)) <= 0:
        raise ValueError(f"invalid rate limit {text!r}: expected e.g. 100/s, 600/min or 5000/hour")
    return RateLimiter(float(match.group(1)), _PERIODS[match.group(2) or "s"])


def check_request() -> Response | None:
    """Authenticate, rate-limit and answer CORS preflights before a view runs (a before_request hook).

    :returns: a response for a CORS preflight, else None to let the view run.
    :raises Unauthorized: without a known key when the server has keys.
    :raises Forbidden: for a read-only key on a writing route.
    :raises RateLimited: past the client's rate limit.
    """
    settings = current_app.extensions["bfxdb"]
    # Flask types `request` as a Request, but it is a LocalProxy: fetch the object once, not per attribute.
    req = cast("LocalProxy[Request]", request)._get_current_object()
    if req.method == "OPTIONS":
        return preflight(settings.cors_origins)
    view = current_app.view_functions.get(req.endpoint) if req.endpoint else None
    # Unknown routes and methods fall through to their 404/405.
    if view is None:
        return None
    level = getattr(view, _ACCESS_ATTRIBUTE, READ if req.method in _SAFE_METHODS else WRITE)
    if level == OPEN:
        return None
    key = presented_key()
    writable = settings.keys.lookup(key) if key is not None and settings.keys.enabled else None
    if settings.limiter is not None:
        client = f"key:{key}" if writable is not None else f"addr:{req.remote_addr}"
        wait = settings.limiter.take(client)
        if wait:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(f"rate limit exceeded; retry in {seconds} s", retry_after=seconds)
    if not settings.keys.enabled:
        return None
    if key is None:
        raise Unauthorized("an API key is required: send Authorization: Bearer KEY or X-API-Key: KEY")
    if writable is None:
        raise Unauthorized("the API key is not valid")
    g.can_write = writable
    if level == WRITE and not writable:
        raise Forbidden("this API key is read-only")
    return None


def can_write() -> bool:
    """Whether the current request may write: True unless it came with a read-only key."""
    return g.get("can_write", True)


def require_write(what: str) -> None:
    """Refuse a write asked for by a read-only key on a route that mostly reads.

    :raises Forbidden: if the request's key is read-only.
    """
    if not can_write():
        raise Forbidden(f"this API key is read-only; {what} writes")


def preflight(origins: frozenset[str]) -> Response | None:
    """Answer a CORS preflight for an allowed origin; otherwise let Flask answer OPTIONS itself.

    :param origins: the allowed origins (``*`` for any); empty when CORS is off.
    """
    origin = request.headers.get("Origin")
    if not origins or origin is None or request.headers.get("Access-Control-Request-Method") is None:
        return None
    if "*" not in origins and origin not in origins:
        return None
    response = current_app.response_class(status=204)
    response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
    response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    return response


def add_cors_headers(response: Response) -> Response:
    """Add CORS headers for an allowed ``Origin`` (an after_request hook); never ``*`` with credentials.

    :returns: the response.
    """
    settings = current_app.extensions["bfxdb"]
    origin = request.headers.get("Origin")
    if not settings.cors_origins or origin is None:
        return response
    if "*" in settings.cors_origins:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in settings.cors_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
        if settings.cors_credentials:
            response.headers["Access-Control-Allow-Credentials"] = "true"
    return response


def install(app: Flask, keys: KeyRing, limiter: RateLimiter | None, cors_origins: frozenset[str]) -> None:
    """Register the guards an app's settings ask for; with none, requests pay nothing for them."""
    if keys.enabled or limiter is not None or cors_origins:
        app.before_request(check_request)
    if cors_origins:
        app.after_request(add_cors_headers)
