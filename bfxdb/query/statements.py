"""Split Cypher text into statements at semicolons that lie outside strings, quoted names and comments."""

from __future__ import annotations


def split_statements(text: str) -> tuple[list[tuple[int, str]], str]:
    """Split Cypher text at semicolons outside strings, quoted names and comments.

    :param text: Cypher text, possibly ending in an unfinished statement.
    :returns: the complete statements as (offset in `text`, statement without its ``;``),
        leaving out those that hold only comments and blanks, and the unfinished rest.
    """
    statements: list[tuple[int, str]] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"`":
            i = _skip_quoted(text, i)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch == ";":
            if has_code(text[start:i]):
                statements.append((start, text[start:i].strip()))
            start = i = i + 1
        else:
            i += 1
    return statements, text[start:]


def has_code(text: str) -> bool:
    """Tell whether Cypher text holds anything besides blanks and comments.

    :param text: Cypher text.
    :returns: False for blanks and closed comments only; True otherwise (an unclosed comment
        counts as code: it is unfinished text, not nothing).
    """
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return True
            i = end + 2
        else:
            return True
    return False


def _skip_quoted(text: str, i: int) -> int:
    """Return the index just past the quoted string or name starting at i (the end if unclosed)."""
    quote, i, n = text[i], i + 1, len(text)
    while i < n:
        if text[i] == "\\" and quote != "`":
            i += 2
        elif text[i] == quote:
            if quote == "`" and text.startswith("``", i):
                i += 2
                continue
            return i + 1
        else:
            i += 1
    return n
