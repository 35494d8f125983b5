"""The `bfxdb` commands: init, query, shell, stats, check, backup and demo (import and export are in transfer)."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import click

import bfxdb

from .output import INTERRUPTED, OUTPUT_FORMATS, CtrlC, error_text, summary, write_result
from .progress import ProgressBar
from .shell import Shell, parse_parameter

DEFAULT_DATABASE = "bfxdb.db"
MULTIPLY_CODE = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'
EXIT_CODES = """\b
Exit codes: 0 success; 1 the command failed (a query error, a bad row,
a problem found by check, an unreadable file); 2 bad usage (unknown
option, malformed --param or --params-json, missing file); 130 stopped
by Ctrl-C."""
#: The exit status of a command stopped by Ctrl-C, as shells report SIGINT (128 + 2).
EXIT_INTERRUPTED = 130


class DatabaseTarget(click.ParamType):
    """A database argument: a SQLite file's path or a ``postgresql://`` URL (given as it is, never checked on disk).

    ``existing`` also requires a file path to name a file that exists, as the commands that only read do.
    """

    name = "database"

    def __init__(self, existing: bool) -> None:
        self.existing = existing
        self._path = click.Path(exists=existing, dir_okay=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = os.fspath(value)
        if bfxdb.is_database_url(text):
            return text
        return str(self._path.convert(text, param, ctx))


#: A database the command reads: a file that exists, or a PostgreSQL URL.
EXISTING_DATABASE = DatabaseTarget(existing=True)
#: A database the command may create: any file path, or a PostgreSQL URL.
DATABASE = DatabaseTarget(existing=False)


class Command(click.Command):
    """A command whose bfxdb errors end it with their message and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except bfxdb.BfxError as error:
            raise click.ClickException(error_text(error)) from None


@click.command(cls=Command)
@click.argument("path", default=DEFAULT_DATABASE, required=False)
def demo(path: str) -> None:
    """Run the seed's multiply example against PATH (default: ./bfxdb.db) and print each step."""
    click.echo(f"database: {path}")
    with bfxdb.connect(path) as db:
        try:
            multiply = db.create_substrate("lambda", MULTIPLY_CODE, metadata={"name": "multiply"})
            click.echo(f"created substrate {multiply.substrate_id} (multiply)")
        except bfxdb.Conflict as conflict:
            multiply = db.get_substrate(str(conflict.details["substrate_id"]))
            click.echo(f"found substrate {multiply.substrate_id} (multiply) from an earlier run")
        result = db.invoke(multiply.identity, {"x": 5, "y": 7})
        click.echo(f"invoke {multiply.substrate_id} with x=5, y=7 -> {result}")
        dimensions = db.divide(multiply.identity, materialize=True)
        click.echo(f"divided into {len(dimensions)} dimensions: " + ", ".join(d.name for d in dimensions))
        click.echo(f"totals: {db.count_substrates()} substrates, {db.count_relationships()} relationships")


@click.command(cls=Command, epilog=EXIT_CODES)
@click.argument("path", type=DATABASE)
def init(path: str) -> None:
    """Make a new bfxdb database at PATH, a missing or empty file or a PostgreSQL URL.

    A bfxdb database already at PATH is kept (and upgraded to this version's schema). Another
    application's SQLite file is refused and left unchanged: bfxdb never adds its tables to a
    file it does not own.
    """
    existed = os.path.exists(path) and os.path.getsize(path) > 0
    with bfxdb.connect(path) as db:
        version = db.schema_version()
    if bfxdb.is_database_url(path):
        click.echo(f"bfxdb database {db.path} is ready (schema version {version})")
    elif existed:
        click.echo(f"{path} is already a bfxdb database (schema version {version})")
    else:
        click.echo(f"created bfxdb database {path} (schema version {version})")


# ---------------------------------------------------------------- query and shell


def _parameters(params: tuple[str, ...], params_json: str | None) -> dict:
    """Merge --params-json and --param values; a bad one is a usage error (exit 2)."""
    parameters: dict = {}
    if params_json is not None:
        try:
            parameters = json.loads(params_json)
        except ValueError as error:
            raise click.BadParameter(f"not JSON: {error}", param_hint="--params-json") from None
        if not isinstance(parameters, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--params-json")
    for text in params:
        try:
            name, value = parse_parameter(text)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--param") from None
        parameters[name] = value
    return parameters


#: The memory budget option of the commands that run queries, in MiB like `bfxdb serve --query-memory`.
_MEMORY_OPTION = click.option(
    "--query-memory", type=click.IntRange(min=1), default=bfxdb.DEFAULT_QUERY_MEMORY >> 20, show_default=True,
    help="Memory budget of one query, in MiB; past it the query stops with QueryLimitExceeded.",
)
_IMPORT_DIR_OPTION = click.option(
    "--import-dir", type=click.Path(exists=True, file_okay=False), default=None,
    help="The folder LOAD CSV reads file:/// URLs from; without it LOAD CSV is refused.",
)
_PARAM_HELP = (
    "A query parameter: $NAME gets VALUE, read as JSON when it is JSON (42, true, [1,2]) and as text otherwise."
)


@click.command(cls=Command, epilog=EXIT_CODES)
@click.argument("database", type=EXISTING_DATABASE)
@click.argument("cypher")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help=_PARAM_HELP)
@click.option("--params-json", metavar="JSON", help="All parameters as one JSON object; --param values win.")
@click.option(
    "--format", "-f", "output_format", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True,
    help="table for people; json (columns, rows, stats), csv or ndjson (one object per row) for scripts.",
)
@click.option("--read-only", is_flag=True, help="Refuse a query that writes.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Stop the query after this many seconds.")
@_MEMORY_OPTION
@_IMPORT_DIR_OPTION
def query(
    database: str,
    cypher: str,
    params: tuple[str, ...],
    params_json: str | None,
    output_format: str,
    read_only: bool,
    timeout: float | None,
    query_memory: int,
    import_dir: str | None,
) -> None:
    """Run one openCypher query on DATABASE and print its result.

    CYPHER is the query text, or - to read it from standard input. The result goes to
    standard output as the rows come (the table once it has them all), then a line with
    the row count, changes and time to standard error; a syntax error shows the line with
    a caret under the spot. An error after rows went out exits 1 too, and a json document
    still ends, with an "error" member. EXPLAIN prints the plan instead of rows (-f json:
    {"plan": ...}); Ctrl-C
    stops the query, writes nothing and exits 130.

    \b
    Examples:
      bfxdb query graph.db "MATCH (n:Person) RETURN n.name, n.age ORDER BY n.age"
      bfxdb query graph.db "MATCH (n) WHERE n.age > $min RETURN n" -p min=30 -f json
    """
    parameters = _parameters(params, params_json)
    text = sys.stdin.read() if cypher == "-" else cypher
    ctrl_c = CtrlC()
    try:
        with ctrl_c, bfxdb.connect(
            database, read_only=read_only, query_memory=query_memory << 20, import_dir=import_dir
        ) as db:
            started = time.perf_counter()
            with db.stream(text, parameters, read_only=read_only, timeout=timeout) as result:
                if result.explained:
                    plan = result.plan or "no plan"
                    click.echo(json.dumps({"plan": plan}) if output_format == "json" else plan)
                    return
                count = write_result(result, output_format, sys.stdout, ctrl_c)
            elapsed = time.perf_counter() - started
    except (KeyboardInterrupt, bfxdb.QueryTimeout):
        if not ctrl_c.pressed:
            raise
        sys.stdout.flush()
        click.echo(f"Error: {INTERRUPTED}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    click.echo(summary(count, result.stats, elapsed), err=True)
    if result.profile is not None:
        click.echo(result.plan, err=True)  # PROFILE: the measured plan beside the summary, rows stay clean


@click.command(cls=Command, epilog=EXIT_CODES)
@click.argument("database", type=DATABASE)
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help=_PARAM_HELP)
@click.option("--format", "-f", "output_format", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True)
@click.option("--read-only", is_flag=True, help="Open the database read-only.")
@_MEMORY_OPTION
@_IMPORT_DIR_OPTION
def shell(
    database: str, params: tuple[str, ...], output_format: str, read_only: bool, query_memory: int,
    import_dir: str | None,
) -> None:
    """Open an interactive Cypher shell on DATABASE (created if missing).

    End each statement with ';'; a statement may span lines. :help lists the commands
    (:schema, :explain, :param, :format, :quit). History is kept in ~/.bfxdb_history
    (or the file named by BFXDB_HISTORY).

    With input piped in (bfxdb shell graph.db < script.cypher) it prints no prompts, runs
    the statements in order and stops with exit code 1 at the first error.
    """
    parameters = _parameters(params, None)
    with bfxdb.connect(database, read_only=read_only, query_memory=query_memory << 20, import_dir=import_dir) as db:
        status = Shell(
            db, interactive=sys.stdin.isatty(), output_format=output_format, parameters=parameters
        ).run()
    sys.exit(status)


# ---------------------------------------------------------------- stats, check, backup


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{count} B"


def _search_index(index: dict) -> str:
    """One search index as stats shows it: ``vector on (:Chunk) [embedding]: 1,024 entities``."""
    kind = {"FULLTEXT": "full-text", "VECTOR": "vector"}[index["kind"]]
    covered = "|".join(index["labels"])
    target = f"(:{covered})" if index["entity_type"] == "NODE" else f"()-[:{covered}]-()"
    held = "table missing" if index["entities"] is None else f"{index['entities']:,} entities"
    return f"{kind} on {target} [{', '.join(index['properties'])}]: {held}"


@click.command(cls=Command, epilog=EXIT_CODES)
@click.argument("database", type=EXISTING_DATABASE)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def stats(database: str, as_json: bool) -> None:
    """Show counts by label and relationship type, expressions, indexes, file size and schema version."""
    with bfxdb.connect(database, read_only=True) as db:
        figures = bfxdb.graph_stats(db)
    if as_json:
        click.echo(json.dumps(figures.to_dict(), indent=2))
        return
    if bfxdb.is_database_url(database):
        # the server's tables, not a file: their size and the server's version (journal_mode says it)
        rows = [
            ("database", f"{figures.path} ({_size(figures.file_bytes)} in tables)"),
            ("schema", f"version {figures.schema_version}"),
            ("server", figures.journal_mode),
        ]
    else:
        rows = [
            ("file", f"{figures.path} ({_size(figures.file_bytes)}; write-ahead log {_size(figures.wal_bytes)})"),
            ("schema", f"version {figures.schema_version}"),
            ("sqlite", f"{figures.sqlite_version}, journal mode {figures.journal_mode}"),
            ("pages", f"{figures.page_count:,} of {figures.page_size:,} bytes, {figures.freelist_count:,} free"),
        ]
    rows.append(("substrates", f"{figures.substrates:,}"))
    rows += [(f"  :{label}", f"{count:,}") for label, count in figures.labels.items()]
    if figures.unlabelled:
        rows.append(("  (no label)", f"{figures.unlabelled:,}"))
    rows.append(("expressions", ", ".join(f"{kind} {n:,}" for kind, n in figures.expressions.items()) or "none"))
    rows.append(("relationships", f"{figures.relationships:,}"))
    rows += [(f"  :{rel_type}", f"{count:,}") for rel_type, count in figures.rel_types.items()]
    rows.append(("indexes", ", ".join(index["name"] for index in figures.property_indexes) or "none"))
    rows.append(("search indexes", f"{len(figures.search_indexes):,}" if figures.search_indexes else "none"))
    rows += [(f"  {index['name']}", _search_index(index)) for index in figures.search_indexes]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"{name.ljust(width)}  {value}")


@click.command(cls=Command, epilog=EXIT_CODES)
@click.argument("database", type=EXISTING_DATABASE)
@click.option(
    "--repair", is_flag=True, help="First rebuild every full-text or vector index that is out of step with its data."
)
@click.pass_context
def check(ctx: click.Context, database: str, repair: bool) -> None:
    """Check DATABASE: SQLite integrity, foreign keys, orphans, JSON, schema version, search indexes.

    Exits with 1 when any check finds a problem.
    """
    if repair:
        with bfxdb.connect(database, create=False) as db:
            for name in bfxdb.repair(db):
                click.echo(f"rebuilt search index {name}")
    with bfxdb.connect(database, read_only=True) as db:
        report = bfxdb.check(db)
    for name in report.checks:
        click.echo(f"checked {name}")
    for kind, count in report.problems.items():
        click.echo(f"PROBLEM {kind}: {count:,}", err=True)
        for example in report.examples[kind]:
            click.echo(f"  {example}", err=True)
        if count > len(report.examples[kind]):
            click.echo(f"  ... and {count - len(report.examples[kind]):,} more", err=True)
    if report.ok:
        click.echo("ok")
    else:
        ctx.exit(1)


@click.command(cls=Command, epilog=EXIT_CODES)
@click.argument("database", type=EXISTING_DATABASE)
@click.argument("destination", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace DESTINATION if it exists.")
def backup(database: str, destination: str, force: bool) -> None:
    """Copy DATABASE to DESTINATION with SQLite's online backup API.

    The copy is one consistent snapshot, taken safely while a server or another process
    writes; it is written beside DESTINATION and renamed into place when complete. From a
    postgresql:// URL, DESTINATION is a new bfxdb SQLite file holding the graph of one snapshot
    (`bfxdb copy DESTINATION URL` puts it back).
    """
    if os.path.exists(destination) and not force:
        raise click.ClickException(f"{destination} exists; pass --force to replace it")
    with bfxdb.connect(database, read_only=True) as db:
        size = bfxdb.backup(db, destination, overwrite=force)
    click.echo(f"backed up {database} to {destination} ({_size(size)})")


@click.command(cls=Command, epilog=EXIT_CODES)
@click.argument("source", type=EXISTING_DATABASE)
@click.argument("destination", type=DATABASE)
@click.option("--into-nonempty", is_flag=True,
              help="Copy into a DESTINATION that holds data already (an identity both hold is refused).")
@click.option("--batch-size", type=click.IntRange(min=1), default=bfxdb.COPY_BATCH, show_default=True,
              help="Rows read and written at a time.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when standard error is a terminal).")
def copy(source: str, destination: str, into_nonempty: bool, batch_size: int, progress: bool | None) -> None:
    """Copy the whole graph of SOURCE into DESTINATION, a file path or postgresql:// URL either of them.

    Identities, labels, metadata with its value types, expressions, creation times, relationships
    with their ids, and property indexes are kept. SOURCE is read in one snapshot and DESTINATION
    written in one transaction: a failure (or Ctrl-C) leaves it as it was, and a new file it made is
    removed. DESTINATION must be empty unless --into-nonempty. Constraints and full-text or vector
    indexes are not copied yet: a SOURCE with them is refused.

    \b
    Examples:
      bfxdb copy graph.db postgresql://me@db.example/graphs
      bfxdb copy "postgresql://me@db.example/graphs?schema=team" local.db
    """
    if not bfxdb.is_database_url(source) and not bfxdb.is_database_url(destination) and os.path.exists(destination) \
            and os.path.samefile(source, destination):
        raise click.UsageError("SOURCE and DESTINATION are the same file")
    made = not bfxdb.is_database_url(destination) and not os.path.exists(destination)
    try:
        with bfxdb.connect(source, read_only=True) as reading, bfxdb.connect(destination) as writing, \
                ProgressBar(progress, "copying", "rows") as bar:
            total = reading.count_substrates() + reading.count_relationships()  # for the bar: read again below
            counts = bfxdb.copy_graph(
                reading, writing, batch_size=batch_size, into_nonempty=into_nonempty,
                on_progress=lambda rows: bar.update(rows, total),
            )
            shown = writing.path
    except BaseException:
        if made and os.path.exists(destination):
            _remove_database_file(destination)
        raise
    click.echo(
        f"copied {counts['substrates']:,} substrates, {counts['relationships']:,} relationships and "
        f"{counts['property_indexes']:,} property indexes to {shown}",
        err=True,
    )


def _remove_database_file(path: str) -> None:
    """Remove a SQLite file a failed copy created, with its write-ahead log and shared memory."""
    for name in (path, path + "-wal", path + "-shm"):
        if os.path.exists(name):
            os.remove(name)


#: Every command, in the order they are defined; the group in ``bfxdb.cli`` lists them sorted.
COMMANDS = (demo, init, query, shell, stats, check, backup, copy)
