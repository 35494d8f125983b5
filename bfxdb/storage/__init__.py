"""Storage, the only code that talks to the database engine: open_store picks the backend for a target.

Everything above storage uses this facade: the ``Backend`` protocol is the seam, ``SQLiteStore``
the one backend today; rows, column lists and quoting are shared with the SQL compiler.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import ExtraMissing
from .backend import Backend, Cursor
from .constraints import PROPERTY_TYPES, Constraint
from .copying import COPY_BATCH, copy_store
from .fulltext import ANALYZERS as FULLTEXT_ANALYZERS
from .fulltext import DEFAULT_ANALYZER as FULLTEXT_DEFAULT_ANALYZER
from .fulltext import PROVIDER as FULLTEXT_PROVIDER
from .maintenance import FileCheck, GraphStats
from .quoting import has_json_path, is_simple_key, json_path, json_path_literal, quote_identifier
from .rows import (
    CHECKED_NAMES,
    IDENTITY_OF,
    LABEL_SEPARATOR,
    LABEL_SEPARATOR_SQL,
    MAX_METADATA_BYTES,
    NAME_ID,
    NODE_OF,
    RELATIONSHIP_COLUMNS,
    RELATIONSHIP_WIDTH,
    SUBSTRATE_COLUMNS,
    SUBSTRATE_WIDTH,
    check_labels,
    check_name,
    decode_metadata,
    encode_metadata,
    iso_time,
    split_labels,
    time_micros,
    utc_now,
)
from .schema import SCHEMA_VERSION
from .searchindexes import KINDS as SEARCH_INDEX_KINDS
from .searchindexes import SearchIndex
from .sqlite import BULK_BATCH, BULK_DEFER_ROWS, DEFAULT_TIMEOUT, SQLITE_VERSION, SQLiteStore
from .statistics import PLANNER_MIN_ROWS, STALE_FRACTION, Statistics
from .vectors import DIMENSIONS_KEY as VECTOR_DIMENSIONS_KEY
from .vectors import MAX_DIMENSIONS as MAX_VECTOR_DIMENSIONS
from .vectors import SIMILARITIES as VECTOR_SIMILARITIES
from .vectors import SIMILARITY_KEY as VECTOR_SIMILARITY_KEY
from .vectors import dimensions as vector_dimensions
from .vectors import similarity as vector_similarity
from .vectors import with_config as with_vector_config

#: URL schemes of the PostgreSQL backend.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(target: str) -> bool:
    """Whether a database target is a PostgreSQL URL rather than a file path."""
    return target.lower().startswith(POSTGRES_SCHEMES)


def shown_target(target: str) -> str:
    """A database target as messages show it: a URL without its password, a path as it is."""
    parts = urlsplit(target) if "://" in target else None
    if parts is None or parts.password is None:
        return target
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def open_store(
    target: str | Path = ":memory:",
    *,
    read_only: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    durable: bool = False,
    create: bool = True,
) -> Backend:
    """Open the storage backend a target names: a file path or ``":memory:"`` is a SQLite store.

    :param target: a database file's path, ``":memory:"``, or a ``postgresql://`` URL (``?schema=NAME``
        picks the PostgreSQL schema, ``bfxdb`` by default).
    :param read_only: refuse every write.
    :param timeout: seconds to wait for another writer's lock before giving up.
    :param durable: make every commit survive power loss, not only a killed process (PostgreSQL's
        commits always do, as the server is configured).
    :param create: make a new database where the file is missing or empty; False refuses those.
    :returns: the open store.
    :raises ExtraMissing: for a PostgreSQL URL without psycopg installed.
    :raises StorageError: for a file or server that cannot be opened;
        DatabaseCorrupt when it is damaged or no database; ForeignDatabase when it is another
        application's SQLite file.
    """
    if isinstance(target, str) and is_database_url(target):
        try:
            from .postgres import PostgresStore
        except ImportError:
            raise ExtraMissing(
                "a postgresql:// database needs psycopg: pip install 'bfxdb[postgres]'", extra="postgres"
            ) from None
        return PostgresStore(target, read_only=read_only, timeout=timeout, create=create)
    return SQLiteStore(target, read_only=read_only, timeout=timeout, durable=durable, create=create)


__all__ = [
    "CHECKED_NAMES",
    "IDENTITY_OF",
    "LABEL_SEPARATOR",
    "LABEL_SEPARATOR_SQL",
    "BULK_BATCH",
    "BULK_DEFER_ROWS",
    "DEFAULT_TIMEOUT",
    "FULLTEXT_ANALYZERS",
    "FULLTEXT_DEFAULT_ANALYZER",
    "FULLTEXT_PROVIDER",
    "MAX_METADATA_BYTES",
    "MAX_VECTOR_DIMENSIONS",
    "NAME_ID",
    "NODE_OF",
    "COPY_BATCH",
    "POSTGRES_SCHEMES",
    "PROPERTY_TYPES",
    "PLANNER_MIN_ROWS",
    "RELATIONSHIP_COLUMNS",
    "RELATIONSHIP_WIDTH",
    "SCHEMA_VERSION",
    "SEARCH_INDEX_KINDS",
    "SQLITE_VERSION",
    "SUBSTRATE_COLUMNS",
    "SUBSTRATE_WIDTH",
    "VECTOR_DIMENSIONS_KEY",
    "VECTOR_SIMILARITIES",
    "VECTOR_SIMILARITY_KEY",
    "Backend",
    "Constraint",
    "Cursor",
    "FileCheck",
    "GraphStats",
    "SQLiteStore",
    "SearchIndex",
    "STALE_FRACTION",
    "Statistics",
    "check_labels",
    "check_name",
    "decode_metadata",
    "encode_metadata",
    "has_json_path",
    "iso_time",
    "is_simple_key",
    "json_path",
    "json_path_literal",
    "open_store",
    "quote_identifier",
    "copy_store",
    "is_database_url",
    "shown_target",
    "split_labels",
    "time_micros",
    "utc_now",
    "vector_dimensions",
    "vector_similarity",
    "with_vector_config",
]
