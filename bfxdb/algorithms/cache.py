"""The last snapshot taken of each store, reused while nothing is committed: a second call reads nothing."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable
from typing import Any

from .projection import Projection
from .snapshot import Snapshot


class SnapshotCache:
    """One snapshot per store, under the store's data version when it was taken and the thread that took it.

    The thread is part of the key because a store's version may be its thread's connection's own
    count (when the file is not in WAL mode), which says nothing about another connection's. One
    snapshot per store bounds the memory held between calls to one graph; it goes with the store.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: weakref.WeakKeyDictionary[Any, tuple[int, Hashable, Snapshot]] = weakref.WeakKeyDictionary()

    def get(self, store: Any, version: Hashable | None, projection: Projection) -> Snapshot | None:
        """The snapshot of ``projection`` taken at ``version`` by this thread, or None."""
        if version is None:
            return None
        with self._lock:
            entry = self._entries.get(store)
        if entry is None:
            return None
        thread, taken_at, snapshot = entry
        if thread != threading.get_ident() or taken_at != version or snapshot.projection != projection:
            return None
        return snapshot

    def put(self, store: Any, version: Hashable | None, snapshot: Snapshot) -> None:
        """Keep ``snapshot``, read at ``version``, in place of the store's previous one (None keeps nothing)."""
        if version is None:
            return
        with self._lock:
            self._entries[store] = (threading.get_ident(), version, snapshot)

    def forget(self, store: Any) -> None:
        """Let go of the store's snapshot, so a closed database holds no graph in memory."""
        with self._lock:
            self._entries.pop(store, None)


#: The snapshots ``db.algorithms`` reuses.
SNAPSHOTS = SnapshotCache()
