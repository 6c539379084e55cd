"""The package's shape, read from its source with ``ast``: modules in layers that import only upward, no ``qa``
import hidden inside a function (but in the CLI, which defers each command's modules), manifest fields read only
through ``qa.manifest``."""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "qa"

#: Every module of the package, foundations first. A module may import only modules listed before it.
LAYERS = [
    ["errors"],
    ["config"],
    ["text"],
    ["extracted"],
    ["htmltext", "pdftext", "docxtext"],
    ["documents"],
    ["chunking"],
    ["onnx_export"],
    ["embedding"],
    ["lexical", "fusion"],
    ["vectors"],
    ["answers", "conflicts"],
    ["sentences"],
    ["manifest"],
    ["layout"],
    ["build"],
    ["cluster"],
    ["index"],
    ["evaluate"],
    ["service"],
    ["pool"],
    ["api", "ui"],
    ["server"],
    ["cli"],
    ["__init__"],
]
LAYER = {name: n for n, names in enumerate(LAYERS) for name in names}
#: The one module that may import qa modules inside functions: each command loads only what it needs.
LAZY_ALLOWED = {"cli"}


def qa_imports(tree: ast.AST) -> list[tuple[str, ast.AST]]:
    """(imported qa module, node) for every import of a qa module in ``tree``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.append((node.module.split(".")[0], node))
            elif node.level == 1:
                found += [(alias.name, node) for alias in node.names]
            elif node.module and (node.module == "qa" or node.module.startswith("qa.")):
                parts = node.module.split(".")
                found += [(parts[1], node)] if len(parts) > 1 else [(a.name, node) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name.split(".")[1], node) for a in node.names if a.name.startswith("qa.")]
    return found


def inside_functions(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            ids |= {id(n) for n in ast.walk(node) if n is not node}
    return ids


MODULES = sorted(p.stem for p in PACKAGE.glob("*.py"))


def test_every_module_has_a_layer():
    assert sorted(LAYER) == MODULES


@pytest.mark.parametrize("module", MODULES)
def test_a_module_imports_only_from_layers_above_it(module):
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    lazy = inside_functions(tree)
    for target, node in qa_imports(tree):
        assert target in LAYER, f"{module} imports {target}, which is not a qa module"
        assert LAYER[target] < LAYER[module], f"qa.{module} (layer {LAYER[module]}) imports qa.{target} " \
                                              f"(layer {LAYER[target]}) on line {node.lineno}"
        if module not in LAZY_ALLOWED:
            assert id(node) not in lazy, f"qa.{module} imports qa.{target} inside a function on line {node.lineno}"


def test_the_layer_check_would_see_a_wrong_import():
    tree = ast.parse("from .service import LiveIndex\ndef f():\n    from . import ui\nimport qa.cli\n")
    assert sorted(t for t, _ in qa_imports(tree)) == ["cli", "service", "ui"]
    assert len(inside_functions(tree) & {id(n) for _, n in qa_imports(tree)}) == 1


def test_manifest_fields_are_read_only_in_the_manifest_module():
    pattern = re.compile(r"manifest(\(\))?\s*(\[|\.get\()")
    for path in PACKAGE.glob("*.py"):
        if path.stem == "manifest":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not pattern.search(line), f"{path.name}:{n}: {line.strip()}"
