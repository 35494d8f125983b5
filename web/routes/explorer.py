"""The explorer: a single-page app at /explorer over the HTTP API, its assets from the project and pyvis.

The page calls the public API only (``api/v1/query``, the substrate and relationship routes). Its
graph drawing is vis-network, whose built files the ``pyvis`` package ships (``pip install
'bfxdb[explorer]'``); without it the page says what to install. Every answer of these routes
carries a strict Content-Security-Policy: scripts, styles and fetches from this server only, no
inline code, so a stored value can never run as script.
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, send_from_directory

from ..security import OPEN, access

blueprint = Blueprint("explorer", __name__)

OWN_FOLDER = Path(__file__).resolve().parent.parent / "explorer"
OWN_ASSETS = frozenset({"explorer.js", "explorer.css"})
VIS_VERSION = "vis-9.1.2"
VIS_ASSETS = frozenset({"vis-network.min.js", "vis-network.css"})
ASSET_MAX_AGE = 3600
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
MISSING_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bfxdb explorer</title></head>
<body><h1>bfxdb explorer</h1>
<p>The explorer draws graphs with vis-network, which this server does not have installed.
Install it with <code>pip install 'bfxdb[explorer]'</code> (the <code>pyvis</code> package ships it)
and restart <code>bfxdb serve</code>.</p>
<p>The HTTP API works without it: see <a href="api/v1/docs">its documentation</a>.</p></body></html>
"""


@lru_cache(maxsize=1)
def vis_folder() -> Path | None:
    """Find vis-network's built files in the installed ``pyvis`` package, or None.

    Only the package's data files are used; its Python code is never imported.
    """
    try:
        folder = Path(str(importlib.resources.files("pyvis"))) / "lib" / VIS_VERSION
    except ModuleNotFoundError:
        return None
    return folder if all((folder / name).is_file() for name in VIS_ASSETS) else None


@blueprint.get("/explorer")
@access(OPEN)
def page() -> Response:
    """Serve the explorer's page (or, without vis-network installed, a page saying what to install)."""
    if vis_folder() is None:
        return _guarded(current_app.response_class(MISSING_PAGE, mimetype="text/html"))
    return _guarded(send_from_directory(OWN_FOLDER, "index.html", max_age=0))


@blueprint.get("/explorer/static/<name>")
@access(OPEN)
def asset(name: str) -> Response:
    """Serve one of the explorer's files: its own script and style, or vis-network's."""
    if name in OWN_ASSETS:
        return _guarded(send_from_directory(OWN_FOLDER, name, max_age=ASSET_MAX_AGE))
    folder = vis_folder()
    if folder is None or name not in VIS_ASSETS:
        abort(404)
    return _guarded(send_from_directory(folder, name, max_age=ASSET_MAX_AGE))


def _guarded(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
