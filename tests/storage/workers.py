"""Child processes for the crash and concurrency tests: `python -m tests.storage.workers MODE PATH [ARGS]`."""

from __future__ import annotations

import sys

import bfxdb


def commit_loop(path: str, start: int) -> None:
    """Commit substrate i and a relationship to i - 1 forever, printing i once each commit returns."""
    with bfxdb.connect(path) as db:
        identity = start
        while True:
            with db.transaction():
                db.create_substrate(identity=identity, metadata={"n": identity, "pad": "x" * (identity % 200)})
                if identity > start:
                    db.create_relationship(identity, identity - 1, "NEXT", {"n": identity})
            print(identity, flush=True)
            identity += 1


def mixed_load(path: str, worker: int, count: int) -> None:
    """Write `count` substrates linked to an anchor, reading between writes; print 'done' at the end."""
    with bfxdb.connect(path, timeout=60) as db:
        for index in range(count):
            identity = worker * 1_000_000 + index + 1
            with db.transaction():
                db.create_substrate(identity=identity, labels=[f"W{worker}"], metadata={"i": index})
                db.create_relationship(identity, 0, "TO_ANCHOR")
            assert db.get_substrate(identity).metadata == {"i": index}
            db.count_substrates()
            db.outgoing(identity)
        print("done", flush=True)


if __name__ == "__main__":
    mode, path, *args = sys.argv[1:]
    if mode == "commit-loop":
        commit_loop(path, int(args[0]))
    elif mode == "mixed-load":
        mixed_load(path, int(args[0]), int(args[1]))
    else:
        sys.exit(f"unknown mode {mode}")
