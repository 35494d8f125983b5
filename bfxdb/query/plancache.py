"""The cache of prepared queries, keyed by query text; each procedure catalogue owns one."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

#: How many prepared queries a cache keeps; the oldest goes first.
PLAN_CACHE_SIZE = 512


class PlanCache:
    """A thread-safe cache of prepared queries keyed by query text; the oldest entry goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, text: str) -> Any | None:
        # A lock-free read: dict lookups are atomic, and every query passes here. The price is
        # first-in-first-out eviction instead of least-recently-used.
        return self.entries.get(text)

    def put(self, text: str, prepared: Any) -> None:
        with self.lock:
            self.entries[text] = prepared
            self.entries.move_to_end(text)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
