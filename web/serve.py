"""The `bfxdb serve` command: run the HTTP API under waitress, configured by options or BFXDB_* variables."""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import signal
import socket
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .settings import DEFAULTS, ENVIRONMENT, ServeSettings
from .workers import MAX_WORKERS, ConnectionShares, WorkerPool

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

FC = TypeVar("FC", bound=Callable[..., Any])

#: Waitress warns "Task queue depth is N" for every request that waits for a thread; under load that
#: is one log line per request, written by the thread that also does all socket I/O.
QUEUE_WARNING_INTERVAL = 10.0

#: By default waitress sends a response's header and its body separately, from the worker thread, as
#: they are written: two system calls and more handoffs of Python's GIL per response. Buffering this
#: many bytes lets a small response go out in one send (2.5x the requests per second in
#: benchmarks/http.py); larger bodies still stream. 18,000 was waitress's own default before 1.4.
RESPONSE_BUFFER_BYTES = 18_000


def is_loopback(host: str) -> bool:
    """Tell whether every address ``host`` names is a loopback address (127.0.0.0/8, ::1).

    :param host: an IP address or a host name (resolved here).
    :returns: False for wildcard addresses (0.0.0.0, ::), other addresses and unresolvable names.
    """
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def create_tuned_server(app: WSGIApplication, **options: Any) -> Any:
    """Create a waitress server for ``app`` with the given options plus bfxdb's response buffering and keep-alive.

    Waitress marks ``send_bytes`` deprecated; once a release drops it, serving goes on unbuffered.

    :param app: the WSGI app to serve.
    :param options: waitress's adjustments (host, port, threads, ...).
    :returns: the waitress server (waitress has no type hints), not yet running.
    """
    from waitress import create_server
    from waitress.adjustments import Adjustments

    from .keepalive import keep_bodiless_answers_alive

    if hasattr(Adjustments, "send_bytes"):
        options.setdefault("send_bytes", RESPONSE_BUFFER_BYTES)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "send_bytes", DeprecationWarning)
        server = create_server(app, **options)
    keep_bodiless_answers_alive(server)
    return server


def parse_cpus(text: str) -> set[int]:
    """Parse a CPU list such as ``0``, ``0-1`` or ``0,2-3`` into CPU numbers.

    :raises click.BadParameter: for anything else, or an empty list.
    """
    cpus: set[int] = set()
    for part in text.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise click.BadParameter(f"{text!r} is not a CPU list such as 0 or 0-1,3", param_hint="--cpus")
        low, high = int(first), int(last) if dash else int(first)
        if high < low or high - low >= 4096:
            raise click.BadParameter(f"{part!r} is not a CPU range", param_hint="--cpus")
        cpus.update(range(low, high + 1))
    return cpus


def pin_to_cpus(text: str) -> None:
    """Run this process (and every thread it starts from now on) on the CPUs ``text`` lists.

    :raises click.UsageError: where the platform cannot pin, or the CPUs are not available.
    """
    cpus = parse_cpus(text)
    if not hasattr(os, "sched_setaffinity"):
        raise click.UsageError("--cpus needs an operating system with sched_setaffinity (Linux)")
    try:
        os.sched_setaffinity(0, cpus)
    except OSError as error:
        raise click.UsageError(f"cannot run on CPUs {text}: {error.strerror}") from None


class OncePerInterval(logging.Filter):
    """Let one record through per interval and drop the rest, counting them into the next one."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self._next = 0.0
        self._dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now < self._next:
            self._dropped += 1
            return False
        if self._dropped:
            record.msg = f"{record.msg} ({self._dropped} similar warnings in the last {self.seconds:g} s)"
        self._next, self._dropped = now + self.seconds, 0
        return True


def _stop(signum: int, frame: object) -> None:
    """Turn SIGTERM into the KeyboardInterrupt that waitress's loop already treats as a clean stop."""
    raise KeyboardInterrupt


def _option(*names: str, setting: str, **kwargs: Any) -> Callable[[FC], FC]:
    """A click option for one ServeSettings field: its default, also read from its BFXDB_* variable (--help says so)."""
    return click.option(
        *names, envvar=ENVIRONMENT[setting], show_envvar=True, default=getattr(DEFAULTS, setting), **kwargs
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("path", required=False, envvar=ENVIRONMENT["path"], type=click.Path(dir_okay=False))
@_option("--host", setting="host", show_default=True,
         help="Address to listen on; beyond loopback it needs --api-key or --insecure.")
@_option("--port", setting="port", show_default=True, type=click.IntRange(0, 65535),
         help="Port to listen on; 0 picks a free one (printed at start).")
@_option("--threads", setting="threads", show_default=True, type=click.IntRange(1, 256),
         help="Request threads (in each worker process).")
@_option("--workers", setting="workers", show_default=True, type=click.IntRange(1, MAX_WORKERS),
         help="Server processes over the same file, accepting on one socket; 1 serves from this "
              "process. More than 1 needs a file, not :memory:.")
@_option("--api-key", "api_keys", setting="api_keys", multiple=True,
         help="A read-write API key; repeat for several (in the variable: separated by spaces).")
@_option("--read-only-key", "read_only_keys", setting="read_only_keys", multiple=True,
         help="A read-only API key; repeat for several.")
@_option("--insecure", setting="insecure", is_flag=True,
         help="Allow listening beyond loopback without any API key.")
@_option("--cors-origin", "cors_origins", setting="cors_origins", multiple=True,
         help="An origin allowed to call the API from a browser (or '*'); CORS is off without one.")
@_option("--cors-credentials", setting="cors_credentials", is_flag=True,
         help="Send Access-Control-Allow-Credentials to the listed origins (never with '*').")
@_option("--max-body-bytes", setting="max_body_bytes", show_default=True,
         type=click.IntRange(1), help="Largest JSON request body; larger ones get 413.")
@_option("--max-import-bytes", setting="max_import_bytes", show_default=True,
         type=click.IntRange(1), help="Largest NDJSON body for POST /import.")
@_option("--rate-limit", setting="rate_limit",
         help="Requests per client (API key, else address), e.g. 100/s or 600/min; off by default.")
@_option("--query-timeout", setting="query_timeout", show_default=True,
         type=click.FloatRange(0, min_open=True), help="Longest a Cypher query may run, in seconds (then 504).")
@_option("--query-memory", setting="query_memory", show_default=True, type=click.IntRange(1),
         help="Memory budget of one Cypher query, in MiB (then 422).")
@_option("--write-wait", setting="write_wait", show_default=True,
         type=click.FloatRange(0, min_open=True),
         help="Longest a write waits for the database's write lock, held by another process or "
              "writer, in seconds (then 503 with Retry-After).")
@_option("--read-only", setting="read_only", is_flag=True,
         help="Open the database read-only: every write answers 403.")
@_option("--import-dir", setting="import_dir", type=click.Path(exists=True, file_okay=False),
         help="The folder Cypher's LOAD CSV reads file:/// URLs from; without it LOAD CSV answers 403.")
@_option("--cpus", setting="cpus", metavar="LIST",
         help="Run only on these CPUs, e.g. 0 or 0-1,3 (Linux). One CPU avoids costly cross-core "
              "handoffs of Python's GIL; see the README.")
def serve(path: str | None, **options: Any) -> None:
    """Serve the HTTP API for the database at PATH (or $BFXDB_DATABASE; default ./bfxdb.db) under waitress.

    Routes live under /api/v1 (Swagger UI at /api/v1/docs). Stop with Ctrl-C or SIGTERM.
    """
    given_path = path is not None
    settings = ServeSettings(path=path if path is not None else DEFAULTS.path, **options)
    host = settings.host
    keyed = bool(settings.api_keys or settings.read_only_keys)
    if not is_loopback(host) and not keyed and not settings.insecure:
        raise click.UsageError(
            f"refusing to listen on {host} without an API key: pass --api-key (or set BFXDB_API_KEY), "
            "or --insecure to serve the database to anyone who can reach it"
        )
    if settings.workers > 1:
        check_workers(settings)
    # Flask and waitress load only now, so `bfxdb --help` and the library never need them.
    import bfxdb

    from .state import close_app

    if settings.cpus is not None:
        # Before the database and waitress start any thread or process, so that every one inherits it.
        pin_to_cpus(settings.cpus)
    path = settings.path
    if not given_path:
        click.echo(f"No PATH given: using ./{path} ({os.path.abspath(path)})")
    # With workers too: the settings are checked and the file created or migrated once, before any fork.
    app = _open_app(settings)
    # Build the Cypher parser now, not inside the first /query request (about half a second); workers inherit it.
    bfxdb.warm_up()
    if settings.workers == 1:
        _serve_alone(app, settings, keyed)
    else:
        # No SQLite connection may cross a fork: each worker opens its own.
        close_app(app)
        _serve_workers(settings, keyed)


def check_workers(settings: ServeSettings) -> None:
    """Refuse several workers where they cannot share one database: in memory, or without fork().

    :raises click.UsageError: saying why.
    """
    path = settings.path
    if path == ":memory:" or path.startswith("file::memory:") or "mode=memory" in path:
        raise click.UsageError(
            f"--workers {settings.workers} needs a database file: each worker process would have its own "
            "in-memory database"
        )
    if not hasattr(os, "fork"):
        raise click.UsageError("--workers above 1 needs an operating system with fork() (Linux, macOS)")


def _open_app(settings: ServeSettings) -> Any:
    """Build the app over the settings' database, with the command's errors for bad settings or files."""
    import bfxdb

    from .app import create_app

    try:
        return create_app(settings.path, settings.app_config())
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    except bfxdb.BfxError as error:
        raise click.ClickException(str(error)) from None


def _server_options(settings: ServeSettings) -> dict[str, Any]:
    """Waitress's adjustments from the settings, but for where to listen."""
    return {
        "threads": settings.threads,
        "ident": "bfxdb",
        "max_request_body_size": max(settings.max_body_bytes, settings.max_import_bytes),
    }


def _where(path: str) -> str:
    """The database as the announcement names it: a file's absolute path, a URL without its password."""
    import bfxdb

    return bfxdb.database_shown(path) if bfxdb.is_database_url(path) else os.path.abspath(path)


def _announce(settings: ServeSettings, listening: list[tuple[str, int]], keyed: bool) -> None:
    for address, bound_port in listening:
        shown = f"[{address}]" if ":" in address else address
        click.echo(f"Serving {_where(settings.path)} on http://{shown}:{bound_port}/api/v1 "
                   f"(docs: http://{shown}:{bound_port}/api/v1/docs)")
    if not keyed:
        click.echo("No API key set: every client that can connect may read and write.")


def _serve_alone(app: Any, settings: ServeSettings, keyed: bool) -> None:
    """Serve in this one process until SIGTERM or SIGINT."""
    from .state import close_app

    host, port = settings.host, settings.port
    try:
        server = create_tuned_server(app, host=host, port=port, **_server_options(settings))
    except OSError as error:
        close_app(app)
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    listening = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
    try:
        _run(server, app, lambda: _announce(settings, listening, keyed))
    finally:
        click.echo("Stopped.")


def _serve_workers(settings: ServeSettings, keyed: bool) -> None:
    """Bind the listening sockets here, once, and serve from settings.workers forked processes that share them."""
    host, port = settings.host, settings.port
    try:
        sockets = bind_sockets(host, port)
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    try:
        _announce(settings, [sock.getsockname()[:2] for sock in sockets], keyed)
        click.echo(f"{settings.workers} worker processes of {settings.threads} threads each, over one file; "
                   "a worker that dies is restarted.")
        if settings.rate_limit:
            click.echo(f"The rate limit is counted in each worker: a client may get up to {settings.workers} "
                       "times it.")
        shares = ConnectionShares(settings.workers)
        pool = WorkerPool(
            settings.workers,
            functools.partial(_serve_worker, settings, sockets, shares),
            report=lambda line: click.echo(line, err=True),
            shares=shares,
        )
        pool.run()
    finally:
        for sock in sockets:
            sock.close()
        click.echo("Stopped.")


def _serve_worker(settings: ServeSettings, sockets: list[socket.socket], shares: ConnectionShares, index: int) -> int:
    """In worker ``index``: open the database and serve on the inherited sockets until SIGTERM, taking its share.

    :returns: the worker's exit status, 0.
    """
    app = _open_app(settings)
    try:
        server = create_tuned_server(app, sockets=sockets, **_server_options(settings))
    except BaseException:
        from .state import close_app

        close_app(app)
        raise
    balance(server, shares, index)
    _run(server, app, lambda: None)
    return 0


def balance(server: Any, shares: ConnectionShares, index: int) -> None:
    """Make a waitress server accept only while it holds no more than its share of the workers' connections.

    Waitress polls its listening socket only while the server says it is ``readable``; where a
    waitress release no longer has the two attributes this relies on, the worker accepts freely.
    """
    readable = getattr(server, "readable", None)
    channels = getattr(server, "active_channels", None)
    if readable is None or not isinstance(channels, dict):
        return

    def readable_with_share() -> bool:
        # Waitress's own check runs every time: it also closes idle connections and applies connection_limit.
        accepting = readable()
        return shares.may_accept(index, len(channels)) and accepting

    server.readable = readable_with_share


def bind_sockets(host: str, port: int) -> list[socket.socket]:
    """Bind and listen on every address ``host`` names, as waitress would, for worker processes to accept on.

    :raises OSError: when an address cannot be bound; none stays open.
    """
    from waitress.adjustments import Adjustments

    adjustments = Adjustments(host=host, port=port)
    sockets: list[socket.socket] = []
    try:
        for family, kind, protocol, address in adjustments.listen:
            sock = socket.socket(family, kind, protocol)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(adjustments.backlog)
            # Every worker polls it; the ones that lose the race to accept must not block.
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _run(server: Any, app: Any, announce: Callable[[], None]) -> None:
    """Run a waitress server until SIGTERM or SIGINT, then close it and the app's database."""
    from .state import close_app

    queue_filter = OncePerInterval(QUEUE_WARNING_INTERVAL)
    logging.getLogger("waitress.queue").addFilter(queue_filter)
    # Install the handler before announcing the address, so a SIGTERM sent on sight stops cleanly.
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        announce()
        server.run()
    except KeyboardInterrupt:
        # A signal that arrived before waitress's loop started; the loop handles later ones itself.
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        logging.getLogger("waitress.queue").removeFilter(queue_filter)
        server.close()
        close_app(app)
