"""The `bfxdb` command line: a thin click shell over the public bfxdb API."""

from __future__ import annotations

import click

from . import __version__
from .database import connect
from .errors import BfxError, Conflict

DEFAULT_DATABASE = "bfxdb.db"
MULTIPLY_CODE = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bfxdb")
def main() -> None:
    """bfxdb: an embedded graph database over one SQLite file."""


@main.command()
@click.argument("path", default=DEFAULT_DATABASE, required=False)
def demo(path: str) -> None:
    """Run the seed's multiply example against PATH (default: ./bfxdb.db) and print each step."""
    click.echo(f"database: {path}")
    try:
        with connect(path) as db:
            try:
                multiply = db.create_substrate("lambda", MULTIPLY_CODE, metadata={"name": "multiply"})
                click.echo(f"created substrate {multiply.substrate_id} (multiply)")
            except Conflict as conflict:
                multiply = db.get_substrate(conflict.details["substrate_id"])
                click.echo(f"found substrate {multiply.substrate_id} (multiply) from an earlier run")
            result = db.invoke(multiply.identity, {"x": 5, "y": 7})
            click.echo(f"invoke {multiply.substrate_id} with x=5, y=7 -> {result}")
            dimensions = db.divide(multiply.identity, materialize=True)
            click.echo(f"divided into {len(dimensions)} dimensions: " + ", ".join(d.name for d in dimensions))
            click.echo(f"totals: {db.count_substrates()} substrates, {db.count_relationships()} relationships")
    except BfxError as error:
        raise click.ClickException(str(error)) from None

