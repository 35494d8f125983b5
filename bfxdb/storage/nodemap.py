"""The node numbers a bulk load gave its substrates, looked up by identity a batch at a time."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from functools import cache
from itertools import repeat
from typing import Any

from ..errors import NotFound
from ..identity import format_id, to_unsigned

#: How many substrates a bulk load remembers the node numbers of, so that the relationships after
#: them need no lookup: at 1M substrates the lookups were a third of the time of loading their 2M
#: relationships. Ends past it are looked up, one join per batch. The table takes 16 bytes a slot,
#: 1.5 to 3 slots a substrate: 270 MB at 10M (a dict took 1.1 GB). Freed before indexes are built.
NODE_MAP_LIMIT = 10_000_000

# Fibonacci hashing: the multiplier is 2^64 over the golden ratio, and the slot is the top bits of
# the product, so that identities with equal low bits (or a few distinct bits) still spread out
_MULTIPLIER = 0x9E3779B97F4A7C15
# grown to keep at least this many slots per key: linear probing stays short below two thirds full
_SLOTS_PER_KEY = 1.5


@cache
def _numpy() -> Any:
    """NumPy, imported at the first load that needs it (not at every start), or None without it."""
    try:
        return importlib.import_module("numpy")
    except ImportError:  # the extra `load` is not installed: a dict does the same, slower past a million
        return None


class NodeMap:
    """The node numbers of the substrates a bulk load inserted, by signed identity.

    Kept as each batch's identities and node numbers, and put in a table only when
    relationships ask for them: a load of substrates alone builds none. With NumPy the table
    is an open-addressing hash of 64-bit keys probed for a whole batch at once; a dict of
    ten million Python ints spent four fifths of a 10M relationship load in cache misses
    (see benchmarks/README.md, "The node map in a NumPy hash table"). Without NumPy it is a dict.
    """

    __slots__ = ("_pending", "_count", "_table")

    def __init__(self) -> None:
        self._pending: list[tuple[Any, Sequence[int]]] = []
        self._count = 0
        self._table: _HashTable | _DictTable | None = None

    def add(self, identities: Sequence[int], numbers: Sequence[int]) -> None:
        """Remember that ``identities`` got ``numbers`` (often a range), in their order."""
        if self._count >= NODE_MAP_LIMIT:
            return
        numpy = _numpy()
        # as an array, ten million identities take 80 MB instead of 400 MB of Python ints
        kept = numpy.array(identities, dtype=numpy.int64) if numpy is not None else identities
        self._pending.append((kept, numbers))
        self._count += len(identities)

    def find(self, identities: Sequence[int]) -> list[int]:
        """The node number of each identity, 0 for one this load did not insert (or no longer remembers)."""
        if not self._count:
            return [0] * len(identities)
        if self._table is None:
            numpy = _numpy()
            self._table = _HashTable(numpy) if numpy is not None else _DictTable()
        if self._pending:
            self._table.insert(self._pending)
            self._pending.clear()
        return self._table.find(identities)

    def clear(self) -> None:
        """Forget every node number, as after a rollback (or to give their memory back)."""
        self._pending.clear()
        self._count = 0
        self._table = None


class _DictTable:
    """The table without NumPy: a dict by identity."""

    __slots__ = ("_numbers",)

    def __init__(self) -> None:
        self._numbers: dict[int, int] = {}

    def insert(self, batches: list[tuple[Any, Sequence[int]]]) -> None:
        """Add each batch's identities with their node numbers."""
        for identities, numbers in batches:
            self._numbers.update(zip(identities, numbers))

    def find(self, identities: Sequence[int]) -> list[int]:
        """The value of each identity, 0 where it has none."""
        return list(map(self._numbers.get, identities, repeat(0)))


class _HashTable:
    """An open-addressing hash table from int64 keys to positive int64 values, in two NumPy arrays.

    Linear probing; a value of 0 marks an empty slot (node numbers start at 1). Inserts and
    lookups run a round per probe step over every key still probing, so the Python work is
    per batch, not per key.
    """

    __slots__ = ("_numpy", "_keys", "_values", "_shift", "_count")

    def __init__(self, numpy: Any) -> None:
        self._numpy = numpy
        self._keys = numpy.zeros(0, dtype=numpy.int64)
        self._values = numpy.zeros(0, dtype=numpy.int64)
        self._shift = 64
        self._count = 0

    def insert(self, batches: list[tuple[Any, Sequence[int]]]) -> None:
        """Add each batch's identities with their node numbers."""
        numpy = self._numpy
        keys = numpy.concatenate([kept for kept, _ in batches])
        values = numpy.concatenate([_array(numpy, numbers) for _, numbers in batches])
        if (self._count + len(keys)) * _SLOTS_PER_KEY > len(self._values):
            self._grow(self._count + len(keys))
        self._place(keys, values)
        self._count += len(keys)

    def find(self, identities: Sequence[int]) -> list[int]:
        """The value of each identity, 0 where it has none."""
        numpy = self._numpy
        keys = numpy.array(identities, dtype=numpy.int64)
        found = numpy.zeros(len(keys), dtype=numpy.int64)
        probing = numpy.arange(len(keys))
        slots = self._slots(keys)
        mask = len(self._values) - 1
        while probing.size:
            values = self._values[slots]
            occupied = values != 0
            hit = occupied & (self._keys[slots] == keys[probing])
            found[probing[hit]] = values[hit]
            # an empty slot ends a key's probe: it is not in the table
            going_on = occupied & ~hit
            probing = probing[going_on]
            slots = (slots[going_on] + 1) & mask
        return found.tolist()

    def _grow(self, count: int) -> None:
        """Make room for ``count`` keys, placing again the ones already held."""
        numpy = self._numpy
        size = 1 << max(4, int(count * _SLOTS_PER_KEY - 1).bit_length())
        occupied = self._values != 0
        keys, values = self._keys[occupied], self._values[occupied]
        self._keys = numpy.zeros(size, dtype=numpy.int64)
        self._values = numpy.zeros(size, dtype=numpy.int64)
        self._shift = 64 - (size.bit_length() - 1)
        self._place(keys, values)

    def _place(self, keys: Any, values: Any) -> None:
        """Put each key in the first empty slot of its probe, a round per probe step."""
        numpy = self._numpy
        slots = self._slots(keys)
        mask = len(self._values) - 1
        while keys.size:
            empty = self._values[slots] == 0
            # several keys may reach one empty slot in a round: the key written last holds it,
            # and the others read back another key and probe on
            self._keys[slots[empty]] = keys[empty]
            placed = numpy.zeros(len(keys), dtype=bool)
            placed[empty] = self._keys[slots[empty]] == keys[empty]
            self._values[slots[placed]] = values[placed]
            waiting = ~placed
            keys, values, slots = keys[waiting], values[waiting], (slots[waiting] + 1) & mask

    def _slots(self, keys: Any) -> Any:
        """Each key's first slot: the top bits of its product with the multiplier."""
        numpy = self._numpy
        product = keys.view(numpy.uint64) * numpy.uint64(_MULTIPLIER)
        return (product >> numpy.uint64(self._shift)).astype(numpy.int64)


def _array(numpy: Any, numbers: Sequence[int]) -> Any:
    """``numbers`` as an int64 array; a range without a Python int per item."""
    if isinstance(numbers, range) and numbers.step == 1:
        return numpy.arange(numbers.start, numbers.stop, dtype=numpy.int64)
    return numpy.array(numbers, dtype=numpy.int64)


def fill_ends(
    rows: Sequence[tuple],
    sources: list[int],
    targets: list[int],
    look_up: Callable[[list[int]], dict[int, int]],
) -> tuple[list[int], list[int]]:
    """Fill in the node numbers of the relationship ends a node map did not know (its 0s).

    ``rows`` are relationship rows (identity or None, source, target, ...); ``look_up`` gets the
    unknown ends, sorted, and gives the node numbers of those stored.

    :raises NotFound: naming the first relationship with an end that does not exist.
    """
    ends = {row[1] for row, node in zip(rows, sources) if not node}
    ends.update(row[2] for row, node in zip(rows, targets) if not node)
    found = look_up(sorted(ends))
    if len(found) < len(ends):
        for row in rows:
            for role, end in (("source", row[1]), ("target", row[2])):
                if end in ends and end not in found:
                    what = "a relationship" if row[0] is None else f"relationship {format_id(to_unsigned(row[0]))}"
                    raise NotFound(
                        f"{what} names {role} substrate {format_id(to_unsigned(end))}, which does not exist",
                        substrate_id=format_id(to_unsigned(end)),
                    )
    # node numbers start at 1, so a 0 falls through to the one found
    filled_sources = [node or found[row[1]] for row, node in zip(rows, sources)]
    return filled_sources, [node or found[row[2]] for row, node in zip(rows, targets)]
