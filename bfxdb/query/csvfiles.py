"""LOAD CSV's files: find one inside the import folder, and read its rows lazily within limits."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Generator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import CsvFileError, CsvFileRefused, QueryTypeError
from .values import type_name

#: Characters one line of a CSV file may hold; a longer one fails the query (no line is read whole
#: into memory first, so a file without line breaks cannot exhaust it).
MAX_CSV_LINE = 1 << 20

_GZIP_MAGIC = b"\x1f\x8b"


def resolve(url: Any, import_dir: str | None) -> Path:
    """Find the file a ``file:///...`` URL names inside the import folder.

    The URL's path is read relative to the folder, as Neo4j does (``file:///people.csv`` is
    ``<import_dir>/people.csv``).

    :raises QueryTypeError: for a URL that is not a string.
    :raises CsvFileRefused: without an import folder, for any URL but ``file:``, for ``..`` in the
        path, or for a path that leads out of the folder (through a symbolic link).
    :raises CsvFileError: when there is no such file.
    """
    if type(url) is not str:
        raise QueryTypeError(f"LOAD CSV FROM needs a string URL, not {type_name(url)}", "InvalidArgumentType")
    if import_dir is None:
        raise CsvFileRefused(
            "LOAD CSV is off: no import folder is configured (connect(..., import_dir=...), or --import-dir)",
            "LoadCsvDisabled",
        )
    parts = urlsplit(url)
    if parts.scheme.lower() != "file":
        if parts.scheme.lower() in ("http", "https", "ftp", "ftps", "s3", "gs"):
            message = f"LOAD CSV never reads from the network ({url}); put the file in the import folder"
        else:
            message = f"LOAD CSV reads file:/// URLs of the import folder, such as file:///people.csv, not {url!r}"
        raise CsvFileRefused(message, "LoadCsvUrlRefused")
    if parts.netloc not in ("", "localhost"):
        raise CsvFileRefused(f"LOAD CSV reads files of this machine only, not of {parts.netloc}", "LoadCsvUrlRefused")
    relative = PurePosixPath(unquote(parts.path).lstrip("/"))
    if ".." in relative.parts or "\\" in str(relative) or "\x00" in str(relative):
        raise CsvFileRefused(f"LOAD CSV may not leave the import folder: {url}", "LoadCsvPathEscape")
    root = Path(import_dir).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise CsvFileRefused(f"LOAD CSV may not leave the import folder: {url} leads outside it", "LoadCsvPathEscape")
    if not path.is_file():
        raise CsvFileError(f"there is no file {relative} in the import folder", "LoadCsvFileNotFound")
    return path


def read_rows(path: Path, terminator: str, name: str) -> Generator[list[str | None], None, None]:
    """Yield the fields of each record of a CSV file, opening it on the first pull.

    A gzip file is unpacked as it is read. Empty fields are null, as in Neo4j; blank lines are
    skipped and a UTF-8 byte-order mark is dropped. The file is closed when the rows end or the
    iterator is closed.

    :param name: the file as the query named it, for messages.
    :raises CsvFileError: for text that is not UTF-8, a line longer than MAX_CSV_LINE, or malformed CSV.
    """
    try:
        raw: Any = path.open("rb")
    except OSError as error:
        raise CsvFileError(f"cannot open {name}: {error.strerror}", "LoadCsvFileNotFound") from None
    with raw:
        if raw.peek(2)[:2] == _GZIP_MAGIC:
            raw = gzip.GzipFile(fileobj=raw)
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        lines = _Lines(text, name)
        reader = csv.reader(lines, delimiter=terminator, quotechar='"', doublequote=True, strict=True)
        try:
            for fields in reader:
                if fields:
                    yield [field or None for field in fields]
        except csv.Error as error:
            raise CsvFileError(f"{name} line {reader.line_num}: malformed CSV: {error}", "LoadCsvMalformed") from None
        except (UnicodeDecodeError, gzip.BadGzipFile, EOFError, zlib.error):
            raise CsvFileError(
                f"{name} is not UTF-8 text (line {lines.number + 1}); LOAD CSV reads UTF-8 CSV files, gzipped or not",
                "LoadCsvNotText",
            ) from None


class _Lines:
    """The physical lines of a text file, each read with a bound, numbered from 1 for messages."""

    __slots__ = ("text", "name", "number")

    def __init__(self, text: io.TextIOWrapper, name: str) -> None:
        self.text = text
        self.name = name
        self.number = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.text.readline(MAX_CSV_LINE + 1)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) > MAX_CSV_LINE:
            raise CsvFileError(
                f"{self.name} line {self.number} is longer than {MAX_CSV_LINE:,} characters", "LoadCsvLineTooLong"
            )
        if "\x00" in line:
            message = f"{self.name} line {self.number} holds a NUL character: not a text file"
            raise CsvFileError(message, "LoadCsvNotText")
        return line
