"""The app's database handle and settings: opened once per app, shared by every request thread, closed once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

import bfxdb

from .metrics import RequestMetrics
from .security import KeyRing, RateLimiter, parse_rate
from .settings import DEFAULTS
from .writers import WriterLimit, writer_slots


@dataclass
class AppState:
    """Everything a request needs beyond Flask: the database and the guards built from the settings."""

    database: bfxdb.Database
    owns_database: bool
    keys: KeyRing
    limiter: RateLimiter | None
    cors_origins: frozenset[str]
    cors_credentials: bool
    query_timeout: float | None
    #: the memory budget of one query, in bytes (None: the database's own)
    query_memory: int | None
    max_import_bytes: int
    #: the writes running at once, so that a thread stays free for reads
    writers: WriterLimit
    metrics: RequestMetrics = field(default_factory=RequestMetrics)


def settings_from(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge a config mapping over the defaults (ServeSettings's) and check the combinations that must never happen.

    :param config: ``create_app`` config keys (see ``ServeSettings.app_config``) and any Flask settings.
    :returns: every app setting, with the others given.
    :raises ValueError: for CORS ``*`` with credentials, or a malformed rate limit.
    """
    settings = DEFAULTS.app_config()
    settings.update(config or {})
    origins = _as_tuple(settings["CORS_ORIGINS"])
    if "*" in origins and settings["CORS_ALLOW_CREDENTIALS"]:
        raise ValueError("CORS origin '*' cannot be combined with credentials; list the origins instead")
    parse_rate(settings["RATE_LIMIT"])
    return settings


def build_state(
    database: bfxdb.Database | str | os.PathLike[str] | None, settings: Mapping[str, Any]
) -> AppState:
    """Open the database (unless given one) and build the guards.

    :param database: an open Database (the caller keeps owning it), or a path to open; None opens
        ``settings["DATABASE"]``.
    :param settings: the app's settings, as ``settings_from`` returns them.
    :returns: the state.
    :raises bfxdb.StorageError: if the file cannot be opened.
    """
    timeout = settings["QUERY_TIMEOUT"]
    memory = settings["QUERY_MEMORY"]
    write_wait = float(settings["WRITE_WAIT"])
    if isinstance(database, bfxdb.Database):
        db, owns = database, False
    else:
        path = database if database is not None else settings["DATABASE"]
        db = bfxdb.connect(
            os.fspath(path),
            read_only=bool(settings["READ_ONLY"]),
            timeout=write_wait,
            query_timeout=timeout,
            query_memory=None if memory is None else int(memory) << 20,
            import_dir=settings["IMPORT_DIR"],
        )
        owns = True
    return AppState(
        database=db,
        owns_database=owns,
        keys=KeyRing(_as_tuple(settings["API_KEYS"]), _as_tuple(settings["READ_ONLY_KEYS"])),
        limiter=parse_rate(settings["RATE_LIMIT"]),
        cors_origins=frozenset(_as_tuple(settings["CORS_ORIGINS"])),
        cors_credentials=bool(settings["CORS_ALLOW_CREDENTIALS"]),
        query_timeout=None if timeout is None else float(timeout),
        query_memory=None if memory is None else int(memory) << 20,
        max_import_bytes=int(settings["MAX_IMPORT_BYTES"]),
        writers=WriterLimit(writer_slots(int(settings["THREADS"])), write_wait),
    )


def get_state() -> AppState:
    """Return the current app's state."""
    return current_app.extensions["bfxdb"]


def get_db() -> bfxdb.Database:
    """Return the current app's database."""
    return current_app.extensions["bfxdb"].database


def close_app(app: Flask) -> None:
    """Close the app's database if the app opened it; a Database passed in stays open."""
    state: AppState = app.extensions["bfxdb"]
    if state.owns_database:
        state.database.close()


def database_size(database: bfxdb.Database) -> int | None:
    """Return the database file's size plus its WAL's, in bytes; None for an in-memory database."""
    path = database.path
    if path == ":memory:" or path.startswith("file:") or not os.path.exists(path):
        return None
    wal = path + "-wal"
    return os.path.getsize(path) + (os.path.getsize(wal) if os.path.exists(wal) else 0)


def _as_tuple(value: Any) -> tuple[str, ...]:
    """Accept one string (comma or space separated) or a sequence of strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part for part in value.replace(",", " ").split() if part)
    return tuple(str(part) for part in value if part)
