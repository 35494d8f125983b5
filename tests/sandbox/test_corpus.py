"""Every hostile expression of the shared corpus is refused or fails cleanly, fast, with no side effect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpora" / "sandbox-escapes.tsv"
PWNED = Path("/tmp/bfx-pwned")
TIME_LIMIT_SECONDS = 2.0

# Each line runs in its own interpreter, so a crash or a hang shows up as this
# line's failure (a dead process, a timeout) instead of taking the test run down.
CHILD = r"""
import json, sys, time
from bfxdb.errors import ExpressionError
from bfxdb.sandbox import compile_expression

code, parameters = json.loads(sys.stdin.read())
started = time.perf_counter()
try:
    compile_expression("lambda", code).invoke(parameters)
    report = {"outcome": "returned"}
except ExpressionError as exc:
    report = {"outcome": type(exc).__name__, "message": str(exc)}
except BaseException as exc:
    report = {"outcome": "raw " + type(exc).__name__, "message": str(exc)[:200]}
report["seconds"] = time.perf_counter() - started
print(json.dumps(report))
"""


def corpus_lines() -> list:
    if not CORPUS.is_file():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"corpus not found at {CORPUS}"))]
    cases = []
    for number, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        code, _, parameters = line.partition("\t")
        cases.append(pytest.param(code, json.loads(parameters or "{}"), id=f"line{number}"))
    return cases


@pytest.mark.parametrize(("code", "parameters"), corpus_lines())
def test_hostile_expression_is_refused_or_fails_cleanly(code, parameters):
    PWNED.unlink(missing_ok=True)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    child = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=json.dumps([code, parameters]),
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    assert child.returncode == 0, f"the process died: {child.stderr[-2000:]}"
    report = json.loads(child.stdout)
    assert report["outcome"] in {"ExpressionError", "ExpressionRejected", "ExpressionLimitExceeded"}, report
    assert report["message"].strip(), report
    assert report["seconds"] < TIME_LIMIT_SECONDS, report
    assert not PWNED.exists(), "the expression created /tmp/bfx-pwned"
