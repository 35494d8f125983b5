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
#: The extensions that name an export format; ``.gz`` after one compresses the file.
_EXTENSIONS = {
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".graphml": "graphml",
    ".cypher": "cypher",
    ".cql": "cypher",
    ".csv": "csv",
}
_FILE_NAMES = "a file ending in .ndjson, .jsonl, .graphml or .cypher (each optionally .gz) or a folder for csv"


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


def format_for(destination: str | os.PathLike[str] | None, format: str | None = None) -> str:
    """Choose the export format from the destination's name and the format asked for, refusing a mismatch.

    Standard output (None or ``"-"``) is ndjson unless a format is asked for. A name ending
    in a slash, an existing folder, and a new name without an extension are a CSV folder. A
    known extension (``.gz`` aside) names its format, and must agree with `format` when both
    are given; an unknown extension needs `format`. A ``.csv`` name is refused because a CSV
    export is two files in a folder. Nothing is written here, so a refusal comes first.

    :param destination: where the export goes: a file, a folder, or None / ``"-"``.
    :param format: the format asked for (``--format``), or None to follow the name.
    :returns: one of EXPORT_FORMATS.
    :raises InvalidInput: for an unknown format, or a destination the format cannot be written to,
        with the reason and what to write instead.
    """
    if format is not None and format not in EXPORT_FORMATS:
        raise InvalidInput(f"unknown export format {format!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    if destination is None or str(destination) == "-":
        if format == "csv":
            raise InvalidInput("a CSV export writes two files: give a folder to write them into")
        return format or "ndjson"
    text = os.fspath(destination)
    path = Path(text)
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    extension = suffixes[-2 if compressed else -1] if len(suffixes) > compressed else None
    named = _EXTENSIONS.get(extension or "")
    slash = text.endswith(("/", os.sep))
    if named is not None and format is not None and named != format:
        raise InvalidInput(f"{text} is named as {named} ({extension}) but --format is {format}: make them agree")
    if slash or path.is_dir():
        one_file = format or named or "csv"
        if one_file != "csv":
            where = "ends in a slash, so it names a folder" if slash else "is a folder"
            fix = f"drop the slash: {text.rstrip('/' + os.sep)}" if slash else "name a file inside it or beside it"
            raise InvalidInput(f"{text} {where}, but {one_file} writes one file: {fix}")
        return "csv"
    chosen = format or named or ("csv" if extension is None and not compressed else None)
    if chosen is None:
        raise InvalidInput(f"cannot tell the export format from the name {text!r}: name {_FILE_NAMES}, "
                           "or give --format")
    if chosen == "csv":
        if named == "csv":
            raise InvalidInput(
                f"a CSV export writes two files (substrates.csv and relationships.csv) into a folder, so it cannot "
                f"be the one file {text}: name a folder, such as {path.with_suffix('')}/"
            )
        if compressed:
            raise InvalidInput(f"a CSV export writes plain files into a folder: name it without .gz, not {text}")
        if path.exists():
            raise InvalidInput(f"{text} is a file, but a CSV export writes a folder: name a folder")
    return chosen


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
    :raises InvalidInput: for an unknown format, a destination that does not fit it (see
        `format_for`; refused before anything is written), or data the format cannot carry
        (the message says which and suggests NDJSON).
    """
    format = format_for(destination, format)
    folder = None if destination is None or str(destination) == "-" else Path(destination)
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
