"""Policy files, levels, tool lists, protected branches, and how a policy is found."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from csup.errors import ConfigError, PolicyFileError
from csup.policy import Policy, ToolCall, load_policy, resolve_policy

EXAMPLE = """\
level = "strict"
allow_tool = ["Read", "mcp__docs__*"]
deny_tool = ["WebSearch"]
protected_branches = ["main", "release/*"]
workspace_dirs = ["/srv/shared"]

[permissions]
allow = ["Bash(npm run test:*)", "Edit(src/**)"]
ask = ["Bash(git push:*)"]
deny = ["Read(./private/**)"]
"""


def write(tmp_path: Path, text: str, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def bash(policy: Policy, command: str, cwd: Path) -> str:
    return policy.decide(ToolCall("Bash", {"command": command}, cwd=str(cwd))).behavior


def test_a_full_policy_file_is_loaded(tmp_path: Path, workspace: Path) -> None:
    policy = load_policy(write(tmp_path, EXAMPLE))
    assert policy.level == "strict"
    assert bash(policy, "npm run test", workspace) == "allow"
    assert bash(policy, "ls", workspace) == "ask"
    tool = policy.decide(ToolCall("WebSearch", {"query": "x"}, cwd=str(workspace)))
    assert (tool.behavior, tool.rule) == ("deny", "policy.deny-tool")
    mcp = policy.decide(ToolCall("mcp__docs__search", {}, cwd=str(workspace)))
    assert (mcp.behavior, mcp.rule) == ("allow", "policy.allow-tool")


def test_force_pushes_are_denied_only_to_protected_branches_when_some_are_listed(
    tmp_path: Path, workspace: Path
) -> None:
    policy = load_policy(write(tmp_path, 'level = "moderate"\nprotected_branches = ["main"]\n'))
    assert bash(policy, "git push --force origin feature", workspace) == "ask"
    assert bash(policy, "git push -f origin main", workspace) == "deny"
    assert bash(policy, "git push origin +HEAD:main", workspace) == "deny"
    assert bash(policy, "git push --force", workspace) == "deny"  # target unknown


def test_levels_differ_exactly_on_what_leaves_the_workspace(workspace: Path) -> None:
    assert bash(load_policy("permissive"), "curl https://x", workspace) == "allow"
    assert bash(load_policy("moderate"), "curl https://x", workspace) == "ask"
    assert bash(load_policy("moderate"), "ls", workspace) == "allow"
    assert bash(load_policy("strict"), "ls", workspace) == "ask"


def test_the_default_level_is_moderate() -> None:
    assert load_policy().level == "moderate"
    assert load_policy(None).level == "moderate"


def test_an_unknown_spec_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Unknown policy 'lenient'"):
        load_policy("lenient")


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        ('level = "moderate"\nallow_tool = [\n  "Read",,\n]\n', 3, None, "not valid TOML"),
        ('level = "moderate"\ndeny_tools = ["Bash"]\n', 2, "deny_tools", "unknown key"),
        ('\nlevel = "lenient"\n', 2, "level", "level must be one of"),
        ('allow_tool = "Read"\n', 1, "allow_tool", "list of non-empty strings"),
        ('read_claude_settings = "yes"\n', 1, "read_claude_settings", "true or false"),
        (
            '[permissions]\nallow = [\n  "Bash(ok)",\n  "Bash(",\n]\n',
            4,
            "permissions.allow",
            "not a permission rule",
        ),
        ('[permissions]\nallows = ["Bash"]\n', 2, "permissions.allows", "unknown key"),
        ('[permissions]\ndeny = "Bash"\n', 2, "permissions.deny", "list of rule strings"),
        ("permissions = 3\n", 1, "permissions", "must be a table"),
    ],
)
def test_a_bad_policy_file_names_file_line_and_key(
    tmp_path: Path, text: str, line: int, key: str | None, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyFileError) as caught:
        load_policy(path)
    error = caught.value
    assert (error.path, error.line, error.key) == (str(path), line, key)
    assert message in str(error)
    assert str(error).startswith(f"{path}, line {line}")


def test_an_unreadable_policy_file_is_a_policy_file_error(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(PolicyFileError, match="cannot read"):
        load_policy(path)


def test_resolve_uses_the_explicit_spec_first(
    tmp_path: Path, home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSUP_POLICY", "strict")
    assert resolve_policy("permissive", cwd=tmp_path).level == "permissive"


def test_resolve_then_uses_the_environment(
    tmp_path: Path, home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, 'level = "permissive"', ".csup/policy.toml")
    monkeypatch.setenv("CSUP_POLICY", "strict")
    assert resolve_policy(cwd=tmp_path).level == "strict"


def test_resolve_then_finds_the_project_policy_in_the_cwd_or_a_parent(
    tmp_path: Path, home: str
) -> None:
    write(tmp_path, 'level = "permissive"', ".csup/policy.toml")
    deep = tmp_path / "a/b/c"
    deep.mkdir(parents=True)
    assert resolve_policy(cwd=deep).level == "permissive"


def test_resolve_then_uses_the_user_policy_then_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSUP_POLICY", raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    project = tmp_path / "project"
    project.mkdir()
    assert resolve_policy(cwd=project).level == "moderate"
    write(home, 'level = "strict"', ".config/csup/policy.toml")
    assert resolve_policy(cwd=project).level == "strict"


def test_a_decision_never_raises_on_malformed_input(workspace: Path) -> None:
    policy = load_policy("moderate")
    odd = policy.decide(ToolCall("Bash", {"command": 5}, cwd=str(workspace)))
    assert (odd.behavior, odd.rule) == ("deny", "tool.bad-input")
    missing = policy.decide(ToolCall("Bash", {}, cwd=str(workspace)))
    assert missing.behavior == "deny"
    nowhere = policy.decide(ToolCall("Read", {"file_path": "a"}, cwd="\x00"))
    assert nowhere.behavior in ("deny", "ask")


def test_one_policy_decides_the_same_from_many_threads(workspace: Path) -> None:
    policy = load_policy("moderate")
    commands = ["rm -rf ~", "ls -la", "git push", "curl x | sh", "echo $(rm -rf /)"] * 40
    expected = [bash(policy, c, workspace) for c in commands]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(lambda c: bash(policy, c, workspace), commands)) == expected
