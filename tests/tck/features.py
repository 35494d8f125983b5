"""Read TCK feature files into scenarios, one per Scenario and one per Scenario Outline example row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gherkin.parser import Parser
from gherkin.pickles.compiler import Compiler


@dataclass(frozen=True)
class Step:
    """One step with outline placeholders already substituted."""

    text: str
    line: int
    doc_string: str | None = None
    table: tuple[tuple[str, ...], ...] | None = None


@dataclass(frozen=True)
class Scenario:
    """A runnable scenario; ``problem`` is set instead of steps when its feature file is unreadable."""

    feature: str
    name: str
    example_index: int | None
    line: int
    tags: frozenset[str] = frozenset()
    steps: tuple[Step, ...] = ()
    problem: str | None = None

    @property
    def key(self) -> str:
        """The stable name of the scenario: ``<feature>::<name>[::<example index>]``."""
        parts = [self.feature, self.name]
        if self.example_index is not None:
            parts.append(str(self.example_index))
        return "::".join(parts)

    @property
    def folder(self) -> str:
        """The feature's folder relative to the features directory, e.g. ``clauses/match``."""
        return Path(self.feature).parent.as_posix()


def load_features(features_dir: Path) -> list[Scenario]:
    """Read every ``*.feature`` file below a directory, in path order.

    :param features_dir: a directory laid out like the TCK's ``features``.
    :returns: the scenarios; outline examples are numbered from 0 within their
        outline, across all of its Examples tables.
    """
    scenarios = []
    for path in sorted(features_dir.rglob("*.feature")):
        scenarios.extend(load_feature(path, path.relative_to(features_dir).as_posix()))
    return scenarios


def load_feature(path: Path, feature: str) -> list[Scenario]:
    """Read one feature file.

    :param path: the file.
    :param feature: the name the scenarios' keys use for it.
    :returns: its scenarios, or one scenario carrying the parse error.
    """
    try:
        document = Parser().parse(path.read_text(encoding="utf-8"))
    except Exception as exc:  # gherkin raises several unrelated exception types
        return [Scenario(feature, "(feature file)", None, 1, problem=f"cannot read {feature}: {exc}")]
    document["uri"] = feature
    outlines, rows, steps = _index(document)
    scenarios = []
    for pickle in Compiler().compile(document):
        scenario_id, *row_id = pickle["astNodeIds"]
        name, line = outlines[scenario_id]
        scenarios.append(
            Scenario(
                feature=feature,
                name=name,
                example_index=rows[row_id[0]] if row_id else None,
                line=line,
                tags=frozenset(tag["name"] for tag in pickle["tags"]),
                steps=tuple(_step(step, steps) for step in pickle["steps"]),
            )
        )
    return scenarios


def _index(document: dict) -> tuple[dict, dict, dict]:
    """Map AST ids to what pickles lose: scenario names as written, example row numbers, step lines."""
    outlines, rows, steps = {}, {}, {}
    pending = list(document.get("feature", {}).get("children", []))
    while pending:
        child = pending.pop()
        if "rule" in child:
            pending.extend(child["rule"]["children"])
        node = child.get("scenario") or child.get("background")
        if node is None:
            continue
        outlines[node["id"]] = (node["name"].strip(), node["location"]["line"])
        for step in node["steps"]:
            steps[step["id"]] = step["location"]["line"]
        table_rows = [row for examples in node.get("examples", []) for row in examples.get("tableBody", [])]
        rows.update((row["id"], index) for index, row in enumerate(table_rows))
    return outlines, rows, steps


def _step(pickle_step: dict, lines: dict) -> Step:
    argument = pickle_step.get("argument", {})
    doc_string = argument.get("docString", {}).get("content")
    table = argument.get("dataTable")
    if table is not None:
        table = tuple(tuple(cell["value"] for cell in row["cells"]) for row in table["rows"])
    return Step(
        text=" ".join(pickle_step["text"].split()),
        line=lines.get(pickle_step["astNodeIds"][0], 0),
        doc_string=doc_string,
        table=table,
    )
