"""The NDJSON bulk format of `bfxdb import`/`export` and the HTTP bulk route: read and write records.

One JSON object per line. A substrate record is ``{"type": "substrate", ...}`` with the fields
of ``create_substrate`` (``identity`` or ``substrate_id``, ``labels``, ``metadata``,
``expression_type``, ``expression_code``); a relationship record is
``{"type": "relationship", ...}`` with the fields of ``create_relationship`` as the HTTP API
names them (``rel_type``, ``source_id``, ``target_id``, ``bidirectional``, ``metadata``) and an
optional ``relationship_id``. ``created_at`` is accepted and ignored: rows get the load time.
Blank lines are skipped. Parsed items are ready for ``Database.bulk_load``. Every reader of
the format (the loader here, the HTTP route) parses lines with `parse_line`, so a bad line is
refused with the same words everywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from ..errors import InvalidInput, NotJson
from ..identity import format_id, parse_id
from ..jsontext import decode_json, lone_surrogate_at
from ..model import Relationship, Substrate
from .files import Meter
from .rows import BadRow, Row, Source

#: Longest line accepted, so one runaway line cannot exhaust memory.
MAX_LINE_BYTES = 8 << 20

_SUBSTRATE_FIELDS = frozenset(
    {"type", "identity", "substrate_id", "labels", "metadata", "expression_type", "expression_code", "created_at"}
)
_RELATIONSHIP_FIELDS = frozenset(
    {
        "type",
        "identity",
        "relationship_id",
        "rel_type",
        "source_id",
        "target_id",
        "bidirectional",
        "metadata",
        "created_at",
    }
)


#: Only an escape such as ``\\udc00`` makes a lone surrogate, so records without one are not walked.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class InvalidRecord(InvalidInput):
    """A line of an NDJSON stream is JSON but not a substrate or relationship record."""

    code = "validation_error"


@dataclass(frozen=True, slots=True)
class Record:
    """One line of an NDJSON bulk stream: a parsed item, or the reason the line was refused.

    ``kind`` is ``"substrate"`` or ``"relationship"`` (None when the line is refused before
    its type is known); ``item`` is a dict for ``Database.bulk_load``.
    """

    line: int
    kind: str | None
    item: dict[str, Any] | None
    error: str | None = None


def parse_line(line: str | bytes, *, max_depth: int | None = None) -> tuple[str, dict[str, Any]] | None:
    """Parse one line of an NDJSON bulk stream into a bulk_load item.

    :param line: the line, with or without its line end; bytes must be UTF-8.
    :param max_depth: refuse JSON whose lists and objects nest deeper than this (None: no limit
        short of what Python can read).
    :returns: ``("substrate", item)`` or ``("relationship", item)``; None for a blank line.
    :raises NotJson: when the line is not JSON text.
    :raises InvalidRecord: when it is JSON but not a record; ``details["kind"]`` is its type
        when that was told.
    :raises InvalidId: for a malformed id field.
    """
    try:
        text = line.decode("utf-8") if isinstance(line, bytes) else line
    except UnicodeDecodeError as error:
        raise NotJson(f"not JSON: {error}") from None
    if not text.strip():
        return None
    try:
        value = decode_json(text, max_depth)
    except NotJson as error:
        raise NotJson(f"not JSON: {error}") from None
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        for key, item in value.items() if isinstance(value, dict) else ():
            _check_unicode(key, "a field name")
            _check_unicode(item, f"field {key!r}")
    return parse_record(value)


def parse_record(value: Any) -> tuple[str, dict[str, Any]]:
    """Check one decoded NDJSON object and turn it into a bulk_load item.

    :param value: the object decoded from one line.
    :returns: ``("substrate", item)`` or ``("relationship", item)``.
    :raises InvalidRecord: naming the field that is missing, unknown or malformed.
    :raises InvalidId: for a malformed id field.
    """
    if not isinstance(value, dict):
        raise InvalidRecord(f"expected a JSON object, not {type(value).__name__}")
    kind = value.get("type")
    if kind == "substrate":
        return kind, _substrate_item(value)
    if kind == "relationship":
        return kind, _relationship_item(value)
    raise InvalidRecord(f'"type" must be "substrate" or "relationship", not {kind!r}')


def read_records(lines: Iterable[str | bytes]) -> Iterator[Record]:
    """Parse an NDJSON bulk stream line by line; a bad line yields a Record with its error.

    The caller decides whether a bad line stops the load or is skipped.

    :param lines: a text or binary file, or any iterable of lines.
    :returns: one Record per non-blank line, in order, numbered from 1.
    """
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_BYTES:
            yield Record(number, None, None, f"the line is longer than {MAX_LINE_BYTES} bytes")
            continue
        try:
            parsed = parse_line(line)
        except InvalidInput as error:
            kind = error.details.get("kind")
            yield Record(number, kind if isinstance(kind, str) else None, None, error.message)
            continue
        if parsed is not None:
            yield Record(number, parsed[0], parsed[1])


def read_rows(source: Source, meter: Meter) -> Iterator[Row | BadRow]:
    """Read an NDJSON file's records as rows for the loader, each with its ``file:line``.

    :raises InvalidInput: when the file cannot be opened.
    """
    path = source.paths[0]
    with meter.open_text(path) as stream:
        for record in read_records(stream):
            where = f"{path}:{record.line}"
            item, kind = record.item, record.kind
            if item is None or kind is None:
                yield BadRow(where, record.error or "not a record")
                continue
            refs = (format_id(item["source"]), format_id(item["target"])) if kind == "relationship" else ()
            yield Row(where, kind, item, refs)


def write(stream: IO[str], substrates: Iterable[Substrate], relationships: Iterable[Relationship]) -> None:
    """Write substrates, then relationships, one record a line.

    :param stream: a text stream to write to.
    """
    for substrate in substrates:
        stream.write(dumps(substrate_record(substrate)) + "\n")
    for relationship in relationships:
        stream.write(dumps(relationship_record(relationship)) + "\n")


def substrate_record(substrate: Substrate) -> dict[str, Any]:
    """Render a substrate as an NDJSON record (canonical hex id; no expression fields when it has none)."""
    record: dict[str, Any] = {
        "type": "substrate",
        "substrate_id": substrate.substrate_id,
        "labels": list(substrate.labels),
        "metadata": dict(substrate.metadata),
    }
    if substrate.expression_code is not None:
        record["expression_type"] = substrate.expression_type
        record["expression_code"] = substrate.expression_code
    record["created_at"] = substrate.created_at
    return record


def relationship_record(relationship: Relationship) -> dict[str, Any]:
    """Render a relationship as an NDJSON record with the HTTP API's field names."""
    return {
        "type": "relationship",
        "relationship_id": relationship.relationship_id,
        "rel_type": relationship.rel_type,
        "source_id": format_id(relationship.source),
        "target_id": format_id(relationship.target),
        "bidirectional": relationship.bidirectional,
        "metadata": dict(relationship.metadata),
        "created_at": relationship.created_at,
    }


def dumps(record: dict[str, Any]) -> str:
    """Serialise one record as a single line (no trailing newline), keeping non-ASCII text readable."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _check_unicode(value: Any, where: str) -> None:
    """Refuse strings holding lone surrogates (from ``\\udXXX`` escapes): they are not Unicode text."""
    if lone_surrogate_at(value, where) is not None:
        raise NotJson(f"{where} holds a lone UTF-16 surrogate, which is not valid Unicode text")


def _check_fields(value: dict[str, Any], allowed: frozenset[str], kind: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InvalidRecord(f"unknown field {unknown[0]!r} in a {kind} record", kind=kind)


def _one_id(value: dict[str, Any], names: tuple[str, str], kind: str) -> int | None:
    """Read an id given under either of two field names; both at once must agree."""
    given = [parse_id(value[name]) for name in names if value.get(name) is not None]
    if len(given) == 2 and given[0] != given[1]:
        raise InvalidRecord(f'"{names[0]}" and "{names[1]}" name different ids', kind=kind)
    return given[0] if given else None


def _substrate_item(value: dict[str, Any]) -> dict[str, Any]:
    _check_fields(value, _SUBSTRATE_FIELDS, "substrate")
    labels = value.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise InvalidRecord('"labels" must be a list of strings', kind="substrate")
    return {
        "identity": _one_id(value, ("identity", "substrate_id"), "substrate"),
        "labels": labels,
        "metadata": _metadata(value, "substrate"),
        "expression_type": value.get("expression_type"),
        "expression_code": value.get("expression_code"),
    }


def _relationship_item(value: dict[str, Any]) -> dict[str, Any]:
    _check_fields(value, _RELATIONSHIP_FIELDS, "relationship")
    for name in ("rel_type", "source_id", "target_id"):
        if value.get(name) is None:
            raise InvalidRecord(f'a relationship record needs "{name}"', kind="relationship")
    bidirectional = value.get("bidirectional", False)
    if not isinstance(bidirectional, bool):
        raise InvalidRecord('"bidirectional" must be true or false', kind="relationship")
    return {
        "identity": _one_id(value, ("identity", "relationship_id"), "relationship"),
        "source": parse_id(value["source_id"]),
        "target": parse_id(value["target_id"]),
        "rel_type": value["rel_type"],
        "metadata": _metadata(value, "relationship"),
        "bidirectional": bidirectional,
    }


def _metadata(value: dict[str, Any], kind: str) -> dict[str, Any]:
    metadata = value.get("metadata")
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidRecord('"metadata" must be a JSON object', kind=kind)
    return metadata
