"""The `bfxdb import` and `bfxdb export` commands, loaded only when run (`bfxdb query` needs no formats)."""

from __future__ import annotations

import sys

import click

import bfxdb

from .commands import DATABASE, EXISTING_DATABASE, EXIT_CODES, EXIT_INTERRUPTED, Command
from .output import CtrlC, error_text
from .progress import ProgressBar


@click.command("import", cls=Command, epilog=EXIT_CODES)
@click.argument("database", type=DATABASE)
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
              help="Rows per bulk_load call (all of them commit together at the end, unless --commit-batches).")
@click.option("--commit-batches", is_flag=True,
              help="Commit each batch of --batch-size rows by itself: a failure keeps the batches before it "
              "and says how many and up to which FILE:LINE, instead of importing nothing.")
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
    commit_batches: bool,
    progress: bool | None,
    quiet: bool,
) -> None:
    """Import CSV, NDJSON, GraphML or Cypher-dump files into DATABASE (created if missing).

    FILES are read by their extension (.csv .tsv .ndjson .jsonl .graphml .cypher, each
    optionally .gz) or content; a CSV file is a node or relationship file by its header.
    Folders stand for the files in them, so a CSV export folder imports as it is.
    Everything is loaded in one transaction: a bad row is reported as FILE:LINE and, without
    --skip-bad, nothing at all is imported; so is a full disk or Ctrl-C. With
    --commit-batches each batch commits by itself, and a failure says which batches did.

    \b
    CSV headers follow neo4j-admin import:
      node files          personId:ID(Person),name,age:int,:LABEL
      relationship files  :START_ID(Person),:END_ID(Person),:TYPE,since:int
    Types: string int long float double boolean json, and arrays such as
    string[] (split on --array-delimiter). :ID values that are 0x-hex or decimal
    (in the default id space) are the identities, and one that only looks like an
    id (16 bare hex digits, a sign, more than 64 bits) is a bad row; any other key
    becomes a stable fingerprint of its id space and value. Kuzu-style plain headers also work:
    the first column is a node's key, the first two a relationship's ends.
    """
    if not files and not nodes and not relationships:
        raise click.UsageError("name at least one file to import (FILES, --nodes or --relationships)")
    options = bfxdb.ImportOptions(
        skip_bad=skip_bad,
        batch_size=batch_size,
        delimiter=delimiter,
        array_delimiter=array_delimiter,
        commit_batches=commit_batches,
    )

    def report_bad(where: str, reason: str) -> None:
        click.echo(f"skipped {where}: {reason}", err=True)

    report = bfxdb.ImportReport()
    ctrl_c = CtrlC()
    loading = False  # what the database holds is worth saying only once loading has begun
    try:
        with ctrl_c, bfxdb.connect(database) as db:
            sources = bfxdb.plan_sources(
                files,
                [bfxdb.parse_group(spec) for spec in nodes],
                [bfxdb.parse_group(spec) for spec in relationships],
                format=input_format,
                delimiter=delimiter,
            )
            with ProgressBar(False if quiet else progress, "importing", "rows") as bar:
                loading = True
                bfxdb.import_sources(db, sources, options, on_bad=report_bad, on_progress=bar.update, report=report)
    except (bfxdb.BfxError, KeyboardInterrupt) as error:
        said = f"; {_committed(report, options)}" if loading else ""
        if ctrl_c.pressed:
            click.echo(f"Error: interrupted (Ctrl-C){said}", err=True)
            sys.exit(EXIT_INTERRUPTED)
        if not isinstance(error, bfxdb.BfxError):
            raise
        hint = " (--skip-bad skips bad rows instead)" if isinstance(error, bfxdb.BadRowError) else ""
        raise click.ClickException(f"{error_text(error)}{said}{hint}") from None
    if not quiet:
        parts = [f"{report.substrates:,} substrates", f"{report.relationships:,} relationships"]
        if report.statements:
            parts.append(f"{report.statements:,} statements")
        line = (
            f"imported {', '.join(parts)} from {report.files} file{'s' if report.files != 1 else ''} "
            f"in {report.seconds:.2f} s ({report.rows_per_second:,.0f} rows/s)"
        )
        if commit_batches:
            line += f" in {_batches(report.batches)}"
        if report.bad:
            line += f"; skipped {report.bad:,} bad row{'s' if report.bad != 1 else ''}"
        click.echo(line, err=True)


def _committed(report: bfxdb.ImportReport, options: bfxdb.ImportOptions) -> str:
    """Say what a failed import left in the database: nothing, or the batches committed before the failure."""
    if not report.batches:
        return "nothing was imported"
    parts = f"{report.substrates:,} substrates, {report.relationships:,} relationships"
    if report.statements:
        parts += f", {report.statements:,} statements"
    return (
        f"{_batches(report.batches)} of up to {options.batch_size:,} rows committed ({parts}): every row "
        f"through {report.committed_through}; nothing after it was imported"
    )


def _batches(count: int) -> str:
    return f"{count:,} batch{'es' if count != 1 else ''}"


@click.command(cls=Command, epilog=EXIT_CODES)
@click.argument("database", type=EXISTING_DATABASE)
@click.argument("out", required=False, type=click.Path(allow_dash=True))
@click.option("--format", "output_format", type=click.Choice(bfxdb.EXPORT_FORMATS),
              help="Default: from OUT's extension (.ndjson .jsonl .graphml .cypher), csv for a folder "
              "(a trailing slash or no extension), ndjson for standard output.")
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
    An OUT whose name contradicts --format, has an unknown extension and no --format, or
    ends in a slash for a one-file format is refused before anything is written.
    The export reads one consistent snapshot and is safe while a server writes.
    """
    try:
        output_format = bfxdb.export_format_for(out, output_format)
    except bfxdb.InvalidInput as error:
        raise click.UsageError(error.message) from None
    to_file = out not in (None, "-")
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


#: The commands of this module, which the group in ``bfxdb.cli`` adds when one of them is asked for.
COMMANDS = (import_, export)
