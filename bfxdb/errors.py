"""The one exception tree of bfxdb: every error a user can see derives from BfxError."""

from __future__ import annotations


class BfxError(Exception):
    """Base of every error bfxdb raises on purpose; catch this to catch them all."""

    code = "bfx_error"
    http_status = 500

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(BfxError, ValueError):
    """A value given by the caller is malformed or out of range."""

    code = "invalid_input"
    http_status = 400


class NotJson(InvalidInput):
    """Text that should be JSON is not: malformed, not UTF-8, not Unicode, NaN or Infinity, or nested too deeply."""

    code = "invalid_json"


class InvalidId(InvalidInput):
    """An identity is not a 64-bit unsigned integer or its hex form."""

    code = "invalid_id"


class NotFound(BfxError, LookupError):
    """The substrate or relationship named does not exist."""

    code = "not_found"
    http_status = 404


class Conflict(BfxError):
    """The write would duplicate an existing identity."""

    code = "conflict"
    http_status = 409


class ExpressionError(BfxError):
    """An expression was refused at create time or failed when invoked."""

    code = "expression_error"
    http_status = 400


class ExpressionRejected(ExpressionError):
    """An expression uses a construct outside the sandbox's allow-list, or does not parse."""

    code = "expression_rejected"


class ExpressionLimitExceeded(ExpressionError):
    """An invocation went past a time, size or depth limit of the sandbox."""

    code = "expression_limit"


class StorageError(BfxError):
    """The database file could not be opened, read or written."""

    code = "storage_error"
    http_status = 503


class DatabaseBusy(StorageError):
    """Another connection or process held the database's write lock for longer than this one may wait.

    503 over HTTP, with ``Retry-After``: nothing was written, and the same write may succeed later.
    """

    code = "database_busy"


class StorageFull(StorageError):
    """The disk holding the database (or SQLite's size limit for it) is full; the write that met it was undone.

    507 Insufficient Storage rather than 503: the server is up and reads still work; writes
    work again once space is freed.
    """

    code = "storage_full"
    http_status = 507


class DatabaseCorrupt(StorageError):
    """The database file is damaged, or is not a bfxdb database at all; restore it from a backup.

    A server error (500) rather than 503: waiting does not help, the file must be replaced.
    """

    code = "database_corrupt"
    http_status = 500


class ForeignDatabase(StorageError):
    """The file is a SQLite database bfxdb did not make (tables or settings of another application,
    no bfxdb schema); bfxdb refused to open it and left it as it was.

    A server error (500) rather than 503: waiting does not help, the path must change.
    """

    code = "foreign_database"
    http_status = 500


class TransactionAborted(StorageError):
    """SQLite ended the enclosing transaction by itself after an error in it (a full disk, an
    interrupt, a damaged page); nothing of that transaction was kept, and nothing more may be
    written in it. Begin a new transaction.

    A server error (500) rather than 503: the database is reachable, the caller carried on
    inside a transaction that no longer exists.
    """

    code = "transaction_aborted"
    http_status = 500


class ReadOnlyError(BfxError):
    """A write was attempted through a read-only connection or query."""

    code = "read_only"
    http_status = 403


class QueryError(BfxError):
    """Base of the errors a Cypher query can raise; `category` names the TCK error class."""

    code = "query_error"
    http_status = 400
    category = "Error"

    def __init__(self, message: str, detail_code: str | None = None, **details: object) -> None:
        super().__init__(message, **details)
        self.detail_code = detail_code


class QuerySyntaxError(QueryError):
    """The query text does not parse; carries line, column and a caret context."""

    code = "query_syntax"
    category = "SyntaxError"

    def __init__(
        self,
        message: str,
        detail_code: str | None = None,
        *,
        line: int | None = None,
        column: int | None = None,
        context: str | None = None,
    ) -> None:
        super().__init__(message, detail_code, line=line, column=column, context=context)
        self.line = line
        self.column = column
        self.context = context


class QuerySemanticError(QueryError):
    """The query parses but is meaningless (unknown variable, misplaced aggregate, ...)."""

    code = "query_semantic"
    category = "SemanticError"


class QueryTypeError(QueryError):
    """A value had the wrong type for an operation while the query ran."""

    code = "query_type"
    category = "TypeError"


class QueryArgumentError(QueryError):
    """A function got an argument outside its domain while the query ran."""

    code = "query_argument"
    category = "ArgumentError"


class FulltextQueryError(QueryArgumentError):
    """The text of a full-text query is not Lucene syntax bfxdb can search with; the message says where and why."""

    code = "fulltext_query"


class EntityNotFound(QueryError):
    """The query referred to a node or relationship that was deleted."""

    code = "entity_not_found"
    category = "EntityNotFound"
    http_status = 404


class ConstraintViolation(QueryError):
    """The query would break a graph constraint, e.g. delete a node that still has relationships."""

    code = "constraint_violation"
    category = "ConstraintVerificationFailed"
    http_status = 409


class SchemaConstraintViolation(ConstraintViolation):
    """A write would break a property constraint of the schema (CREATE CONSTRAINT): a second entity
    with the same unique values, or a required property missing or of another type; the statement
    that made the write was undone. Creating a constraint the stored data already breaks fails the
    same way. ``details`` name the constraint and, where known, the offending entity.

    409 over HTTP, as for any conflict with the graph's state: the same write succeeds once the
    entity it collides with changes, or the constraint is dropped.
    """

    code = "schema_constraint_violation"
    category = "ConstraintValidationFailed"


class QueryLimitExceeded(QueryError):
    """The query needed more than its limits allow: a list or string past the size cap, or more
    memory than its budget (``query_memory``). Nothing was written.

    422 over HTTP: the query is well-formed, but this server will not carry it out as asked.
    """

    code = "query_limit"
    category = "LimitExceeded"
    http_status = 422


class QueryTooComplex(QueryError):
    """SQLite cannot plan the SQL the query needs (too many tables in one join, an expression tree
    too deep); the message gives SQLite's reason. Splitting the query with WITH usually helps."""

    code = "query_too_complex"
    category = "TooComplex"


class QueryTimeout(QueryError):
    """The query ran past its time limit and was stopped with nothing written."""

    code = "query_timeout"
    category = "Timeout"
    http_status = 504


class ProcedureError(QueryError):
    """CALL named an unknown procedure, or the procedure failed while it ran."""

    code = "procedure_error"
    category = "ProcedureError"


class ProcedureNotFound(ProcedureError):
    """CALL named a procedure this database does not have."""

    code = "procedure_not_found"


class ProcedureFailed(ProcedureError):
    """A procedure raised, or returned rows that do not fit its declared outputs."""

    code = "procedure_failed"


class CsvFileError(QueryError):
    """LOAD CSV could not read its file: missing, not UTF-8 text, a line past the length limit, or malformed CSV."""

    code = "csv_file_error"
    category = "LoadCsvError"


class CsvFileRefused(CsvFileError):
    """LOAD CSV may not read that URL: no import folder is configured, it names the network, or it leads
    out of the import folder."""

    code = "csv_file_refused"
    http_status = 403


class TransactionNested(QueryError):
    """``CALL { ... } IN TRANSACTIONS`` ran inside an explicit transaction (a ``Database.transaction()``
    block), out of which its batches cannot commit; run the query on its own."""

    code = "transaction_nested"
    category = "TransactionError"


class NotSupported(BfxError):
    """The feature asked for is not built on this storage backend yet (``feature`` names it); nothing was
    done. 501 over HTTP: the same call works on a SQLite database."""

    code = "not_supported"
    http_status = 501


class ExtraMissing(BfxError):
    """A feature needs an optional extra that is not installed; ``extra`` names it (``pip install 'bfxdb[extra]'``)."""

    code = "extra_missing"
    http_status = 501


class ParameterMissing(QueryError):
    """The query names a $parameter the caller did not supply."""

    code = "parameter_missing"
    category = "ParameterMissing"
