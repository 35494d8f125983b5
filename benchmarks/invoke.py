"""Benchmark invoking a stored expression (Database.invoke, db.invocable, the bare sandbox) against a plain lambda.

Run: python -m benchmarks.invoke [--calls N] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import timeit

import bfxdb
from bfxdb.sandbox import compile_expression

from .common import interleaved_medians, print_table

MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'
PARAMETERS = {"x": 5, "y": 7}


def measure_invoke(n: int = 1_000_000, rounds: int = 5) -> dict:
    """Time each way of calling the multiply example against the plain lambda called as f(**params).

    Contenders: ``Database.invoke`` on a WAL database file (it checks on every call that nothing
    changed the data), the function ``db.invocable`` returns, the sandbox's compiled expression,
    and the plain lambda. They run in alternating rounds so machine noise hits all alike; each
    figure is the median of its rounds. timeit's own loop is used rather than a Python wrapper,
    which would add the same overhead to all and flatter the ratios.

    :param n: calls per round for each contender.
    :param rounds: how many alternating rounds to run.
    :returns: dict of calls/s by contender, and each one's ratio to the plain lambda.
    """
    compiled = compile_expression("lambda", MULTIPLY)
    plain = lambda **kw: kw.get("x", 0) * kw.get("y", 0)  # noqa: E731 - the reference the sandbox is held to
    with tempfile.TemporaryDirectory() as folder, bfxdb.connect(os.path.join(folder, "invoke.db")) as db:
        identity = db.create_substrate("lambda", MULTIPLY).identity
        invocable = db.invocable(identity)
        answers = {db.invoke(identity, PARAMETERS), invocable(PARAMETERS), compiled.invoke(PARAMETERS)}
        if answers != {plain(**PARAMETERS)}:
            raise AssertionError("the contenders disagree")
        timers = {
            "Database.invoke": timeit.Timer(
                "db.invoke(identity, parameters)", globals={"db": db, "identity": identity, "parameters": PARAMETERS}
            ),
            "db.invocable": timeit.Timer("f(parameters)", globals={"f": invocable, "parameters": PARAMETERS}),
            "sandbox": timeit.Timer(
                "compiled.invoke(parameters)", globals={"compiled": compiled, "parameters": PARAMETERS}
            ),
            "plain": timeit.Timer("plain(**parameters)", globals={"plain": plain, "parameters": PARAMETERS}),
        }
        medians = interleaved_medians(
            {name: (lambda timer=timer: n / timer.timeit(n)) for name, timer in timers.items()}, rounds
        )
    return {
        "calls_per_s": medians,
        "ratio": {name: medians[name] / medians["plain"] for name in medians},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls per round for each contender")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; the median is reported")
    options = parser.parse_args()
    figures = measure_invoke(options.calls, options.rounds)
    plain = figures["calls_per_s"]["plain"]
    targets = {"Database.invoke": ">= 0.25", "db.invocable": ">= 0.5", "sandbox": ">= 0.5"}
    print_table(
        f"invoke {MULTIPLY} with {PARAMETERS} (calls/s; reference: the same lambda as f(**params))",
        [
            (
                f"{name} (target ratio {target})",
                f"{figures['calls_per_s'][name]:,.0f}",
                f"{plain:,.0f}",
                f"{figures['ratio'][name]:.2f}",
            )
            for name, target in targets.items()
        ],
    )


if __name__ == "__main__":
    main()
