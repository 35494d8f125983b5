"""Run TCK scenarios against bfxdb and judge each one passed, failed or skipped.

Each scenario gets a fresh in-memory database, or with a PostgreSQL URL a fresh schema there,
dropped after it. The steps understood are those
of the TCK README: the initial graph (empty, any, or a named graph from the
graphs directory), setup queries, parameters, the query under test and an
optional control query, the expected result table, the side effects, or an
expected error, and test procedures ("there exists a procedure NAME(inputs)
:: (outputs)" with a table of rows), which are registered through
``Database.register_procedure`` as a function giving the table's rows whose
input columns equal the arguments, and files for LOAD CSV ("there exists a CSV file with URL as
$param, with rows:" with a table of fields, or "there exists a file NAME in the import folder:" with
the text as a doc string), written to a temporary import folder of the scenario's database. Any
other step text fails the scenario,
so nothing passes unchecked. Scenarios tagged ``@ignore`` are skipped.

Side effects are counted the way the README defines their observability,
but read through the Python API (``find_substrates``/``find_relationships``)
so a faulty query engine cannot hide its own writes: nodes and relationships
by identity, labels as the set of label names present in the graph (the
README's ``RETURN DISTINCT label``: adding ``:Foo`` to five nodes is one
``+labels``), properties as (entity, key, value) triples.

Expected errors match on the error's category (``QueryError.category``); the
detail code only counts as a "detail mismatch" unless ``strict_details`` is
set. The phase the TCK names (compile time, runtime, any time) is not
checked: bfxdb does not report when an error was found.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import signal
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .features import Scenario, Step, load_features
from .values import TckValueError, compare_table, from_engine, key, parse_value

SIDE_EFFECTS = tuple(sign + kind for kind in ("nodes", "relationships", "labels", "properties") for sign in "+-")


@dataclass(frozen=True)
class Engine:
    """The database under test: how to open one and the exceptions it raises, or why it cannot be opened."""

    connect: Callable[[], Any] | None
    error: type[BaseException] = Exception
    query_error: type[BaseException] = Exception
    problem: str | None = None


def load_engine(database: str | None = None) -> Engine:
    """Import bfxdb.

    :param database: a ``postgresql://`` URL to run each scenario in a new schema of, or None
        for a new in-memory SQLite database each.
    :returns: an Engine opening those databases, or, if bfxdb does not import, one whose
        ``problem`` says why.
    """
    try:
        import bfxdb
        from bfxdb.errors import BfxError, QueryError
    except Exception as exc:  # a half-written engine can fail to import in any way
        return Engine(None, problem=f"engine unavailable: {_crash(exc)}")
    if database is None:
        return Engine(lambda: bfxdb.connect(":memory:"), BfxError, QueryError)
    return Engine(lambda: FreshSchema(bfxdb.connect, database), BfxError, QueryError)


class FreshSchema:
    """A bfxdb database in a new schema of a PostgreSQL database, the schema dropped when it is closed.

    Everything but ``close`` is the database's own (``db.query``, ``db.import_dir = ...``, ...).
    """

    _OWN = frozenset({"url", "schema", "database"})

    def __init__(self, connect: Callable[[str], Any], url: str) -> None:
        self.url = url
        self.schema = "tck_" + uuid.uuid4().hex[:12]
        self.database = connect(url + ("&" if "?" in url else "?") + "schema=" + self.schema)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.database, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self.database, name, value)

    def close(self) -> None:
        """Close the database, then drop its schema."""
        import psycopg

        self.database.close()
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


@dataclass(frozen=True)
class Outcome:
    """The verdict on one scenario."""

    scenario: Scenario
    status: str
    reason: str = ""
    detail_mismatch: bool = False
    category_mismatch: bool = False
    seconds: float = 0.0


def folder_failures(folder: Path) -> tuple[int, list[str]]:
    """Run every scenario of a folder of our own feature files (its named graphs beside them).

    :returns: how many scenarios there are, and "key: reason" for each that did not pass.
    """
    scenarios = load_features(folder)
    outcomes = run_scenarios(scenarios, load_engine(), graphs_dir=folder)
    return len(scenarios), [f"{o.scenario.key}: {o.reason}" for o in outcomes if o.status != "passed"]


def run_scenarios(
    scenarios: list[Scenario],
    engine: Engine,
    *,
    graphs_dir: Path,
    timeout: float = 10.0,
    strict_details: bool = False,
) -> list[Outcome]:
    """Run scenarios one after another, each on a fresh database.

    :param scenarios: from ``features.load_features``.
    :param engine: from ``load_engine`` (or a stand-in in tests).
    :param graphs_dir: where named graphs live, as ``<name>/<name>.cypher``.
    :param timeout: seconds each query may take, passed to ``db.query``.
    :param strict_details: expected errors must also match the detail code.
    :returns: one Outcome per scenario, in order.
    """
    return [
        run_scenario(scenario, engine, graphs_dir=graphs_dir, timeout=timeout, strict_details=strict_details)
        for scenario in scenarios
    ]


def run_scenario(
    scenario: Scenario, engine: Engine, *, graphs_dir: Path, timeout: float = 10.0, strict_details: bool = False
) -> Outcome:
    """Run one scenario; see ``run_scenarios`` for the parameters.

    :returns: its Outcome; never raises for anything the engine does.
    """
    skip = _skip_reason(scenario)
    if skip:
        return Outcome(scenario, "skipped", skip)
    problem = scenario.problem or engine.problem
    if problem:
        return Outcome(scenario, "failed", problem)
    started = time.perf_counter()
    try:
        # A backstop for a query that ignores its own timeout; three queries' worth.
        with _deadline(3 * timeout):
            try:
                db = engine.connect()
            except Exception as exc:
                raise _Failure(f"cannot open a database: {_crash(exc)}") from None
            run = _Run(db, engine, graphs_dir, timeout, strict_details)
            try:
                for step in scenario.steps:
                    run.perform(step)
                run.finish()
            finally:
                _close(db)
                run.remove_files()
    except _Failure as failure:
        return Outcome(
            scenario,
            "failed",
            str(failure),
            category_mismatch=isinstance(failure, _CategoryMismatch),
            seconds=time.perf_counter() - started,
        )
    except Exception as exc:
        return Outcome(scenario, "failed", f"crashed: {_crash(exc)}", seconds=time.perf_counter() - started)
    return Outcome(scenario, "passed", detail_mismatch=run.detail_mismatch, seconds=time.perf_counter() - started)


def _skip_reason(scenario: Scenario) -> str | None:
    if "@ignore" in scenario.tags:
        return "tagged @ignore"
    return None


class _Failure(Exception):
    """Why a scenario failed; raised by a step and caught by run_scenario."""


class _CategoryMismatch(_Failure):
    """The query raised an error, but of another category than the scenario expects."""


class _ScenarioTimeout(BaseException):
    """The scenario outlived its backstop deadline; a BaseException so engine code cannot swallow it."""


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _ScenarioTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _ScenarioTimeout:
        raise _Failure(f"scenario still running after {seconds:g} s; stopped") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _close(db: Any) -> None:
    try:
        db.close()
    except Exception:  # the verdict is already made; a failing close must not change it
        pass


def _crash(exc: BaseException) -> str:
    summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        summary += f" (at {Path(last.filename).name}:{last.lineno} in {last.name})"
    return summary


@dataclass(frozen=True)
class Snapshot:
    """What the TCK can observe of a graph, for counting side effects."""

    nodes: frozenset[int]
    relationships: frozenset[int]
    labels: frozenset[str]
    properties: frozenset[tuple]


def take_snapshot(db: Any) -> Snapshot:
    """Read the whole graph through the Python API.

    :param db: an open bfxdb database.
    :returns: node and relationship identities, label names and property triples.
    """
    nodes = list(db.find_substrates())
    rels = list(db.find_relationships())
    properties = set()
    for kind, entities in (("node", nodes), ("relationship", rels)):
        for entity in entities:
            for name, value in entity.metadata.items():
                properties.add((kind, entity.identity, name, key(from_engine(value))))
    return Snapshot(
        nodes=frozenset(node.identity for node in nodes),
        relationships=frozenset(rel.identity for rel in rels),
        labels=frozenset(label for node in nodes for label in node.labels),
        properties=frozenset(properties),
    )


def side_effects(before: Snapshot, after: Snapshot) -> dict[str, int]:
    """Count what a query added and removed.

    :returns: a count for every name in SIDE_EFFECTS, e.g. ``{"+nodes": 1, "-nodes": 0, ...}``.
    """
    counts = {}
    for kind in ("nodes", "relationships", "labels", "properties"):
        old, new = getattr(before, kind), getattr(after, kind)
        counts["+" + kind] = len(new - old)
        counts["-" + kind] = len(old - new)
    return counts


def _describe_effects(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items() if count) or "none"


_HANDLERS: list[tuple[re.Pattern, Callable]] = []


def _step(pattern: str) -> Callable:
    """Register a _Run method as the handler of step texts matching ``pattern`` in full."""

    def register(method: Callable) -> Callable:
        _HANDLERS.append((re.compile(pattern), method))
        return method

    return register


class _Run:
    """The state of one scenario as its steps are performed."""

    def __init__(self, db: Any, engine: Engine, graphs_dir: Path, timeout: float, strict_details: bool) -> None:
        self.db = db
        self.engine = engine
        self.graphs_dir = graphs_dir
        self.timeout = timeout
        self.strict_details = strict_details
        self.parameters: dict[str, Any] = {}
        self.executed = False
        self.columns: list[str] = []
        self.rows: list[tuple] = []
        self.error: BaseException | None = None
        self.error_judged = False
        self.before: Snapshot | None = None
        self.after: Snapshot | None = None
        self.detail_mismatch = False
        self.import_dir: Path | None = None

    def perform(self, step: Step) -> None:
        for pattern, handler in _HANDLERS:
            match = pattern.fullmatch(step.text)
            if match:
                try:
                    handler(self, step, **match.groupdict())
                except _Failure as failure:
                    raise type(failure)(f"line {step.line}, {step.text.rstrip(':')}: {failure}") from None
                return
        raise _Failure(f"line {step.line}: unknown step: {step.text!r}")

    def finish(self) -> None:
        if not self.executed:
            raise _Failure("the scenario never executes a query")
        if self.error is not None and not self.error_judged:
            raise _Failure(f"the query raised {self.describe_error()} but no step expected an error")

    def query(self, text: str, parameters: dict[str, Any] | None = None) -> tuple[list[str], list[tuple]]:
        result = self.db.query(text, parameters, timeout=self.timeout)
        # Rows are read here so that errors raised while streaming count as the query's.
        return list(result.columns), [tuple(row) for row in result.rows]

    def setup(self, text: str) -> None:
        try:
            self.query(text)
        except Exception as exc:
            raise _Failure(f"setup query failed: {_crash(exc)}\n{text}") from None

    def snapshot(self) -> Snapshot:
        try:
            return take_snapshot(self.db)
        except Exception as exc:
            raise _Failure(f"cannot read the graph to count side effects: {_crash(exc)}") from None

    def execute(self, text: str, parameters: dict[str, Any] | None) -> None:
        self.executed = True
        self.error, self.error_judged = None, False
        try:
            self.columns, self.rows = self.query(text, parameters)
        except self.engine.error as exc:
            self.error = exc
        except Exception as exc:
            raise _Failure(f"the engine crashed: {_crash(exc)}") from None

    def describe_error(self) -> str:
        error = self.error
        category = getattr(error, "category", type(error).__name__)
        detail = getattr(error, "detail_code", None)
        return f"{category} ({detail or 'no detail code'}): {error}"

    def require_result(self) -> None:
        if not self.executed:
            raise _Failure("no query was executed")
        if self.error is not None:
            raise _Failure(f"the query raised {self.describe_error()}")

    @_step(r"an empty graph|any graph")
    def given_empty_graph(self, step: Step) -> None:
        """A fresh in-memory database is already empty."""

    @_step(r"the (?P<name>\S+) graph")
    def given_named_graph(self, step: Step, name: str) -> None:
        try:
            scripts = _graph_scripts(self.graphs_dir.resolve(), name)
        except (OSError, ValueError) as exc:
            raise _Failure(f"cannot read named graph {name!r}: {exc}") from None
        for script in scripts:
            for statement in _split_statements(script):
                self.setup(statement)

    @_step(r"(?:after )?having executed:(?P<inline>.*)")
    def having_executed(self, step: Step, inline: str) -> None:
        self.setup(step.doc_string or inline)

    @_step(r"there exists a procedure (?P<name>[\w.]+)\((?P<inputs>[^)]*)\)\s*::\s*\((?P<outputs>[^)]*)\)\s*:")
    def procedure_exists(self, step: Step, name: str, inputs: str, outputs: str) -> None:
        """Register a procedure whose rows are the table's, chosen by its input columns."""
        input_fields, output_fields = _signature_fields(inputs), _signature_fields(outputs)
        rows = [list(row) for row in step.table or () if any(cell.strip() for cell in row)]
        header = [cell.strip() for cell in rows.pop(0)] if rows else []
        expected = [field for field, _ in input_fields + output_fields]
        if header != expected and (header or expected):
            raise _Failure(f"the table's columns {header} are not the signature's {expected}")
        try:
            table = [[parse_value(cell) for cell in row] for row in rows]
        except TckValueError as exc:
            raise _Failure(str(exc)) from None
        width = len(input_fields)

        def procedure(*arguments: Any) -> list[list[Any]]:
            wanted = [key(argument) for argument in arguments]
            return [row[width:] for row in table if [key(value) for value in row[:width]] == wanted]

        self.db.register_procedure(name, procedure, inputs=input_fields, outputs=output_fields)

    def import_file(self, name: str) -> Path:
        """The path of a file in the scenario's import folder, made (and given to the database) on first use."""
        if self.import_dir is None:
            self.import_dir = Path(tempfile.mkdtemp(prefix="bfxdb-tck-import-"))
            self.db.import_dir = str(self.import_dir)
        return self.import_dir / name

    def remove_files(self) -> None:
        if self.import_dir is not None:
            shutil.rmtree(self.import_dir, ignore_errors=True)

    @_step(r"there exists a CSV file with URL as \$(?P<param>\w+), with rows:")
    def csv_file_exists(self, step: Step, param: str) -> None:
        """Write the table as a CSV file, one line per row, its cells' values as fields (null: empty)."""
        name = f"{param}.csv"
        try:
            rows = [[parse_value(cell) for cell in row] for row in step.table or ()]
        except TckValueError as exc:
            raise _Failure(str(exc)) from None
        with self.import_file(name).open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([["" if value is None else value for value in row] for row in rows])
        self.parameters[param] = f"file:///{name}"

    @_step(r"there exists a file (?P<name>[\w.-]+) in the import folder:")
    def file_exists(self, step: Step, name: str) -> None:
        self.import_file(name).write_text(step.doc_string or "", encoding="utf-8")

    @_step(r"parameters are:|parameter values are:")
    def parameters_are(self, step: Step) -> None:
        for row in step.table or ():
            if len(row) != 2:
                raise _Failure(f"a parameter row needs a name and a value, got {list(row)}")
            try:
                self.parameters[row[0]] = parse_value(row[1])
            except TckValueError as exc:
                raise _Failure(str(exc)) from None

    @_step(r"executing query:(?P<inline>.*)")
    def executing_query(self, step: Step, inline: str) -> None:
        self.before = self.snapshot()
        self.execute(step.doc_string or inline, self.parameters or None)
        self.after = self.snapshot()

    @_step(r"executing control query:(?P<inline>.*)")
    def executing_control_query(self, step: Step, inline: str) -> None:
        self.require_result()
        self.execute(step.doc_string or inline, self.parameters or None)

    @_step(
        r"the result should be(?P<order>, in any order|, in order| \(ignoring element order for lists\)):"
    )
    def result_should_be(self, step: Step, order: str) -> None:
        self.require_result()
        header, *rows = step.table or ((),)
        try:
            problem = compare_table(
                header,
                rows,
                self.columns,
                self.rows,
                ordered=order == ", in order",
                ordered_lists=not order.startswith(" ("),
            )
        except TckValueError as exc:
            raise _Failure(f"bad expected value: {exc}") from None
        if problem:
            raise _Failure(problem)

    @_step(r"the result should be empty")
    def result_should_be_empty(self, step: Step) -> None:
        self.require_result()
        if self.rows:
            raise _Failure(f"expected no rows, got {len(self.rows)}")

    @_step(r"the side effects should be:")
    def side_effects_should_be(self, step: Step) -> None:
        expected = dict.fromkeys(SIDE_EFFECTS, 0)
        for row in step.table or ():
            if len(row) != 2 or row[0] not in expected or not row[1].isdigit():
                raise _Failure(f"not a side effect row: {list(row)}")
            expected[row[0]] = int(row[1])
        self.check_side_effects(expected)

    @_step(r"no side effects")
    def no_side_effects(self, step: Step) -> None:
        self.check_side_effects(dict.fromkeys(SIDE_EFFECTS, 0))

    def check_side_effects(self, expected: dict[str, int]) -> None:
        if self.before is None or self.after is None:
            raise _Failure("no query was executed")
        if self.error is not None and not self.error_judged:
            raise _Failure(f"the query raised {self.describe_error()}")
        actual = side_effects(self.before, self.after)
        if actual != expected:
            expected_text, actual_text = _describe_effects(expected), _describe_effects(actual)
            raise _Failure(f"side effects differ: expected {expected_text}, got {actual_text}")

    @_step(r"an? (?P<category>\w+) should be raised at (?:compile time|runtime|any time): (?P<detail>\w+|\*)")
    def error_should_be_raised(self, step: Step, category: str, detail: str) -> None:
        """Match the error's category, and its detail code unless the TCK writes ``*`` (any detail)."""
        if not self.executed:
            raise _Failure("no query was executed")
        expected = f"{category} ({detail})"
        if self.error is None:
            raise _Failure(f"expected {expected}, but the query succeeded with {len(self.rows)} rows")
        self.error_judged = True
        if not isinstance(self.error, self.engine.query_error) or self.error.category != category:
            raise _CategoryMismatch(f"expected {expected}, got {self.describe_error()}")
        if detail != "*" and self.error.detail_code != detail:
            if self.strict_details:
                raise _Failure(f"expected {expected}, got {self.describe_error()}")
            self.detail_mismatch = True
        if self.before != self.after:
            effects = _describe_effects(side_effects(self.before, self.after))
            raise _Failure(f"the query raised {expected} as expected but changed the graph: {effects}")


@cache
def _signature_fields(text: str) -> list[tuple[str, str]]:
    """Split ``name :: TYPE, ...`` into (name, type) pairs."""
    fields = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        field, _, kind = part.partition("::")
        fields.append((field.strip(), kind.strip()))
    return fields


def _graph_scripts(graphs_dir: Path, name: str) -> tuple[str, ...]:
    """Read a named graph's scripts: those its ``<name>.json`` lists, else ``<name>.cypher``."""
    folder = graphs_dir / name
    metadata = folder / f"{name}.json"
    names = [name]
    if metadata.is_file():
        names = json.loads(metadata.read_text(encoding="utf-8")).get("scripts") or names
    return tuple((folder / f"{script}.cypher").read_text(encoding="utf-8") for script in names)


def _split_statements(script: str) -> list[str]:
    """Split a script at semicolons that are not inside a quoted string or name."""
    statements, current, quote, index = [], [], None, 0
    while index < len(script):
        char = script[index]
        current.append(char)
        if quote and char == "\\" and quote != "`":
            current.append(script[index + 1 : index + 2])
            index += 1
        elif quote and char == quote:
            quote = None
        elif not quote and char in "'\"`":
            quote = char
        elif not quote and char == ";":
            current.pop()
            statements.append("".join(current))
            current = []
        index += 1
    statements.append("".join(current))
    return [statement.strip() for statement in statements if statement.strip()]
