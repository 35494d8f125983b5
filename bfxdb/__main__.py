"""Run the `bfxdb` command line as `python -m bfxdb`."""

from .cli import main

main(prog_name="bfxdb")
