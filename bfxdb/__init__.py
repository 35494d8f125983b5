"""bfxdb: an embedded graph database for Python over one SQLite file, queried with openCypher."""

from .database import Database, connect
from .dimensions import Dimension
from .errors import (
    BfxError,
    Conflict,
    ConstraintViolation,
    EntityNotFound,
    ExpressionError,
    ExpressionLimitExceeded,
    ExpressionRejected,
    InvalidId,
    InvalidInput,
    NotFound,
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
    QueryTypeError,
    ReadOnlyError,
    StorageError,
)
from .graph import neighbours
from .identity import fingerprint, format_id, parse_id
from .model import Path, Relationship, Substrate
from .rendering import to_json_value, to_text

__version__ = "0.1.0"

__all__ = [
    "BfxError",
    "Conflict",
    "ConstraintViolation",
    "Database",
    "Dimension",
    "EntityNotFound",
    "ExpressionError",
    "ExpressionLimitExceeded",
    "ExpressionRejected",
    "InvalidId",
    "InvalidInput",
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
    "QueryTypeError",
    "ReadOnlyError",
    "Relationship",
    "StorageError",
    "Substrate",
    "__version__",
    "connect",
    "fingerprint",
    "format_id",
    "neighbours",
    "parse_id",
    "to_json_value",
    "to_text",
]
