"""Timing helpers shared by the benchmarks: interleaved rounds, medians and a table printer."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def per_call_us(function: Callable[[], object], calls: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Call `function` `calls` times and return the mean microseconds per call, by `clock`.

    ``time.process_time`` counts this process's CPU time only: on a machine other work keeps
    busy it moves far less than the wall clock does.
    """
    started = clock()
    for _ in range(calls):
        function()
    return (clock() - started) / calls * 1e6


def interleaved_medians(
    contenders: dict[str, Callable[[], float]], rounds: int = 5
) -> dict[str, float]:
    """Run each contender once per round, alternating, and return the median of each one's figures.

    Alternating inside each round spreads the machine's noise over all contenders alike.
    """
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, measure in contenders.items():
            samples[name].append(measure())
    return {name: statistics.median(values) for name, values in samples.items()}


def print_table(title: str, rows: list[tuple[str, str, str, str]]) -> None:
    """Print rows of (what, bfxdb, reference, ratio) under a title."""
    header = ("measure", "bfxdb", "reference", "ratio")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(4)]
    print(f"\n{title}")
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))
