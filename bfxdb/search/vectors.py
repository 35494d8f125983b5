"""Vector search: exact top-k over an index's vectors with NumPy, the similarity functions, and index options.

A search reads an index's folded vectors once into a float32 matrix, cached per store and index
under the index's generation (which every fold changes, and which a read transaction sees as of
its own snapshot). After a fold, the next search asks the index's change log which keys changed
since the cached generation and reads only their rows: the old rows are masked and the new ones
appended (a full read when the log does not reach back that far, or the patches grow past
PATCHED_ROWS). It then scores pending entities, those written since the last fold, from their
metadata. Scores follow Neo4j: cosine (1 + cos) / 2, euclidean 1 / (1 + d²), both in [0, 1].
"""

from __future__ import annotations

import hashlib
import importlib
import math
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ExtraMissing, InvalidInput, QueryArgumentError, QueryTypeError
from ..storage import (
    MAX_VECTOR_DIMENSIONS,
    VECTOR_DIMENSIONS_KEY,
    VECTOR_SIMILARITIES,
    VECTOR_SIMILARITY_KEY,
    SearchIndex,
    vector_dimensions,
    vector_similarity,
    with_vector_config,
)

#: The extra that installs NumPy, as the error tells the user to install it.
EXTRA = "vectors"
#: The most neighbours one search may ask for.
MAX_K = 10_000
#: The similarity functions an index may rank by, as Neo4j names them.
SIMILARITIES = VECTOR_SIMILARITIES
#: The most dimensions an index may have (Neo4j's limit).
MAX_DIMENSIONS = MAX_VECTOR_DIMENSIONS
#: The index providers CREATE VECTOR INDEX accepts in its options, as Neo4j names them; SHOW INDEXES gives the first.
PROVIDERS = ("vector-1.0", "vector-2.0")


def numpy() -> Any:
    """The NumPy module.

    :raises ExtraMissing: when it is not installed, naming the extra that installs it.
    """
    try:
        return importlib.import_module("numpy")
    except ImportError:
        raise ExtraMissing(f"vector search needs NumPy: pip install 'bfxdb[{EXTRA}]'", extra=EXTRA) from None


# ---------------------------------------------------------------- creating an index


def vector_index(
    name: str, entity_type: str, label: str, key: str, options: Mapping[str, Any] | None
) -> SearchIndex:
    """The vector index CREATE VECTOR INDEX describes, its OPTIONS read as Neo4j reads them.

    :param options: ``{indexConfig: {`vector.dimensions`: n, `vector.similarity_function`: 'cosine'}}``,
        and optionally ``indexProvider``; the similarity is cosine by default.
    :raises InvalidInput: for missing or malformed dimensions, an unknown similarity, provider or option.
    """
    options = dict(options or {})
    unknown = sorted(set(options) - {"indexConfig", "indexProvider"})
    if unknown:
        raise InvalidInput(f"a vector index has no option {', '.join(unknown)}; it takes indexConfig and indexProvider")
    provider = options.get("indexProvider", PROVIDERS[0])
    if provider not in PROVIDERS:
        raise InvalidInput(f"indexProvider {provider!r} is not one of {', '.join(PROVIDERS)}")
    config = options.get("indexConfig", {})
    if not isinstance(config, Mapping):
        raise InvalidInput("indexConfig must be a map")
    extra = sorted(set(config) - {VECTOR_DIMENSIONS_KEY, VECTOR_SIMILARITY_KEY})
    if extra:
        raise InvalidInput(
            f"indexConfig has no setting {', '.join(extra)}; it takes `{VECTOR_DIMENSIONS_KEY}` and "
            f"`{VECTOR_SIMILARITY_KEY}`"
        )
    size = config.get(VECTOR_DIMENSIONS_KEY)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_DIMENSIONS:
        raise InvalidInput(f"`{VECTOR_DIMENSIONS_KEY}` must be an integer from 1 to {MAX_DIMENSIONS}")
    function = config.get(VECTOR_SIMILARITY_KEY, "cosine")
    if not isinstance(function, str) or function.lower() not in SIMILARITIES:
        raise InvalidInput(f"`{VECTOR_SIMILARITY_KEY}` must be one of {', '.join(SIMILARITIES)}")
    index = SearchIndex(name, "VECTOR", entity_type, (label,), (key,))
    return with_vector_config(index, size, function.lower())


def describe(index: SearchIndex) -> str:
    """The index as CREATE VECTOR INDEX makes it, OPTIONS included."""
    variable, pattern = "n", f"(n:{_quoted(index.labels[0])})"
    if index.entity_type == "RELATIONSHIP":
        variable, pattern = "r", f"()-[r:{_quoted(index.labels[0])}]-()"
    config = ", ".join(
        f"`{key}`: {value!r}" if isinstance(value, str) else f"`{key}`: {value}"
        for key, value in index.options["indexConfig"].items()
    )
    return (
        f"CREATE VECTOR INDEX {_quoted(index.name)} FOR {pattern} ON ({variable}.{_quoted(index.properties[0])}) "
        f"OPTIONS {{indexConfig: {{{config}}}, indexProvider: '{PROVIDERS[0]}'}}"
    )


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def named(index: SearchIndex) -> SearchIndex:
    """The index with its name: given, or made from what it covers, as Neo4j names an index made without one."""
    if index.name:
        return index
    digest = hashlib.sha256(describe(index).encode()).hexdigest()[:8]
    return replace(index, name=f"index_{digest}")


def create_index(store: Any, index: SearchIndex, if_not_exists: bool) -> bool:
    """Make a vector index, named as Neo4j names it when ``index.name`` is empty.

    :returns: False, making nothing, under IF NOT EXISTS when an index of that name or on that
        label and key exists already.
    :raises QueryArgumentError: for a name an index or constraint has, or a vector index on the same label and key.
    :raises InvalidInput: for a key that cannot be indexed, or stored data the index cannot hold.
    """
    index = named(index)
    clash = None
    for other in store.search_indexes():
        if other.name == index.name:
            clash = f"an index named `{index.name}` exists already"
        elif (other.kind, other.entity_type, other.labels, other.properties) == (
            "VECTOR", index.entity_type, index.labels, index.properties
        ):
            what = "label" if index.entity_type == "NODE" else "type"
            clash = f"vector index `{other.name}` covers the same {what} and key"
    names = {name for _id, name, _label, _keys in store.property_indexes()}
    names |= {constraint.name for constraint in store.constraints()}
    if clash is None and index.name in names:
        clash = f"an index or constraint named `{index.name}` exists already"
    if clash is not None:
        if if_not_exists:
            return False
        raise QueryArgumentError(
            f"cannot create vector index `{index.name}`: {clash}", "EquivalentSchemaRuleAlreadyExists"
        )
    store.create_vector_index(index)
    return True


# ---------------------------------------------------------------- the similarity functions


def _vector(function: str, value: Any) -> list[float]:
    if not isinstance(value, list) or not value:
        raise QueryTypeError(f"{function}() needs lists of numbers, not {type(value).__name__}", "InvalidArgumentType")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise QueryTypeError(f"{function}() needs lists of numbers; one item is {item!r}", "InvalidArgumentType")
        if not math.isfinite(item):
            raise QueryArgumentError(f"{function}() cannot take {item!r} as a coordinate", "InvalidArgumentValue")
    return [float(item) for item in value]


def _pair(function: str, a: Any, b: Any) -> tuple[list[float], list[float]] | None:
    if a is None or b is None:
        return None
    left, right = _vector(function, a), _vector(function, b)
    if len(left) != len(right):
        raise QueryArgumentError(
            f"{function}() needs vectors of the same dimension, not {len(left)} and {len(right)}",
            "InvalidArgumentValue",
        )
    return left, right


def cosine(a: Any, b: Any) -> float | None:
    """Neo4j's vector.similarity.cosine: (1 + cos(a, b)) / 2; null for a null argument or a zero vector.

    :raises QueryTypeError: for an argument that is not a non-empty list of numbers.
    :raises QueryArgumentError: for vectors of different dimensions, or a coordinate that is not finite.
    """
    pair = _pair("vector.similarity.cosine", a, b)
    if pair is None:
        return None
    left, right = pair
    norms = math.sqrt(math.fsum(x * x for x in left)) * math.sqrt(math.fsum(y * y for y in right))
    if norms == 0.0:
        return None
    cos = math.fsum(x * y for x, y in zip(left, right)) / norms
    return (1.0 + max(-1.0, min(1.0, cos))) / 2.0


def euclidean(a: Any, b: Any) -> float | None:
    """Neo4j's vector.similarity.euclidean: 1 / (1 + d²), d the Euclidean distance; null for a null argument.

    :raises QueryTypeError: for an argument that is not a non-empty list of numbers.
    :raises QueryArgumentError: for vectors of different dimensions, or a coordinate that is not finite.
    """
    pair = _pair("vector.similarity.euclidean", a, b)
    if pair is None:
        return None
    left, right = pair
    return 1.0 / (1.0 + math.fsum((x - y) * (x - y) for x, y in zip(left, right)))


# ---------------------------------------------------------------- searching


#: The most rows a cached matrix takes on by patching (at least; a tenth of its rows if more) before
#: a search reads the index in full again, which folds them into one matrix.
PATCHED_ROWS = 1_000


@dataclass(frozen=True, slots=True)
class _Rows:
    """Vectors with their keys and identities, in key order: normalised for cosine, with each row's
    squared norm for euclidean."""

    identities: Any  # numpy uint64 array, one per row
    keys: Any  # numpy int64 array of the rows' keys
    rows: Any  # numpy float32 array, rows x dimensions
    squares: Any  # numpy float32 array of each row's squared norm (euclidean), or None

    @property
    def size(self) -> int:
        """The bytes the rows and their columns take."""
        total = self.identities.nbytes + self.keys.nbytes + self.rows.nbytes
        return total + (0 if self.squares is None else self.squares.nbytes)

    def where(self, np: Any, keep: Any) -> _Rows:
        """The rows ``keep`` (a boolean mask) selects."""
        squares = None if self.squares is None else self.squares[keep]
        return _Rows(self.identities[keep], self.keys[keep], self.rows[keep], squares)

    def join(self, np: Any, other: _Rows) -> _Rows:
        """These rows and then ``other``'s."""
        squares = None if self.squares is None else np.concatenate([self.squares, other.squares])
        return _Rows(
            np.concatenate([self.identities, other.identities]),
            np.concatenate([self.keys, other.keys]),
            np.concatenate([self.rows, other.rows]),
            squares,
        )


def _rows(np: Any, index: SearchIndex, keys: Any, identities: Any, vectors: Any) -> _Rows:
    """Rows ready to score, from vectors as stored (a float32 array, one row per key)."""
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(keys), vector_dimensions(index))
    squares = None
    if vector_similarity(index) == "cosine":
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms == 0, 1, norms)
    else:
        vectors = vectors.copy()
        squares = np.einsum("ij,ij->i", vectors, vectors)
    return _Rows(
        np.array(identities, dtype=np.uint64), np.array(keys, dtype=np.int64), vectors.astype("f4", copy=False), squares
    )


def _stored(np: Any, store: Any, index: SearchIndex, only: list[int] | None = None) -> _Rows:
    keys, identities, blob = store.read_vectors(index, only)
    return _rows(np, index, keys, identities, np.frombuffer(blob, dtype="<f4"))


@dataclass(frozen=True, slots=True)
class _Matrix:
    """An index's folded vectors as of one generation: ``base`` as last read in full, less its rows
    ``gone`` (a boolean mask, or None for none) that folds since replaced or removed, plus the rows
    ``added`` by those folds. Never changed once made: a search patching it makes a new one that
    shares ``base``, so a search of another thread scoring the old one is not disturbed."""

    generation: int
    base: _Rows
    gone: Any
    added: _Rows

    @property
    def size(self) -> int:
        """The bytes the matrix and its columns take."""
        return self.base.size + self.added.size + (0 if self.gone is None else self.gone.nbytes)

    def patched(self, np: Any, generation: int, changed: list[int], fresh: _Rows) -> _Matrix:
        """This matrix at ``generation``, the rows of the keys ``changed`` replaced by ``fresh`` (their
        stored rows now; a key without one was removed)."""
        keys = np.array(changed, dtype=np.int64)
        gone = np.zeros(len(self.base.keys), dtype=bool) if self.gone is None else self.gone.copy()
        positions = np.minimum(np.searchsorted(self.base.keys, keys), max(len(self.base.keys) - 1, 0))
        if len(self.base.keys):
            gone[positions[self.base.keys[positions] == keys]] = True
        added = self.added.where(np, ~np.isin(self.added.keys, keys)).join(np, fresh)
        return _Matrix(generation, self.base, gone, added)

    def candidates(self, np: Any, stale: Any) -> list[tuple[_Rows, Any]]:
        """Each part of the matrix with the mask of its live rows (None for all), leaving out the keys
        ``stale`` (entities written since the last fold). The rows are scored whole and the scores
        masked: masking the rows would copy the matrix."""
        found = []
        for rows, gone in ((self.base, self.gone), (self.added, None)):
            keep = None if gone is None else ~gone
            if len(stale):
                fresh = ~np.isin(rows.keys, stale)
                keep = fresh if keep is None else keep & fresh
            found.append((rows, keep))
        return found


_cache: weakref.WeakKeyDictionary[Any, dict[tuple[int, str], _Matrix]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _matrix(store: Any, index: SearchIndex, fits: Callable[[int], None]) -> _Matrix:
    """The index's folded vectors: from the cache when its generation is the one this transaction sees,
    patched from the index's change log when the log reaches back to the cached one, else read in full."""
    np = numpy()
    generation = store.vector_generation(index)
    with _cache_lock:
        found = _cache.get(store, {}).get((index.id, index.name))
    if found is not None and found.generation == generation:
        fits(found.size)
        return found
    dims = vector_dimensions(index)
    changed = None if found is None else store.vector_changes(index, found.generation)
    if found is not None and changed is not None and (
        len(found.added.keys) + len(changed) <= max(PATCHED_ROWS, len(found.base.keys) // 10)
    ):
        fits(found.size + len(changed) * (2 * 4 * dims + 24))
        made = found.patched(np, generation, changed, _stored(np, store, index, changed))
    else:
        rows = store.count_vectors(index)
        # checked before reading: the BLOBs joined, the matrix and its columns
        fits(rows * (2 * 4 * dims + 24))
        base = _stored(np, store, index)
        made = _Matrix(generation, base, None, base.where(np, np.zeros(len(base.keys), dtype=bool)))
    with _cache_lock:
        _cache.setdefault(store, {})[(index.id, index.name)] = made
    return made


def _scores(np: Any, index: SearchIndex, rows: Any, squares: Any, query: Any) -> Any:
    """Neo4j's scores of each row against the query vector (already normalised for cosine)."""
    products = rows @ query
    if vector_similarity(index) == "cosine":
        return (1.0 + np.clip(products, -1.0, 1.0)) / 2.0
    distances = np.maximum(squares - 2.0 * products + float(query @ query), 0.0)
    return 1.0 / (1.0 + distances)


def find_index(store: Any, name: Any, entity_type: str, procedure: str) -> SearchIndex:
    """The vector index a query procedure names.

    :raises QueryArgumentError: when there is no vector index of that name, or it covers the other entity type.
    """
    for index in store.search_indexes("VECTOR"):
        if index.name == name:
            if index.entity_type != entity_type:
                other = "queryRelationships" if entity_type == "NODE" else "queryNodes"
                raise QueryArgumentError(
                    f"vector index `{name}` is on {index.entity_type.lower()}s: use db.index.vector.{other}",
                    "IndexNotFound",
                )
            return index
    raise QueryArgumentError(f"{procedure}: there is no vector index named `{name}`", "IndexNotFound")


def query(
    store: Any,
    index: SearchIndex,
    k: Any,
    vector: Any,
    fits: Callable[[int], None],
    check: Callable[[], None],
) -> list[tuple[int, float]]:
    """The k entities nearest the query vector, exactly, as (identity, score) from the highest score.

    Equal scores come in key order (node number, relationship identity), so the answer is repeatable.

    :param fits: raises QueryLimitExceeded unless that many bytes fit in the query's memory budget.
    :param check: raises QueryTimeout once the query's time limit has passed.
    :raises QueryArgumentError: for k outside 1..MAX_K, or a query vector of other dimensions or a zero one
        under cosine.
    :raises QueryTypeError: for a query vector that is not a list of numbers.
    :raises ExtraMissing: without NumPy.
    """
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise QueryArgumentError(
            f"the number of neighbours must be an integer from 1 to {MAX_K}", "InvalidArgumentValue"
        )
    values = _vector("db.index.vector.query", vector)
    dims = vector_dimensions(index)
    if len(values) != dims:
        raise QueryArgumentError(
            f"vector index `{index.name}` holds vectors of {dims} dimensions; the query vector has {len(values)}",
            "InvalidArgumentValue",
        )
    np = numpy()
    query_vector = np.asarray(values, dtype=np.float32)
    if vector_similarity(index) == "cosine":
        norm = float(np.linalg.norm(query_vector))
        if norm == 0.0:
            raise QueryArgumentError("a zero vector has no cosine similarity to any other", "InvalidArgumentValue")
        query_vector = query_vector / norm
    matrix = _matrix(store, index, fits)
    check()
    fits(matrix.size + 16 * (len(matrix.base.keys) + len(matrix.added.keys)))
    pending = store.pending_vectors(index)
    # entities written since the last fold: their folded rows are stale, their vectors read afresh
    stale = np.array([key for key, _, _ in pending], dtype=np.int64)
    blocks = matrix.candidates(np, stale)
    fresh = [(key, identity, value) for key, identity, value in pending if value is not None]
    if fresh:
        rows = _rows(np, index, [f[0] for f in fresh], [f[1] for f in fresh], [f[2] for f in fresh])
        blocks.append((rows, None))
    parts = []
    for rows, keep in blocks:
        if len(rows.keys):
            scored = (_scores(np, index, rows.rows, rows.squares, query_vector), rows.keys, rows.identities)
            parts.append(scored if keep is None else tuple(column[keep] for column in scored))
    if not parts:
        return []
    scores, keys, identities = (np.concatenate([part[i] for part in parts]) for i in range(3))
    check()
    count = min(k, len(scores))
    if count == 0:
        return []
    # the k best by score, then among them (ties at the edge included) by score and key
    threshold = np.partition(scores, len(scores) - count)[len(scores) - count]
    chosen = np.flatnonzero(scores >= threshold)
    order = chosen[np.lexsort((keys[chosen], -scores[chosen]))][:count]
    return [(int(identities[i]), float(scores[i])) for i in order]

