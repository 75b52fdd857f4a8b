"""Path rules for Write, Edit, MultiEdit, NotebookEdit, Read, Glob and Grep, and other tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from csup.policy import Decision, Policy, PolicyConfig, ToolCall, load_policy


def call(policy: Policy, tool: str, cwd: Path, **tool_input: Any) -> Decision:
    return policy.decide(ToolCall(tool, tool_input, cwd=str(cwd)))


@pytest.fixture
def moderate() -> Policy:
    return load_policy("moderate")


@pytest.mark.parametrize("tool", ["Write", "Edit", "MultiEdit"])
def test_writing_inside_the_workspace_is_allowed(
    moderate: Policy, workspace: Path, tool: str
) -> None:
    assert (
        call(moderate, tool, workspace, file_path=str(workspace / "src/a.py")).behavior == "allow"
    )
    assert call(moderate, tool, workspace, file_path="src/a.py").behavior == "allow"


def test_dot_dot_leaving_the_workspace_is_asked_at_moderate_and_allowed_at_permissive(
    moderate: Policy, workspace: Path
) -> None:
    # the workspace is under /tmp, where writing is fine: leave for /srv
    path = str(workspace / "src" / ("../" * 40) / "srv/elsewhere.txt")
    decision = call(moderate, "Write", workspace, file_path=path)
    assert (decision.behavior, decision.rule) == ("ask", "workspace.outside")
    assert call(load_policy("permissive"), "Write", workspace, file_path=path).behavior == "allow"


def test_tilde_paths_resolve_to_home_outside_the_workspace(
    moderate: Policy, workspace: Path
) -> None:
    decision = call(moderate, "Read", workspace, file_path="~/notes.txt")
    assert (decision.behavior, decision.rule) == ("ask", "workspace.outside")


def test_a_symlink_escaping_the_workspace_is_judged_where_it_points(
    moderate: Policy, workspace: Path
) -> None:
    (workspace / "link").symlink_to("/srv/csup-policy-outside")
    decision = call(moderate, "Write", workspace, file_path=str(workspace / "link/a.txt"))
    assert (decision.behavior, decision.rule) == ("ask", "workspace.outside")


def test_a_symlink_to_a_secret_is_denied_for_reading(
    moderate: Policy, workspace: Path, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("TOKEN=x")
    (workspace / "notes.txt").symlink_to(tmp_path / ".env")
    decision = call(moderate, "Read", workspace, file_path="notes.txt")
    assert (decision.behavior, decision.rule) == ("deny", "secrets.access")


def test_a_symlink_to_claude_settings_is_denied_for_writing(
    moderate: Policy, workspace: Path
) -> None:
    (workspace / ".claude").mkdir()
    (workspace / ".claude/settings.json").write_text("{}")
    (workspace / "cfg.json").symlink_to(workspace / ".claude/settings.json")
    decision = call(moderate, "Write", workspace, file_path="cfg.json")
    assert (decision.behavior, decision.rule) == ("deny", "csup.self-protect")


@pytest.mark.parametrize(
    "path",
    [
        ".claude/settings.json",
        ".claude/settings.local.json",
        "sub/.claude/settings.json",
        ".claude/hooks/guard.sh",
        ".csup/policy.toml",
        "~/.claude/settings.json",
        "~/.claude/hooks/x.py",
        "~/.config/csup/policy.toml",
    ],
)
@pytest.mark.parametrize("level", ["permissive", "moderate", "strict"])
@pytest.mark.parametrize("tool", ["Write", "Edit", "MultiEdit"])
def test_files_that_would_switch_csup_off_are_never_writable(
    workspace: Path, level: str, tool: str, path: str
) -> None:
    decision = call(load_policy(level), tool, workspace, file_path=path)
    assert (decision.behavior, decision.rule) == ("deny", "csup.self-protect")
    assert "csup" in decision.reason


def test_notebook_edit_is_judged_by_its_notebook_path(moderate: Policy, workspace: Path) -> None:
    decision = call(moderate, "NotebookEdit", workspace, notebook_path=".claude/settings.json")
    assert decision.behavior == "deny"
    assert call(moderate, "NotebookEdit", workspace, notebook_path="a.ipynb").behavior == "allow"


def test_claude_settings_may_be_read_and_other_claude_files_written(
    moderate: Policy, workspace: Path
) -> None:
    assert call(moderate, "Read", workspace, file_path=".claude/settings.json").behavior == "allow"
    assert call(moderate, "Write", workspace, file_path=".claude/commands/x.md").behavior == "allow"


@pytest.mark.parametrize(
    "path", [".env", "config/.env.production", "~/.ssh/id_rsa", "~/.aws/credentials", "key.pem"]
)
@pytest.mark.parametrize("tool", ["Read", "Write", "Edit"])
def test_secrets_are_denied(moderate: Policy, workspace: Path, tool: str, path: str) -> None:
    decision = call(moderate, tool, workspace, file_path=path)
    assert (decision.behavior, decision.rule) == ("deny", "secrets.access")


def test_example_env_files_are_not_secrets(moderate: Policy, workspace: Path) -> None:
    assert call(moderate, "Read", workspace, file_path=".env.example").behavior == "allow"


@pytest.mark.parametrize("path", ["/etc/hosts", "/usr/bin/ls", "~/.bashrc", "~/.zshrc"])
def test_system_and_startup_files_are_denied_for_writing(workspace: Path, path: str) -> None:
    decision = call(load_policy("permissive"), "Write", workspace, file_path=path)
    assert (decision.behavior, decision.rule) == ("deny", "fs.write-system")


def test_extra_workspace_dirs_count_as_inside(workspace: Path) -> None:
    policy = Policy(PolicyConfig(level="moderate", workspace_dirs=("/srv/csup-shared",)))
    path = "/srv/csup-shared/data.csv"
    assert call(policy, "Write", workspace, file_path=path).behavior == "allow"
    assert call(load_policy("moderate"), "Write", workspace, file_path=path).behavior == "ask"


def test_glob_and_grep_are_judged_by_their_path(moderate: Policy, workspace: Path) -> None:
    assert call(moderate, "Grep", workspace, pattern="x").behavior == "allow"
    assert call(moderate, "Glob", workspace, pattern="*", path="/etc").behavior == "ask"


def test_a_file_tool_without_a_path_is_denied(moderate: Policy, workspace: Path) -> None:
    decision = call(moderate, "Write", workspace, content="x")
    assert (decision.behavior, decision.rule) == ("deny", "tool.bad-input")


def test_web_tools_are_asked_at_moderate_and_allowed_at_permissive(
    moderate: Policy, workspace: Path
) -> None:
    decision = call(moderate, "WebFetch", workspace, url="https://example.com", prompt="x")
    assert (decision.behavior, decision.rule) == ("ask", "net.fetch")
    assert call(load_policy("permissive"), "WebSearch", workspace, query="x").behavior == "allow"


def test_other_tools_are_allowed_unless_strict(moderate: Policy, workspace: Path) -> None:
    assert call(moderate, "TodoWrite", workspace, todos=[]).behavior == "allow"
    decision = call(load_policy("strict"), "TodoWrite", workspace, todos=[])
    assert (decision.behavior, decision.rule) == ("ask", "level.strict")


def test_the_policy_file_in_use_cannot_be_written(workspace: Path, tmp_path: Path) -> None:
    policy_file = tmp_path / "team-policy.toml"
    policy_file.write_text('level = "permissive"\n')
    policy = load_policy(policy_file)
    decision = call(policy, "Write", workspace, file_path=str(policy_file))
    assert (decision.behavior, decision.rule) == ("deny", "csup.self-protect")
    bash = policy.decide(
        ToolCall("Bash", {"command": f"echo x > {policy_file}"}, cwd=str(workspace))
    )
    assert bash.behavior == "deny"


def test_rm_of_a_symlink_deletes_the_link_but_with_a_slash_its_target(workspace: Path) -> None:
    (workspace / "root").symlink_to("/")
    policy = load_policy("permissive")
    link = policy.decide(ToolCall("Bash", {"command": "rm -rf root"}, cwd=str(workspace)))
    target = policy.decide(ToolCall("Bash", {"command": "rm -rf root/"}, cwd=str(workspace)))
    assert link.behavior == "allow"
    assert (target.behavior, target.rule) == ("deny", "fs.rm-root-or-home")
