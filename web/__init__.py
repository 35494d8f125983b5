"""bfxdb's HTTP API: a Flask app over one database, served by `bfxdb serve` under waitress."""

from __future__ import annotations

from typing import Any

__all__ = ["close_app", "create_app"]


def __getattr__(name: str) -> Any:
    # Import Flask only when the app is wanted, so `bfxdb serve --help` (which imports
    # bfxdb.web.serve through this package) stays fast and needs no Flask.
    if name in __all__:
        from . import app, state

        return {"create_app": app.create_app, "close_app": state.close_app}[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
