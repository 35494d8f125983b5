"""Graph file formats, read and written: CSV, NDJSON, GraphML and Cypher dumps; the loader and the exporter.

Each format has one module that reads it and writes it (`csv`, `ndjson`, `graphml`,
`cypher_dump`); `loader` plans an import and batches what the readers give into bulk loads,
`exporter` writes a whole database through the writers. Use the names exported here.
"""

from ..errors import NotJson
from .csv import DEFAULT_ARRAY_DELIMITER
from .cypher_dump import cypher_literal, cypher_name
from .exporter import EXPORT_FORMATS, ExportReport, export, format_for
from .loader import (
    DEFAULT_BATCH,
    IMPORT_FORMATS,
    ImportOptions,
    ImportReport,
    ImportTarget,
    detect_format,
    ends_import,
    import_files,
    import_sources,
    parse_group,
    plan_sources,
)
from .ndjson import InvalidRecord, Record
from .ndjson import parse_line as parse_ndjson_line
from .ndjson import read_records as read_ndjson_records
from .rows import BadRowError, Source, import_identity

__all__ = [
    "DEFAULT_ARRAY_DELIMITER",
    "DEFAULT_BATCH",
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "BadRowError",
    "ExportReport",
    "ImportOptions",
    "ImportReport",
    "ImportTarget",
    "InvalidRecord",
    "NotJson",
    "Record",
    "Source",
    "cypher_literal",
    "cypher_name",
    "detect_format",
    "ends_import",
    "export",
    "format_for",
    "import_files",
    "import_identity",
    "import_sources",
    "parse_group",
    "parse_ndjson_line",
    "plan_sources",
    "read_ndjson_records",
]
