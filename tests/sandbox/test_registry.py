"""Tests for the expression types: the cache, registering a type, and the explicit wiring of "cypher"."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bfxdb.web import create_app

import bfxdb
from bfxdb.errors import ExpressionError, ExpressionLimitExceeded, ExpressionRejected, InvalidInput, QuerySyntaxError
from bfxdb.sandbox import (
    EXPRESSION_TYPES,
    SUPPORTED_TYPES,
    CompiledExpression,
    ExpressionTypes,
    check_time_budget,
    compile_expression,
    limits,
    register_expression_type,
    registry,
    supported_types,
)

BFXDB = Path(bfxdb.__file__).resolve().parent
REPO = Path(__file__).resolve().parents[2]
MULTIPLY = 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)'


@pytest.fixture
def types() -> ExpressionTypes:
    """A table of expression types of its own, so registering in a test changes nothing else."""
    return ExpressionTypes()


# --- compiling and the cache -------------------------------------------------------------------


def test_unknown_expression_type_lists_the_supported_ones():
    with pytest.raises(ExpressionRejected, match="unknown expression type 'python'; supported types: ") as caught:
        compile_expression("python", "1 + 1")
    assert ", ".join(supported_types()) in str(caught.value)


def test_code_must_be_text():
    with pytest.raises(ExpressionRejected):
        compile_expression("lambda", b"lambda: 1")


def test_compiling_the_same_code_twice_gives_the_same_object():
    first = compile_expression("lambda", MULTIPLY)
    assert compile_expression("lambda", MULTIPLY) is first
    assert isinstance(first, CompiledExpression)
    assert compile_expression("lambda", MULTIPLY + " ") is not first
    assert compile_expression("constant", "1") is not compile_expression("constant", "2")


def test_cache_is_bounded(monkeypatch, types):
    monkeypatch.setattr(registry, "CACHE_MAX_ENTRIES", 2)
    first = types.compile("lambda", "lambda: 'cache-1'")
    types.compile("lambda", "lambda: 'cache-2'")
    types.compile("lambda", "lambda: 'cache-3'")
    assert types.compile("lambda", "lambda: 'cache-1'") is not first


def test_supported_types_include_the_built_in_types():
    assert {"constant", "lambda"} <= set(supported_types())
    assert list(supported_types()) == sorted(SUPPORTED_TYPES)


def test_the_module_functions_are_the_process_table():
    assert compile_expression.__self__ is EXPRESSION_TYPES
    assert register_expression_type.__self__ is EXPRESSION_TYPES
    assert supported_types.__self__ is EXPRESSION_TYPES
    assert SUPPORTED_TYPES == EXPRESSION_TYPES.names


# --- registering a type ------------------------------------------------------------------------


def test_a_new_table_knows_only_the_built_in_types(types):
    assert types.supported() == ("constant", "lambda")


def test_registered_type_compiles_and_invokes(types):
    def compile_doubling(code: str):
        factor = int(code)
        return lambda parameters: parameters.get("x", 0) * factor

    types.register("scaled", compile_doubling)
    assert "scaled" in types.names
    assert "scaled" in types.supported()
    compiled = types.compile("scaled", "3")
    assert compiled.invoke({"x": 5}) == 15
    assert types.compile("scaled", "3") is compiled
    assert "scaled" not in supported_types()


def test_registered_type_errors_become_expression_errors(types):
    def compile_strict(code: str):
        if code == "bad":
            raise QuerySyntaxError("unexpected token", line=1, column=2)
        if code == "python error":
            raise ExpressionRejected("refused by the compiler")
        return lambda parameters: parameters["missing"]

    types.register("strict", compile_strict)
    with pytest.raises(ExpressionRejected, match="unexpected token") as caught:
        types.compile("strict", "bad")
    assert caught.value.details["line"] == 1
    with pytest.raises(ExpressionRejected, match="refused by the compiler"):
        types.compile("strict", "python error")
    with pytest.raises(ExpressionError, match="key 'missing' not found"):
        types.compile("strict", "ok").invoke({})


def test_registered_type_result_is_checked(types):
    types.register("leaky", lambda code: lambda parameters: object())
    with pytest.raises(ExpressionError, match="not a JSON value"):
        types.compile("leaky", "").invoke({})


def test_registering_again_replaces_the_compiler_and_empties_the_cache(types):
    types.register("versioned", lambda code: lambda parameters: 1)
    assert types.compile("versioned", "").invoke() == 1
    types.register("versioned", lambda code: lambda parameters: 2)
    assert types.compile("versioned", "").invoke() == 2


def test_the_generation_counts_changes_of_compilers_only(types):
    def compile_one(code: str):
        return lambda parameters: 1

    start = types.generation
    types.register("one", compile_one)
    types.register("one", compile_one)
    assert types.generation == start + 1
    types.register("one", lambda code: lambda parameters: 2)
    assert types.generation == start + 2


def test_registering_the_same_compiler_again_keeps_the_cache(types):
    def compile_one(code: str):
        return lambda parameters: 1

    types.register("one", compile_one)
    compiled = types.compile("one", "")
    types.register("one", compile_one)
    assert types.compile("one", "") is compiled


def test_registered_evaluator_can_check_the_time_budget(types, monkeypatch):
    monkeypatch.setattr(limits, "TIME_BUDGET_SECONDS", 0.0)

    def compile_looping(code: str):
        def evaluate(parameters: dict):
            while True:
                check_time_budget()

        return evaluate

    types.register("looping", compile_looping)
    with pytest.raises(ExpressionLimitExceeded, match="time budget"):
        types.compile("looping", "").invoke({})
    check_time_budget()  # outside an invocation it never stops anything


@pytest.mark.parametrize(
    ("name", "compiler"),
    [("lambda", lambda code: None), ("constant", lambda code: None), ("not a name", lambda code: None), ("x", 5)],
)
def test_bad_registrations_are_refused(types, name, compiler):
    with pytest.raises(InvalidInput):
        types.register(name, compiler)
    with pytest.raises(InvalidInput):
        register_expression_type(name, compiler)


# --- "cypher" is wired by the Database, not by importing anything ------------------------------

# A fresh interpreter: in this one, an earlier test's Database has registered "cypher" already.
FRESH = r"""
import json
import bfxdb.query
import bfxdb.sandbox
from bfxdb.errors import ExpressionRejected

report = {"after_import": list(bfxdb.sandbox.supported_types())}
try:
    bfxdb.sandbox.compile_expression("cypher", "$x * $y")
except ExpressionRejected as exc:
    report["compile_before_connect"] = str(exc)
import bfxdb
with bfxdb.connect() as db:
    node = db.create_substrate("cypher", "$x * $y + size($items)")
    report["after_connect"] = list(bfxdb.sandbox.supported_types())
    report["invoke"] = db.invoke(node.identity, {"x": 6, "y": 7, "items": [1, 2]})
    report["cypher_invoke"] = db.query("MATCH (n) RETURN invoke(n, {x: 2, y: 3, items: []})").scalar()
print(json.dumps(report))
"""


def test_importing_the_sandbox_and_the_query_engine_registers_no_cypher_type():
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    child = subprocess.run(
        [sys.executable, "-c", FRESH], capture_output=True, text=True, timeout=120, check=True, env=environment
    )
    report = json.loads(child.stdout)
    assert report["after_import"] == ["constant", "lambda"]
    assert "unknown expression type 'cypher'" in report["compile_before_connect"]
    assert report["after_connect"] == ["constant", "cypher", "lambda"]
    assert report["invoke"] == 44
    assert report["cypher_invoke"] == 6


def _imported_modules(path: Path) -> set[str]:
    """Name every module a source file imports, relative imports resolved against the bfxdb package."""
    package = ".".join(path.relative_to(BFXDB.parent).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_the_sandbox_does_not_import_the_query_engine():
    for path in sorted((BFXDB / "sandbox").glob("*.py")):
        imported = _imported_modules(path)
        assert not {name for name in imported if name == "bfxdb.query" or name.startswith("bfxdb.query.")}, path


def test_the_query_engine_registers_no_expression_type():
    for path in sorted((BFXDB / "query").rglob("*.py")):
        assert "register_expression_type" not in path.read_text(encoding="utf-8"), path
        assert "bfxdb.sandbox.registry" not in _imported_modules(path), path


def test_cypher_substrates_work_over_http(tmp_path):
    with bfxdb.connect(tmp_path / "api.db") as db:
        client = create_app(db).test_client()
        created = client.post(
            "/api/v1/substrates", json={"expression_type": "cypher", "expression_code": "$x * $y"}
        )
        assert created.status_code == 201, created.get_json()
        substrate_id = created.get_json()["substrate_id"]
        invoked = client.post(f"/api/v1/substrates/{substrate_id}/invoke", json={"parameters": {"x": 6, "y": 7}})
        assert invoked.status_code == 200, invoked.get_json()
        assert invoked.get_json()["result"] == 42
        refused = client.post("/api/v1/substrates", json={"expression_type": "cypher", "expression_code": "n.name"})
        assert refused.status_code == 400
