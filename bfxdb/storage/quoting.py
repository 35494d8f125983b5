"""SQL text made from names: the one identifier quoting, and JSON paths of property keys.

Values always travel as parameters; these functions are for the few places SQL must hold a
name as text: an index name, and the JSON path an expression index is built on.
"""

from __future__ import annotations

import json
import re

from ..errors import InvalidInput
from .rows import MAX_NAME_LENGTH

_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def quote_identifier(name: str) -> str:
    """Quote an SQL identifier (table, index, column name) so any text is safe inside SQL.

    :param name: any text without NUL characters, at most MAX_NAME_LENGTH long.
    :returns: the name in double quotes with inner double quotes doubled.
    :raises InvalidInput: for names with NUL characters or over the length limit.
    """
    if "\x00" in name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"invalid SQL identifier {name[:40]!r}")
    return '"' + name.replace('"', '""') + '"'


def has_json_path(key: str) -> bool:
    """Tell whether SQLite's JSON path syntax can name this top-level key (see json_path).

    Only a key holding a double quote together with a ``.`` or ``[`` cannot be named.
    """
    stored = _stored_key(key)
    return '"' not in stored or ("." not in stored and "[" not in stored)


def json_path(key: str) -> str:
    """Build the SQLite JSON path of a top-level key, to pass as a parameter; any text but a few can be named.

    SQLite compares a path's label with the key as the stored JSON text spells it, escapes
    and all, so the label is that spelling: ``a\\u0000b`` for a NUL, ``a\\\\b`` for a backslash.
    A quoted label ends at the first double quote, so a key holding one goes unquoted, which
    works unless it also holds a ``.`` or ``[`` (where an unquoted label ends).

    :raises InvalidInput: for a key has_json_path refuses.
    """
    stored = _stored_key(key)
    if '"' not in stored:
        return '$."' + stored + '"'
    if "." not in stored and "[" not in stored:
        return "$." + stored
    raise InvalidInput(
        f"property key {key!r} holds a double quote and a '.' or '[', which SQLite's JSON paths cannot name"
    )


def _stored_key(key: str) -> str:
    """Spell a key as the stored metadata spells it: the JSON string without its quotes (as rows.encode_metadata)."""
    return json.dumps(key, ensure_ascii=False)[1:-1]


def is_simple_key(key: str) -> bool:
    """Tell whether a property key may appear as SQL text in a JSON path (see json_path_literal)."""
    return _SIMPLE_KEY.fullmatch(key) is not None


def json_path_literal(key: str) -> str:
    """Render the JSON path of a simple property key as an SQL string literal.

    SQLite uses an expression index only when the query repeats the indexed expression
    textually, so indexed property paths must be SQL text rather than parameters. This is
    safe because the key was checked by is_simple_key: letters, digits and underscores
    only, so it can close neither the JSON quoting nor the SQL string.

    :param key: a key accepted by is_simple_key.
    :returns: e.g. ``'$."name"'`` including the SQL single quotes.
    :raises InvalidInput: for a key is_simple_key refuses.
    """
    if not is_simple_key(key):
        raise InvalidInput(f"property key {key!r} is not simple")
    return "'$.\"" + key + "\"'"
