"""The algorithms from Python: ``db.algorithms.pagerank(...)`` and friends, each in one transaction of its own."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from ..errors import InvalidInput, QueryTimeout
from .cache import SNAPSHOTS
from .catalogue import ALGORITHMS, Algorithm
from .projection import Projection
from .runner import ESTIMATED, WRITE_KEY, run
from .snapshot import Snapshot, check_memory, take_snapshot

BY_METHOD = {algorithm.method: algorithm for algorithm in ALGORITHMS}

_WORD = re.compile(r"_([a-z])")


class AlgorithmResult(dict):
    """An algorithm's result: {node identity: value} in row order; ``column`` names the value, ``written``
    counts the nodes whose property was set."""

    def __init__(self, values: Mapping[int, Any] | Iterable[tuple[int, Any]], column: str, written: int = 0) -> None:
        super().__init__(values)
        self.column = column
        self.written = written

    def to_pandas(self) -> Any:
        """The result as a pandas DataFrame with columns ``identity`` and the value's (needs pandas)."""
        try:
            pandas = importlib.import_module("pandas")
        except ImportError:
            from ..errors import ExtraMissing

            raise ExtraMissing("to_pandas needs pandas: pip install 'bfxdb[pandas]'", extra="pandas") from None
        return pandas.DataFrame({"identity": list(self.keys()), self.column: list(self.values())})


class Algorithms:
    """Every graph algorithm as a method: options as keyword arguments in snake_case (``node_labels``,
    ``relationship_types``, ``direction``, ``weight_property``, ``damping_factor``, ``source_node``, ...),
    ``write="prop"`` to store the result as a node property, ``timeout`` and ``memory`` as for queries.

    >>> db.algorithms.pagerank(relationship_types=["LINKS"])   # doctest: +SKIP
    {1234: 0.15, ...}
    """

    def __init__(self, store: Any, guard: Any, limits: Callable[[], tuple[float | None, int | None]]) -> None:
        self._store = store
        self._guard = guard
        self._limits = limits

    def __dir__(self) -> list[str]:
        return sorted(BY_METHOD)

    def __getattr__(self, name: str) -> Callable[..., AlgorithmResult]:
        algorithm = BY_METHOD.get(name)
        if algorithm is None:
            raise AttributeError(f"no algorithm {name!r}; there are {', '.join(sorted(BY_METHOD))}")

        def call(*, timeout: float | None = None, memory: int | None = None, **options: Any) -> AlgorithmResult:
            return self._run(algorithm, options, timeout, memory)

        call.__name__ = name
        call.__doc__ = algorithm.description
        return call

    def _run(
        self, algorithm: Algorithm, options: dict[str, Any], timeout: float | None, memory: int | None
    ) -> AlgorithmResult:
        default_timeout, default_memory = self._limits()
        limit = default_timeout if timeout is None else timeout
        budget = default_memory if memory is None else memory
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
            raise InvalidInput("memory must be a number of bytes")
        config = {_camel(key): value for key, value in options.items()}
        writes = config.get(WRITE_KEY) is not None
        store = self._store
        try:
            with self._guard:
                # A write must work on what its own transaction reads, so it never reuses a snapshot.
                version = None if writes else store.data_version()
                taken: list[Snapshot] = []
                result, written = store.run_bounded(
                    writes, limit, _compute, algorithm, store, config, budget, writes, version, taken, limit=limit
                )
                # Unchanged since before the transaction: what it read is the state at ``version``.
                if taken and version is not None and store.data_version() == version:
                    SNAPSHOTS.put(store, version, taken[0])
        except QueryTimeout as error:
            if error.detail_code == ESTIMATED:
                raise
            raise QueryTimeout(f"{algorithm.method} ran past its time limit of {limit:g} s") from None
        result.written = written
        return result


def _compute(
    algorithm: Algorithm,
    store: Any,
    config: dict,
    budget: int | None,
    writes: bool,
    version: Hashable | None,
    taken: list[Snapshot],
    check: Callable[[], None],
) -> Any:
    """Run the algorithm on the snapshot taken at ``version`` if there is one, or on a new one it adds to ``taken``."""

    def snapshot_of(projection: Projection) -> Snapshot:
        snapshot = SNAPSHOTS.get(store, version, projection)
        if snapshot is None:
            snapshot = take_snapshot(store, projection, check, budget, version)
            taken.append(snapshot)
        else:
            check_memory(snapshot.size, snapshot.relationships, budget)
        return snapshot

    def into(pairs: Iterable[tuple[int, Any]]) -> AlgorithmResult:
        # built once, as the caller gets it: a copy of 1M pairs would add a tenth of WCC's time
        return AlgorithmResult(pairs, algorithm.column)

    return run(algorithm, store, config, check, budget, writes=writes, snapshot_of=snapshot_of, into=into)


def _camel(name: str) -> str:
    return _WORD.sub(lambda match: match.group(1).upper(), name)
