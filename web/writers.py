"""The writer limit: how many request threads may write at once, so that the others stay free for reads.

SQLite lets one writer in at a time and, in WAL mode, never makes a reader wait for it. A
request thread that waits for the write lock, though, is a thread no read can use: when
another process holds the lock, every thread of the server could end up waiting. So writes
take a slot first, and there are fewer slots than threads.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import wraps
from typing import Any, TypeVar

from flask import current_app

import bfxdb

View = TypeVar("View", bound=Callable[..., Any])

#: A write waits for a slot only while slots change hands: once none has been taken or given
#: back for this long, the writers holding them are themselves stuck on the lock (or busy with
#: long writes) and waiting longer would only keep a thread from the reads.
QUEUE_PATIENCE = 0.25


def writer_slots(threads: int) -> int:
    """Return how many of ``threads`` request threads may write at once: all but one, and at least one."""
    return max(1, threads - 1)


def retry_after(wait: float) -> int:
    """Return the Retry-After (whole seconds, at least 1) of a write refused after waiting ``wait`` seconds."""
    return max(1, math.ceil(wait))


class WriterLimit:
    """Slots for the writes running at once, each waited for at most ``wait`` seconds."""

    def __init__(self, slots: int, wait: float) -> None:
        """:param slots: writes at once; :param wait: seconds a write may wait for a slot."""
        self.slots = slots
        self.wait = wait
        self._taken = 0
        self._moved = time.monotonic()
        self._changed = threading.Condition()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a writer slot for the block.

        :raises bfxdb.DatabaseBusy: when none frees up within ``wait`` seconds, or slots stop changing
            hands for QUEUE_PATIENCE seconds first.
        """
        self._take()
        try:
            yield
        finally:
            with self._changed:
                self._taken -= 1
                self._moved = time.monotonic()
                self._changed.notify()

    def _take(self) -> None:
        with self._changed:
            deadline = time.monotonic() + self.wait
            while self._taken >= self.slots:
                now = time.monotonic()
                until = min(deadline, self._moved + QUEUE_PATIENCE)
                if now >= until:
                    raise bfxdb.DatabaseBusy(
                        f"all {self.slots} writer slot(s) of this server are taken by writes waiting for or "
                        "holding the database's write lock; nothing was written, try again later"
                    )
                self._changed.wait(until - now)
            self._taken += 1
            self._moved = time.monotonic()


def writer_slot() -> AbstractContextManager[None]:
    """Hold one of the current app's writer slots for a block (see WriterLimit.slot)."""
    limit: WriterLimit = current_app.extensions["bfxdb"].writers
    return limit.slot()


def writes(view: View) -> View:
    """Run a view that writes inside one of its app's writer slots."""

    @wraps(view)
    def in_slot(*args: Any, **kwargs: Any) -> Any:
        with writer_slot():
            return view(*args, **kwargs)

    return in_slot  # type: ignore[return-value]
