"""What the format modules share with the loader and the exporter: inputs, read rows, scans and import ids."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..errors import InvalidId, InvalidInput
from ..identity import parse_id

#: Prefix of the bytes hashed for the identity of a non-numeric import key (see import_identity).
IMPORT_ID_DOMAIN = b"bfxdb/import-id/v1"

#: Keys that look like an id must be one: 0x-prefixed, decimal digits (signed or padded), or
#: 16 bare hex digits (a canonical id without its 0x). Other keys are names.
_ID_LIKE = re.compile(r"\s*[+-]?(0[xX].*|[0-9]+)\s*|[0-9a-fA-F]{16}", re.DOTALL)

T = TypeVar("T")
#: A writer's way to read all substrates or relationships; called once per pass it makes.
Scan = Callable[[], Iterable[T]]


class BadRowError(InvalidInput):
    """A row of an import file is malformed or clashes with the database; the message starts with file:line."""

    code = "bad_row"


@dataclass
class Source:
    """One input: a file, or a neo4j-style group whose first file holds the header; read one way."""

    paths: tuple[Path, ...]
    format: str
    role: str | None = None  # "nodes" or "relationships" for CSV
    labels: tuple[str, ...] = ()
    rel_type: str | None = None
    header: list[str] | None = None

    @property
    def name(self) -> str:
        """The first file's name, for messages."""
        return str(self.paths[0])


@dataclass(slots=True)
class Row:
    """One item read from an input, with its ``file:line``.

    ``kind`` is ``"substrate"`` or ``"relationship"`` (``item`` is then a bulk_load item) or
    ``"statement"`` (Cypher to run; ``item`` holds its ``text``). ``refs`` are a relationship's
    endpoint keys as written, for messages about missing endpoints.
    """

    where: str
    kind: str
    item: dict[str, Any]
    refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BadRow:
    """A part of an input that could not be read as an item, with its ``file:line`` and the reason."""

    where: str
    reason: str


def import_identity(key: str, space: str = "") -> int:
    """Map a CSV or GraphML key to a substrate identity, the same way on every machine.

    In the default id space a key that looks like an id is read by the one id rule
    (`bfxdb.identity.parse_id`): ``0x`` + hex and decimal digits *are* the identity, and a
    key that looks like an id but is not one (16 bare hex digits, a sign, spaces, more than
    64 bits) is refused rather than silently hashed. Any other key, and every key in a named
    id space such as ``:ID(Person)``, maps to the first 8 bytes (big-endian) of
    SHA-256( ``b"bfxdb/import-id/v1"`` NUL space NUL key ), so relationships can refer to it.

    :param key: the key as written in the file.
    :param space: the id space (``Person`` in ``:ID(Person)``), or ``""``.
    :returns: an unsigned 64-bit identity.
    :raises InvalidId: for a key in the default space that looks like an id but is not one.
    """
    if not space and _ID_LIKE.fullmatch(key):
        try:
            return parse_id(key)
        except InvalidId as error:
            hint = "to keep such keys as names, give them an id space (:ID(Space))"
            raise InvalidId(f"{error.message}; {hint}") from None
    digest = hashlib.sha256(b"\x00".join((IMPORT_ID_DOMAIN, space.encode(), key.encode()))).digest()
    return int.from_bytes(digest[:8], "big")
