"""bfxdb: an embedded graph database for Python over one SQLite file, queried with openCypher."""

from .database import DEFAULT_QUERY_MEMORY, Database, connect
from .dimensions import Dimension
from .errors import (
    BfxError,
    Conflict,
    ConstraintViolation,
    DatabaseCorrupt,
    EntityNotFound,
    ExpressionError,
    ExpressionLimitExceeded,
    ExpressionRejected,
    InvalidId,
    InvalidInput,
    NotFound,
    NotJson,
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
    StorageError,
)
from .formats import (
    DEFAULT_ARRAY_DELIMITER,
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    BadRowError,
    ExportReport,
    ImportOptions,
    ImportReport,
    export,
    import_sources,
    parse_group,
    parse_ndjson_line,
    plan_sources,
)
from .formats import DEFAULT_BATCH as DEFAULT_IMPORT_BATCH
from .formats import format_for as export_format_for
from .graph import neighbours
from .identity import fingerprint, format_id, parse_id
from .jsontext import decode_json, lone_surrogate_at
from .maintenance import CheckReport, GraphStats, backup, check, graph_stats, property_keys
from .model import Path, Relationship, Substrate
from .query import Result, has_code, split_statements
from .query import prepare as _prepare
from .rendering import to_json_value, to_text

__version__ = "0.1.0"


def warm_up() -> None:
    """Build the Cypher parser now, so that the first query does not wait for it (about half a second).

    A server calls this before it takes requests; otherwise the parser is built on first use.
    """
    _prepare("RETURN 1 AS ready")


__all__ = [
    "BadRowError",
    "BfxError",
    "CheckReport",
    "Conflict",
    "ConstraintViolation",
    "DEFAULT_ARRAY_DELIMITER",
    "DEFAULT_IMPORT_BATCH",
    "DEFAULT_QUERY_MEMORY",
    "Database",
    "DatabaseCorrupt",
    "Dimension",
    "EXPORT_FORMATS",
    "EntityNotFound",
    "ExportReport",
    "ExpressionError",
    "ExpressionLimitExceeded",
    "ExpressionRejected",
    "GraphStats",
    "IMPORT_FORMATS",
    "ImportOptions",
    "ImportReport",
    "InvalidId",
    "InvalidInput",
    "NotJson",
    "NotFound",
    "ParameterMissing",
    "Path",
    "ProcedureError",
    "ProcedureFailed",
    "ProcedureNotFound",
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
    "StorageError",
    "Substrate",
    "__version__",
    "backup",
    "check",
    "connect",
    "decode_json",
    "export",
    "export_format_for",
    "fingerprint",
    "format_id",
    "lone_surrogate_at",
    "graph_stats",
    "has_code",
    "import_sources",
    "neighbours",
    "parse_group",
    "parse_id",
    "parse_ndjson_line",
    "plan_sources",
    "property_keys",
    "split_statements",
    "to_json_value",
    "to_text",
    "warm_up",
]
