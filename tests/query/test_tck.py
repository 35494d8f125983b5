"""The openCypher TCK ratchet, and tests of the TCK runner itself against a scripted stand-in engine."""

from __future__ import annotations

import json
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.tck import DEFAULT_FEATURES, DEFAULT_GRAPHS, KNOWN_PASSING
from tests.tck.__main__ import main
from tests.tck.features import load_features
from tests.tck.ratchet import read_known_passing, update_known_passing
from tests.tck.runner import Engine, load_engine, run_scenarios


def test_known_passing_tck_scenarios_still_pass():
    if not DEFAULT_FEATURES.is_dir():
        pytest.skip(f"the openCypher TCK is not at {DEFAULT_FEATURES}")
    known = read_known_passing(KNOWN_PASSING)
    scenarios = [scenario for scenario in load_features(DEFAULT_FEATURES) if scenario.key in known]
    outcomes = run_scenarios(scenarios, load_engine(), graphs_dir=DEFAULT_GRAPHS)
    lost = [f"{name}: no such scenario" for name in sorted(known - {scenario.key for scenario in scenarios})]
    broken = [f"{o.scenario.key}: {o.status}: {o.reason}" for o in outcomes if o.status != "passed"]
    assert not lost + broken, (
        f"{len(lost + broken)} scenarios of {KNOWN_PASSING.name} no longer pass:\n" + "\n".join(lost + broken)
    )


class FakeError(Exception):
    """Stands in for bfxdb.BfxError."""


class FakeQueryError(FakeError):
    """Stands in for bfxdb.errors.QueryError."""

    def __init__(self, category: str, detail_code: str | None) -> None:
        super().__init__(f"{category} {detail_code}")
        self.category = category
        self.detail_code = detail_code


@dataclass
class FakeNode:
    identity: int
    labels: tuple[str, ...] = ()
    metadata: dict = field(default_factory=dict)


@dataclass
class FakeResult:
    columns: list[str]
    rows: list[tuple]


class FakeDatabase:
    """Answers only the query texts in QUERIES, keeping nodes so side effects show."""

    def __init__(self) -> None:
        self.nodes: dict[int, FakeNode] = {}
        self.procedures: dict[str, tuple] = {}

    def register_procedure(self, name, function, *, inputs=(), outputs=()):
        self.procedures[name] = (function, inputs, outputs)

    def query(self, text, parameters=None, *, read_only=False, timeout=None):
        return QUERIES[" ".join(text.split())](self, parameters or {})

    def add(self, *labels: str, **properties) -> FakeNode:
        node = FakeNode(len(self.nodes) + 1, labels, properties)
        self.nodes[node.identity] = node
        return node

    def find_substrates(self):
        return list(self.nodes.values())

    def find_relationships(self):
        return []

    def close(self) -> None:
        self.nodes.clear()


def create_a(db, parameters):
    db.add("A", name="a")
    return FakeResult([], [])


def create_then_fail(db, parameters):
    db.add("B")
    raise FakeQueryError("TypeError", "InvalidArgumentType")


def label_everything(db, parameters):
    for node in db.nodes.values():
        node.labels += ("Foo",)
    return FakeResult([], [])


def raise_error(category, detail):
    def handler(db, parameters):
        raise FakeQueryError(category, detail)

    return handler


def call(name, *arguments):
    def handler(db, parameters):
        function, _, outputs = db.procedures[name]
        return FakeResult([field for field, _ in outputs], [tuple(row) for row in function(*arguments)])

    return handler


def hang(db, parameters):
    time.sleep(30)


QUERIES = {
    "CREATE (:A {name: 'a'})": create_a,
    "CREATE (:A {name: 'a'}); CREATE (:A {name: 'a'})": create_a,
    "MATCH (n) RETURN n": lambda db, p: FakeResult(["n"], [(node,) for node in db.nodes.values()]),
    "MATCH (n) SET n:Foo": label_everything,
    "RETURN $x AS x": lambda db, p: FakeResult(["x"], [(p["x"],)]),
    "RETURN [1, 2] AS l": lambda db, p: FakeResult(["l"], [([2, 1],)]),
    "RETURN 1 AS one": lambda db, p: FakeResult(["one"], [(1,)]),
    "TYPE ERROR": raise_error("TypeError", "InvalidArgumentType"),
    "NO DETAIL": raise_error("TypeError", None),
    "CREATE THEN FAIL": create_then_fail,
    "CRASH": lambda db, p: 1 / 0,
    "HANG": hang,
    "CALL test.doNothing()": call("test.doNothing"),
    "CALL test.my.proc('b', null)": call("test.my.proc", "b", None),
}

FAKE = Engine(FakeDatabase, FakeError, FakeQueryError)

FEATURE = """\
Feature: Fake

  Scenario: creates with side effects
    Given an empty graph
    When executing query:
      \"\"\"
      CREATE (:A {name: 'a'})
      \"\"\"
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 1 |
      | +labels     | 1 |
      | +properties | 1 |

  Scenario: wrong side effects
    Given an empty graph
    When executing query:
      \"\"\"
      CREATE (:A {name: 'a'})
      \"\"\"
    Then the result should be empty
    And no side effects

  Scenario: labels count distinct names
    Given an empty graph
    And having executed:
      \"\"\"
      CREATE (:A {name: 'a'})
      \"\"\"
    And having executed:
      \"\"\"
      CREATE (:A {name: 'a'})
      \"\"\"
    When executing query:
      \"\"\"
      MATCH (n) SET n:Foo
      \"\"\"
    Then the result should be empty
    And the side effects should be:
      | +labels | 1 |

  Scenario: named graph
    Given the tiny graph
    When executing query:
      \"\"\"
      MATCH (n) RETURN n
      \"\"\"
    Then the result should be, in any order:
      | n                  |
      | (:A {name: 'a'})   |
      | (:A {name: 'a'})   |
    And no side effects

  Scenario Outline: parameters
    Given any graph
    And parameters are:
      | x | <value> |
    When executing query:
      \"\"\"
      RETURN $x AS x
      \"\"\"
    Then the result should be, in order:
      | x        |
      | <result> |
    And no side effects

    Examples:
      | value | result |
      | 1     | 1      |
      | 1     | 1.0    |
      | 'a'   | 'a'    |

  Scenario: list order ignored
    Given any graph
    When executing query:
      \"\"\"
      RETURN [1, 2] AS l
      \"\"\"
    Then the result should be (ignoring element order for lists):
      | l      |
      | [1, 2] |
    And no side effects

  Scenario: list order kept
    Given any graph
    When executing query:
      \"\"\"
      RETURN [1, 2] AS l
      \"\"\"
    Then the result should be, in any order:
      | l      |
      | [1, 2] |
    And no side effects

  Scenario: expected error
    Given any graph
    When executing query:
      \"\"\"
      TYPE ERROR
      \"\"\"
    Then a TypeError should be raised at runtime: InvalidArgumentType

  Scenario: wrong category
    Given any graph
    When executing query:
      \"\"\"
      TYPE ERROR
      \"\"\"
    Then a SyntaxError should be raised at compile time: InvalidArgumentType

  Scenario: other detail code
    Given any graph
    When executing query:
      \"\"\"
      NO DETAIL
      \"\"\"
    Then a TypeError should be raised at any time: InvalidArgumentType

  Scenario: any detail code
    Given any graph
    When executing query:
      \"\"\"
      NO DETAIL
      \"\"\"
    Then a TypeError should be raised at any time: *

  Scenario: error that changed the graph
    Given any graph
    When executing query:
      \"\"\"
      CREATE THEN FAIL
      \"\"\"
    Then a TypeError should be raised at runtime: InvalidArgumentType

  Scenario: error where a result was expected
    Given any graph
    When executing query:
      \"\"\"
      TYPE ERROR
      \"\"\"
    Then the result should be empty

  Scenario: no error where one was expected
    Given any graph
    When executing query:
      \"\"\"
      RETURN 1 AS one
      \"\"\"
    Then a TypeError should be raised at runtime: InvalidArgumentType

  Scenario: engine crash
    Given any graph
    When executing query:
      \"\"\"
      CRASH
      \"\"\"
    Then the result should be empty

  Scenario: unknown step
    Given any graph
    When executing query:
      \"\"\"
      RETURN 1 AS one
      \"\"\"
    Then the moon should be full

  Scenario: needs a procedure
    Given an empty graph
    And there exists a procedure test.doNothing() :: ():
      |
    When executing query:
      \"\"\"
      CALL test.doNothing()
      \"\"\"
    Then the result should be empty

  Scenario: procedure rows chosen by the arguments
    Given an empty graph
    And there exists a procedure test.my.proc(name :: STRING?, n :: INTEGER?) :: (out :: INTEGER?) :
      | name | n    | out |
      | 'a'  | null | 1   |
      | 'b'  | null | 2   |
      | 'b'  | 1    | 3   |
      | 'b'  | null | 4   |
    When executing query:
      \"\"\"
      CALL test.my.proc('b', null)
      \"\"\"
    Then the result should be, in order:
      | out |
      | 2   |
      | 4   |

  Scenario: procedure table that does not fit its signature
    Given an empty graph
    And there exists a procedure test.my.proc(name :: STRING?) :: (out :: INTEGER?):
      | name | result |
    When executing query:
      \"\"\"
      CALL test.doNothing()
      \"\"\"
    Then the result should be empty

  @ignore
  Scenario: ignored
    Given any graph
    Then the moon should be full
"""


@pytest.fixture
def tck(tmp_path: Path) -> Path:
    """A miniature TCK: features/fake/Fake.feature and graphs/tiny/tiny.cypher."""
    (tmp_path / "features" / "fake").mkdir(parents=True)
    (tmp_path / "features" / "fake" / "Fake.feature").write_text(FEATURE)
    (tmp_path / "graphs" / "tiny").mkdir(parents=True)
    (tmp_path / "graphs" / "tiny" / "tiny.cypher").write_text("CREATE (:A {name: 'a'});\nCREATE (:A {name: 'a'});\n")
    return tmp_path


def verdicts(tck: Path, **options) -> dict[str, tuple[str, str, bool]]:
    scenarios = load_features(tck / "features")
    outcomes = run_scenarios(scenarios, FAKE, graphs_dir=tck / "graphs", **options)
    return {
        o.scenario.key.split("::", 1)[1]: (o.status, o.reason, o.detail_mismatch, o.category_mismatch)
        for o in outcomes
    }


def test_runner_judges_each_kind_of_step(tck):
    found = verdicts(tck)
    statuses = {name: status for name, (status, *_) in found.items()}
    assert statuses == {
        "creates with side effects": "passed",
        "wrong side effects": "failed",
        "labels count distinct names": "passed",
        "named graph": "passed",
        "parameters::0": "passed",
        "parameters::1": "failed",
        "parameters::2": "passed",
        "list order ignored": "passed",
        "list order kept": "failed",
        "expected error": "passed",
        "wrong category": "failed",
        "other detail code": "passed",
        "any detail code": "passed",
        "error that changed the graph": "failed",
        "error where a result was expected": "failed",
        "no error where one was expected": "failed",
        "engine crash": "failed",
        "unknown step": "failed",
        "needs a procedure": "passed",
        "procedure rows chosen by the arguments": "passed",
        "procedure table that does not fit its signature": "failed",
        "ignored": "skipped",
    }
    assert "+nodes 1" in found["wrong side effects"][1]
    assert "unknown step" in found["unknown step"][1]
    assert "ZeroDivisionError" in found["engine crash"][1]
    assert "changed the graph: +nodes 1" in found["error that changed the graph"][1]
    assert found["other detail code"][2] is True
    assert found["expected error"][2] is False
    assert found["any detail code"][2] is False
    assert found["wrong category"][3] is True
    assert not any(found[name][3] for name in ("error where a result was expected", "no error where one was expected"))


def test_strict_details_requires_the_detail_code(tck):
    assert verdicts(tck, strict_details=True)["other detail code"][0] == "failed"


def test_a_query_that_ignores_its_timeout_is_stopped(tck):
    feature = tck / "features" / "fake" / "Fake.feature"
    feature.write_text("Feature: Hang\n  Scenario: hangs\n    Given any graph\n    When executing query: HANG\n"
                       "    Then the result should be empty\n")
    started = time.perf_counter()
    found = verdicts(tck, timeout=0.1)
    assert time.perf_counter() - started < 5
    assert found["hangs"][0] == "failed" and "still running" in found["hangs"][1]


def test_cli_prints_a_table_and_ends_with_the_totals(tck, capsys, tmp_path):
    (tck / "features" / "fake" / "Fake.feature").write_text(
        textwrap.dedent(
            """\
            Feature: Two
              Scenario: unknown step
                Given any graph
                Then the moon should be full
              @ignore
              Scenario: ignored
                Given any graph
                Then the moon should be full
            """
        )
    )
    report = tmp_path / "report.json"
    assert main([str(tck / "features"), "--json", str(report), "--list-failures"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "0 passed, 1 failed, 1 skipped"
    assert any(line.split() == ["fake", "0", "1", "1"] for line in out)
    results = json.loads(report.read_text())["scenarios"]
    assert [(r["feature"], r["scenario"], r["status"]) for r in results] == [
        ("fake/Fake.feature", "unknown step", "failed"),
        ("fake/Fake.feature", "ignored", "skipped"),
    ]


@pytest.mark.parametrize(
    "arguments",
    [["{tmp}/absent"], ["{tmp}", "--json", "{tmp}/absent/report.json"], ["{tmp}", "--update-known-passing"]],
    ids=["missing features directory", "missing JSON directory", "updating from another TCK"],
)
def test_cli_refuses_usage_errors_with_status_2(tmp_path, arguments):
    with pytest.raises(SystemExit) as exit_info:
        main([argument.format(tmp=tmp_path) for argument in arguments])
    assert exit_info.value.code == 2


def test_updating_known_passing_keeps_entries_that_were_not_run(tmp_path):
    path = tmp_path / "known.txt"
    path.write_text("# comment\na::x\nb::y\n")
    update_known_passing(path, ran={"a::x", "c::z"}, passed={"c::z"})
    assert read_known_passing(path) == {"b::y", "c::z"}
    assert path.read_text().startswith("#")
