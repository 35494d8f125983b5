"""Cypher's temporal values (types), reading them from text and storage (parsing), and their functions."""

from .functions import TEMPORAL_FUNCTIONS, Clock, between
from .parsing import decode_properties, decode_property, encode_properties, encode_property, parse
from .types import (
    TEMPORAL_TYPES,
    Date,
    DateTime,
    Duration,
    Instant,
    LocalDateTime,
    LocalTime,
    Temporal,
    Time,
    add,
    compare,
    component,
    divide,
    multiply,
    subtract,
)

__all__ = [
    "TEMPORAL_FUNCTIONS",
    "TEMPORAL_TYPES",
    "Clock",
    "Date",
    "DateTime",
    "Duration",
    "Instant",
    "LocalDateTime",
    "LocalTime",
    "Temporal",
    "Time",
    "add",
    "between",
    "compare",
    "component",
    "decode_properties",
    "decode_property",
    "divide",
    "encode_properties",
    "encode_property",
    "multiply",
    "parse",
    "subtract",
]
