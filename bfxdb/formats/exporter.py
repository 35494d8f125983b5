"""Export a whole database as NDJSON, CSV, GraphML or a Cypher dump that `bfxdb import` reads back unchanged.

Every export reads one consistent snapshot. Ids, labels, metadata (with the JSON type of
every value), expressions, relationship types and the bidirectional flag all survive the
round trip; ``created_at`` is written by NDJSON only, and a re-import stamps its own time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from ..errors import InvalidInput
from ..model import Relationship, Substrate
from . import csv, cypher_dump, graphml, ndjson
from .csv import DEFAULT_ARRAY_DELIMITER, RELATIONSHIPS_CSV, SUBSTRATES_CSV
from .files import output

T = TypeVar("T")
EXPORT_FORMATS = ("ndjson", "csv", "graphml", "cypher")
_EXTENSIONS = {".ndjson": "ndjson", ".jsonl": "ndjson", ".graphml": "graphml", ".cypher": "cypher", ".cql": "cypher"}


class ExportSource(Protocol):
    """What an export needs of a database (``bfxdb.Database`` is one)."""

    def snapshot(self) -> AbstractContextManager[object]: ...

    def count_substrates(self) -> int: ...

    def count_relationships(self) -> int: ...

    def iter_substrates(self) -> Iterator[Substrate]: ...

    def iter_relationships(self) -> Iterator[Relationship]: ...


@dataclass
class ExportReport:
    """What an export wrote."""

    substrates: int = 0
    relationships: int = 0
    files: tuple[str, ...] = ()


def format_for(destination: str | os.PathLike[str] | None) -> str:
    """Guess the export format from the destination's name: a known extension, else CSV for a folder.

    :returns: ``ndjson`` for standard output and unknown extensions.
    """
    if destination is None or str(destination) == "-":
        return "ndjson"
    path = Path(destination)
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    if suffixes and suffixes[-1] in _EXTENSIONS:
        return _EXTENSIONS[suffixes[-1]]
    if path.is_dir() or not suffixes:
        return "csv"
    return "ndjson"


def export(
    db: ExportSource,
    format: str,
    destination: str | os.PathLike[str] | None = None,
    *,
    array_delimiter: str = DEFAULT_ARRAY_DELIMITER,
    on_progress: Callable[[int, int], None] | None = None,
) -> ExportReport:
    """Write the whole database in one format.

    A file destination is written beside itself and renamed into place when complete; a name
    ending in ``.gz`` is compressed. CSV writes ``substrates.csv`` and ``relationships.csv``
    into the destination folder.

    :param format: one of ``ndjson``, ``csv``, ``graphml``, ``cypher``.
    :param destination: a file (a folder for CSV), or None / ``"-"`` for standard output.
    :param on_progress: called now and then with (rows done, rows in all).
    :returns: an ExportReport.
    :raises InvalidInput: for an unknown format, a CSV export without a folder, or data the
        format cannot carry (the message says which and suggests NDJSON).
    """
    if format not in EXPORT_FORMATS:
        raise InvalidInput(f"unknown export format {format!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    folder = None if destination is None or str(destination) == "-" else Path(destination)
    if format == "csv" and folder is None:
        raise InvalidInput("a CSV export writes two files: give a folder to write them into")
    with db.snapshot():
        substrates, relationships = db.count_substrates(), db.count_relationships()
        passes = 2 if format in ("csv", "graphml") else 1
        progress = _Progress(on_progress, passes * (substrates + relationships))
        report = ExportReport(substrates, relationships)

        def scan_substrates() -> Iterable[Substrate]:
            return progress.counted(db.iter_substrates())

        def scan_relationships() -> Iterable[Relationship]:
            return progress.counted(db.iter_relationships())

        if format == "csv" and folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            with output(folder / SUBSTRATES_CSV) as stream:
                csv.write_substrates(stream, scan_substrates, array_delimiter)
            with output(folder / RELATIONSHIPS_CSV) as stream:
                csv.write_relationships(stream, scan_relationships, array_delimiter)
            report.files = (str(folder / SUBSTRATES_CSV), str(folder / RELATIONSHIPS_CSV))
        else:
            with output(destination) as stream:
                if format == "graphml":
                    graphml.write(stream, scan_substrates, scan_relationships)
                elif format == "ndjson":
                    ndjson.write(stream, scan_substrates(), scan_relationships())
                else:
                    cypher_dump.write(stream, scan_substrates(), scan_relationships())
            report.files = (str(destination or "-"),)
        progress.finish()
    return report


class _Progress:
    """Counts rows and tells the caller every few thousand."""

    def __init__(self, callback: Callable[[int, int], None] | None, total: int) -> None:
        self.callback, self.total, self.done = callback, total, 0

    def tick(self) -> None:
        self.done += 1
        if self.callback is not None and self.done % 2048 == 0:
            self.callback(self.done, self.total)

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            yield item
            self.tick()

    def finish(self) -> None:
        if self.callback is not None:
            self.callback(self.total, self.total)
