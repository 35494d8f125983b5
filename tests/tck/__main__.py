"""Command line of the TCK runner: run scenarios, print a table per folder, optionally write JSON.

The exit status is 0 whenever the run completed, whatever the verdicts
(tests/query/test_tck.py decides what counts as a regression); 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from . import DEFAULT_FEATURES, DEFAULT_GRAPHS, KNOWN_PASSING
from .features import load_features
from .ratchet import update_known_passing
from .runner import Outcome, load_engine, run_scenarios


def main(argv: list[str] | None = None) -> int:
    """Run the command line; see ``python -m tests.tck --help``."""
    parser = _parser()
    args = parser.parse_args(argv)
    for directory in args.features_dirs:
        if not directory.is_dir():
            parser.error(f"features directory not found: {directory}")
    if args.json and not args.json.parent.is_dir():
        parser.error(f"no directory for the JSON report: {args.json.parent}")
    if args.database and not args.database.lower().startswith(("postgresql://", "postgres://")):
        parser.error("--database takes a postgresql:// URL")
    if args.update_known_passing and args.database:
        parser.error("--update-known-passing records SQLite's verdicts; run it without --database")
    if args.update_known_passing and [d.resolve() for d in args.features_dirs] != [DEFAULT_FEATURES.resolve()]:
        # The known-passing keys name scenarios of the default TCK only.
        parser.error("--update-known-passing works only with the default features directory")
    scenarios = [scenario for directory in args.features_dirs for scenario in load_features(directory)]
    if args.k:
        scenarios = [scenario for scenario in scenarios if args.k.lower() in scenario.key.lower()]
    engine = load_engine(args.database)
    if engine.problem:
        print(engine.problem, file=sys.stderr)
    outcomes = run_scenarios(
        scenarios, engine, graphs_dir=args.graphs, timeout=args.timeout, strict_details=args.strict_details
    )
    if args.list_failures:
        for outcome in outcomes:
            if outcome.status == "failed":
                reason = outcome.reason.replace("\n", "\n    ")
                print(f"FAILED {outcome.scenario.key}\n    {reason}")
    print(_table(outcomes))
    if args.json:
        args.json.write_text(json.dumps(_report(outcomes), indent=2) + "\n", encoding="utf-8")
    if args.update_known_passing:
        keys = update_known_passing(
            KNOWN_PASSING,
            ran={outcome.scenario.key for outcome in outcomes},
            passed={outcome.scenario.key for outcome in outcomes if outcome.status == "passed"},
        )
        print(f"{KNOWN_PASSING}: {len(keys)} known passing scenarios")
    mismatches = sum(outcome.detail_mismatch for outcome in outcomes)
    if mismatches:
        print(f"{mismatches} passed with the right error category but another detail code")
    wrong_category = sum(outcome.category_mismatch for outcome in outcomes)
    if wrong_category:
        print(f"{wrong_category} failed by raising an error of another category than expected")
    print(_summary(Counter(outcome.status for outcome in outcomes)))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.tck", description="Run the openCypher TCK against bfxdb."
    )
    parser.add_argument(
        "features_dirs",
        metavar="FEATURES_DIR",
        nargs="*",
        type=Path,
        default=[DEFAULT_FEATURES],
        help=f"directories of .feature files (default: {DEFAULT_FEATURES})",
    )
    parser.add_argument(
        "--graphs", type=Path, default=DEFAULT_GRAPHS, metavar="DIR", help=f"named graphs (default: {DEFAULT_GRAPHS})"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write per-scenario results as JSON")
    parser.add_argument("-k", metavar="SUBSTRING", help="run only scenarios whose key contains SUBSTRING (any case)")
    parser.add_argument("--list-failures", action="store_true", help="print each failed scenario and why")
    parser.add_argument(
        "--strict-details", action="store_true", help="an expected error must also have the expected detail code"
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="run each scenario in a new schema of this postgresql:// database (default: in-memory SQLite)",
    )
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="limit per query (default 10)")
    parser.add_argument(
        "--update-known-passing",
        action="store_true",
        help=f"rewrite {KNOWN_PASSING.name} with the scenarios passing now (entries not run are kept)",
    )
    return parser


def _table(outcomes: list[Outcome]) -> str:
    counts: dict[str, Counter] = {}
    for outcome in outcomes:
        counts.setdefault(outcome.scenario.folder, Counter())[outcome.status] += 1
    width = max([len("folder"), *map(len, counts)])
    lines = [f"{'folder':<{width}}  {'passed':>6}  {'failed':>6}  {'skipped':>7}"]
    for folder in sorted(counts):
        count = counts[folder]
        lines.append(f"{folder:<{width}}  {count['passed']:>6}  {count['failed']:>6}  {count['skipped']:>7}")
    return "\n".join(lines)


def _summary(totals: Counter) -> str:
    line = f"{totals['passed']} passed, {totals['failed']} failed"
    return line + (f", {totals['skipped']} skipped" if totals["skipped"] else "")


def _report(outcomes: list[Outcome]) -> dict:
    totals = Counter(outcome.status for outcome in outcomes)
    return {
        "summary": {
            "passed": totals["passed"],
            "failed": totals["failed"],
            "skipped": totals["skipped"],
            "detail_mismatches": sum(outcome.detail_mismatch for outcome in outcomes),
            "category_mismatches": sum(outcome.category_mismatch for outcome in outcomes),
        },
        "scenarios": [
            {
                "key": outcome.scenario.key,
                "feature": outcome.scenario.feature,
                "scenario": outcome.scenario.name,
                "example_index": outcome.scenario.example_index,
                "line": outcome.scenario.line,
                "status": outcome.status,
                "reason": outcome.reason,
                "detail_mismatch": outcome.detail_mismatch,
                "category_mismatch": outcome.category_mismatch,
                "seconds": round(outcome.seconds, 4),
            }
            for outcome in outcomes
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
