"""Keep the parser's built tables in a file per user, so a process loads them instead of building them.

Building the LALR tables from ``cypher.lark`` takes about 0.4 s; loading the stored parser, 15 ms.
A table file is named and headed by a key (the parser hashes the grammar text, the lark version
and the parser options into it), so a file made from another grammar is never used. The cache is
only an accelerator: a file that is missing, stale, damaged or not trusted reads as absent, and a
directory that cannot be written leaves the caller building its tables in memory, as before.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

__all__ = ["CACHE_DIR_VARIABLE", "cache_dir", "read", "table_path", "write"]

#: The environment variable that names the cache directory, e.g. one prepared read-only in an image.
CACHE_DIR_VARIABLE = "BFXDB_CACHE_DIR"


def cache_dir() -> Path:
    """Return the directory that holds table files: $BFXDB_CACHE_DIR, else the platform's user cache.

    :returns: e.g. ``~/.cache/bfxdb`` on Linux (``$XDG_CACHE_HOME/bfxdb`` when that is set),
        ``~/Library/Caches/bfxdb`` on macOS, ``%LOCALAPPDATA%\\bfxdb\\Cache`` on Windows.
    """
    chosen = os.environ.get(CACHE_DIR_VARIABLE)
    if chosen:
        return Path(chosen)
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "bfxdb" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "bfxdb"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bfxdb"


def table_path(directory: Path, name: str, key: str) -> Path:
    """Return where the tables called ``name`` built under ``key`` are kept in ``directory``."""
    return directory / f"{name}-{key[:16]}.tables"


def read(directory: Path, name: str, key: str) -> bytes | None:
    """Return the stored tables for ``key``, or None when there is no usable file.

    A file is used only when its first line is ``key`` and, where the system has owners, it belongs
    to this user (or to root) and nobody else may write it: what it holds is unpickled.
    """
    try:
        with open(table_path(directory, name, key), "rb") as file:
            if not _trusted(os.fstat(file.fileno())):
                return None
            if file.readline().rstrip(b"\n") != key.encode("ascii"):
                return None
            return file.read()
    except OSError:
        return None


def write(directory: Path, name: str, key: str, data: bytes) -> Path | None:
    """Store ``data`` as the tables for ``key``, atomically; return the file, or None if it cannot be written.

    Several processes may build the same tables at once on first use: each writes its own temporary
    file and renames it over the final name, so a reader sees a whole file or none.
    """
    target = table_path(directory, name, key)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError:
        return None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(key.encode("ascii") + b"\n")
            file.write(data)
        # mkstemp makes the file private; the tables are no secret, and a cache prepared by one
        # account (an image build) must be readable by the account that runs.
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError:
        _discard(temporary)
        return None
    return target


def _trusted(status: os.stat_result) -> bool:
    if not hasattr(os, "getuid"):
        return True
    owner_ok = status.st_uid in (os.getuid(), 0)
    return owner_ok and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _discard(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
