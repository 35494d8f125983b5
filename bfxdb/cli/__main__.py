"""Run the `bfxdb` command line as `python -m bfxdb.cli`."""

from . import main

main(prog_name="bfxdb")
