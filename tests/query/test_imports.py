"""The query room's imports: no cycles inside it (lazy imports included), and nothing from the rooms above it."""

from __future__ import annotations

import ast
from pathlib import Path

import bfxdb.query

ROOM = Path(bfxdb.query.__file__).parent
#: What the query engine must never import: the public API, the faces and the formats above it.
ABOVE = (
    "bfxdb.database",
    "bfxdb.maintenance",
    "bfxdb.cli",
    "bfxdb.web",
    "bfxdb.importers",
    "bfxdb.exporters",
    "bfxdb.formats",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOM.parent.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in ROOM.rglob("*.py")}


def imports(name: str) -> set[str]:
    """Every module that module ``name`` imports, at its top or inside functions."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            base = ".".join(parts + ([node.module] if node.module else []))
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            # "from . import ast" runs the submodule only, not the package's __init__ again
            found |= submodules if len(submodules) == len(node.names) else submodules | {base}
    return found


def test_no_import_cycles_inside_the_query_room():
    edges = {name: sorted((imports(name) & MODULES.keys()) - {name}) for name in MODULES}
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        for target in edges[module]:
            if target in trail:
                cycles.append(trail[trail.index(target) :] + [target])
            elif target not in done:
                visit(target, trail + [target])
        done.add(module)

    for module in sorted(MODULES):
        if module not in done:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_query_room_imports_nothing_from_the_rooms_above_it():
    wrong = sorted(
        f"{name} imports {target}" for name in MODULES for target in imports(name) if target.startswith(ABOVE)
    )
    assert not wrong, "\n".join(wrong)
