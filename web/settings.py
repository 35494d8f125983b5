"""The settings of `bfxdb serve` and its app, each with its default, environment variable and config key, once."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from bfxdb import DEFAULT_QUERY_MEMORY


def _names(environment: str, config: str | None = None) -> dict[str, str | None]:
    """Name a setting's ``BFXDB_*`` variable and, for one the app reads, its ``create_app`` config key."""
    return {"env": environment, "config": config}


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """Every setting of `bfxdb serve`; the defaults are those of the command, the app and the README.

    Settings with a config key are the app's (``create_app(config=...)``); the rest (address,
    worker processes, CPUs, ``insecure``) belong to the server alone. The app reads ``threads``
    to keep one of them for reads (see ``web.writers``).
    """

    path: str = field(default="bfxdb.db", metadata=_names("BFXDB_DATABASE", "DATABASE"))
    host: str = field(default="127.0.0.1", metadata=_names("BFXDB_HOST"))
    port: int = field(default=8000, metadata=_names("BFXDB_PORT"))
    threads: int = field(default=4, metadata=_names("BFXDB_THREADS", "THREADS"))
    workers: int = field(default=1, metadata=_names("BFXDB_WORKERS"))
    api_keys: tuple[str, ...] = field(default=(), metadata=_names("BFXDB_API_KEY", "API_KEYS"))
    read_only_keys: tuple[str, ...] = field(default=(), metadata=_names("BFXDB_READ_ONLY_KEY", "READ_ONLY_KEYS"))
    insecure: bool = field(default=False, metadata=_names("BFXDB_INSECURE"))
    cors_origins: tuple[str, ...] = field(default=(), metadata=_names("BFXDB_CORS_ORIGIN", "CORS_ORIGINS"))
    cors_credentials: bool = field(
        default=False, metadata=_names("BFXDB_CORS_CREDENTIALS", "CORS_ALLOW_CREDENTIALS")
    )
    max_body_bytes: int = field(
        default=4 * 1024 * 1024, metadata=_names("BFXDB_MAX_BODY_BYTES", "MAX_CONTENT_LENGTH")
    )
    max_import_bytes: int = field(
        default=1024 * 1024 * 1024, metadata=_names("BFXDB_MAX_IMPORT_BYTES", "MAX_IMPORT_BYTES")
    )
    rate_limit: str | None = field(default=None, metadata=_names("BFXDB_RATE_LIMIT", "RATE_LIMIT"))
    query_timeout: float = field(default=30.0, metadata=_names("BFXDB_QUERY_TIMEOUT", "QUERY_TIMEOUT"))
    query_memory: int = field(default=DEFAULT_QUERY_MEMORY >> 20, metadata=_names("BFXDB_QUERY_MEMORY", "QUERY_MEMORY"))
    #: Seconds a write waits for the database's write lock (and for a writer slot) before a 503.
    write_wait: float = field(default=5.0, metadata=_names("BFXDB_WRITE_WAIT", "WRITE_WAIT"))
    read_only: bool = field(default=False, metadata=_names("BFXDB_READ_ONLY", "READ_ONLY"))
    #: The folder LOAD CSV reads from; None (the default) refuses LOAD CSV over HTTP.
    import_dir: str | None = field(default=None, metadata=_names("BFXDB_IMPORT_DIR", "IMPORT_DIR"))
    cpus: str | None = field(default=None, metadata=_names("BFXDB_CPUS"))

    def app_config(self) -> dict[str, Any]:
        """Return the settings the app reads, under their ``create_app`` config keys.

        :returns: e.g. ``{"DATABASE": "bfxdb.db", "READ_ONLY": False, ...}``.
        """
        return {item.metadata["config"]: getattr(self, item.name) for item in fields(self) if item.metadata["config"]}


#: The defaults, for the command's options and the app's config.
DEFAULTS = ServeSettings()
#: Every setting with its environment variable, for the options and the test that checks they are documented.
ENVIRONMENT: dict[str, str] = {item.name: item.metadata["env"] for item in fields(ServeSettings)}
