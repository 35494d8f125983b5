"""SQL text made from names: the one identifier quoting, and JSON paths of property keys.

Values always travel as parameters; these functions are for the few places SQL must hold a
name as text: an index name, and the JSON path an expression index is built on.
"""

from __future__ import annotations

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


def json_path(key: str) -> str:
    """Build the SQLite JSON path of a top-level key, quoted so any key text is safe as a parameter."""
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
