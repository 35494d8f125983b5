"""The translation of sqlite3's errors into bfxdb's, and the guard that applies it around store calls."""

from __future__ import annotations

import sqlite3

from ..errors import (
    BfxError,
    Conflict,
    DatabaseCorrupt,
    InvalidInput,
    NotFound,
    QueryLimitExceeded,
    QueryTooComplex,
    ReadOnlyError,
    StorageError,
    StorageFull,
)
from .constraints import violation
from .vectors import refusal

#: What a file is when SQLite answers with these primary result codes.
_DAMAGE = {sqlite3.SQLITE_CORRUPT: "damaged", sqlite3.SQLITE_NOTADB: "not a bfxdb database"}

#: The openings of SQLite's messages for a statement past one of its compile-time limits: the
#: statement is too big to plan, while the database is fine.
_TOO_COMPLEX = (
    "at most ",  # "at most 64 tables in a join"
    "expression tree is too large",
    "parser stack overflow",
    "too many ",  # terms in a compound SELECT, columns, arguments, SQL variables, FROM terms, references
    "like or glob pattern too complex",
)


def damage(error: sqlite3.Error) -> str | None:
    """Say what is wrong with the file when SQLite raised this error because it is damaged or no database.

    :returns: ``"damaged"`` or ``"not a bfxdb database"``; None for every other error.
    """
    code = getattr(error, "sqlite_errorcode", None)
    # Extended codes (SQLITE_CORRUPT_INDEX, ...) keep the primary code in their low byte.
    return None if code is None else _DAMAGE.get(code & 0xFF)


def translate_error(error: sqlite3.Error, context: str = "database error") -> BfxError:
    """Turn an error sqlite3 raised into the bfxdb error that says what it means.

    :param context: what was being done, to open the message of an ordinary storage error.
    :returns: DatabaseCorrupt for a damaged file or one that is no database; SchemaConstraintViolation
        for a write a constraint's trigger refused; InvalidInput for a value a vector index refused;
        QueryTooComplex for
        a statement SQLite cannot plan; QueryLimitExceeded for a value past SQLite's size limit;
        StorageFull for a full disk; ReadOnlyError for a file SQLite cannot write (a read-only
        file, folder or mount); else StorageError.
    """
    what = damage(error)
    if what is not None:
        return DatabaseCorrupt(f"the database file is {what} ({error})")
    broken = violation(error) or refusal(error)
    if broken is not None:
        return broken
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None and code & 0xFF == sqlite3.SQLITE_FULL:
        return StorageFull(f"{context}: the disk holding the database is full ({error}); free some space and retry")
    if code is not None and code & 0xFF == sqlite3.SQLITE_READONLY:
        return ReadOnlyError(
            f"{context}: the database file, its -wal or -shm, or their folder cannot be written ({error}); "
            "open it read-only (--read-only, read_only=True) or move it to writable storage"
        )
    if code is not None and code & 0xFF == sqlite3.SQLITE_TOOBIG:
        return QueryLimitExceeded(f"a value is larger than SQLite can hold ({error})", "TooBig")
    text = str(error)
    if isinstance(error, sqlite3.OperationalError) and text.lower().startswith(_TOO_COMPLEX):
        return QueryTooComplex(
            f"the query is too complex for SQLite to plan: {text}; split it into parts joined by WITH",
            "TooComplex",
            reason=text,
        )
    return StorageError(f"{context}: {text}")


def translate_integrity_error(error: sqlite3.IntegrityError) -> BfxError:
    """Turn a constraint failure from a bulk write into the bfxdb error a user can act on."""
    broken = violation(error) or refusal(error)
    if broken is not None:
        return broken
    text = str(error)
    if "UNIQUE" in text or "PRIMARY KEY" in text:
        return Conflict(f"duplicate identity in the load: {text}")
    if "FOREIGN KEY" in text:
        return NotFound("a relationship names a substrate that does not exist")
    return InvalidInput(f"rejected by the database: {text}")


def refused_input(error: BaseException | None) -> InvalidInput | None:
    """The InvalidInput for what a driver refuses before the database sees it (on any backend), else None."""
    if isinstance(error, UnicodeEncodeError):
        return InvalidInput("text holds a lone surrogate, which is not valid Unicode")
    if isinstance(error, RecursionError):
        return InvalidInput("the input nests too deeply")
    return None


class ErrorGuard:
    """Turn a raw sqlite3 error escaping a block of store calls into a bfxdb error.

    The store's row methods leave sqlite3's errors raw to stay fast; callers run them inside
    this guard. A class rather than a generator context manager: it wraps every call, so it
    must be cheap.
    """

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: object) -> None:
        if kind is None:
            return
        if isinstance(error, sqlite3.Error):
            raise translate_error(error) from None
        refused = refused_input(error)
        if refused is not None:
            raise refused from None
