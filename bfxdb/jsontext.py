"""Read strict JSON text with bounded nesting: the one reader for import files and HTTP bodies."""

from __future__ import annotations

import json
from typing import Any

from .errors import NotJson


def _refuse_constant(name: str) -> Any:
    raise NotJson(f"{name} is not a JSON value")


#: Strict JSON: Python's decoder would take NaN and Infinity, which JSON has not.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def decode_json(text: str, max_depth: int | None = None) -> Any:
    """Decode strict JSON text, refusing ``NaN``, ``Infinity`` and nesting past ``max_depth``.

    :param text: the JSON text.
    :param max_depth: the most levels lists and objects may nest (None: as deep as Python can read).
    :returns: the decoded value.
    :raises NotJson: for text that is not JSON, or that nests too deeply.
    """
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        # Python gives up far deeper than any limit a caller sets, so past the limit is certain.
        reason = "too deeply to be read" if max_depth is None else f"deeper than {max_depth} levels"
        raise NotJson(f"it nests {reason}") from None
    except NotJson:
        raise
    except ValueError as error:
        raise NotJson(str(error)) from None
    # Counting brackets is C-fast; only text with that many can nest past the limit.
    if max_depth is not None and text.count("[") + text.count("{") > max_depth:
        if nesting_depth(value, max_depth) > max_depth:
            raise NotJson(f"it nests deeper than {max_depth} levels")
    return value


def nesting_depth(value: Any, limit: int | None = None) -> int:
    """Measure how deeply lists and objects nest, without recursion.

    :param limit: stop counting once past this depth (the answer is then limit + 1 or more).
    :returns: 0 for a scalar, 1 for a flat list or object, and so on.
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level)
        if limit is not None and deepest > limit:
            return deepest
        stack.extend((child, level + 1) for child in item)
    return deepest


def lone_surrogate_at(value: Any, where: str) -> str | None:
    """Find a string holding a lone UTF-16 surrogate (from a ``\\udXXX`` escape): it is not Unicode text.

    :param where: the name of ``value``, extended as the search goes down (``where.key``, ``where[0]``).
    :returns: the name of the first such string (a key counts as its object), or None if there is none.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = lone_surrogate_at(key, where) or lone_surrogate_at(item, f"{where}.{key}")
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = lone_surrogate_at(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None
