"""Load graph files into a database: plan the inputs, read each in its format, batch rows into bulk_load.

Everything is loaded in one transaction, or with ``commit_batches`` one transaction per batch.
Every row is checked as it is read; a bad row is reported as ``file:line: reason`` and either
skipped or aborts the import, which then writes nothing (nothing after the last committed
batch). A failure of the database itself (a full disk, an interrupt) always aborts: the
report counts committed rows only. Relationships may come before the substrates they join:
they wait for the end.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import BfxError, Conflict, InvalidInput, NotFound, QueryTimeout, ReadOnlyError, StorageError
from ..identity import assign_identity, format_id
from ..model import Substrate
from . import csv, cypher_dump, graphml, ndjson
from .csv import DEFAULT_ARRAY_DELIMITER
from .files import Meter, open_binary
from .rows import BadRow, BadRowError, Row, Source

DEFAULT_BATCH = 20_000
IMPORT_FORMATS = ("csv", "ndjson", "graphml", "cypher")
_EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "ndjson",
    ".graphml": "graphml", ".xml": "graphml",
    ".cypher": "cypher", ".cql": "cypher",
}  # fmt: skip


class ImportTarget(Protocol):
    """What an import needs of a database (``bfxdb.Database`` is one)."""

    def transaction(self) -> AbstractContextManager[object]: ...

    def bulk_load(
        self, substrates: Iterable[Mapping[str, Any]], relationships: Iterable[Mapping[str, Any]]
    ) -> dict[str, int]: ...

    def count_substrates(self) -> int: ...

    def get_substrate(self, identity: int) -> Substrate: ...

    def query(self, text: str) -> object: ...


# ---------------------------------------------------------------- the plan: which files, read how


def detect_format(path: Path) -> str:
    """Tell a file's format by its extension (``.gz`` looked through), else by its first character.

    :raises InvalidInput: when the file cannot be read.
    """
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    if suffixes and suffixes[-1] in _EXTENSIONS:
        return _EXTENSIONS[suffixes[-1]]
    try:
        with open_binary(path) as stream:
            start = stream.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error}") from None
    if start.startswith(b"{"):
        return "ndjson"
    if start.startswith(b"<"):
        return "graphml"
    return "csv"


def parse_group(spec: str) -> tuple[tuple[str, ...], tuple[Path, ...]]:
    """Read a neo4j-admin style file group: ``[Name[:Name...]=]file[,file...]``.

    :param spec: the group as given to ``--nodes`` or ``--relationships``.
    :returns: the names before ``=`` (labels, or one relationship type) and the files.
    """
    names: tuple[str, ...] = ()
    files = spec
    if "=" in spec and not Path(spec).exists():
        prefix, files = spec.split("=", 1)
        names = tuple(name for name in prefix.split(":") if name)
    return names, tuple(Path(part) for part in files.split(",") if part)


def plan_sources(
    files: Iterable[str | Path] = (),
    nodes: Iterable[tuple[Sequence[str], Sequence[str | Path]]] = (),
    relationships: Iterable[tuple[Sequence[str], Sequence[str | Path]]] = (),
    *,
    format: str | None = None,
    delimiter: str | None = None,
) -> list[Source]:
    """Decide how to read each input, reading CSV headers to tell node files from relationship files.

    Directories stand for the files in them. Node files come first, then mixed files (NDJSON,
    GraphML, Cypher), then relationship files, so relationships find their endpoints.

    :param files: inputs whose format (and CSV role) is detected.
    :param nodes: ``(labels, files)`` groups of CSV node files, as ``--nodes``.
    :param relationships: ``(type, files)`` groups of CSV relationship files, as ``--relationships``.
    :param format: force one format for `files` instead of detecting it.
    :param delimiter: the CSV field delimiter, or None for ``,`` (tab for ``.tsv``).
    :returns: the sources in the order to load them.
    :raises InvalidInput: for a missing file, an unreadable header or a role that cannot be told.
    """
    sources: list[Source] = []
    for labels, group in nodes:
        sources.append(csv.plan_source(group, "nodes", delimiter, labels=tuple(labels)))
    for names, group in relationships:
        if len(names) > 1:
            raise InvalidInput(f"a relationship group takes one type, not {':'.join(names)}")
        sources.append(csv.plan_source(group, "relationships", delimiter, rel_type=names[0] if names else None))
    for path in _expand(files):
        kind = format or detect_format(path)
        if kind not in IMPORT_FORMATS:
            raise InvalidInput(f"unknown import format {kind!r}; choose one of {', '.join(IMPORT_FORMATS)}")
        sources.append(csv.plan_source([path], None, delimiter) if kind == "csv" else Source((path,), kind))
    order = {"nodes": 0, None: 1, "relationships": 2}
    return sorted(sources, key=lambda source: order[source.role])


def _expand(files: Iterable[str | Path]) -> Iterator[Path]:
    for entry in files:
        path = Path(entry)
        if path.is_dir():
            inner = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not inner:
                raise InvalidInput(f"{path} holds no files to import")
            yield from inner
        elif not path.exists():
            raise InvalidInput(f"{path} does not exist")
        else:
            yield path


# ---------------------------------------------------------------- loading


@dataclass
class ImportOptions:
    """How to read and load: bad-row policy, batch size, whether each batch commits, and CSV dialect."""

    skip_bad: bool = False
    batch_size: int = DEFAULT_BATCH
    delimiter: str | None = None
    array_delimiter: str = DEFAULT_ARRAY_DELIMITER
    commit_batches: bool = False


@dataclass
class ImportReport:
    """What an import did; the counts are of committed rows only, so after a failure they say what the file holds.

    ``batches`` counts the commits (one for an import in one transaction) and ``committed_through``
    is the ``file:line`` of the last row read when the last commit was made: every row up to it
    is in the database, was reported bad or is a relationship waiting for a later endpoint
    (those load at the end); none after it is.
    """

    substrates: int = 0
    relationships: int = 0
    statements: int = 0
    bad: int = 0
    rows: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    batches: int = 0
    committed_through: str | None = None

    @property
    def rows_per_second(self) -> float:
        """Rows read per second of the whole import."""
        return self.rows / self.seconds if self.seconds else 0.0


#: Errors that end an import whatever the bad-row policy: the database failed, not the row.
#: SQLite may answer them (a full disk, an I/O error, an interrupt) by rolling back the whole
#: transaction, so nothing may be loaded after them as if the earlier rows were still pending.
_FATAL = (StorageError, QueryTimeout, ReadOnlyError)


def ends_import(error: BfxError) -> bool:
    """Tell whether an error met while loading ends the whole import rather than refusing one row.

    True for a full disk, an I/O error, a damaged file, a timeout or an interrupt, and a
    read-only database: after them the rows loaded so far in the transaction may already be
    rolled back, so loading on would commit a part while reporting the whole.
    """
    return isinstance(error, _FATAL)


class _Loader:
    """Batches rows into bulk_load; finds the file:line of whatever a failed batch refused.

    Counts go to ``pending`` until `committed` moves them into the report, so the report only
    ever counts rows a commit has made durable.
    """

    def __init__(
        self,
        db: ImportTarget,
        options: ImportOptions,
        report: ImportReport,
        on_bad: Callable[[str, str], None] | None,
    ) -> None:
        self.db = db
        self.options = options
        self.report = report
        self.on_bad = on_bad
        self.known: set[int] = set()
        self.absent: set[int] = set()
        self.had_substrates = db.count_substrates() > 0
        self.substrates: list[Row] = []
        self.relationships: list[Row] = []
        self.deferred: list[Row] = []
        self.pending = ImportReport()
        self.added = 0
        #: the file:line of the last row read from the inputs
        self.where: str | None = None

    def load(self, rows: Iterator[Row | BadRow], limit: int | None) -> bool:
        """Add rows until ``limit`` of them are in (None: all), then flush; True when the rows have run out."""
        self.added = 0
        for row in rows:
            self.add(row)
            self.added += 1
            if limit is not None and self.added >= limit:
                self.flush()
                return False
        self.flush()
        return True

    def committed(self) -> None:
        """Count what the commit just made as imported."""
        pending, report = self.pending, self.report
        if not self.added:
            return
        report.substrates += pending.substrates
        report.relationships += pending.relationships
        report.statements += pending.statements
        report.batches += 1
        report.committed_through = self.where
        self.pending = ImportReport()

    def add(self, row: Row | BadRow) -> None:
        if isinstance(row, BadRow):
            self.bad(row.where, row.reason)
        elif row.kind == "substrate":
            self._add_substrate(row)
        elif row.kind == "relationship":
            if self._exists(row.item["source"]) and self._exists(row.item["target"]):
                self.relationships.append(row)
            else:
                # Its endpoint may come later in the input; look again at the end.
                self.deferred.append(row)
        else:
            self.flush()
            self._statement(row)
        if len(self.substrates) + len(self.relationships) >= self.options.batch_size:
            self.flush()

    def deferred_rows(self) -> Iterator[Row | BadRow]:
        """The relationships that waited for the end: each now loads, or is bad for its missing endpoint."""
        deferred, self.deferred = self.deferred, []
        for row in deferred:
            ends = zip(("source", "target"), row.refs or ("", ""), (row.item["source"], row.item["target"]))
            missing = [(role, ref, end) for role, ref, end in ends if not self._exists(end)]
            if missing:
                role, ref, end = missing[0]
                named = f" ({ref})" if ref and ref != format_id(end) else ""
                yield BadRow(row.where, f"{role} substrate {format_id(end)}{named} not found")
            else:
                yield row

    def bad(self, where: str, reason: str) -> None:
        self.report.bad += 1
        if not self.options.skip_bad:
            raise BadRowError(f"{where}: {reason}", where=where)
        if self.on_bad is not None:
            self.on_bad(where, reason)

    def flush(self) -> None:
        if not self.substrates and not self.relationships:
            return
        substrates, self.substrates = self.substrates, []
        relationships, self.relationships = self.relationships, []
        try:
            self.db.bulk_load([row.item for row in substrates], [row.item for row in relationships])
        except BfxError as error:
            if ends_import(error):
                raise
            # The batch was rolled back as a whole; load it row by row to name the culprits.
            self._one_by_one(substrates, relationships)
            return
        self.pending.substrates += len(substrates)
        self.pending.relationships += len(relationships)

    def _one_by_one(self, substrates: list[Row], relationships: list[Row]) -> None:
        for row in substrates:
            try:
                self.db.bulk_load([row.item], ())
                self.pending.substrates += 1
            except Conflict:
                self.bad(row.where, f"substrate {format_id(row.item['identity'])} already exists")
            except BfxError as error:
                if ends_import(error):
                    raise
                self.known.discard(row.item["identity"])
                self.bad(row.where, str(error))
        for row in relationships:
            try:
                self.db.bulk_load((), [row.item])
                self.pending.relationships += 1
            except NotFound:
                item = row.item
                missing = [
                    f"{role} substrate {format_id(end)}"
                    for role, end in (("source", item["source"]), ("target", item["target"]))
                    if not self._exists(end)
                ]
                self.bad(row.where, f"{missing[0] if missing else 'an endpoint'} not found: its row was refused")
            except Conflict:
                identity = row.item.get("identity")
                named = "" if identity is None else f" {format_id(identity)}"
                self.bad(row.where, f"relationship{named} already exists")
            except BfxError as error:
                if ends_import(error):
                    raise
                self.bad(row.where, str(error))

    def _add_substrate(self, row: Row) -> None:
        item = row.item
        if item["identity"] is None:
            # The identity bulk_load would give it, known now so relationships can find it. A
            # malformed expression gets a random one here; bulk_load then refuses the row.
            code, kind = item.get("expression_code"), item.get("expression_type")
            typed = isinstance(code, str) and (kind is None or isinstance(kind, str))
            item["identity"] = assign_identity(None, kind if typed else None, code if typed else None)
        identity = item["identity"]
        if identity in self.known:
            self.bad(row.where, f"substrate {format_id(identity)} appears twice in this import")
            return
        self.known.add(identity)
        self.substrates.append(row)

    def _exists(self, identity: int) -> bool:
        if identity in self.known:
            return True
        if not self.had_substrates or identity in self.absent:
            return False
        try:
            self.db.get_substrate(identity)
        except NotFound:
            self.absent.add(identity)
            return False
        self.known.add(identity)
        return True

    def _statement(self, row: Row) -> None:
        try:
            self.db.query(row.item["text"])
        except BfxError as error:
            if ends_import(error):
                raise
            self.bad(row.where, str(error))
            return
        self.pending.statements += 1
        # A statement may have created or deleted anything: forget what was learned.
        self.absent.clear()
        self.had_substrates = True


def import_sources(
    db: ImportTarget,
    sources: Sequence[Source],
    options: ImportOptions | None = None,
    *,
    on_bad: Callable[[str, str], None] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
    report: ImportReport | None = None,
) -> ImportReport:
    """Load every source into the database in one transaction (all of it, or nothing on an error), or batch by batch.

    With ``options.commit_batches`` each batch of ``batch_size`` rows commits by itself, so a
    failure keeps the batches before it; `report` then says how many and up to which row.

    :param db: the database to load into (a ``bfxdb.Database``).
    :param sources: from `plan_sources`, in that order.
    :param options: the bad-row policy, batch size, commit policy and CSV dialect; the defaults when None.
    :param on_bad: called with (``file:line``, reason) for each skipped row when ``skip_bad``.
    :param on_progress: called now and then with (bytes read, bytes in all, rows read).
    :param report: the report to fill in as the import goes, for a caller that wants to know what
        was committed when the import fails; a new one when None.
    :returns: the ImportReport.
    :raises BadRowError: at the first bad row unless ``options.skip_bad``; the rows of its batch
        (of the whole import, without ``commit_batches``) are not written.
    :raises InvalidInput: for an unreadable file or header.
    :raises StorageFull: when the disk fills; likewise nothing of the failed batch is written.
    """
    options = options or ImportOptions()
    if options.batch_size < 1:
        raise InvalidInput("the batch size must be at least 1")
    report = report if report is not None else ImportReport()
    report.files = sum(len(source.paths) for source in sources)
    report.bytes = sum(path.stat().st_size for source in sources for path in source.paths)
    meter = Meter()
    started = time.perf_counter()
    loader = _Loader(db, options, report, on_bad)

    def read() -> Iterator[Row | BadRow]:
        for source in sources:
            for row in _rows(source, meter, options):
                report.rows += 1
                loader.where = row.where
                yield row
                if on_progress is not None and report.rows % 1024 == 0:
                    on_progress(meter.position, report.bytes, report.rows)
        yield from loader.deferred_rows()

    rows = read()
    limit = options.batch_size if options.commit_batches else None
    done = False
    while not done:
        with _HeldInterrupt() as held:
            with db.transaction():
                done = loader.load(rows, limit)
                # Ctrl-C between the COMMIT and its counting would make the report miss a batch
                held.hold()
            loader.committed()
    report.seconds = time.perf_counter() - started
    if on_progress is not None:
        on_progress(report.bytes, report.bytes, report.rows)
    return report


class _HeldInterrupt:
    """Hold back a SIGINT from `hold` to the end of the block, then hand it to the handler it was meant for.

    Only in the main thread (the only one Python runs signal handlers in), and only over the
    default handler or a Python one; its previous handler is back when the block ends.
    """

    def __init__(self) -> None:
        self.previous: Any = None
        self.came = False

    def __enter__(self) -> _HeldInterrupt:
        return self

    def hold(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGINT)
        if callable(previous):
            self.previous = previous
            signal.signal(signal.SIGINT, self._note)

    def _note(self, signum: int, frame: object) -> None:
        self.came = True

    def __exit__(self, *exc_info: object) -> None:
        if self.previous is None:
            return
        signal.signal(signal.SIGINT, self.previous)
        if self.came:
            self.previous(signal.SIGINT, None)


def import_files(
    db: ImportTarget,
    files: Iterable[str | Path] = (),
    *,
    nodes: Iterable[tuple[Sequence[str], Sequence[str | Path]]] = (),
    relationships: Iterable[tuple[Sequence[str], Sequence[str | Path]]] = (),
    format: str | None = None,
    options: ImportOptions | None = None,
    on_bad: Callable[[str, str], None] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> ImportReport:
    """Plan and run an import in one call; see `plan_sources` and `import_sources`.

    >>> import bfxdb, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "people.csv").write_text("id:ID,:LABEL,age:int\\nalice,Person,30\\n")
    >>> with bfxdb.connect() as db:
    ...     import_files(db, [folder / "people.csv"]).substrates
    1

    :returns: an ImportReport.
    :raises BadRowError: at the first bad row unless ``options.skip_bad``; nothing is written.
    :raises InvalidInput: for a missing or unreadable file or header.
    """
    options = options or ImportOptions()
    sources = plan_sources(files, nodes, relationships, format=format, delimiter=options.delimiter)
    return import_sources(db, sources, options, on_bad=on_bad, on_progress=on_progress)


def _rows(source: Source, meter: Meter, options: ImportOptions) -> Iterator[Row | BadRow]:
    if source.format == "csv":
        rows = csv.read_rows(source, meter, options.delimiter, options.array_delimiter)
    elif source.format == "ndjson":
        rows = ndjson.read_rows(source, meter)
    elif source.format == "graphml":
        rows = graphml.read_rows(source, meter)
    else:
        rows = cypher_dump.read_rows(source, meter)
    try:
        yield from rows
    except (OSError, UnicodeDecodeError, EOFError) as error:
        # A truncated gzip stream, a disk error or bytes that are not UTF-8 end the whole file.
        raise InvalidInput(f"cannot read {source.name}: {error}") from None
