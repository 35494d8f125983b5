"""Copy a whole graph from one backend's store into another's: ids, labels, metadata, times and indexes kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from ..errors import Conflict, NotSupported
from ..identity import to_signed
from .backend import Backend
from .rows import encode_metadata, time_micros

#: Rows read from the source and written to the destination at a time: what memory holds of the graph.
COPY_BATCH = 10_000


def copy_store(
    source: Backend,
    destination: Backend,
    *,
    batch_size: int = COPY_BATCH,
    into_nonempty: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Copy every substrate, relationship and property index of ``source`` into ``destination``.

    The source is read in one snapshot; the destination is written in one transaction, so a
    failure anywhere leaves it as it was. Rows move ``batch_size`` at a time.

    :param into_nonempty: copy into a destination that holds data already (an identity both
        hold is then a Conflict, and nothing is written); refused by default.
    :param on_progress: called with the rows written so far after each batch.
    :returns: ``{"substrates": n, "relationships": m, "property_indexes": k}``.
    :raises Conflict: for a destination that is not empty (without ``into_nonempty``), or an identity both hold.
    :raises NotSupported: for constraints or search indexes in the source, which are not copied yet.
    """
    counts = {"substrates": 0, "relationships": 0, "property_indexes": 0}
    with source.guard, source.transaction(write=False):
        _refuse_uncopied(source)
        indexes = source.property_indexes()
        with destination.guard, destination.transaction():
            if not into_nonempty and (destination.count_substrates() or destination.count_relationships()):
                raise Conflict(
                    f"{destination.path} is not empty ({destination.count_substrates():,} substrates, "
                    f"{destination.count_relationships():,} relationships); copy into an empty database "
                    "or pass --into-nonempty"
                )
            for batch in _chunks(source.iter_substrates(), batch_size):
                substrate_rows: list[tuple] = []
                label_rows: list[tuple] = []
                for substrate in batch:
                    signed = to_signed(substrate.identity)
                    substrate_rows.append((
                        signed, substrate.expression_type, substrate.expression_code,
                        encode_metadata(dict(substrate.metadata)), _micros(substrate.created_at),
                    ))
                    label_rows.extend((signed, label) for label in substrate.labels)
                destination.bulk_insert(substrate_rows, label_rows, ())
                counts["substrates"] += len(substrate_rows)
                _report(on_progress, counts)
            for batch in _chunks(source.iter_relationships(), batch_size):
                relationship_rows = [
                    (
                        to_signed(relationship.identity), to_signed(relationship.source),
                        to_signed(relationship.target), relationship.rel_type,
                        encode_metadata(dict(relationship.metadata)), int(relationship.bidirectional),
                        _micros(relationship.created_at),
                    )
                    for relationship in batch
                ]
                destination.bulk_insert((), (), relationship_rows)
                counts["relationships"] += len(relationship_rows)
                _report(on_progress, counts)
            for _, name, label, keys in indexes:
                counts["property_indexes"] += destination.create_property_index(name, label, keys)
    with destination.guard:
        destination.refresh_statistics()
    return counts


def _refuse_uncopied(source: Backend) -> None:
    """Refuse a source with what the copy does not carry yet, rather than leave it behind silently."""
    if source.constraints():
        raise NotSupported(
            f"{source.path} has constraints, which bfxdb copy does not carry yet; drop them, copy, "
            "and create them again",
            feature="copy constraints",
        )
    try:
        indexes = source.search_indexes()
    except NotSupported:
        return  # a backend without search indexes has none to copy
    if indexes:
        raise NotSupported(
            f"{source.path} has full-text or vector indexes ({', '.join(index.name for index in indexes)}), "
            "which bfxdb copy does not carry yet; drop them, copy, and create them again",
            feature="copy search indexes",
        )


def _micros(created_at: str | None) -> int:
    if created_at is None:
        raise ValueError("a stored row without its creation time")
    return time_micros(created_at)


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while batch := list(islice(items, size)):
        yield batch


def _report(on_progress: Callable[[int], None] | None, counts: dict[str, int]) -> None:
    if on_progress is not None:
        on_progress(counts["substrates"] + counts["relationships"])
