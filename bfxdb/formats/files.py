"""Files under the formats: inputs opened plain or gzip and metered for progress, outputs renamed into place."""

from __future__ import annotations

import gzip
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..errors import InvalidInput

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

#: A byte stream read or written, plain or through gzip.
BinaryStream = io.BufferedReader | io.BufferedWriter | gzip.GzipFile


class _Counter(io.RawIOBase):
    """A raw reader that counts the bytes read through it, for progress in bytes."""

    def __init__(self, raw: io.BufferedReader) -> None:
        super().__init__()
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        read = self.raw.readinto(buffer)
        self.count += read
        return read

    def close(self) -> None:
        self.raw.close()
        super().close()


class Meter:
    """Opens input files and knows how many of their bytes have been read so far."""

    def __init__(self) -> None:
        self.finished = 0
        self.current: _Counter | None = None

    @property
    def position(self) -> int:
        """Bytes read so far, from every file this meter opened."""
        return self.finished + (self.current.count if self.current else 0)

    def open_binary(self, path: Path) -> _BinaryInput:
        """Open a file (gzip looked through) to read bytes, counting them.

        :raises InvalidInput: on entering, when the file cannot be opened.
        """
        return _BinaryInput(self, path)

    def open_text(self, path: Path, *, exact: bool = False) -> _TextInput:
        """Open a UTF-8 file (gzip looked through) to read text, counting its bytes.

        :param exact: keep line ends as they are (the csv module and quoted Cypher names need
            that) instead of reading each as ``\\n``.
        :raises InvalidInput: on entering, when the file cannot be opened.
        """
        return _TextInput(self, path, "" if exact else None)


class _Input:
    """One metered file, plain or gzip; entering opens it, leaving closes it and adds up its bytes."""

    def __init__(self, meter: Meter, path: Path) -> None:
        self.meter, self.path = meter, path
        self.stack = ExitStack()

    def _open(self) -> BinaryStream:
        try:
            counter = self.stack.enter_context(_Counter(open(self.path, "rb")))
        except OSError as error:
            raise InvalidInput(f"cannot read {self.path}: {error.strerror}") from None
        self.meter.current = counter
        stream: BinaryStream = io.BufferedReader(counter, 1 << 16)
        if self.path.suffix.lower() == ".gz":
            stream = gzip.GzipFile(fileobj=stream)
        return stream

    def __exit__(self, *exc_info: object) -> None:
        if self.meter.current is not None:
            self.meter.finished += self.meter.current.count
            self.meter.current = None
        self.stack.close()


class _BinaryInput(_Input):
    def __enter__(self) -> BinaryStream:
        return self._open()


class _TextInput(_Input):
    def __init__(self, meter: Meter, path: Path, newline: str | None) -> None:
        super().__init__(meter, path)
        self.newline = newline

    def __enter__(self) -> IO[str]:
        return io.TextIOWrapper(self._open(), encoding="utf-8-sig", newline=self.newline)


def open_binary(path: Path) -> BinaryStream:
    """Open a file to read bytes, looking through gzip for a ``.gz`` name.

    :raises InvalidInput: when the file cannot be opened.
    """
    try:
        return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")  # noqa: SIM115
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None


def open_text(path: Path) -> IO[str]:
    """Open a UTF-8 file (gzip looked through) to read text with its line ends as they are.

    :raises InvalidInput: when the file cannot be opened.
    """
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", newline="")


@contextmanager
def output(destination: str | os.PathLike[str] | None) -> Iterator[IO[str]]:
    """Yield a text stream to write; a file is written to a temporary name and renamed when complete.

    :param destination: a file (compressed when its name ends in ``.gz``), or None / ``"-"``
        for standard output.
    """
    if destination is None or str(destination) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(destination)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as raw:
            binary: BinaryStream = gzip.GzipFile(fileobj=raw, mode="wb") if path.suffix.lower() == ".gz" else raw
            with io.TextIOWrapper(binary, encoding="utf-8", newline="") as stream:
                yield stream
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
