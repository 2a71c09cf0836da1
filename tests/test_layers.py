"""The package layout holds: no import circles, and no layer imports a layer above it.

Imports are read with ``ast`` from the source, including imports inside functions and under
``if TYPE_CHECKING:``, because a circle a type checker follows is still a circle a reader must.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "calibration")
# Lower number = lower layer. A module may import only its own layer or lower ones.
LAYERS = {
    "sim.engine": 0,
    "sim.runs": 1,
    "sim.questions": 2,
    "sim.reports": 3,
    "calibration": 4,
    "sim.api": 5,
    "sim.cli": 6,
    "sim.web": 6,
    "sim.__main__": 7,
    "sim": 7,  # the package's own __init__
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imported(path: Path, name: str, known: set[str]) -> set[str]:
    """Project modules ``path`` imports (``from a import b`` counts ``a.b`` when that is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imported(path, name, known) for name, path in found.items()}


def layer(name: str) -> int:
    best = max((prefix for prefix in LAYERS if name == prefix or name.startswith(prefix + ".")), key=len)
    return LAYERS[best]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return result


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circles(package):
    edges = {name: targets for name, targets in graph().items() if name.split(".")[0] == package}
    assert cycles(edges) == []


def test_no_layer_imports_a_higher_one():
    upward = [
        f"{name} (layer {layer(name)}) imports {other} (layer {layer(other)})"
        for name, targets in graph().items()
        for other in sorted(targets)
        if layer(other) > layer(name) and not (name.startswith("sim.cli") and other == "sim.cli")
    ]
    assert upward == []


def test_reports_read_only_plain_result_types_from_questions():
    allowed = {"sim.questions.results", "sim.questions.goals"}
    reaching = [
        f"{name} imports {other}"
        for name, targets in graph().items()
        if name.startswith("sim.reports")
        for other in targets
        if other.startswith("sim.questions") and other not in allowed
    ]
    assert reaching == []


def test_every_module_has_a_layer():
    assert all(layer(name) is not None for name in modules())


@pytest.mark.parametrize(
    "edges, expected",
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_cycle_finder_finds_known_circles(edges, expected):
    assert cycles(edges) == expected


def test_import_reader_sees_type_checking_and_function_imports(tmp_path, monkeypatch):
    source = tmp_path / "mod.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sim.engine.model import ServiceModel\n"
        "def f():\n    from sim.runs import runner\n"
    )
    known = {"sim.engine.model", "sim.runs", "sim.runs.runner"}
    assert imported(source, "x.mod", known) == {"sim.engine.model", "sim.runs.runner", "sim.runs"}
