"""The Flask app factory: one database per app, the API blueprints under /api/v1, one JSON error handler."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

import bfxdb

from . import metrics, security
from .errors import handle_bfx_error, handle_http_exception, handle_unexpected
from .openapi import PREFIX
from .routes import docs, explorer, imports, query, relationships, substrates, system
from .state import build_state, settings_from


def create_app(
    database: bfxdb.Database | str | os.PathLike[str] | None = None, config: Mapping[str, Any] | None = None
) -> Flask:
    """Build the HTTP API app over one bfxdb database.

    :param database: an open Database (it stays the caller's to close), or the path of one to open
        (closed by ``web.state.close_app``); None opens ``config["DATABASE"]``.
    :param config: settings over the defaults of ``web.settings.ServeSettings``: ``API_KEYS``,
        ``READ_ONLY_KEYS``, ``CORS_ORIGINS``, ``CORS_ALLOW_CREDENTIALS``, ``MAX_CONTENT_LENGTH``,
        ``MAX_IMPORT_BYTES``, ``RATE_LIMIT`` (e.g. ``"100/s"``), ``QUERY_TIMEOUT`` (seconds),
        ``QUERY_MEMORY`` (MiB), ``READ_ONLY``, ``WRITE_WAIT`` (seconds a write waits for the write
        lock, then 503), ``THREADS`` (the server's request threads: writes take all but one at
        most); other keys go to Flask's config as they are.
    :returns: the Flask app; its WSGI callable can be served by waitress or any WSGI server.
    :raises ValueError: for contradictory settings (CORS ``*`` with credentials, a bad rate limit).
    :raises bfxdb.StorageError: if the database cannot be opened.

    >>> app = create_app(":memory:")
    >>> app.test_client().get("/api/v1/health").status_code
    200
    """
    settings = settings_from(config)
    app = Flask(__name__)
    app.config.update(settings)
    # Keys in the order the routes build them, no whitespace: what json_response writes too.
    provider = DefaultJSONProvider(app)
    provider.sort_keys = False
    provider.compact = True
    app.json = provider
    app.extensions["bfxdb"] = build_state(database, settings)

    # One handler per kind: bfxdb's tree (the HTTP layer's errors included), Werkzeug's, and the rest.
    app.register_error_handler(bfxdb.BfxError, handle_bfx_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)

    state = app.extensions["bfxdb"]
    security.install(app, state.keys, state.limiter, state.cors_origins)
    metrics.install(app, state.metrics)
    for resource in (system, docs, substrates, relationships, query, imports):
        app.register_blueprint(resource.blueprint, url_prefix=PREFIX)
    app.register_blueprint(docs.root_blueprint)
    app.register_blueprint(explorer.blueprint)
    return app
