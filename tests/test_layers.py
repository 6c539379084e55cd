"""The package's shape, read from its source with ``ast``: folders in layers that import only upward, no import
circle, no ``qa`` import hidden inside a function (but in the CLI, which defers each command's modules), manifest
fields read only through ``qa.store.manifest``, and no module over ``MAX_LINES`` lines."""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "qa"

#: The floors of the package, foundations first: a module imports only from its own floor or the floors below it.
#: A floor is a folder, or (for the modules at the package's top) a named group of modules.
FLOORS = [
    ("foundations", {"errors", "config", "text"}),  # user-fixable errors; Settings and QA_*; folding and terms
    ("read", {"read"}),  # files into Documents, Documents into Passages
    ("models", {"models"}),  # the embedding model and its backends
    ("rank", {"rank"}),  # the maths of ranking, confidence, sentences and conflicts
    ("store", {"store"}),  # the manifest, the database, the directory and the build
    ("questions", {"index", "evaluate", "service"}),  # Index and its answers; evaluation; the application core
    ("integrations", {"integrations"}),  # qa inside other frameworks (a LangChain retriever)
    ("serve", {"serve"}),  # the answering processes, the API, the page and the server
    ("cli", {"cli"}),
    ("package", {"__init__"}),
]
FLOOR = {top: n for n, (_, tops) in enumerate(FLOORS) for top in tops}
#: The one module that may import qa modules inside functions: each command loads only what it needs.
LAZY_ALLOWED = {"cli"}
#: A module longer than this is a folder waiting to happen.
MAX_LINES = 700


def module_name(path: Path) -> str:
    """``qa/rank/conflicts/values.py`` -> ``rank.conflicts.values``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def floor_of(module: str) -> int:
    return FLOOR[module.split(".")[0]]


def _package_of(module: str) -> list[str]:
    path = MODULES[module]
    parts = module.split(".") if module != "__init__" else []
    return parts if path.name == "__init__.py" else parts[:-1]


def _known(name: str) -> str:
    """The qa module ``name`` refers to (a name imported from a package may be a module of it, or a name in it)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or "__init__"


def qa_imports(module: str, tree: ast.AST) -> list[tuple[str, ast.AST]]:
    """(imported qa module, node) for every import of a qa module in ``tree``, ``module``'s source."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(module)[:len(_package_of(module)) - (node.level - 1)] if node.level > 1 \
                    else _package_of(module)
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module == "qa" or (node.module or "").startswith("qa."):
                target = node.module[3:]
            else:
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}" if target else alias.name
                found.append((full if full in MODULES else _known(target), node))
        elif isinstance(node, ast.Import):
            found += [(_known(a.name[3:]), node) for a in node.names if a.name.startswith("qa.")]
    return found


def inside_functions(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            ids |= {id(n) for n in ast.walk(node) if n is not node}
    return ids


def _tree(module: str) -> ast.AST:
    return ast.parse(MODULES[module].read_text(encoding="utf-8"))


def test_every_module_is_on_a_floor():
    assert {m.split(".")[0] for m in MODULES} <= set(FLOOR), "a top-level module or folder not in FLOORS"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_from_its_floor_or_below(module):
    tree = _tree(module)
    lazy = inside_functions(tree)
    for target, node in qa_imports(module, tree):
        assert floor_of(target) <= floor_of(module), \
            f"qa.{module} ({FLOORS[floor_of(module)][0]}) imports qa.{target} ({FLOORS[floor_of(target)][0]}) " \
            f"on line {node.lineno}"
        if module not in LAZY_ALLOWED:
            assert id(node) not in lazy, f"qa.{module} imports qa.{target} inside a function on line {node.lineno}"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph``, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_there_is_no_import_circle():
    # a package's __init__ that re-exports its modules is where importers enter it, not a circle with them
    graph = {m: {t for t, _ in qa_imports(m, _tree(m)) if t != m and not m.startswith(t + ".")} for m in MODULES}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_checks_would_see_a_wrong_import_and_a_circle():
    tree = ast.parse("from ..service import LiveIndex\ndef f():\n    from .. import cli\nimport qa.serve.ui\n")
    assert sorted(t for t, _ in qa_imports("read.documents", tree)) == ["cli", "serve.ui", "service"]
    assert len(inside_functions(tree) & {id(n) for _, n in qa_imports("read.documents", tree)}) == 1
    assert floor_of("serve.ui") > floor_of("read.documents")
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def test_manifest_fields_are_read_only_in_the_manifest_module():
    pattern = re.compile(r"manifest(\(\))?\s*(\[|\.get\()")
    for module, path in MODULES.items():
        if module == "store.manifest":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not pattern.search(line), f"{path.name}:{n}: {line.strip()}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_the_line_limit(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"qa.{module} has {lines} lines (> {MAX_LINES}): split it along its concerns"


def test_sql_lives_in_the_store():
    """The SQLite schema and every statement are in ``qa.store``: nothing above it writes SQL."""
    pattern = re.compile(r"\b(SELECT\b.*\bFROM|INSERT INTO|DELETE FROM|UPDATE \w+ SET|CREATE TABLE)\b")
    for module, path in MODULES.items():
        if floor_of(module) == FLOOR["store"]:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not pattern.search(line), f"qa.{module}:{n}: {line.strip()}"
