"""Pausing Python's cycle collector around work that allocates many objects and no garbage."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the block, for the whole process, and restore it as it was.

    Work that builds many objects holding no cycles (a bulk load's rows, the parser's tables)
    triggers collections that walk every object the process holds, again and again. A block
    nested in another, or run while another thread's is, never leaves the collector paused:
    only the block that found it enabled enables it again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
