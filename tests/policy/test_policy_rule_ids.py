"""The rule-id catalog (csup/policy/_rule_ids.py): the one list of ids, and its examples.

Every dangerous example of every row is decided by that row's id, through the real
``Policy.decide``, at the levels its ``yields`` names; every safe example is not stopped by
it. A scan of csup/policy's source proves that every id a rule can decide with is in the
catalog and that every id in the catalog is used: adding a rule without a row (or a row
without a rule) fails here.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

from csup.calls import Decision, ToolCall
from csup.policy import Policy, SessionMemory, load_policy
from csup.policy._rule_ids import YIELDS, RuleInfo, closest, lookup, rules

POLICY_SOURCE = Path(__file__).resolve().parents[2] / "csup" / "policy"

LEVELS_OF: dict[str, tuple[str | None, ...]] = {
    "deny": ("permissive", "moderate", "strict"),
    "ask": ("moderate",),
    "deny|ask": ("moderate",),
    "unknown": ("permissive", "moderate"),
    "allow": (None,),
    "strict": (None,),
    "user": (None,),
}
"""The levels a row's examples are judged at (None: the level of the row's ``policy``)."""
EXPECTED = {
    "deny": {"deny"},
    "ask": {"ask"},
    "deny|ask": {"deny", "ask"},
    "unknown": {"ask"},
    "allow": {"allow"},
    "strict": {"ask"},
    "user": {"deny", "ask", "allow"},
}
DECIDED_FIRST_BY = {"op read op://vault/db/pw": "secrets.access"}
"""Examples of csup/policy/programs/catalog.py a hand-written rule decides first, with its id."""
WITHOUT_EXAMPLES = {"policy.error"}
"""Ids no call can provoke on purpose (an internal error of the engine)."""

_TOOL_EXAMPLE = re.compile(r"^(Read|Write|Edit|Glob|Grep|LS|WebFetch|WebSearch)\((.*)\)$")
_INPUT_KEY = {"WebFetch": "url", "WebSearch": "query", "Glob": "path", "Grep": "path", "LS": "path"}


def example_call(example: str, cwd: str) -> ToolCall:
    """A row's example as a tool call: ``Tool(argument)``, or else a Bash command line."""
    match = _TOOL_EXAMPLE.match(example)
    if match is None:
        return ToolCall("Bash", {"command": example}, cwd=cwd)
    tool, argument = match.groups()
    tool_input = {_INPUT_KEY.get(tool, "file_path"): argument} if argument else {}
    if tool == "Write" and argument:
        tool_input["content"] = "x"
    return ToolCall(tool, tool_input, cwd=cwd)


def judge(row: RuleInfo, example: str, level: str | None, workspace: Path) -> Decision:
    """The decision on one example under the row's policy (at ``level`` if given)."""
    text = row.policy
    if level is not None:
        text = re.sub(r'(?m)^level = ".*"\n?', "", text)
        text = f'level = "{level}"\n{text}'
    policy: Policy = load_policy(None)
    if text:
        path = workspace.parent / "policy.toml"  # outside the workspace: csup protects it
        path.write_text(text + "\n", encoding="utf-8")
        policy = load_policy(path)
    memory = None
    if row.user_files:
        files = frozenset(os.path.realpath(workspace / f) for f in row.user_files)
        memory = SessionMemory(str(workspace), files)
    return policy.decide(example_call(example, str(workspace)), memory)


ROWS = rules()
DANGEROUS = [
    (row, example, level)
    for row in ROWS
    for example in row.dangerous
    for level in LEVELS_OF[row.yields]
]
SAFE = [
    (row, example, level) for row in ROWS for example in row.safe for level in LEVELS_OF[row.yields]
]


def _id(case: tuple[RuleInfo, str, str | None]) -> str:
    row, example, level = case
    return f"{row.id}@{level or 'policy'}: {example}"


def test_every_row_has_a_known_yield_a_description_and_examples() -> None:
    for row in ROWS:
        assert row.yields in YIELDS, row.id
        assert row.description and "\n" not in row.description, row.id
        if row.id not in WITHOUT_EXAMPLES:
            assert row.dangerous and row.safe, row.id


def test_ids_are_unique_and_written_category_dot_name() -> None:
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids))
    for rule_id in ids:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*\.([a-z]+(-[a-z]+)*|\*)", rule_id), rule_id


@pytest.mark.parametrize("case", DANGEROUS, ids=[_id(c) for c in DANGEROUS])
def test_a_dangerous_example_is_decided_by_its_rule(
    case: tuple[RuleInfo, str, str | None], workspace: Path
) -> None:
    row, example, level = case
    decision = judge(row, example, level, workspace)
    if example in DECIDED_FIRST_BY:  # a hand-written rule knows the catalog's example
        assert decision.rule == DECIDED_FIRST_BY[example], decision
        return
    assert row.names(decision.rule), decision
    assert decision.behavior in EXPECTED[row.yields], decision


@pytest.mark.parametrize("case", SAFE, ids=[_id(c) for c in SAFE])
def test_a_safe_example_is_not_stopped_by_its_rule(
    case: tuple[RuleInfo, str, str | None], workspace: Path
) -> None:
    row, example, level = case
    decision = judge(row, example, level, workspace)
    assert not row.names(decision.rule), decision


ASKED = [(row, example) for row in ROWS if row.yields == "ask" for example in row.dangerous]


@pytest.mark.parametrize(("row", "example"), ASKED, ids=[f"{r.id}: {e}" for r, e in ASKED])
def test_what_a_rule_asks_about_is_allowed_at_permissive(
    row: RuleInfo, example: str, workspace: Path
) -> None:
    assert judge(row, example, "permissive", workspace).behavior == "allow"


def test_lookup_finds_ids_and_families_and_closest_suggests_near_ids() -> None:
    found = lookup("git.push-force")
    assert found is not None and found.behaviour == "deny (every level)"
    family = lookup("user.deny:Bash(git push:*)")
    assert family is not None and family.id == "user.*"
    assert lookup("git.push-forced") is None
    assert closest("git.push-forced")[0] == "git.push-force"
    assert closest("zzz") == []


def test_catalog_ids_get_their_examples_and_tools_from_the_catalog_entries() -> None:
    from csup.policy.programs.catalog import ENTRIES  # noqa: PLC0415

    for entry in ENTRIES:
        row = lookup(entry.rule)
        assert row is not None and row.id == entry.rule
        assert set(entry.dangerous) <= set(row.dangerous)
        assert set(entry.tools) <= set(row.tools)


# -- the scan: every id the source decides with is in the catalog, and the other way round --

_RULE_ARGUMENT = {"deny": 0, "ask": 0, "allow": 0, "Finding": 1, "Entry": 1}
"""The callables that take a rule id, and the position of that argument."""


class Scan:
    """The rule ids (and id prefixes) a module's source uses, and what cannot be resolved."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.prefixes: dict[str, str] = {}
        self.unresolved: list[str] = []


def scan(source: str, name: str, found: Scan | None = None) -> Scan:
    """The ids ``source`` passes to deny()/ask()/allow()/Finding()/Entry() or compares with."""
    found = found or Scan()
    tree = ast.parse(source)
    _visit(tree, _assigned(tree.body), set(), name, found)
    return found


def _visit(
    node: ast.AST, local: dict[str, list[str]], parameters: set[str], name: str, found: Scan
) -> None:
    """Scan ``node`` knowing the names assigned and the parameters of the function around it."""
    if isinstance(node, ast.FunctionDef):
        local = {**local, **_assigned(ast.walk(node))}
        parameters = parameters | _parameters(node)
    where = f"{name}:{getattr(node, 'lineno', 0)}"
    if isinstance(node, ast.Call):
        at = _RULE_ARGUMENT.get(_callee(node.func))
        if at is not None and len(node.args) > at:
            _note(node.args[at], where, local, parameters, found)
        if _callee(node.func) == "startswith" and _is_rule(getattr(node.func, "value", None)):
            for argument in node.args:
                for text in _strings(argument):
                    found.prefixes[text] = where
    elif isinstance(node, ast.Compare) and _is_rule(node.left):
        for comparator in node.comparators:
            values = (
                local.get(comparator.id, [])
                if isinstance(comparator, ast.Name)
                else _strings(comparator)
            )
            for text in values:
                found.ids[text] = where
    for child in ast.iter_child_nodes(node):
        _visit(child, local, parameters, name, found)


def _callee(func: ast.expr) -> str:
    """The name called: ``deny(...)``, ``x.deny(...)``, ``{"deny": deny, ...}[kind](...)``."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Subscript) and isinstance(func.value, ast.Dict):
        names = {v.id for v in func.value.values if isinstance(v, ast.Name)}
        if names and names <= set(_RULE_ARGUMENT):
            return next(iter(sorted(names)))
    return ""


def _is_rule(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "rule"


def _strings(node: ast.AST) -> list[str]:
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _assigned(nodes: object) -> dict[str, list[str]]:
    """name -> the string constants assigned to it (``rule_id = "a" if x else "b"``)."""
    out: dict[str, list[str]] = {}
    for node in nodes:  # type: ignore[attr-defined]
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out.setdefault(target.id, []).extend(_values(node.value))
    return out


def _values(node: ast.expr) -> list[str]:
    """The strings an expression can be: ``"a" if x == "b" else "c"`` is a or c, not b."""
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, ast.IfExp):
        return _values(node.body) + _values(node.orelse)
    if isinstance(node, (ast.Set, ast.Tuple, ast.List)):
        return [v for e in node.elts for v in _values(e)]
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("frozenset", "set"):
        return [v for a in node.args for v in _values(a)]
    return []


def _parameters(function: ast.AST) -> set[str]:
    if not isinstance(function, ast.FunctionDef):
        return set()
    arguments = function.args
    return {a.arg for a in [*arguments.args, *arguments.kwonlyargs, *arguments.posonlyargs]}


def _note(
    node: ast.expr, where: str, local: dict[str, list[str]], parameters: set[str], found: Scan
) -> None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        found.ids[node.value] = where
    elif isinstance(node, ast.JoinedStr):
        head = node.values[0] if node.values else None
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            found.prefixes[head.value] = where
        else:
            found.unresolved.append(f"{where}: {ast.unparse(node)}")
    elif isinstance(node, ast.Name) and node.id in local:
        for text in local[node.id]:
            found.ids[text] = where
    elif isinstance(node, ast.Name) and node.id in parameters:
        pass  # passed through: the caller's literal is scanned
    elif _is_rule(node) or (isinstance(node, ast.Subscript) and _is_rule(node.value)):
        pass  # a finding's or an entry's id passed on
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Subscript):
        pass  # findings[0].rule
    else:
        found.unresolved.append(f"{where}: {ast.unparse(node)}")


def scan_policy_package() -> Scan:
    found = Scan()
    for path in sorted(POLICY_SOURCE.rglob("*.py")):
        if path.name != "_rule_ids.py":  # the catalog itself
            scan(path.read_text(encoding="utf-8"), str(path.relative_to(POLICY_SOURCE)), found)
    return found


def test_every_rule_id_the_policy_source_decides_with_is_in_the_catalog() -> None:
    found = scan_policy_package()
    assert found.unresolved == []
    unknown = {i: w for i, w in found.ids.items() if lookup(i) is None}
    assert unknown == {}
    families = [row.id[:-1] for row in ROWS if row.id.endswith("*")]
    for prefix, where in found.prefixes.items():
        assert any(p.startswith(prefix) or prefix.startswith(p) for p in families) or any(
            row.id.startswith(prefix) for row in ROWS
        ), f"{where}: no catalog id starts with {prefix!r}"


def test_every_catalog_id_is_used_by_the_policy_source() -> None:
    found = scan_policy_package()
    for row in ROWS:
        if row.id.endswith("*"):
            assert row.id[:-1] in found.prefixes, row.id
        else:
            assert row.id in found.ids, f"{row.id} is in the catalog but no rule decides with it"


def test_the_scan_reports_an_id_missing_from_the_catalog() -> None:
    source = (
        "def check(command):\n"
        '    rule_id = "fs.bogus" if command else "git.push-force"\n'
        "    yield deny(rule_id, 'x')\n"
        '    yield ask("net.bogus", "y")\n'
        '    return Finding("deny", f"made.{command}", "z"), deny(pick(), "w")\n'
    )
    found = scan(source, "m.py")
    assert {i for i in found.ids if lookup(i) is None} == {"fs.bogus", "net.bogus"}
    assert set(found.prefixes) == {"made."}
    assert found.unresolved == ["m.py:5: pick()"]


def test_the_rules_asked_at_every_level_are_those_the_engine_asks_at_permissive() -> None:
    from csup.policy._engine import _UNKNOWN_AT_EVERY_LEVEL  # noqa: PLC0415

    assert {row.id for row in ROWS if row.yields == "unknown"} == set(_UNKNOWN_AT_EVERY_LEVEL)
