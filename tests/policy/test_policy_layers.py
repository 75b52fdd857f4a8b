"""The policy package is layered: each layer imports only from the layers below it.

1. ``csup.policy.syntax``: shell syntax, knows bash and no program;
2. ``csup.policy.programs``: program knowledge as data;
3. ``csup.policy.rules``: the rule families;
4. the engine: ``csup.policy`` itself and its top-level modules (levels, Claude rule syntax,
   policy files, session memory).

Every import statement counts, wherever it is (module level, inside a function, under
``if TYPE_CHECKING:``), and no two policy modules may import each other, directly or round a
circle. Below the engine, the only other csup modules allowed are the shared helpers in
:data:`SHARED`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import csup.policy

POLICY_DIR = Path(csup.policy.__file__).parent
LAYERS = {"syntax": 1, "programs": 2, "rules": 3}
"""Subpackage -> layer; everything else in csup.policy is the engine."""
ENGINE = 4
SHARED = frozenset({"csup._record", "csup._lazy_re", "csup.statedir"})
"""csup modules outside the policy that every layer may import: leaves that import no other
csup module (``csup.statedir`` says where csup keeps its state, a path the guard protects)."""
KNOWN_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset()
"""(importer, imported) pairs allowed against the layering, each to be removed."""


def layer_of(module: str) -> int:
    """The layer of a module of csup.policy (``csup.policy.rules.fs`` is 3)."""
    parts = module.split(".")
    return LAYERS.get(parts[2], ENGINE) if len(parts) > 2 else ENGINE


def module_name(path: Path, root: Path) -> str:
    """``csup.policy.rules.fs`` for ``<root>/rules/fs.py``, ``csup.policy.rules`` for its
    ``__init__.py``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["csup", "policy", *parts])


def policy_sources(root: Path = POLICY_DIR) -> dict[str, tuple[str, bool]]:
    """Module name -> (source text, whether it is a package's ``__init__``)."""
    return {
        module_name(path, root): (path.read_text(encoding="utf-8"), path.name == "__init__.py")
        for path in sorted(root.rglob("*.py"))
    }


def imports_of(module: str, source: str, *, package: bool, known: set[str]) -> set[str]:
    """Every csup module ``module`` imports anywhere in its text.

    ``from P import m`` counts as importing ``P.m`` when that is a module of ``known``;
    relative imports are resolved against ``module``'s package.
    """
    here = module if package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known)
    return {name for name in found if name == "csup" or name.startswith("csup.")}


def import_graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """Module -> the csup modules it imports (policy modules and others)."""
    known = set(sources)
    return {
        module: imports_of(module, text, package=package, known=known)
        for module, (text, package) in sources.items()
    }


def layering_violations(graph: dict[str, set[str]]) -> list[str]:
    """Each import of a higher layer, or of csup outside the policy from below the engine."""
    out = []
    for module, imported in sorted(graph.items()):
        for target in sorted(imported):
            if (module, target) in KNOWN_EXCEPTIONS:
                continue
            if target == "csup.policy" or target.startswith("csup.policy."):
                if layer_of(target) > layer_of(module):
                    out.append(
                        f"{module} (layer {layer_of(module)}) imports {target} "
                        f"(layer {layer_of(target)})"
                    )
            elif layer_of(module) < ENGINE and target not in SHARED:
                out.append(f"{module} (layer {layer_of(module)}) imports {target}")
    return out


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles among the modules of ``graph`` (strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the graph is small
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node] & graph.keys()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


# -- the package as it is ----------------------------------------------------------------


def test_every_layer_has_modules_and_the_engine_is_the_top() -> None:
    graph = import_graph(policy_sources())
    layers = {layer_of(m) for m in graph}
    assert layers == {1, 2, 3, ENGINE}
    assert layer_of("csup.policy") == ENGINE
    assert layer_of("csup.policy._engine") == ENGINE


def test_no_policy_module_imports_from_a_higher_layer() -> None:
    assert layering_violations(import_graph(policy_sources())) == []


def test_no_import_circle_among_policy_modules() -> None:
    assert import_cycles(import_graph(policy_sources())) == []


def test_syntax_knows_no_program() -> None:
    """The walker is told about programs (the ``Programs`` protocol); it imports none."""
    graph = import_graph(policy_sources())
    syntax = {m: t for m, t in graph.items() if layer_of(m) == 1}
    assert syntax
    for module, imported in syntax.items():
        assert {t for t in imported if t in graph and layer_of(t) != 1} == set(), module


def test_the_layer_packages_import_nothing_when_imported() -> None:
    """Importing ``csup.policy.rules.base`` must not load the whole rules layer."""
    for name in LAYERS:
        tree = ast.parse((POLICY_DIR / name / "__init__.py").read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), name
        imports = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")
        ]
        assert imports == [], name


# -- the check itself: it must catch what it is for --------------------------------------


def _graph(**modules: str) -> dict[str, set[str]]:
    sources = {name.replace("__", "."): (text, False) for name, text in modules.items()}
    return import_graph(sources)


@pytest.mark.parametrize(
    "text",
    [
        "from csup.policy.rules.base import Finding\n",
        "def f():\n    from csup.policy.rules.base import Finding\n",
        "TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from csup.policy.rules.base import Rule\n",
        "import csup.policy.rules.base\n",
        "from csup.policy.rules import base\n",
        "from ..rules import base\n",
    ],
)
def test_an_import_from_a_higher_layer_is_caught_wherever_it_is(text: str) -> None:
    graph = _graph(csup__policy__syntax__walker=text, csup__policy__rules__base="")
    wrong = "csup.policy.syntax.walker (layer 1) imports csup.policy.rules.base (layer 3)"
    assert wrong in layering_violations(graph)


def test_an_import_from_below_or_beside_is_allowed() -> None:
    graph = _graph(
        csup__policy__rules__fs="from csup.policy.rules.delete import judge_delete\n"
        "from csup.policy.syntax.command import Command\nfrom csup._record import Frozen\n",
        csup__policy__rules__delete="",
        csup__policy__syntax__command="",
    )
    assert layering_violations(graph) == []


def test_csup_outside_the_policy_is_only_for_the_engine() -> None:
    graph = _graph(
        csup__policy__programs__paths="from csup.calls import ToolCall\n",
        csup__policy___engine="from csup.calls import ToolCall\n",
    )
    assert layering_violations(graph) == ["csup.policy.programs.paths (layer 2) imports csup.calls"]


def test_an_import_circle_is_caught_even_through_lazy_imports() -> None:
    graph = _graph(
        csup__policy__rules__judge="def f():\n    import csup.policy.rules.fs\n",
        csup__policy__rules__fs="from csup.policy.rules.base import rule\n",
        csup__policy__rules__base="def g():\n    from csup.policy.rules.judge import judge\n",
        csup__policy__rules__infra="from csup.policy.rules.base import rule\n",
    )
    assert import_cycles(graph) == [
        ["csup.policy.rules.base", "csup.policy.rules.fs", "csup.policy.rules.judge"]
    ]
