"""Cypher value semantics: entity references, equality, comparison, ordering, arithmetic."""

from __future__ import annotations

import decimal
import itertools
import math
import sys
from typing import Any

from ..errors import QueryArgumentError, QueryLimitExceeded, QueryTypeError
from ..model import Path, Relationship, Substrate
from . import temporal
from .temporal import TEMPORAL_TYPES, Duration

INT_MIN = -(1 << 63)
INT_MAX = (1 << 63) - 1


class _EntityRef:
    """An entity inside a running query: just its unsigned identity; data lives in the run's cache.

    Rows carry references, not snapshots, so a SET made by one clause is seen by the next.
    Equality and hashing go by exact type as well as identity: a node and a relationship
    with the same number are different values.
    """

    __slots__ = ("id",)

    def __init__(self, identity: int) -> None:
        self.id = identity

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.id == self.id

    def __hash__(self) -> int:
        return hash((type(self), self.id))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id})"


class NodeRef(_EntityRef):
    """A node inside a running query: its unsigned identity."""

    __slots__ = ()


class RelRef(_EntityRef):
    """A relationship inside a running query: its unsigned identity."""

    __slots__ = ()


class PathRef:
    """A path inside a running query: node references and relationship references in walk order."""

    __slots__ = ("nodes", "rels")

    def __init__(self, nodes: tuple[NodeRef, ...], rels: tuple[RelRef, ...]) -> None:
        self.nodes = nodes
        self.rels = rels

    def __eq__(self, other: object) -> bool:
        return type(other) is PathRef and other.nodes == self.nodes and other.rels == self.rels

    def __hash__(self) -> int:
        return hash((PathRef, self.nodes, self.rels))

    def __repr__(self) -> str:
        return f"PathRef({self.nodes}, {self.rels})"


def type_name(value: Any) -> str:
    """Name the Cypher type of a value, for error messages and type checks."""
    if value is None:
        return "NULL"
    kind = type(value)
    if kind is bool:
        return "BOOLEAN"
    if kind is int:
        return "INTEGER"
    if kind is float:
        return "FLOAT"
    if kind is str:
        return "STRING"
    if kind is list:
        return "LIST"
    if kind is dict:
        return "MAP"
    if kind is NodeRef:
        return "NODE"
    if kind is RelRef:
        return "RELATIONSHIP"
    if kind is PathRef:
        return "PATH"
    return kind.__name__.upper()


def bad_argument(name: str, value: Any) -> QueryTypeError:
    """Build the error for a function called with a value of the wrong type."""
    return QueryTypeError(f"{name}() cannot take {type_name(value)}", "InvalidArgumentValue")


def is_number(value: Any) -> bool:
    """Tell whether a value is a Cypher INTEGER or FLOAT (booleans are not numbers)."""
    kind = type(value)
    return kind is int or kind is float


def check_int(value: int) -> int:
    """Return an integer result, or fail when it leaves the 64-bit range Cypher integers have.

    :raises QueryArgumentError: NumberOutOfRange on overflow.
    """
    if INT_MIN <= value <= INT_MAX:
        return value
    raise QueryArgumentError("integer overflow", "NumberOutOfRange")


# ---------------------------------------------------------------- equality and comparison


def equals(left: Any, right: Any) -> bool | None:
    """Compare two values with Cypher ``=``.

    :returns: True, False, or None when a null makes the answer unknown.
    """
    if left is None or right is None:
        return None
    lt, rt = type(left), type(right)
    if lt is bool or rt is bool:
        return left is right if lt is rt else False
    if (lt is int or lt is float) and (rt is int or rt is float):
        return left == right
    if lt is list:
        if rt is not list:
            return False
        if len(left) != len(right):
            return False
        unknown = False
        for a, b in zip(left, right):
            same = equals(a, b)
            if same is False:
                return False
            if same is None:
                unknown = True
        return None if unknown else True
    if lt is dict:
        if rt is not dict or left.keys() != right.keys():
            return False
        unknown = False
        for key, a in left.items():
            same = equals(a, right[key])
            if same is False:
                return False
            if same is None:
                unknown = True
        return None if unknown else True
    if lt is not rt:
        return False
    return left == right


#: compare's answer for NaN against a number: every ordering test is false, not null.
UNORDERED = 2


def compare(left: Any, right: Any) -> int | None:
    """Compare two values for ``<``-style operators.

    :returns: -1, 0 or 1; UNORDERED when NaN meets a number; None when the types are incomparable.
    """
    if left is None or right is None:
        return None
    lt, rt = type(left), type(right)
    if (lt is int or lt is float) and (rt is int or rt is float):
        if left != left or right != right:
            return UNORDERED
        return -1 if left < right else (1 if left > right else 0)
    if lt is not rt:
        return None
    if lt is str or lt is bool:
        return -1 if left < right else (1 if left > right else 0)
    if lt in TEMPORAL_TYPES:
        return temporal.compare(left, right)
    if lt is list:
        for a, b in zip(left, right):
            order = compare(a, b)
            if order == UNORDERED:
                return UNORDERED
            if order is None:
                if equals(a, b) is not True:
                    return None
                continue
            if order != 0:
                return order
        return -1 if len(left) < len(right) else (1 if len(left) > len(right) else 0)
    return None


# ---------------------------------------------------------------- orderability and equivalence

# ORDER BY ranks of the Cypher types, ascending; null sorts after everything. The six
# temporal types rank between paths and strings, in the order of their ORDER attribute.
_RANK_MAP, _RANK_NODE, _RANK_REL, _RANK_LIST, _RANK_PATH, _RANK_TEMPORAL = 0, 1, 2, 3, 4, 5
_RANK_STRING, _RANK_BOOL, _RANK_NUMBER, _RANK_NULL = 11, 12, 13, 14


def order_key(value: Any) -> tuple:
    """Map a value to a key whose Python order is Cypher's ORDER BY order.

    :param value: any query value.
    :returns: a tuple ranking maps < nodes < relationships < lists < paths < datetimes
        < local datetimes < dates < times < local times < durations < strings
        < booleans < numbers (NaN last among them) < null.
    """
    kind = type(value)
    if value is None:
        return (_RANK_NULL,)
    if kind is int:
        return (_RANK_NUMBER, 0, value)
    if kind is float:
        return (_RANK_NUMBER, 1, 0) if value != value else (_RANK_NUMBER, 0, value)
    if kind is str:
        return (_RANK_STRING, value)
    if kind is bool:
        return (_RANK_BOOL, value)
    if kind is list:
        return (_RANK_LIST, tuple(order_key(item) for item in value))
    if kind is dict:
        return (_RANK_MAP, tuple((key, order_key(value[key])) for key in sorted(value)))
    if kind is NodeRef:
        return (_RANK_NODE, value.id)
    if kind is RelRef:
        return (_RANK_REL, value.id)
    if kind is PathRef:
        return (_RANK_PATH, tuple(n.id for n in value.nodes), tuple(r.id for r in value.rels))
    if kind in TEMPORAL_TYPES:
        return (_RANK_TEMPORAL + value.ORDER, value.sort_key())
    return (_RANK_NULL + 1, repr(value))


class Descending:
    """Wrap an order key so that sorting ascending orders it descending."""

    __slots__ = ("key",)

    def __init__(self, key: tuple) -> None:
        self.key = key

    def __lt__(self, other: Descending) -> bool:
        return other.key < self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Descending) and other.key == self.key


def group_key(value: Any) -> Any:
    """Map a value to a hashable key under Cypher equivalence (DISTINCT, grouping, UNION).

    Equivalence is equality except that null is equivalent to null and NaN to NaN;
    booleans must not collide with the integers 0 and 1 as they would in Python.
    """
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if kind is float:
        return ("nan",) if value != value else value
    if kind is bool:
        return ("bool", value)
    if kind is list:
        return ("list", tuple(group_key(item) for item in value))
    if kind is dict:
        return ("map", frozenset((key, group_key(item)) for key, item in value.items()))
    return value


# ---------------------------------------------------------------- arithmetic


def _arith_error(op: str, left: Any, right: Any) -> QueryTypeError:
    return QueryTypeError(
        f"cannot apply {op} to {type_name(left)} and {type_name(right)}", "InvalidArgumentType"
    )


#: Most items in a list, or characters in a string, that a query may build: bounds memory.
MAX_VALUE_SIZE = 10_000_000


def check_size(size: int) -> bool:
    """Return True when a list or string of ``size`` items is within MAX_VALUE_SIZE.

    :raises QueryLimitExceeded: when it is not, before the value is built.
    """
    if size > MAX_VALUE_SIZE:
        raise QueryLimitExceeded(f"a value of {size:,} items is over the limit of {MAX_VALUE_SIZE:,}")
    return True


#: Bytes a query may spend on the values it builds and holds, unless the caller sets another budget.
DEFAULT_QUERY_MEMORY = 512 * 1024 * 1024

#: How many items of a big list or map an estimate looks at; the others are taken to be alike.
_SAMPLE = 8
#: How many lists and maps one estimate looks into, and how deep; past that a container counts
#: at its own size plus _ITEM per item. Both bound the cost of an estimate, whatever the value.
_VISITS = 256
_DEPTH = 32
_ITEM = 32
_REF_SIZE = 48
#: The sizes of the values whose size does not depend on the value (booleans and null are shared: free).
FIXED_SIZES: dict[type, int] = {int: _ITEM, float: 24, bool: 0, type(None): 0, NodeRef: _REF_SIZE, RelRef: _REF_SIZE}


def estimate_size(value: Any) -> int:
    """Estimate the bytes a value takes, at a cost bounded whatever its size.

    A big list or map is estimated from a sample of its items. A part that appears several
    times counts each time, as it does when the value is compared, ordered or sent: so the
    doubling ``[acc, acc]`` grows the estimate as fast as its output would.

    :param value: any query value, or a key made by group_key (tuples, frozensets).
    :returns: the estimate in bytes.
    """
    kind = type(value)
    if kind is list or kind is tuple:
        if len(value) <= _SAMPLE:
            # the common small list of scalars, without the bookkeeping of the general walk
            size = sys.getsizeof(value)
            for item in value:
                fixed = FIXED_SIZES.get(type(item))
                if fixed is None:
                    break
                size += fixed
            else:
                return size
        return _container_size(value, {}, [_VISITS], 0)
    if kind is dict or kind is frozenset:
        return _container_size(value, {}, [_VISITS], 0)
    fixed = FIXED_SIZES.get(kind)
    return fixed if fixed is not None else _scalar_size(value)


_CONTAINERS = frozenset({list, dict, tuple, frozenset})


def _scalar_size(value: Any) -> int:
    kind = type(value)
    if kind is str:
        return sys.getsizeof(value)
    if kind is PathRef:
        return _REF_SIZE * (2 + len(value.nodes) + len(value.rels))
    return FIXED_SIZES.get(kind, _ITEM)


def _container_size(value: Any, memo: dict[int, int], visits: list[int], depth: int) -> int:
    known = memo.get(id(value))
    if known is not None:
        return known
    count = len(value)
    size = sys.getsizeof(value)
    if count and (depth >= _DEPTH or visits[0] <= 0):
        size += count * _ITEM
    elif count:
        visits[0] -= 1
        if type(value) is list or type(value) is tuple:
            # evenly spaced from the first item to the last, which a list built by appending makes the biggest
            step = (count - 1) / (_SAMPLE - 1)
            sample = value if count <= _SAMPLE else [value[round(i * step)] for i in range(_SAMPLE)]
        else:
            pairs = value.items() if type(value) is dict else ((item, None) for item in value)
            items = list(itertools.islice(pairs, _SAMPLE))
            sample = [part for pair in items for part in pair]
        total = 0
        fixed_sizes = FIXED_SIZES
        for item in sample:
            kind = type(item)
            fixed = fixed_sizes.get(kind)
            if fixed is not None:
                total += fixed
            elif kind in _CONTAINERS:
                total += _container_size(item, memo, visits, depth + 1)
            else:
                total += _scalar_size(item)
        size += total if count <= _SAMPLE else total * count // _SAMPLE
    memo[id(value)] = size
    return size


def add(left: Any, right: Any) -> Any:
    """Apply Cypher ``+``: numbers, string concatenation, list concatenation or append."""
    if left is None or right is None:
        return None
    lt, rt = type(left), type(right)
    if lt is int and rt is int:
        return check_int(left + right)
    if (lt is int or lt is float) and (rt is int or rt is float):
        return float(left) + float(right)
    if lt is list:
        return left + right if rt is list and check_size(len(left) + len(right)) else left + [right]
    if rt is list:
        return [left] + right
    if lt is str and rt is str and check_size(len(left) + len(right)):
        return left + right
    if lt is str and (rt is int or rt is float):
        return left + format_number(right)
    if rt is str and (lt is int or lt is float):
        return format_number(left) + right
    if lt in TEMPORAL_TYPES or rt in TEMPORAL_TYPES:
        return temporal.add(left, right)
    raise _arith_error("+", left, right)


def subtract(left: Any, right: Any) -> Any:
    """Apply Cypher ``-`` to numbers, or to a temporal value and a duration."""
    if left is None or right is None:
        return None
    lt, rt = type(left), type(right)
    if lt is int and rt is int:
        return check_int(left - right)
    if (lt is int or lt is float) and (rt is int or rt is float):
        return float(left) - float(right)
    if lt in TEMPORAL_TYPES or rt in TEMPORAL_TYPES:
        return temporal.subtract(left, right)
    raise _arith_error("-", left, right)


def multiply(left: Any, right: Any) -> Any:
    """Apply Cypher ``*`` to numbers, or to a duration and a number."""
    if left is None or right is None:
        return None
    lt, rt = type(left), type(right)
    if lt is int and rt is int:
        return check_int(left * right)
    if (lt is int or lt is float) and (rt is int or rt is float):
        return float(left) * float(right)
    if lt is Duration or rt is Duration:
        return temporal.multiply(left, right)
    raise _arith_error("*", left, right)


def divide(left: Any, right: Any) -> Any:
    """Apply Cypher ``/``: integer division truncates toward zero; float division follows IEEE.

    A duration divided by a number is a duration.

    :raises QueryArgumentError: DivisionByZero for an integer (or a duration) divided by zero.
    :raises QueryTypeError: for non-numbers.
    """
    if left is None or right is None:
        return None
    lt, rt = type(left), type(right)
    if lt is int and rt is int:
        if right == 0:
            raise QueryArgumentError("division by zero", "DivisionByZero")
        quotient = abs(left) // abs(right)
        return check_int(quotient if (left >= 0) == (right >= 0) else -quotient)
    if (lt is int or lt is float) and (rt is int or rt is float):
        left, right = float(left), float(right)
        if right == 0.0:
            if left == 0.0 or left != left:
                return math.nan
            return math.copysign(math.inf, left) * math.copysign(1.0, right)
        return left / right
    if lt is Duration:
        return temporal.divide(left, right)
    raise _arith_error("/", left, right)


def modulo(left: Any, right: Any) -> Any:
    """Apply Cypher ``%``: the remainder takes the sign of the dividend, as in Java."""
    if left is None or right is None:
        return None
    lt, rt = type(left), type(right)
    if lt is int and rt is int:
        if right == 0:
            raise QueryArgumentError("division by zero", "DivisionByZero")
        remainder = abs(left) % abs(right)
        return remainder if left >= 0 else -remainder
    if (lt is int or lt is float) and (rt is int or rt is float):
        if right == 0 or left != left or right != right or math.isinf(left):
            return math.nan
        return math.fmod(float(left), float(right))
    raise _arith_error("%", left, right)


def power(left: Any, right: Any) -> Any:
    """Apply Cypher ``^``: always a float."""
    if left is None or right is None:
        return None
    if is_number(left) and is_number(right):
        try:
            return math.pow(float(left), float(right))
        except OverflowError:
            return math.inf
        except ValueError:
            return math.nan
    raise _arith_error("^", left, right)


def negate(value: Any) -> Any:
    """Apply unary ``-``."""
    if value is None:
        return None
    kind = type(value)
    if kind is int:
        return check_int(-value)
    if kind is float:
        return -value
    if kind is Duration:
        return -value
    raise QueryTypeError(f"cannot negate {type_name(value)}", "InvalidArgumentType")


def format_number(value: int | float) -> str:
    """Render a number the way Cypher's toString does (Java's rendering of doubles).

    :param value: an int or a float.
    :returns: e.g. ``"3"``, ``"3.0"``, ``"2.5E-5"``, ``"1.0E7"``, ``"NaN"``.
    """
    if type(value) is int:
        return str(value)
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0 or 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    number = decimal.Decimal(repr(value))
    sign, digits, _exponent = number.as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    scientific = number.adjusted()
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{scientific}"


def to_input(value: Any) -> Any:
    """Turn a caller's Python value into a query value.

    :param value: a parameter or an expression's result: JSON-like values, tuples, model objects.
    :returns: the Cypher value: tuples become lists, Substrate/Relationship/Path become references,
        temporal values stay as they are.
    :raises QueryArgumentError: for a value of any other type.
    """
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None or kind in TEMPORAL_TYPES:
        return value
    # Entities before sequences: Substrate and Relationship are named tuples.
    if kind is NodeRef or kind is RelRef:
        # a built-in procedure (the graph algorithms, search) yields entities as references, not loading them
        return value
    if isinstance(value, Substrate):
        return NodeRef(value.identity)
    if isinstance(value, Relationship):
        return RelRef(value.identity)
    if isinstance(value, (list, tuple)):
        return [to_input(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_input(item) for key, item in value.items()}
    if isinstance(value, Path):
        return PathRef(
            tuple(NodeRef(node.identity) for node in value.nodes),
            tuple(RelRef(rel.identity) for rel in value.relationships),
        )
    raise QueryArgumentError(f"unsupported parameter value of type {kind.__name__}", "InvalidArgumentType")
