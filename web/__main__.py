"""Run `python -m bfxdb.web [PATH] [options]`: the same as `bfxdb serve`."""

from .serve import serve

serve(prog_name="python -m bfxdb.web")
