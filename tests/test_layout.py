"""The layout's rules, read off the import graph of bfxdb/ and web/ (installed as bfxdb.web)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import REPO

#: Source folders and the package each installs as.
ROOTS = {"bfxdb": REPO / "bfxdb", "bfxdb.web": REPO / "web", "bfxdb.grammar": REPO / "grammar"}
FACES = ("bfxdb.cli", "bfxdb.web")
#: The public API modules faces may use, besides the names `bfxdb` itself exports.
PUBLIC = ("bfxdb",)
#: Rooms reached from outside only through their package's __init__ (the facade).
ROOMS = (
    "bfxdb.storage",
    "bfxdb.sandbox",
    "bfxdb.algorithms",
    "bfxdb.search",
    "bfxdb.query",
    "bfxdb.formats",
    "bfxdb.cli",
    "bfxdb.web",
)
#: The public API: the layer between the faces and the rooms below.
PUBLIC_API = ("bfxdb.database", "bfxdb.maintenance", "bfxdb.rendering")
#: The ground floor: used by every room, using nothing of bfxdb but each other.
GROUND = (
    "bfxdb.errors",
    "bfxdb.identity",
    "bfxdb.model",
    "bfxdb.dimensions",
    "bfxdb.graph",
    "bfxdb.interop",
    "bfxdb.jsontext",
    "bfxdb.collector",
)
#: What each room below the public API must never import: data flows one way, downwards
#: (the query engine may use the sandbox, for Cypher's invoke(); never the other way round).
NEVER_IMPORTS = {
    "bfxdb.query": PUBLIC_API + FACES + ("bfxdb.formats",),
    "bfxdb.formats": PUBLIC_API + FACES,
    # the query engine calls the algorithms (CALL algo.*); they read storage as it does
    "bfxdb.algorithms": PUBLIC_API + FACES + ("bfxdb.query", "bfxdb.formats", "bfxdb.sandbox"),
    # the query engine calls search (CALL db.index.vector.*, vector.similarity.*); it reads storage as it does
    "bfxdb.search": PUBLIC_API + FACES + ("bfxdb.query", "bfxdb.formats", "bfxdb.sandbox", "bfxdb.algorithms"),
    "bfxdb.sandbox": PUBLIC_API + FACES + ("bfxdb.query", "bfxdb.formats", "bfxdb.storage"),
    "bfxdb.storage": PUBLIC_API + FACES + ("bfxdb.query", "bfxdb.formats", "bfxdb.sandbox", "bfxdb.search"),
}

@dataclass(frozen=True)
class Import:
    """One import statement: who imports what, at which line."""

    importer: str
    target: str
    line: int


def _module_name(root: str, folder: Path, path: Path) -> str:
    parts = list(path.relative_to(folder).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([root, *parts])


def _modules() -> dict[str, Path]:
    found = {}
    for root, folder in ROOTS.items():
        for path in sorted(folder.rglob("*.py")):
            found[_module_name(root, folder, path)] = path
    return found


MODULES = _modules()


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports() -> Iterator[Import]:
    """Every import in the tree, at module level or inside functions (lazy imports count too)."""
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(name, alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                if _under_type_checking(tree, node):
                    continue
                base = _resolve(name, is_package, node)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    yield Import(name, submodule if submodule in MODULES else base, node.lineno)


def _under_type_checking(tree: ast.Module, target: ast.ImportFrom) -> bool:
    """Whether the import sits in an ``if TYPE_CHECKING:`` block, which never runs."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            if any(child is target for statement in node.body for child in ast.walk(statement)):
                return True
    return False


IMPORTS = list(_imports())


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _where(found: list[Import]) -> str:
    return "\n".join(f"{item.importer}:{item.line} imports {item.target}" for item in found)


def test_the_rooms_exist():
    for room in ROOMS:
        assert room in MODULES, f"{room} is missing"


@pytest.mark.parametrize("driver", ["sqlite3", "psycopg"])
def test_only_storage_imports_a_database_driver(driver):
    found = [item for item in IMPORTS if item.target.split(".")[0] == driver]
    assert found, f"nothing imports {driver}: the test reads the wrong tree"
    offenders = [item for item in found if not _within(item.importer, "bfxdb.storage")]
    assert not offenders, _where(offenders)


def test_only_the_parser_imports_lark():
    found = [item for item in IMPORTS if item.target.split(".")[0] == "lark"]
    offenders = [item for item in found if item.importer != "bfxdb.query.parser"]
    assert found and not offenders, _where(offenders)


@pytest.mark.parametrize("room", NEVER_IMPORTS)
def test_rooms_import_nothing_above_them(room):
    offenders = [
        item
        for item in IMPORTS
        if _within(item.importer, room) and any(_within(item.target, above) for above in NEVER_IMPORTS[room])
    ]
    assert not offenders, _where(offenders)


def test_the_ground_floor_imports_only_the_ground_floor():
    offenders = [
        item
        for item in IMPORTS
        if item.importer in GROUND and _within(item.target, "bfxdb") and item.target not in GROUND
    ]
    assert not offenders, _where(offenders)


@pytest.mark.parametrize("face", FACES)
def test_faces_use_the_public_api_only(face):
    offenders = [
        item
        for item in IMPORTS
        if _within(item.importer, face)
        and _within(item.target, "bfxdb")
        and not _within(item.target, face)
        and item.target not in PUBLIC
        and not item.target.startswith("bfxdb.grammar")
    ]
    assert not offenders, _where(offenders)


def test_rooms_are_entered_through_their_facade():
    offenders = []
    for item in IMPORTS:
        for room in ROOMS:
            inside_target = _within(item.target, room) and item.target != room
            if inside_target and not _within(item.importer, room):
                offenders.append(item)
    assert not offenders, _where(offenders)


def test_no_import_cycles():
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for item in IMPORTS:
        if item.target in MODULES and item.target != item.importer:
            # Importing a package's submodule runs the package first; that edge is implied, not a cycle.
            if not _within(item.importer, item.target):
                graph[item.importer].add(item.target)
    cycles = _strongly_connected(graph)
    assert not cycles, "\n".join(" -> ".join(sorted(cycle)) for cycle in cycles)


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative; returns the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return components


def test_the_cycle_finder_finds_a_cycle():
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_every_module_says_its_job_in_one_line():
    missing = []
    for name, path in MODULES.items():
        docstring = ast.get_docstring(ast.parse(path.read_text()))
        if not docstring or "\n" in docstring.strip().split("\n\n")[0]:
            missing.append(name)
    assert not missing, missing
