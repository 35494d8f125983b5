"""bfxdb: an embedded graph database for Python over one SQLite file, queried with openCypher."""

from typing import TYPE_CHECKING, Any

from .database import DEFAULT_QUERY_MEMORY, Database, connect
from .dimensions import Dimension
from .errors import (
    BfxError,
    Conflict,
    ConstraintViolation,
    CsvFileError,
    CsvFileRefused,
    DatabaseBusy,
    DatabaseCorrupt,
    EntityNotFound,
    ExpressionError,
    ExpressionLimitExceeded,
    ExpressionRejected,
    ExtraMissing,
    ForeignDatabase,
    FulltextQueryError,
    InvalidId,
    InvalidInput,
    NotFound,
    NotJson,
    NotSupported,
    ParameterMissing,
    ProcedureError,
    ProcedureFailed,
    ProcedureNotFound,
    QueryArgumentError,
    QueryError,
    QueryLimitExceeded,
    QuerySemanticError,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooComplex,
    QueryTypeError,
    ReadOnlyError,
    SchemaConstraintViolation,
    StorageError,
    StorageFull,
    TransactionAborted,
    TransactionNested,
)
from .graph import neighbours
from .identity import fingerprint, format_id, parse_id
from .jsontext import decode_json, lone_surrogate_at
from .model import Path, Relationship, Substrate
from .query import Result, has_code, split_statements
from .query import prepare as _prepare
from .rendering import to_json_value, to_text
from .storage import COPY_BATCH, is_database_url
from .storage import shown_target as database_shown

__version__ = "0.1.0"

#: Names whose modules load on first use, as (module, name there): the file formats and the
#: maintenance reports, which `bfxdb query` and most programs never touch (about 25 ms of imports).
_ON_FIRST_USE = {
    "DEFAULT_ARRAY_DELIMITER": ("formats", "DEFAULT_ARRAY_DELIMITER"),
    "DEFAULT_IMPORT_BATCH": ("formats", "DEFAULT_BATCH"),
    "EXPORT_FORMATS": ("formats", "EXPORT_FORMATS"),
    "IMPORT_FORMATS": ("formats", "IMPORT_FORMATS"),
    "BadRowError": ("formats", "BadRowError"),
    "ExportReport": ("formats", "ExportReport"),
    "ImportOptions": ("formats", "ImportOptions"),
    "ImportReport": ("formats", "ImportReport"),
    "ends_import": ("formats", "ends_import"),
    "export": ("formats", "export"),
    "export_format_for": ("formats", "format_for"),
    "import_sources": ("formats", "import_sources"),
    "parse_group": ("formats", "parse_group"),
    "parse_ndjson_line": ("formats", "parse_ndjson_line"),
    "plan_sources": ("formats", "plan_sources"),
    "CheckReport": ("maintenance", "CheckReport"),
    "GraphStats": ("maintenance", "GraphStats"),
    "backup": ("maintenance", "backup"),
    "check": ("maintenance", "check"),
    "graph_stats": ("maintenance", "graph_stats"),
    "property_keys": ("maintenance", "property_keys"),
    "repair": ("maintenance", "repair"),
    "copy_graph": ("maintenance", "copy_graph"),
}

if TYPE_CHECKING:
    from .formats import (
        DEFAULT_ARRAY_DELIMITER,
        EXPORT_FORMATS,
        IMPORT_FORMATS,
        BadRowError,
        ExportReport,
        ImportOptions,
        ImportReport,
        ends_import,
        export,
        import_sources,
        parse_group,
        parse_ndjson_line,
        plan_sources,
    )
    from .formats import DEFAULT_BATCH as DEFAULT_IMPORT_BATCH
    from .formats import format_for as export_format_for
    from .maintenance import CheckReport, GraphStats, backup, check, copy_graph, graph_stats, property_keys, repair


def __getattr__(name: str) -> Any:
    """Import a name of ``_ON_FIRST_USE`` from its module when it is first asked for."""
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module 'bfxdb' has no attribute {name!r}")
    module, attribute = _ON_FIRST_USE[name]
    if module == "formats":
        from . import formats

        value = getattr(formats, attribute)
    else:
        from . import maintenance

        value = getattr(maintenance, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ON_FIRST_USE})


def warm_up() -> None:
    """Load the Cypher parser now, so that the first query does not wait for it.

    Loading takes about 30 ms from the tables stored in the user's cache directory
    ($BFXDB_CACHE_DIR, else ~/.cache/bfxdb); the first run on a machine builds and stores them
    (about half a second). Run it once where the cache directory is writable (an image build) to
    prepare a cache that is read-only later.

    A server calls this before it takes requests; otherwise the parser is built on first use.
    """
    _prepare("RETURN 1 AS ready")


__all__ = [
    "BadRowError",
    "BfxError",
    "COPY_BATCH",
    "CheckReport",
    "Conflict",
    "ConstraintViolation",
    "DEFAULT_ARRAY_DELIMITER",
    "DEFAULT_IMPORT_BATCH",
    "DEFAULT_QUERY_MEMORY",
    "Database",
    "DatabaseBusy",
    "DatabaseCorrupt",
    "Dimension",
    "EXPORT_FORMATS",
    "EntityNotFound",
    "ExportReport",
    "ExpressionError",
    "ExpressionLimitExceeded",
    "ExpressionRejected",
    "ExtraMissing",
    "ForeignDatabase",
    "GraphStats",
    "IMPORT_FORMATS",
    "ImportOptions",
    "ImportReport",
    "InvalidId",
    "InvalidInput",
    "NotJson",
    "NotFound",
    "NotSupported",
    "ParameterMissing",
    "Path",
    "ProcedureError",
    "CsvFileError",
    "CsvFileRefused",
    "ProcedureFailed",
    "ProcedureNotFound",
    "FulltextQueryError",
    "QueryArgumentError",
    "QueryError",
    "QueryLimitExceeded",
    "QuerySemanticError",
    "QuerySyntaxError",
    "QueryTimeout",
    "QueryTooComplex",
    "QueryTypeError",
    "ReadOnlyError",
    "Relationship",
    "Result",
    "SchemaConstraintViolation",
    "StorageError",
    "StorageFull",
    "Substrate",
    "TransactionAborted",
    "TransactionNested",
    "__version__",
    "backup",
    "check",
    "copy_graph",
    "database_shown",
    "connect",
    "decode_json",
    "ends_import",
    "export",
    "export_format_for",
    "fingerprint",
    "format_id",
    "lone_surrogate_at",
    "graph_stats",
    "is_database_url",
    "has_code",
    "import_sources",
    "neighbours",
    "parse_group",
    "parse_id",
    "parse_ndjson_line",
    "plan_sources",
    "property_keys",
    "repair",
    "split_statements",
    "to_json_value",
    "to_text",
    "warm_up",
]
