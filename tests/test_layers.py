"""The package layout is the architecture (ARCHITECTURE.md): layers import only downward, no cycles.

Parses every module of traitlint (no imports executed) and checks the import graph. Imports under
`if TYPE_CHECKING:` are annotations only and do not count; imports inside functions (lazy
imports) count for both rules: a lazy import is still a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "traitlint"

#: (module prefix, layer); the longest matching prefix wins.
LAYERS = [
    ("traitlint", 0), ("traitlint.finding", 0), ("traitlint.errors", 0), ("traitlint.atomic", 0),
    ("traitlint.cachedir", 0),
    ("traitlint.dataset", 1),
    ("traitlint.nlp", 2),
    ("traitlint.context", 3), ("traitlint.registry", 3), ("traitlint.audits", 3),
    ("traitlint.config", 4), ("traitlint.runner", 4), ("traitlint.result_cache", 4), ("traitlint.parallel", 4),
    ("traitlint.suppress", 4), ("traitlint.baseline", 4), ("traitlint.discovery", 4),
    ("traitlint.frontend", 5), ("traitlint.cli", 5), ("traitlint.pytest_plugin", 5), ("traitlint.scaffold", 5),
    ("traitlint.reporters", 5), ("traitlint.extract_command", 5), ("traitlint.steer_command", 5),
    ("traitlint.report", 5), ("traitlint.progress", 5), ("traitlint.clean_command", 5),
    ("traitlint.model", 6),
]
#: The model layer stands apart: it may use the core records, the loader and the features, and is
#: reached only lazily, from model-backed audits and front ends.
MODEL_MAY_IMPORT = {0, 1, 2, 6}
MAY_IMPORT_MODEL_LAZILY = ("traitlint.audits.model", "traitlint.cli", "traitlint.pytest_plugin", "traitlint.frontend",
                           "traitlint.extract_command", "traitlint.steer_command")


def layer_of(module: str) -> int:
    best = max((p for p, _ in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return dict(LAYERS)[best]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported traitlint module, lazy?) for every runtime import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub, lazy)
                continue
            if isinstance(child, ast.Import):
                found.extend((a.name, lazy) for a in child.names if a.name.split(".")[0] == "traitlint")
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0 \
                    and child.module.split(".")[0] == "traitlint":
                for a in child.names:  # `from traitlint.nlp import frames` imports the module frames
                    sub = f"{child.module}.{a.name}"
                    target = sub if _module_exists(sub) else child.module
                    found.append((target, lazy))
            visit(child, lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return found


def _module_exists(name: str) -> bool:
    rel = Path(*name.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").exists() or (PACKAGE.parent / rel / "__init__.py").exists()


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_layer():
    assert len(MODULES) > 40
    for name in MODULES:
        assert layer_of(name) in range(7), name


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_only_downward(name):
    here = layer_of(name)
    for target, lazy in imports(MODULES[name]):
        there = layer_of(target)
        if there == 6 and here != 6:
            assert lazy and name.startswith(MAY_IMPORT_MODEL_LAZILY), \
                f"{name} imports the model layer ({target}); only lazily from {MAY_IMPORT_MODEL_LAZILY}"
            continue
        if here == 6:
            assert there in MODEL_MAY_IMPORT, f"model module {name} imports {target} (layer {there})"
            continue
        if target == "traitlint" or name == "traitlint.registry" and target.startswith("traitlint.audits"):
            continue  # the version string; the registry loads the built-in audit packages by name
        assert there <= here, f"{name} (layer {here}) imports {target} (layer {there}): layers import only downward"


def test_no_import_cycles():
    graph = {name: {t for t, _lazy in imports(path) if t in MODULES and t != name}
             for name, path in MODULES.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                dfs(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            dfs(name)


def test_the_checker_sees_upward_and_lazy_imports(tmp_path):
    """The graph checks above can fail: a planted upward import and a lazy model import are found."""
    planted = tmp_path / "traitlint" / "nlp"
    planted.mkdir(parents=True)
    (planted / "bad.py").write_text("from traitlint.runner import Session\n"
                                    "def f():\n    from traitlint.model import loading\n", encoding="utf-8")
    found = imports(planted / "bad.py")
    assert ("traitlint.runner", False) in found
    assert any(t.startswith("traitlint.model") and lazy for t, lazy in found)
    assert layer_of("traitlint.runner") > layer_of("traitlint.nlp.bad")
