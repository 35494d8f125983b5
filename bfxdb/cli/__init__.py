"""The `bfxdb` command line: a thin click shell over the public bfxdb API."""

from __future__ import annotations

import gc
import importlib
from typing import Any

import click

import bfxdb

from .commands import COMMANDS, EXIT_CODES

__all__ = ["main"]


class _Group(click.Group):
    """The top-level group; commands from optional parts are imported only when run or listed.

    ``bfxdb --help`` must work without the HTTP server's dependencies installed.
    """

    #: name -> (module, attribute, help text, the extra that installs what the module needs)
    lazy = {"serve": ("bfxdb.web.serve", "serve", "Serve the HTTP API on a database file.", "web")}
    #: Commands of this package whose imports every other command does without (the file formats).
    deferred = ("import", "export")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run as the `bfxdb` program (the console script, ``python -m bfxdb``), which ends with SystemExit."""
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit:
            # The process ends next. Freezing its objects spares the collections of Python's exit,
            # which would walk every one of them: 50-100 ms after a query, more than the query took.
            gc.freeze()
            raise

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy, *self.deferred})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in self.deferred:
            from . import transfer

            for deferred in transfer.COMMANDS:
                self.add_command(deferred)
            return super().get_command(ctx, name)
        if command is not None or name not in self.lazy:
            return command
        module, attribute, help_text, extra = self.lazy[name]
        try:
            found: click.Command = getattr(importlib.import_module(module), attribute)
        except ImportError as error:
            return _missing_command(name, help_text, extra, error)
        return found


def _missing_command(name: str, help_text: str, extra: str, error: ImportError) -> click.Command:
    def fail(**_: object) -> None:
        raise click.ClickException(
            f"`bfxdb {name}` is not available: {error}. "
            f"Install it with pip install 'bfxdb[{extra}]' (from a checkout: pip install -e '.[{extra}]')."
        )

    return click.Command(
        name,
        callback=fail,
        help=f"{help_text} (not installed here)",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        params=[click.Argument(["arguments"], nargs=-1, required=False)],
    )


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES)
@click.version_option(bfxdb.__version__, prog_name="bfxdb")
def main() -> None:
    """bfxdb: an embedded graph database over one SQLite file."""


for _command in COMMANDS:
    main.add_command(_command)
