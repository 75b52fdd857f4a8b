"""The policy's value classes, lazy regexes and parser loading: cheap to import, same behaviour.

``csup hook`` imports the policy engine once per tool call, so the engine uses neither
``dataclasses`` nor ``typing`` at run time, compiles its regexes on first use and loads the
tree-sitter bindings without their packages' ``__init__``. These tests pin the behaviour the
dataclasses had and that the hook path stays light.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from dataclasses import FrozenInstanceError

import pytest

from csup._lazy_re import LazyRegex
from csup.policy import Decision, PolicyConfig, ToolCall
from csup.policy.programs.paths import Where
from csup.policy.rules.base import Context, Finding
from csup.policy.syntax.command import Analysis, Command, Redirect


def test_tool_request_takes_positional_and_keyword_arguments() -> None:
    positional = ToolCall("Bash", {"command": "ls"}, "/w", "s1")
    keywords = ToolCall(tool_name="Bash", tool_input={"command": "ls"}, cwd="/w", session_id="s1")
    assert positional == keywords
    assert (positional.tool_name, positional.tool_input, positional.cwd) == (
        "Bash",
        {"command": "ls"},
        "/w",
    )
    assert ToolCall("Read", {}, cwd="/w").session_id is None


def test_decision_equality_hash_and_repr_are_those_of_the_dataclass() -> None:
    decision = Decision("deny", "because", "fs.rule")
    assert decision == Decision(behavior="deny", reason="because", rule="fs.rule")
    assert decision != Decision("allow", "because", "fs.rule")
    assert hash(decision) == hash(Decision("deny", "because", "fs.rule"))
    assert decision != ("deny", "because", "fs.rule")  # not a tuple
    assert repr(decision) == (
        "Decision(behavior='deny', reason='because', rule='fs.rule', source='policy', requested='')"
    )
    assert len({decision, Decision("deny", "because", "fs.rule")}) == 1


def test_values_of_different_classes_are_never_equal() -> None:
    assert Finding("deny", "r", "x") != Decision("deny", "x", "r")
    assert Redirect(">", "f", False) != Command((">", "f"))


@pytest.mark.parametrize(
    "value",
    [
        ToolCall("Bash", {"command": "ls"}, "/w"),
        Decision("allow", "ok", "r"),
        Command(("ls",)),
        Where("/w", "/h", ("/w",)),
        Context(Where("/w", "/h", ("/w",))),
        PolicyConfig(),
    ],
    ids=type,
)
def test_frozen_values_cannot_be_changed(value: object) -> None:
    name = type(value).__slots__[0]  # type: ignore[attr-defined]
    with pytest.raises(FrozenInstanceError, match=f"cannot assign to field '{name}'"):
        setattr(value, name, None)
    with pytest.raises(AttributeError):
        delattr(value, name)
    with pytest.raises(AttributeError):
        value.extra = 1  # type: ignore[attr-defined]


def test_frozen_values_survive_pickling() -> None:
    for value in (
        Decision("ask", "why", "r"),
        ToolCall("Write", {"file_path": "/w/a"}, "/w", "s"),
        PolicyConfig(level="strict", deny_tool=("WebSearch",), source="/p.toml"),
    ):
        assert pickle.loads(pickle.dumps(value)) == value


def test_defaults_are_those_of_the_dataclasses() -> None:
    command = Command(("ls",))
    assert (command.dynamic, command.upstream, command.feeds, command.stdin, command.via) == (
        frozenset(),
        (),
        (),
        None,
        (),
    )
    config = PolicyConfig()
    assert (config.level, config.protected_branches, config.rules) == ("moderate", None, None)
    assert Context(Where("/w", "/h", ("/w",))).control_files == ()


def test_an_analysis_is_mutable_unhashable_and_gets_fresh_lists() -> None:
    first, second = Analysis(), Analysis()
    first.problems.append("x")
    assert second.problems == []
    assert first != second
    second.problems.append("x")
    assert first == second
    with pytest.raises(TypeError):
        hash(first)
    assert repr(Analysis()) == (
        "Analysis(commands=[], redirects=[], problems=[], fork_bomb=False, assigned=[], writes=[])"
    )


def test_a_lazy_regex_compiles_on_first_use_and_then_keeps_the_pattern() -> None:
    regex = LazyRegex(r"a(b+)", 0)
    assert regex._compiled is None
    match = regex.search("xabbb")
    assert match is not None and match.group(1) == "bbb"
    compiled = regex.compiled
    assert regex.compiled is compiled
    assert regex.sub("-", "abab") == "--"
    assert regex.findall("ab abb") == ["b", "bb"]
    assert regex.fullmatch("abb") and not regex.match("xab")
    assert [m.group(0) for m in regex.finditer("ab-abb")] == ["ab", "abb"]


def _run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


_DECIDE = """
import json, sys
import csup.hooks.command, csup.hooks.stdin
from csup.policy import ToolCall, load_policy
policy = load_policy("moderate")
bash = policy.decide(ToolCall("Bash", {"command": "git status && rm -rf ~"}, cwd="/tmp"))
write = policy.decide(ToolCall("Write", {"file_path": "/tmp/x/a.py"}, cwd="/tmp/x"))
print(json.dumps({"rules": [bash.rule, write.rule], "modules": sorted(sys.modules)}))
"""


def test_a_hook_decision_imports_no_dataclasses_typing_pathlib_or_package_inits() -> None:
    out = json.loads(_run_python(_DECIDE))
    assert out["rules"] == ["fs.rm-root-or-home", "level.moderate"]  # it did decide
    modules = set(out["modules"])
    heavy = {"dataclasses", "typing", "inspect", "pathlib", "importlib.resources", "tempfile"}
    assert not modules & heavy
    assert "tree_sitter_bash._binding" in modules  # the parser was loaded ...
    assert not {"tree_sitter", "tree_sitter_bash"} & modules  # ... without the packages' init


def test_tree_sitter_imported_later_shares_the_binding_the_policy_loaded() -> None:
    code = (
        "from csup.policy.syntax.binding import parser\n"
        "node = parser().parse(b'ls -la').root_node\n"
        "import tree_sitter, tree_sitter_bash\n"
        "assert isinstance(node, tree_sitter.Node), type(node)\n"
        "assert tree_sitter_bash.language() is not None\n"
        "print(node.type)\n"
    )
    assert _run_python(code).strip() == "program"


def test_the_parser_falls_back_to_the_ordinary_import() -> None:
    code = (
        "import sys\n"
        "del sys.modules['_frozen_importlib_external']\n"  # the fast path cannot run
        "from csup.policy.programs.knowledge import analyse\n"
        "print([c.text for c in analyse('rm -rf / | cat').commands])\n"
        "print('tree_sitter_bash' in sys.modules)\n"
    )
    assert _run_python(code).split("\n")[:2] == ["['rm -rf /', 'cat']", "True"]


_PATHS = [
    "/w/a.py",
    "/w/.env",
    "/w/.env.example",
    "/w/id_ed25519_sk",
    "/w/cert.pem",
    "/w/cert.pem\n",
    "/w/x.gpg/",
    "/w/credentials.json",
    "/w/service-account-prod.json",
    "/w/secrets.yml",
    "/w/keychain-db",
    "/etc/shadow",
    "/etc/sudoers.d/x",
    "/proc/1/environ",
    "/h/.ssh/id_rsa.pub",
    "/h/.ssh/config",
    "/h/.aws",
    "/hx/.aws/credentials",
    "/w/.claude/settings.local.json",
    "/w/.csup/policy.toml",
    "/h/.config/csup",
    "/etc/claude-code/managed-settings.json",
    "/w/.clauderc",
    "/w/my.claude",
]


def _secret_kind_by_regex(path: str, home: str) -> str | None:
    """secret_kind as it was: every regex tried on every path."""
    from csup.policy.programs.paths import _SECRET_NAME, _SECRET_SYSTEM, _home_secrets  # noqa: PLC0415

    name = path.rstrip("/").rsplit("/", 1)[-1]
    if name.endswith(".pub"):
        return None
    if _SECRET_NAME.match(name):
        return "an environment file" if name.startswith(".env") else "a credentials file"
    if _SECRET_SYSTEM.match(path):
        return "a system credentials file"
    match = _home_secrets(home).match(path)
    return f"credentials in ~/{match.group(1)}" if match else None


@pytest.mark.parametrize("path", _PATHS)
def test_the_quick_checks_before_the_path_regexes_change_no_answer(path: str) -> None:
    from csup.policy.programs.paths import CONTROL_RE, is_control, secret_kind  # noqa: PLC0415

    assert is_control(path) == (CONTROL_RE.search(path) is not None)
    assert secret_kind(path, "/h") == _secret_kind_by_regex(path, "/h")
