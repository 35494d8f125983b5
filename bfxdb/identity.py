"""Identities: 64-bit unsigned ids, their canonical hex form, fingerprints and random ids."""

from __future__ import annotations

import hashlib
import secrets

from .errors import InvalidId

ID_BITS = 64
ID_LIMIT = 1 << ID_BITS
_SIGN_BIT = 1 << (ID_BITS - 1)
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_DECIMAL_DIGITS = frozenset("0123456789")
_HOW = "write an id as 0x and 1 to 16 hex digits (0x00000000000000FF) or as decimal digits (255)"
_RANGE = "an id is between 0 and 2**64 - 1 (0xFFFFFFFFFFFFFFFF)"

#: Prefix of the bytes hashed for an expression fingerprint; the trailing version
#: lets the format change without silently re-identifying stored substrates.
FINGERPRINT_DOMAIN = b"bfxdb/substrate/v1"
DIMENSION_DOMAIN = b"bfxdb/dimension/v1"


def format_id(identity: int) -> str:
    """Render an unsigned identity in the canonical form: ``0x`` and 16 upper-case hex digits.

    :param identity: an unsigned 64-bit integer.
    :returns: e.g. ``"0x00000000000000FF"``.
    """
    return f"0x{identity:016X}"


def parse_id(value: object) -> int:
    """Turn an id given by a user into an unsigned int, by the one rule every face follows.

    An int is the number it is. A string is hex only with a ``0x``/``0X`` prefix (1 to 16
    hex digits, any case); a string of decimal digits only is that decimal number. Anything
    else (bare hex such as ``8000EAC3017BC915``, signs, spaces, an empty string, more than
    64 bits) is refused, so ``"100"`` never means 256 in one place and 100 in another.

    :param value: an int in ``[0, 2**64)``, ``"0x"`` + hex, or decimal digits.
    :returns: the unsigned 64-bit identity.
    :raises InvalidId: for anything else, with the reason and how to write it.
    """
    if isinstance(value, bool):
        raise InvalidId(f"invalid id {value!r}: expected an integer or a string, not a boolean; {_HOW}")
    if isinstance(value, int):
        if 0 <= value < ID_LIMIT:
            return value
        raise InvalidId(f"invalid id {value}: {_RANGE}")
    if not isinstance(value, str):
        raise InvalidId(f"invalid id of type {type(value).__name__}: expected an integer or a string; {_HOW}")
    shown = repr(value[:40] + "..." if len(value) > 40 else value)
    if value[:2] in ("0x", "0X"):
        digits = value[2:]
        if not digits or not _HEX_DIGITS.issuperset(digits):
            raise InvalidId(f"invalid id {shown}: 0x must be followed by 1 to 16 hex digits")
        if len(digits) > 16:
            raise InvalidId(f"invalid id {shown}: more than 16 hex digits is more than 64 bits")
        return int(digits, 16)
    if value and _DECIMAL_DIGITS.issuperset(value):
        # 2**64 has 20 digits; the length check spares int() a huge string (leading zeros aside).
        number = int(value) if len(value.lstrip("0")) <= 20 else ID_LIMIT
        if number < ID_LIMIT:
            return number
        raise InvalidId(f"invalid id {shown}: {_RANGE}")
    if value and _HEX_DIGITS.issuperset(value) and len(value) <= 16:
        raise InvalidId(f"invalid id {shown}: a string without 0x is read as decimal; write hex ids with 0x: 0x{value}")
    raise InvalidId(f"invalid id {shown}: {_HOW}")


def to_signed(identity: int) -> int:
    """Map an unsigned identity to the signed 64-bit integer SQLite stores."""
    return identity - ID_LIMIT if identity & _SIGN_BIT else identity


def to_unsigned(stored: int) -> int:
    """Map a signed 64-bit integer read from SQLite back to the unsigned identity."""
    return stored + ID_LIMIT if stored < 0 else stored


def _digest_id(*parts: bytes) -> int:
    """First 8 bytes (big-endian) of SHA-256 over the parts joined by NUL bytes."""
    return int.from_bytes(hashlib.sha256(b"\x00".join(parts)).digest()[:8], "big")


def fingerprint(expression_type: str, expression_code: str) -> int:
    """Compute the content identity of an expression; the same text gives the same id everywhere.

    The format is a promise: SHA-256 over ``b"bfxdb/substrate/v1" NUL type NUL code``
    (type and code UTF-8 encoded), first 8 bytes read big-endian.

    :returns: the unsigned 64-bit identity.
    """
    return _digest_id(FINGERPRINT_DOMAIN, expression_type.encode(), expression_code.encode())


def dimension_id(parent: int, level_index: int) -> int:
    """Derive the stable identity of dimension ``level_index`` (0..8) of substrate ``parent``.

    SHA-256 over ``b"bfxdb/dimension/v1" NUL <parent as canonical hex> NUL <index in decimal>``,
    first 8 bytes read big-endian.
    """
    return _digest_id(DIMENSION_DOMAIN, format_id(parent).encode(), str(level_index).encode())


def random_id() -> int:
    """Draw a fresh identity from the operating system's random source."""
    return secrets.randbits(ID_BITS)


def assign_identity(given: object, expression_type: str | None, expression_code: str | None) -> int:
    """Choose a new substrate's identity: the one given, else its expression's fingerprint, else a random one.

    The fingerprint makes the same expression one substrate wherever it is created.

    :param given: an explicit identity (an int, or text as `parse_id` reads it), or None.
    :param expression_type: the expression's type; None stands for ``"lambda"``, the default.
    :param expression_code: the expression's text, or None for a substrate without one.
    :returns: the unsigned 64-bit identity.
    :raises InvalidId: when `given` is not an identity.
    """
    if given is not None:
        return parse_id(given)
    if expression_code is not None:
        return fingerprint(expression_type or "lambda", expression_code)
    return random_id()
