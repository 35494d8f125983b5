"""Documentation routes: the OpenAPI document, Swagger UI and ReDoc, with assets from installed packages."""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, redirect, send_from_directory
from werkzeug.wrappers import Response as WerkzeugResponse

from ..openapi import build_document
from ..security import OPEN, access
from ..serialize import json_response

blueprint = Blueprint("docs", __name__)
root_blueprint = Blueprint("docs_root", __name__)

SWAGGER_ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"})
REDOC_ASSET = "redoc.standalone.js"
ASSET_MAX_AGE = 86400

# The pages use URLs relative to /api/v1/, so they keep working behind a proxy that adds a path prefix.
SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>bfxdb HTTP API - Swagger UI</title>
<link rel="stylesheet" href="docs/static/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/static/favicon-32x32.png">
<style>body { margin: 0; }</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/static/swagger-ui-bundle.js"></script>
<script>
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
};
</script>
</body>
</html>
"""

REDOC_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>bfxdb HTTP API - ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<div id="redoc"></div>
<script src="redoc/static/redoc.standalone.js"></script>
<script>Redoc.init("openapi.json", {}, document.getElementById("redoc"));</script>
</body>
</html>
"""

MISSING_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bfxdb HTTP API</title></head>
<body><p>{what} is not installed on this server (<code>pip install {package}</code>).
The API is described by <a href="openapi.json">openapi.json</a>.</p></body></html>
"""


@lru_cache(maxsize=1)
def swagger_folder() -> Path | None:
    """Find Swagger UI's files in the installed ``swagger-ui-bundle`` package, or None."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    return Path(str(swagger_ui_path))


@lru_cache(maxsize=1)
def redoc_folder() -> Path | None:
    """Find ``redoc.standalone.js`` in the installed ``flask-openapi3-redoc`` package, or None.

    Only the package's data file is used; its Python code (and flask-openapi3) is never imported.
    """
    try:
        folder = Path(str(importlib.resources.files("flask_openapi3_redoc"))) / "templates" / "redoc" / "js"
    except ModuleNotFoundError:
        return None
    return folder if (folder / REDOC_ASSET).is_file() else None


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    """Build the OpenAPI document once per process."""
    return build_document()


@blueprint.get("/openapi.json")
@access(OPEN)
def openapi() -> Response:
    """Serve the OpenAPI document."""
    return json_response(openapi_document())


@root_blueprint.get("/")
@access(OPEN)
def site_root() -> WerkzeugResponse:
    """Send a visitor of the bare address to the explorer (302; relative, so a proxy's prefix stays)."""
    return redirect("explorer", 302)


@root_blueprint.get("/openapi.json")
@access(OPEN)
def openapi_root() -> Response:
    """Serve the OpenAPI document at the site root too, where tools look first."""
    return json_response(openapi_document())


@blueprint.get("/docs")
@access(OPEN)
def swagger_ui() -> Response:
    """Serve the Swagger UI page."""
    if swagger_folder() is None:
        return _html(MISSING_PAGE.format(what="Swagger UI", package="swagger-ui-bundle"))
    return _html(SWAGGER_PAGE)


@blueprint.get("/redoc")
@access(OPEN)
def redoc() -> Response:
    """Serve the ReDoc page."""
    if redoc_folder() is None:
        return _html(MISSING_PAGE.format(what="ReDoc", package="flask-openapi3-redoc"))
    return _html(REDOC_PAGE)


@blueprint.get("/docs/static/<name>")
@access(OPEN)
def swagger_asset(name: str) -> Response:
    """Serve one of Swagger UI's files."""
    folder = swagger_folder()
    if folder is None or name not in SWAGGER_ASSETS:
        abort(404)
    return send_from_directory(folder, name, max_age=ASSET_MAX_AGE)


@blueprint.get("/redoc/static/redoc.standalone.js")
@access(OPEN)
def redoc_asset() -> Response:
    """Serve ReDoc's standalone script."""
    folder = redoc_folder()
    if folder is None:
        abort(404)
    return send_from_directory(folder, REDOC_ASSET, max_age=ASSET_MAX_AGE)


def _html(page: str) -> Response:
    return current_app.response_class(page, mimetype="text/html")
