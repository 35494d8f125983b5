"""Read and rewrite the list of TCK scenarios known to pass, which the test suite holds bfxdb to."""

from __future__ import annotations

from pathlib import Path

HEADER = """\
# TCK scenarios that pass; tests/query/test_tck.py fails when any of them stops passing.
# One key per line: <feature path relative to the features dir>::<scenario name>[::<example index from 0>]
# Lines starting with # are ignored. Rewrite with: python -m tests.tck --update-known-passing
"""


def read_known_passing(path: Path) -> set[str]:
    """Read the scenario keys listed in a known-passing file.

    :param path: the file; a missing file lists nothing.
    :returns: the keys, without comments and blank lines.
    """
    if not path.is_file():
        return set()
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def update_known_passing(path: Path, ran: set[str], passed: set[str]) -> set[str]:
    """Rewrite a known-passing file after a run, sorted.

    Scenarios that were not run (filtered out with ``-k`` or another features
    directory) keep their entries, so a partial run never shrinks the list
    by accident.

    :param path: the file.
    :param ran: keys of every scenario in the run.
    :param passed: keys of the scenarios that passed.
    :returns: the keys now listed.
    """
    keys = (read_known_passing(path) - ran) | passed
    path.write_text(HEADER + "".join(f"{key}\n" for key in sorted(keys)), encoding="utf-8")
    return keys
