"""The rows of a bfxdb file: their columns, metadata encoding, name checks and decoding into model values."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache

import orjson

from ..errors import InvalidInput
from ..identity import ID_LIMIT
from ..model import Relationship, Substrate

MAX_METADATA_BYTES = 1 << 20
MAX_NAME_LENGTH = 256
MAX_LABELS = 64
#: group_concat separator for labels: the ASCII unit separator, refused inside labels.
LABEL_SEPARATOR = "\x1f"
#: LABEL_SEPARATOR in SQLite's SQL: a literal, which SQLite makes once, where ``char(31)`` is
#: called for every group (1.3 us of the 10.6 us a read of five nodes took).
LABEL_SEPARATOR_SQL = f"CAST(X'{ord(LABEL_SEPARATOR):02X}' AS TEXT)"

#: The columns of a substrates row, in INSERT order (``node`` numbers itself).
SUBSTRATE_FIELDS = ("identity", "expression_type", "expression_code", "metadata", "created_at")
#: What selects a substrate with its labels, in substrate_from_row's order: a template whose
#: ``{a}`` is the alias of the substrates table (``SUBSTRATE_COLUMNS.format(a="s")``).
SUBSTRATE_COLUMNS = (
    ", ".join("{a}." + field for field in SUBSTRATE_FIELDS)
    + f", (SELECT group_concat(n.name, {LABEL_SEPARATOR_SQL}) FROM substrate_labels AS l"
    " JOIN names AS n ON n.id = l.label WHERE l.node = {a}.node)"
)
#: How many values SUBSTRATE_COLUMNS selects.
SUBSTRATE_WIDTH = len(SUBSTRATE_FIELDS) + 1
#: What selects a relationship, in relationship_from_row's order: a template whose ``{a}`` is the
#: alias of the relationships table. Its ends are stored as node numbers and its type as a name id.
RELATIONSHIP_COLUMNS = (
    "{a}.identity, (SELECT identity FROM substrates WHERE node = {a}.source), "
    "(SELECT identity FROM substrates WHERE node = {a}.target), "
    "(SELECT name FROM names WHERE id = {a}.rel_type), {a}.metadata, {a}.bidirectional, {a}.created_at"
)
#: How many values RELATIONSHIP_COLUMNS selects.
RELATIONSHIP_WIDTH = 7
#: SQL of the node number of the substrate whose identity is the SQL ``{}`` (NULL when there is none).
NODE_OF = "(SELECT node FROM substrates WHERE identity = {})"
#: SQL of the identity of the substrate whose node number is the SQL ``{}``.
IDENTITY_OF = "(SELECT identity FROM substrates WHERE node = {})"
#: SQL of the id of the label or relationship type named by the SQL ``{}`` (NULL when never used).
NAME_ID = "(SELECT id FROM names WHERE name = {})"


def utc_now() -> str:
    """Return the current UTC time as ISO-8601 text with microseconds and a ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def time_micros(text: str) -> int:
    """Turn a time as utc_now writes it into the integer microseconds since the epoch that rows store."""
    seconds = _seconds_of(text[:19])
    return seconds * 1_000_000 + int(text[20:26])


@lru_cache(maxsize=4096)
def iso_time(micros: int) -> str:
    """Turn stored microseconds since the epoch back into utc_now's ISO text."""
    # cached whole: every read decodes a time, and rows loaded together share one (a hit costs
    # a tenth of formatting it)
    seconds, fraction = divmod(micros, 1_000_000)
    return f"{_iso_seconds(seconds)}.{fraction:06d}Z"


@lru_cache(maxsize=1024)
def _seconds_of(text: str) -> int:
    # cached: rows written together share their second, and a bulk load shares one time
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


@lru_cache(maxsize=1024)
def _iso_seconds(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def split_labels(text: str | None) -> tuple[str, ...]:
    """Turn the labels SUBSTRATE_COLUMNS selects into a sorted tuple (they come in interning order)."""
    if not text:
        return ()
    if LABEL_SEPARATOR not in text:
        return (text,)
    return tuple(sorted(text.split(LABEL_SEPARATOR)))


#: Value types whose JSON orjson writes exactly as json does (not float: 1e16 is "1e+16" in json).
_FLAT = frozenset((str, int, bool, type(None)))
#: One encoder for every row: json.dumps with options builds a new one per call (a sixth of its time).
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def encode_metadata(metadata: object) -> str:
    """Check a metadata value and serialise it to compact JSON text.

    :param metadata: a JSON object as a dict, or None for an empty one.
    :returns: the JSON text to store.
    :raises InvalidInput: if it is not a JSON object with string keys, holds NaN or infinity,
        nests too deeply, or is larger than MAX_METADATA_BYTES.
    """
    if metadata is None:
        return "{}"
    if type(metadata) is dict and _FLAT.issuperset(map(type, metadata.values())):
        # The common flat case at orjson's speed (a bulk load encodes every row's): for these
        # types its text is json's byte for byte; whatever it refuses (a key that is no string,
        # an integer past 64 bits) takes the path below, which says why.
        try:
            flat = orjson.dumps(metadata).decode()
        except orjson.JSONEncodeError:
            pass
        else:
            if len(flat) <= MAX_METADATA_BYTES:
                return flat
    if not isinstance(metadata, dict):
        raise InvalidInput(f"metadata must be a JSON object, not {type(metadata).__name__}")
    try:
        text = _ENCODER.encode(metadata)
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"metadata is not JSON: {error}") from None
    except RecursionError:
        raise InvalidInput("metadata nests too deeply") from None
    # A lone surrogate is not checked here: sqlite3 refuses it with UnicodeEncodeError, which
    # the store's guard turns into InvalidInput, so the common case pays nothing.
    if _LONG_DIGITS.search(text):
        _check_integers(metadata)
    if len(text) > MAX_METADATA_BYTES:
        raise InvalidInput(f"metadata is {len(text)} bytes; the limit is {MAX_METADATA_BYTES}")
    return text


def decode_metadata(text: str) -> dict:
    """Parse stored metadata JSON; orjson because every entity read passes here (~6x json's speed)."""
    return {} if text == "{}" else orjson.loads(text)


#: Names already found valid: labels and types repeat, and bulk loads check every row's (a
#: label in it needs no call of check_labels).
CHECKED_NAMES: set[str] = set()
_CHECKED_NAMES_LIMIT = 4096


def check_name(kind: str, name: object) -> str:
    """Check a label or relationship type: a non-empty string within the length limit.

    :param kind: what the name is, for the message (``"label"``, ``"rel_type"``).
    :returns: the name.
    :raises InvalidInput: for a non-string, an empty or over-long name, or one holding a control character.
    """
    if type(name) is str and name in CHECKED_NAMES:
        return name
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"{kind} must be a non-empty string, not {name!r}")
    if len(name) > MAX_NAME_LENGTH or LABEL_SEPARATOR in name or "\x00" in name or not _encodable(name):
        raise InvalidInput(f"{kind} {name[:40]!r} is too long or holds a control character")
    if len(CHECKED_NAMES) < _CHECKED_NAMES_LIMIT:
        CHECKED_NAMES.add(name)
    return name


def check_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """Check labels and return them without duplicates, in the order given.

    :raises InvalidInput: for a bad label or more than MAX_LABELS of them.
    """
    if isinstance(labels, str):
        labels = (labels,)
    elif isinstance(labels, (list, tuple)) and len(labels) == 1 and type(labels[0]) is str:
        if labels[0] in CHECKED_NAMES:
            # one label, seen before: what almost every row of a bulk load has
            return (labels[0],)
    checked = tuple(dict.fromkeys(check_name("label", label) for label in labels))
    if len(checked) > MAX_LABELS:
        raise InvalidInput(f"{len(checked)} labels; the limit is {MAX_LABELS}")
    return checked


#: Build a named tuple from a tuple of all its fields: the class's own __new__ is Python code
#: that takes them one by one, which costs a row of a read a third of its decoding.
_new_tuple = tuple.__new__


def substrate_from_row(row: tuple) -> Substrate:
    """Build a Substrate from a row selected with SUBSTRATE_COLUMNS."""
    identity, expression_type, expression_code, metadata, created_at, labels = row
    return _new_tuple(Substrate, (
        identity + ID_LIMIT if identity < 0 else identity,
        split_labels(labels),
        {} if metadata == "{}" else orjson.loads(metadata),
        expression_type,
        expression_code,
        iso_time(created_at),
    ))


def relationship_from_row(row: tuple) -> Relationship:
    """Build a Relationship from a row selected with RELATIONSHIP_COLUMNS."""
    identity, source, target, rel_type, metadata, bidirectional, created_at = row
    # Inline sign mapping and metadata decoding: this runs once per row of every read.
    return _new_tuple(Relationship, (
        identity + ID_LIMIT if identity < 0 else identity,
        source + ID_LIMIT if source < 0 else source,
        target + ID_LIMIT if target < 0 else target,
        rel_type,
        {} if metadata == "{}" else orjson.loads(metadata),
        bidirectional == 1,
        iso_time(created_at),
    ))


def _encodable(text: str) -> bool:
    """Whether text is valid Unicode (no lone surrogates), as SQLite needs it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: A run of digits long enough to be an integer outside 64 bits (or a string that merely holds one).
_LONG_DIGITS = re.compile(r"\d{19,}")
_INT_RANGE = range(-(2**63), 2**64)


def _check_integers(value: object) -> None:
    """Refuse integers outside 64 bits: SQLite's JSON functions and Cypher cannot hold them."""
    if isinstance(value, dict):
        for item in value.values():
            _check_integers(item)
    elif isinstance(value, list):
        for item in value:
            _check_integers(item)
    elif isinstance(value, int) and not isinstance(value, bool) and value not in _INT_RANGE:
        raise InvalidInput(f"metadata integer {value} does not fit in 64 bits")
