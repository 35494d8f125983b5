"""The `bfxdb` commands: query, shell, import, export, stats, check, backup and demo."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import click

import bfxdb

from .output import OUTPUT_FORMATS, error_text, summary, write_result
from .progress import ProgressBar
from .shell import Shell, parse_parameter

DEFAULT_DATABASE = "bfxdb.db"
MULTIPLY_CODE = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'
EXISTING_DATABASE = click.Path(exists=True, dir_okay=False)
EXIT_CODES = """\b
Exit codes: 0 success; 1 the command failed (a query error, a bad row,
a problem found by check, an unreadable file); 2 bad usage (unknown
option, malformed --param or --params-json, missing file)."""


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
def query(
    database: str,
    cypher: str,
    params: tuple[str, ...],
    params_json: str | None,
    output_format: str,
    read_only: bool,
    timeout: float | None,
    query_memory: int,
) -> None:
    """Run one openCypher query on DATABASE and print its result.

    CYPHER is the query text, or - to read it from standard input. The result goes to
    standard output as the rows come (the table once it has them all), then a line with
    the row count, changes and time to standard error; a syntax error shows the line with
    a caret under the spot. An error after rows went out exits 1 too, and a json document
    still ends, with an "error" member.

    \b
    Examples:
      bfxdb query graph.db "MATCH (n:Person) RETURN n.name, n.age ORDER BY n.age"
      bfxdb query graph.db "MATCH (n) WHERE n.age > $min RETURN n" -p min=30 -f json
    """
    parameters = _parameters(params, params_json)
    text = sys.stdin.read() if cypher == "-" else cypher
    with bfxdb.connect(database, read_only=read_only, query_memory=query_memory << 20) as db:
        started = time.perf_counter()
        with db.stream(text, parameters, read_only=read_only, timeout=timeout) as result:
            count = write_result(result, output_format, sys.stdout)
        elapsed = time.perf_counter() - started
    click.echo(summary(count, result.stats, elapsed), err=True)
    if result.profile is not None:
        click.echo(result.plan, err=True)  # PROFILE: the measured plan beside the summary, rows stay clean


@click.command(cls=Command, epilog=EXIT_CODES)
@click.argument("database", type=click.Path(dir_okay=False))
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help=_PARAM_HELP)
@click.option("--format", "-f", "output_format", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True)
@click.option("--read-only", is_flag=True, help="Open the database read-only.")
@_MEMORY_OPTION
def shell(database: str, params: tuple[str, ...], output_format: str, read_only: bool, query_memory: int) -> None:
    """Open an interactive Cypher shell on DATABASE (created if missing).

    End each statement with ';'; a statement may span lines. :help lists the commands
    (:schema, :explain, :param, :format, :quit). History is kept in ~/.bfxdb_history
    (or the file named by BFXDB_HISTORY).

    With input piped in (bfxdb shell graph.db < script.cypher) it prints no prompts, runs
    the statements in order and stops with exit code 1 at the first error.
    """
    parameters = _parameters(params, None)
    with bfxdb.connect(database, read_only=read_only, query_memory=query_memory << 20) as db:
        status = Shell(
            db, interactive=sys.stdin.isatty(), output_format=output_format, parameters=parameters
        ).run()
    sys.exit(status)


# ---------------------------------------------------------------- import and export


@click.command("import", cls=Command, epilog=EXIT_CODES)
@click.argument("database", type=click.Path(dir_okay=False))
@click.argument("files", nargs=-1, type=click.Path(exists=True))
@click.option("--nodes", multiple=True, metavar="[LABEL[:LABEL...]=]FILE[,FILE...]",
              help="A CSV node file group (the first file's first line is the header); the labels go on every node.")
@click.option("--relationships", multiple=True, metavar="[TYPE=]FILE[,FILE...]",
              help="A CSV relationship file group; TYPE is used where a row has no :TYPE.")
@click.option("--format", "input_format", type=click.Choice(bfxdb.IMPORT_FORMATS),
              help="Read FILES in this format instead of telling it from the name or content.")
@click.option("--skip-bad", is_flag=True, help="Skip bad rows (each is reported) instead of importing nothing.")
@click.option("--delimiter", metavar="CHAR", help="CSV field delimiter (default , or tab for .tsv; 'tab' for tab).")
@click.option("--array-delimiter", default=bfxdb.DEFAULT_ARRAY_DELIMITER, show_default=True, metavar="CHAR",
              help="Separator of values in array columns and :LABEL.")
@click.option("--batch-size", type=click.IntRange(min=1), default=bfxdb.DEFAULT_IMPORT_BATCH, show_default=True,
              help="Rows per bulk_load call (all of them commit together at the end).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when standard error is a terminal).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but bad rows and errors.")
def import_(
    database: str,
    files: tuple[str, ...],
    nodes: tuple[str, ...],
    relationships: tuple[str, ...],
    input_format: str | None,
    skip_bad: bool,
    delimiter: str | None,
    array_delimiter: str,
    batch_size: int,
    progress: bool | None,
    quiet: bool,
) -> None:
    """Import CSV, NDJSON, GraphML or Cypher-dump files into DATABASE (created if missing).

    FILES are read by their extension (.csv .tsv .ndjson .jsonl .graphml .cypher, each
    optionally .gz) or content; a CSV file is a node or relationship file by its header.
    Folders stand for the files in them, so a CSV export folder imports as it is.
    Everything is loaded in one transaction: a bad row is reported as FILE:LINE and, without
    --skip-bad, nothing at all is imported.

    \b
    CSV headers follow neo4j-admin import:
      node files          personId:ID(Person),name,age:int,:LABEL
      relationship files  :START_ID(Person),:END_ID(Person),:TYPE,since:int
    Types: string int long float double boolean json, and arrays such as
    string[] (split on --array-delimiter). :ID values that are 0x-hex or decimal
    (in the default id space) are the identities; any other key becomes a stable
    fingerprint of its id space and value. Kuzu-style plain headers also work:
    the first column is a node's key, the first two a relationship's ends.
    """
    if not files and not nodes and not relationships:
        raise click.UsageError("name at least one file to import (FILES, --nodes or --relationships)")
    options = bfxdb.ImportOptions(
        skip_bad=skip_bad, batch_size=batch_size, delimiter=delimiter, array_delimiter=array_delimiter
    )

    def report_bad(where: str, reason: str) -> None:
        click.echo(f"skipped {where}: {reason}", err=True)

    with bfxdb.connect(database) as db:
        sources = bfxdb.plan_sources(
            files,
            [bfxdb.parse_group(spec) for spec in nodes],
            [bfxdb.parse_group(spec) for spec in relationships],
            format=input_format,
            delimiter=delimiter,
        )
        with ProgressBar(False if quiet else progress, "importing", "rows") as bar:
            try:
                report = bfxdb.import_sources(db, sources, options, on_bad=report_bad, on_progress=bar.update)
            except bfxdb.BadRowError as error:
                raise click.ClickException(
                    f"{error}\nnothing was imported (--skip-bad skips bad rows instead)"
                ) from None
    if not quiet:
        parts = [f"{report.substrates:,} substrates", f"{report.relationships:,} relationships"]
        if report.statements:
            parts.append(f"{report.statements:,} statements")
        line = (
            f"imported {', '.join(parts)} from {report.files} file{'s' if report.files != 1 else ''} "
            f"in {report.seconds:.2f} s ({report.rows_per_second:,.0f} rows/s)"
        )
        if report.bad:
            line += f"; skipped {report.bad:,} bad row{'s' if report.bad != 1 else ''}"
        click.echo(line, err=True)


@click.command(cls=Command, epilog=EXIT_CODES)
@click.argument("database", type=EXISTING_DATABASE)
@click.argument("out", required=False, type=click.Path(allow_dash=True))
@click.option("--format", "output_format", type=click.Choice(bfxdb.EXPORT_FORMATS),
              help="Default: from OUT's extension (.ndjson .jsonl .graphml .cypher), csv for a folder, else ndjson.")
@click.option("--array-delimiter", default=bfxdb.DEFAULT_ARRAY_DELIMITER, show_default=True, metavar="CHAR",
              help="Separator of values in CSV array columns and :LABEL.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when writing a file and standard error is a terminal).")
def export(
    database: str, out: str | None, output_format: str | None, array_delimiter: str, progress: bool | None
) -> None:
    """Write the whole of DATABASE to OUT (default: standard output) for `bfxdb import`.

    \b
    ndjson   one JSON object per line, the HTTP bulk format (the default)
    csv      OUT is a folder: substrates.csv and relationships.csv, neo4j-admin headers
    graphml  GraphML 1.0, readable by networkx, Gephi and yEd
    cypher   a Cypher script; `bfxdb import` keeps its ids, any Cypher shell replays it

    Ids, labels, metadata and its value types, expressions, relationship types and the
    bidirectional flag survive export then import. OUT ending in .gz is compressed.
    The export reads one consistent snapshot and is safe while a server writes.
    """
    output_format = output_format or bfxdb.export_format_for(out)
    to_file = out not in (None, "-")
    if output_format == "csv" and not to_file:
        raise click.UsageError("a CSV export writes two files: name a folder as OUT")
    with bfxdb.connect(database, read_only=True) as db, ProgressBar(
        progress if progress is not None else (None if to_file else False), "exporting", "rows"
    ) as bar:
        report = bfxdb.export(db, output_format, out, array_delimiter=array_delimiter, on_progress=bar.update)
    if to_file:
        click.echo(
            f"exported {report.substrates:,} substrates and {report.relationships:,} relationships "
            f"to {', '.join(report.files)}",
            err=True,
        )


# ---------------------------------------------------------------- stats, check, backup


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{count} B"


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
    rows = [
        ("file", f"{figures.path} ({_size(figures.file_bytes)}; write-ahead log {_size(figures.wal_bytes)})"),
        ("schema", f"version {figures.schema_version}"),
        ("sqlite", f"{figures.sqlite_version}, journal mode {figures.journal_mode}"),
        ("pages", f"{figures.page_count:,} of {figures.page_size:,} bytes, {figures.freelist_count:,} free"),
        ("substrates", f"{figures.substrates:,}"),
    ]
    rows += [(f"  :{label}", f"{count:,}") for label, count in figures.labels.items()]
    if figures.unlabelled:
        rows.append(("  (no label)", f"{figures.unlabelled:,}"))
    rows.append(("expressions", ", ".join(f"{kind} {n:,}" for kind, n in figures.expressions.items()) or "none"))
    rows.append(("relationships", f"{figures.relationships:,}"))
    rows += [(f"  :{rel_type}", f"{count:,}") for rel_type, count in figures.rel_types.items()]
    rows.append(("indexes", ", ".join(index["name"] for index in figures.property_indexes) or "none"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"{name.ljust(width)}  {value}")


@click.command(cls=Command, epilog=EXIT_CODES)
@click.argument("database", type=EXISTING_DATABASE)
@click.pass_context
def check(ctx: click.Context, database: str) -> None:
    """Check DATABASE: SQLite integrity, foreign keys, orphan relationships and labels, JSON, schema version.

    Exits with 1 when any check finds a problem.
    """
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
    writes; it is written beside DESTINATION and renamed into place when complete.
    """
    if os.path.exists(destination) and not force:
        raise click.ClickException(f"{destination} exists; pass --force to replace it")
    with bfxdb.connect(database, read_only=True) as db:
        size = bfxdb.backup(db, destination, overwrite=force)
    click.echo(f"backed up {database} to {destination} ({_size(size)})")


#: Every command, in the order they are defined; the group in ``bfxdb.cli`` lists them sorted.
COMMANDS = (demo, query, shell, import_, export, stats, check, backup)
