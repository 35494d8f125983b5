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
    """Tell whether a JSON path names this top-level key in every SQLite: unless it holds a double quote.

    A quoted path label ends at the first double quote, with no escape; SQLite up to 3.44
    also read a key like ``a"b`` from the unquoted label ``a\\"b``, but 3.45's JSON rewrite reads
    no label for it at all, so a path with one silently matches nothing. Such keys are
    compared with the ``fullkey`` of ``json_each`` instead (see json_path).
    """
    return '"' not in key


def json_path(key: str) -> str:
    """Build the SQLite JSON path of a top-level key, to pass as a parameter.

    SQLite compares a path's label with the key as the stored JSON text spells it, escapes
    and all, so the label is that spelling: ``a\\u0000b`` for a NUL, ``a\\\\b`` for a backslash.
    For a key has_json_path refuses the text is no usable path, but it is the ``fullkey``
    that ``json_each`` gives the key (SQLite 3.40 to 3.51 alike), so comparing with it
    matches the key exactly, a NUL in it included (``json_each``'s ``key`` column ends at a
    NUL before SQLite 3.45).
    """
    return '$."' + _stored_key(key) + '"'


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
