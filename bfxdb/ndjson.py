"""The NDJSON bulk format shared by `bfxdb import`/`export` and the HTTP bulk route: read and write records.

One JSON object per line. A substrate record is ``{"type": "substrate", ...}`` with the fields
of ``create_substrate`` (``identity`` or ``substrate_id``, ``labels``, ``metadata``,
``expression_type``, ``expression_code``); a relationship record is
``{"type": "relationship", ...}`` with the fields of ``create_relationship`` as the HTTP API
names them (``rel_type``, ``source_id``, ``target_id``, ``bidirectional``, ``metadata``) and an
optional ``relationship_id``. ``created_at`` is accepted and ignored: rows get the load time.
Blank lines are skipped. Parsed items are ready for ``Database.bulk_load``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInput
from .identity import format_id, parse_id
from .model import Relationship, Substrate

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


@dataclass(frozen=True, slots=True)
class Record:
    """One line of an NDJSON bulk stream: a parsed item, or the reason the line was refused.

    ``kind`` is ``"substrate"`` or ``"relationship"`` (None when the line is refused before
    its type is known); ``item`` is a dict for ``Database.bulk_load``.
    """

    line: int
    kind: str | None
    item: dict | None
    error: str | None = None


def parse_record(value: Any) -> tuple[str, dict]:
    """Check one decoded NDJSON object and turn it into a bulk_load item.

    :param value: the object decoded from one line.
    :returns: ``("substrate", item)`` or ``("relationship", item)``.
    :raises InvalidInput: naming the field that is missing, unknown or malformed.
    """
    if not isinstance(value, dict):
        raise InvalidInput(f"expected a JSON object, not {type(value).__name__}")
    kind = value.get("type")
    if kind == "substrate":
        return kind, _substrate_item(value)
    if kind == "relationship":
        return kind, _relationship_item(value)
    raise InvalidInput(f'"type" must be "substrate" or "relationship", not {kind!r}')


def read_records(lines: Iterable[str | bytes]) -> Iterator[Record]:
    """Parse an NDJSON bulk stream line by line; a bad line yields a Record with its error.

    The caller decides whether a bad line stops the load (the HTTP route) or is skipped.

    :param lines: a text or binary file, or any iterable of lines.
    :returns: one Record per non-blank line, in order, numbered from 1.
    """
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_BYTES:
            yield Record(number, None, None, f"the line is longer than {MAX_LINE_BYTES} bytes")
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (ValueError, UnicodeDecodeError) as error:
            yield Record(number, None, None, f"not JSON: {error}")
            continue
        try:
            kind, item = parse_record(value)
        except InvalidInput as error:
            kind = value.get("type") if isinstance(value, dict) else None
            yield Record(number, kind if kind in ("substrate", "relationship") else None, None, str(error))
            continue
        yield Record(number, kind, item)


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


def _check_fields(value: dict, allowed: frozenset[str], kind: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r} in a {kind} record")


def _one_id(value: dict, names: tuple[str, str]) -> int | None:
    """Read an id given under either of two field names; both at once must agree."""
    given = [parse_id(value[name]) for name in names if value.get(name) is not None]
    if len(given) == 2 and given[0] != given[1]:
        raise InvalidInput(f'"{names[0]}" and "{names[1]}" name different ids')
    return given[0] if given else None


def _substrate_item(value: dict) -> dict:
    _check_fields(value, _SUBSTRATE_FIELDS, "substrate")
    labels = value.get("labels", [])
    if not isinstance(labels, list):
        raise InvalidInput('"labels" must be a list of strings')
    item = {
        "identity": _one_id(value, ("identity", "substrate_id")),
        "labels": labels,
        "metadata": _metadata(value),
        "expression_type": value.get("expression_type"),
        "expression_code": value.get("expression_code"),
    }
    return item


def _relationship_item(value: dict) -> dict:
    _check_fields(value, _RELATIONSHIP_FIELDS, "relationship")
    for name in ("rel_type", "source_id", "target_id"):
        if value.get(name) is None:
            raise InvalidInput(f'a relationship record needs "{name}"')
    bidirectional = value.get("bidirectional", False)
    if not isinstance(bidirectional, bool):
        raise InvalidInput('"bidirectional" must be true or false')
    return {
        "identity": _one_id(value, ("identity", "relationship_id")),
        "source": parse_id(value["source_id"]),
        "target": parse_id(value["target_id"]),
        "rel_type": value["rel_type"],
        "metadata": _metadata(value),
        "bidirectional": bidirectional,
    }


def _metadata(value: dict) -> dict:
    metadata = value.get("metadata")
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidInput('"metadata" must be a JSON object')
    return metadata
