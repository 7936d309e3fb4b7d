"""The package's layers import only downwards, and no module imports itself round a cycle.

The layers, bottom to top (design.md §3):

    errors, lazy  <  validation  <  io  <  runtime  <  core  <  report  <  lessons  <  cli, __main__, the package

A test here reads every module's imports from its source (the AST: module-level and function-level
imports alike), checks the graph, and shows on a deliberately bad graph that the check fails.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import tltutor

PACKAGE = Path(tltutor.__file__).parent
LAYERS = {"errors": 0, "lazy": 0, "validation": 1, "io": 2, "runtime": 3, "report": 5, "lessons": 6, "cli": 7,
          "__main__": 7}
CORE = 4


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def layer_of(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return 7  # the package itself: it only lists its modules
    return LAYERS.get(parts[1], CORE)


def import_graph(known: dict[str, Path]) -> dict[str, set[str]]:
    """``{module: the tltutor modules it imports}``."""
    graph = {}
    for name, path in known.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names if alias.name.startswith("tltutor")}
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tltutor"):
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    targets.add(candidate if candidate in known else node.module)
        graph[name] = {target for target in targets if target != "tltutor" and target != name}
    return graph


def upward_imports(graph) -> list[str]:
    return sorted(f"{source} (layer {layer_of(source)}) imports {target} (layer {layer_of(target)})"
                  for source, targets in graph.items() for target in targets if layer_of(target) > layer_of(source))


def cycles(graph) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_has_a_layer_and_imports_only_downwards():
    known = modules()
    assert {"tltutor.compiling", "tltutor.report.results", "tltutor.lessons.experiments", "tltutor.io.files"} <= set(known)
    graph = import_graph(known)
    assert upward_imports(graph) == []


def test_no_import_cycles():
    assert cycles(import_graph(modules())) == []


def test_the_checks_catch_a_deliberately_bad_import():
    graph = import_graph(modules())
    graph["tltutor.validation"] = graph["tltutor.validation"] | {"tltutor.training"}  # a low module reaching up
    assert upward_imports(graph) == ["tltutor.validation (layer 1) imports tltutor.training (layer 4)"]
    assert any({"tltutor.validation", "tltutor.training"} <= set(group) for group in cycles(graph))
    graph = import_graph(modules())
    graph["tltutor.compiling"] = graph["tltutor.compiling"] | {"tltutor.training"}  # same layer, round a cycle
    assert upward_imports(graph) == []
    assert any({"tltutor.compiling", "tltutor.training"} <= set(group) for group in cycles(graph))


def test_each_layer_is_a_folder_a_maintainer_can_see():
    folders = {path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    assert {"io", "runtime", "report", "lessons", "backbones", "data"} <= folders


@pytest.mark.parametrize("statement", ["import tltutor", "import tltutor as tl; tl.errors; tl.validation; tl.io.files"])
def test_importing_tltutor_does_not_import_tensorflow(statement):
    code = f"import sys; {statement}; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert completed.stdout.split() == ["False", "False"], completed.stderr[-2000:]
