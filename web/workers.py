"""Run N worker processes of one server: fork them, report and restart one that dies, stop them all on a signal."""

from __future__ import annotations

import mmap
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable

import click

#: The most worker processes `bfxdb serve` starts: SQLite writes one transaction at a time and each
#: process holds its own caches, so far fewer are useful; more is a typo.
MAX_WORKERS = 64
#: Seconds the workers get to finish their requests after the server is told to stop; then they are killed.
STOP_GRACE = 10.0
#: A worker that dies sooner than this after it started counts as one that could not start.
START_SECONDS = 5.0
#: Workers in a row that could not start before the server gives up rather than restart forever.
MAX_FAILED_STARTS = 3

#: A worker takes a new connection only while it holds at most this many more than the least busy worker.
BALANCE_SLACK = 1
#: Seconds after which a worker's published count no longer counts (it is stopped, hung or gone): waitress's
#: loop publishes at least once a second (its select timeout).
STALE_SECONDS = 5.0

_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def _interrupt(signum: int, frame: object) -> None:
    """Turn SIGTERM into a KeyboardInterrupt, the one way every loop here already stops."""
    raise KeyboardInterrupt


def describe_exit(status: int) -> str:
    """Say how a process ended, from its ``os.waitpid`` status: ``exited with status 1``, ``was killed by SIGKILL``."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with status {code}"


class ConnectionShares:
    """How many connections each worker holds, in memory shared by the workers (mapped before they fork).

    Workers accept from one socket, and whichever wakes first takes the connection: under a burst
    (a client pool opening 32 keep-alive connections at once) one worker can take them all and keep
    them, leaving the others idle. Each worker publishes its count here and declines new connections
    while it holds more than BALANCE_SLACK above the least busy live worker, which then takes them.
    """

    def __init__(self, count: int) -> None:
        # Slot i holds worker i's (connections, when published); slot 0 is unused.
        self._memory = mmap.mmap(-1, (count + 1) * 16)
        self._slots = memoryview(self._memory).cast("d")
        self.count = count
        for index in range(1, count + 1):
            self.forget(index)

    def forget(self, index: int) -> None:
        """Leave a worker out of the balance until it publishes again (it is starting, or it died)."""
        self._slots[2 * index + 1] = 0.0

    def publish(self, index: int, connections: int) -> None:
        """Record that worker ``index`` holds ``connections`` connections now."""
        self._slots[2 * index] = float(connections)
        self._slots[2 * index + 1] = time.monotonic()

    def fewest(self) -> int | None:
        """The connections of the least busy worker that published in the last STALE_SECONDS (None: none did)."""
        fresh = time.monotonic() - STALE_SECONDS
        counts = [
            self._slots[2 * index] for index in range(1, self.count + 1) if self._slots[2 * index + 1] > fresh
        ]
        return int(min(counts)) if counts else None

    def may_accept(self, index: int, connections: int) -> bool:
        """Publish worker ``index``'s count and tell whether it should take another connection now."""
        self.publish(index, connections)
        fewest = self.fewest()
        return fewest is None or connections <= fewest + BALANCE_SLACK


class WorkerPool:
    """Worker processes 1..N, each running ``target(index)`` (its exit status), watched by this process.

    The parent serves nothing: it forks the workers (they inherit every open socket), waits for
    them, restarts one that dies, and on SIGTERM or SIGINT stops them all. Each worker also stops
    when the parent disappears (even by SIGKILL), so none outlives it.
    """

    def __init__(
        self,
        count: int,
        target: Callable[[int], int],
        report: Callable[[str], None],
        shares: ConnectionShares | None = None,
    ) -> None:
        """
        :param count: how many workers, 1 to MAX_WORKERS.
        :param target: what a worker runs; it returns the worker's exit status.
        :param report: where the parent tells of a worker that died (a line of text).
        :param shares: the workers' connection counts, if they balance connections: a worker that
            died leaves the balance until its replacement publishes.
        """
        self.count = count
        self.shares = shares
        self.target = target
        self.report = report
        #: pid -> (worker index, when it started)
        self.workers: dict[int, tuple[int, float]] = {}
        self._parent_alive = -1

    def run(self) -> None:
        """Start the workers and keep them running until SIGTERM or SIGINT, then stop them all.

        :raises click.ClickException: when MAX_FAILED_STARTS workers in a row die as they start; by
            then every worker is stopped.
        """
        previous = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        # Its write end stays open only in this process: at our death, even by SIGKILL, workers read EOF.
        self._parent_alive, alive_writer = os.pipe()
        try:
            for index in range(1, self.count + 1):
                self._start(index, alive_writer)
            self._watch(alive_writer)
        except KeyboardInterrupt:
            pass
        finally:
            # A second Ctrl-C must not cut the stop short and leave workers behind.
            for sig in _STOP_SIGNALS:
                signal.signal(sig, signal.SIG_IGN)
            try:
                self._stop_all()
            finally:
                os.close(self._parent_alive)
                os.close(alive_writer)
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    def _start(self, index: int, alive_writer: int) -> None:
        # Block the stop signals across the fork, so that no pid goes unrecorded and a worker
        # cannot be interrupted before it has set up its own handlers.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            # Whatever sits in the buffers would otherwise be written again by every worker.
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                self._be_worker(index, alive_writer, mask)
            self.workers[pid] = (index, time.monotonic())
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def _be_worker(self, index: int, alive_writer: int, mask: set[int | signal.Signals]) -> None:
        """Run the target in the forked child, and leave the process without returning into the parent's code."""
        status = 1
        try:
            os.close(alive_writer)
            # The parent answers Ctrl-C (sent to the whole process group) by stopping the workers itself.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, _interrupt)
            threading.Thread(target=_stop_with_parent, args=(self._parent_alive,), daemon=True).start()
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            status = self.target(index)
        except KeyboardInterrupt:
            status = 0
        except click.ClickException as error:
            error.show()
            status = error.exit_code
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)

    def _watch(self, alive_writer: int) -> None:
        failed_starts = 0
        while self.workers:
            pid, status = os.waitpid(-1, 0)
            if pid not in self.workers:
                continue
            index, started = self.workers.pop(pid)
            if self.shares is not None:
                self.shares.forget(index)
            lived = time.monotonic() - started
            failed_starts = failed_starts + 1 if lived < START_SECONDS else 0
            what = f"worker {index} (pid {pid}) {describe_exit(status)} after {lived:.1f} s"
            if failed_starts >= MAX_FAILED_STARTS:
                raise click.ClickException(
                    f"{what}: {failed_starts} workers in a row died within {START_SECONDS:g} s of starting, "
                    "so the server stops"
                )
            self.report(f"{what}; starting a new worker {index}")
            self._start(index, alive_writer)

    def _stop_all(self) -> None:
        for pid in self.workers:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while self.workers and time.monotonic() < deadline:
            for pid in list(self.workers):
                if os.waitpid(pid, os.WNOHANG)[0]:
                    del self.workers[pid]
            time.sleep(0.02)
        for pid, (index, _) in list(self.workers.items()):
            self.report(f"worker {index} (pid {pid}) did not stop within {STOP_GRACE:g} s: killing it")
            _signal(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            del self.workers[pid]


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _stop_with_parent(parent_alive: int) -> None:
    """In a worker: block until the parent's end of the pipe closes, then stop this worker as SIGTERM would."""
    while os.read(parent_alive, 1):
        pass
    os.kill(os.getpid(), signal.SIGTERM)
