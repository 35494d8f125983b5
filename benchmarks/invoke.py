"""Benchmark invoking a sandboxed expression against calling the same plain Python lambda.

Run: python -m benchmarks.invoke [--calls N] [--rounds R]
"""

from __future__ import annotations

import argparse
import timeit

from bfxdb.sandbox import compile_expression

from .common import interleaved_medians, print_table

MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'
PARAMETERS = {"x": 5, "y": 7}


def measure_invoke(n: int = 1_000_000, rounds: int = 5) -> dict:
    """Time `invoke` of the multiply example against the plain lambda called as f(**params).

    The two run in alternating rounds so machine noise hits both alike; each
    figure is the median of its rounds. timeit's own loop is used rather than a
    Python wrapper, which would add the same overhead to both and flatter the ratio.

    :param n: calls per round for each of the two.
    :param rounds: how many alternating rounds to run.
    :returns: dict with sandbox_calls_per_s, plain_calls_per_s and ratio (sandbox / plain).
    """
    compiled = compile_expression("lambda", MULTIPLY)
    plain = lambda **kw: kw.get("x", 0) * kw.get("y", 0)  # noqa: E731 - the reference the sandbox is held to
    if compiled.invoke(PARAMETERS) != plain(**PARAMETERS):
        raise AssertionError("the sandbox and the plain lambda disagree")
    sandbox_timer = timeit.Timer(
        "compiled.invoke(parameters)", globals={"compiled": compiled, "parameters": PARAMETERS}
    )
    plain_timer = timeit.Timer("plain(**parameters)", globals={"plain": plain, "parameters": PARAMETERS})
    medians = interleaved_medians(
        {"sandbox": lambda: n / sandbox_timer.timeit(n), "plain": lambda: n / plain_timer.timeit(n)}, rounds
    )
    return {
        "sandbox_calls_per_s": medians["sandbox"],
        "plain_calls_per_s": medians["plain"],
        "ratio": medians["sandbox"] / medians["plain"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls per round for each contender")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; the median is reported")
    options = parser.parse_args()
    figures = measure_invoke(options.calls, options.rounds)
    print_table(
        f"invoke {MULTIPLY} with {PARAMETERS} "
        "(calls/s; reference: the same lambda as f(**params); target ratio >= 0.5)",
        [
            (
                "invoke",
                f"{figures['sandbox_calls_per_s']:,.0f}",
                f"{figures['plain_calls_per_s']:,.0f}",
                f"{figures['ratio']:.2f}",
            )
        ],
    )


if __name__ == "__main__":
    main()
