"""Claude Code's permission-rule syntax: matching, precedence, chains, settings files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from csup.policy import Decision, Policy, PolicyConfig, ToolCall
from csup.policy._claude_rules import RuleSet, parse_rule


def policy(level: str = "strict", *, deny: tuple[str, ...] = (), ask: tuple[str, ...] = (),
           allow: tuple[str, ...] = (), **config: Any) -> Policy:  # fmt: skip
    rules = RuleSet(
        [parse_rule(r) for r in deny], [parse_rule(r) for r in ask], [parse_rule(r) for r in allow]
    )
    return Policy(PolicyConfig(level=level, rules=rules, **config))


def run(p: Policy, command: str, cwd: Path) -> Decision:
    return p.decide(ToolCall("Bash", {"command": command}, cwd=str(cwd)))


def call(p: Policy, tool: str, cwd: Path, **tool_input: Any) -> Decision:
    return p.decide(ToolCall(tool, tool_input, cwd=str(cwd)))


@pytest.mark.parametrize("text", ["Bash(", "Bash()", "(x)", "Bash(npm) extra", ""])
def test_malformed_rules_are_rejected_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"rule|specifier"):
        parse_rule(text)


def test_a_bare_tool_and_a_star_specifier_match_every_call() -> None:
    assert parse_rule("Bash").spec is None
    assert parse_rule("Bash(*)").spec is None


@pytest.mark.parametrize(
    ("command", "behavior"),
    [
        ("npm run test", "allow"),
        ("npm run test -- -k x", "allow"),
        ("npm   run  test", "allow"),
        ("npm run testing", "ask"),
        ("npm run build", "ask"),
        ("npm run test && npm run build", "ask"),
        ("npm run test; curl x", "ask"),
    ],
)
def test_legacy_prefix_rules_match_the_command_and_its_arguments_only(
    workspace: Path, command: str, behavior: str
) -> None:
    assert run(policy(allow=("Bash(npm run test:*)",)), command, workspace).behavior == behavior


def test_a_trailing_space_star_matches_the_bare_command_but_not_a_longer_name(
    workspace: Path,
) -> None:
    p = policy(allow=("Bash(ls *)",))
    assert run(p, "ls", workspace).behavior == "allow"
    assert run(p, "ls -la", workspace).behavior == "allow"
    assert run(p, "lsof", workspace).behavior == "ask"


def test_every_segment_of_a_chain_must_match_some_allow_rule(workspace: Path) -> None:
    p = policy(allow=("Bash(npm run test:*)", "Bash(git status)"))
    assert run(p, "git status && npm run test", workspace).behavior == "allow"
    assert run(p, "git status && npm run test | tee x", workspace).behavior == "ask"
    assert run(p, "npm run test $(curl x)", workspace).behavior == "ask"


def test_deny_beats_ask_beats_allow_whatever_the_specificity(workspace: Path) -> None:
    p = policy("permissive", deny=("Bash(git push:*)",), ask=("Bash(git:*)",),
               allow=("Bash(git push origin main)",))  # fmt: skip
    decision = run(p, "git push origin main", workspace)
    assert (decision.behavior, decision.rule) == ("deny", "user.deny:Bash(git push:*)")
    assert run(p, "git status", workspace).behavior == "ask"


def test_a_deny_rule_matches_any_segment_and_sees_through_wrappers(workspace: Path) -> None:
    p = policy("permissive", deny=("Bash(curl:*)",))
    assert run(p, "echo x && curl y", workspace).behavior == "deny"
    assert run(p, "sudo -u x curl y", workspace).behavior == "deny"
    assert run(p, "FOO=1 curl y", workspace).behavior == "deny"
    assert run(p, "bash -c 'curl y'", workspace).behavior == "deny"


def test_an_allow_rule_does_not_allow_through_sudo_or_a_shell(workspace: Path) -> None:
    p = policy(allow=("Bash(npm test:*)",))
    assert run(p, "timeout 60 npm test", workspace).behavior == "allow"
    assert run(p, "sudo npm test", workspace).behavior == "ask"
    assert run(p, "bash -c 'npm test'", workspace).behavior == "ask"


def test_built_in_dangers_are_denied_even_when_a_rule_allows_them(workspace: Path) -> None:
    p = policy("permissive", allow=("Bash(rm:*)", "Bash"))
    assert run(p, "rm -rf ~", workspace).behavior == "deny"


def test_edit_rules_cover_every_writing_tool_and_are_anchored_to_the_cwd(workspace: Path) -> None:
    p = policy(allow=("Edit(src/**)",))
    for tool in ("Write", "Edit", "MultiEdit"):
        assert call(p, tool, workspace, file_path="src/a/b.py").behavior == "allow"
    assert call(p, "Write", workspace, file_path="docs/a.md").behavior == "ask"
    assert call(p, "Write", workspace, file_path="src/../docs/a.md").behavior == "ask"
    assert call(p, "Write", workspace, file_path="lib/src/a.py").behavior == "ask"


def test_read_rules_without_a_slash_match_at_any_depth(workspace: Path) -> None:
    p = policy("moderate", deny=("Read(config.yml)",))
    decision = call(p, "Read", workspace, file_path="deep/down/config.yml")
    assert (decision.behavior, decision.rule) == ("deny", "user.deny:Read(config.yml)")
    assert call(p, "Read", workspace, file_path="deep/config.yaml").behavior == "allow"


def test_read_rules_with_dot_slash_are_relative_to_the_cwd(workspace: Path) -> None:
    p = policy("moderate", deny=("Read(./secrets/**)",))
    assert call(p, "Read", workspace, file_path="secrets/a.txt").behavior == "deny"
    assert call(p, "Read", workspace, file_path="other/secrets/a.txt").behavior == "allow"


def test_absolute_and_home_patterns(workspace: Path, home: str) -> None:
    p = policy("permissive", deny=("Read(//opt/private/**)", "Edit(~/notes/**)"))
    assert call(p, "Read", workspace, file_path="/opt/private/x").behavior == "deny"
    assert call(p, "Write", workspace, file_path=f"{home}/notes/a.md").behavior == "deny"
    assert call(p, "Write", workspace, file_path=f"{home}/other/a.md").behavior == "allow"


def test_webfetch_domain_rules(workspace: Path) -> None:
    p = policy("moderate", allow=("WebFetch(domain:example.com)", "WebFetch(domain:*.docs.io)"))
    assert call(p, "WebFetch", workspace, url="https://example.com/a").behavior == "allow"
    assert call(p, "WebFetch", workspace, url="https://api.docs.io/a").behavior == "allow"
    assert call(p, "WebFetch", workspace, url="https://evil.com/a").behavior == "ask"


def test_mcp_server_rules_cover_every_tool_of_the_server(workspace: Path) -> None:
    p = policy(allow=("mcp__github",), deny=("mcp__db__drop_*",))
    assert call(p, "mcp__github__create_issue", workspace).behavior == "allow"
    assert call(p, "mcp__other__x", workspace).behavior == "ask"
    assert call(p, "mcp__db__drop_table", workspace).behavior == "deny"


def test_parameter_rules_match_a_scalar_input(workspace: Path) -> None:
    p = policy("permissive", deny=("Task(subagent_type:Explore)",))
    assert call(p, "Task", workspace, subagent_type="Explore", prompt="x").behavior == "deny"
    assert call(p, "Task", workspace, subagent_type="Plan", prompt="x").behavior == "allow"


def write_settings(path: Path, permissions: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"permissions": permissions}))


def test_claude_settings_files_are_read_when_the_policy_asks(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    write_settings(workspace / ".claude/settings.json", {"deny": ["Bash(npm publish:*)"]})
    write_settings(workspace / ".claude/settings.local.json", {"allow": ["Bash(make:*)"]})
    write_settings(home / ".claude/settings.json", {"ask": ["Bash(make deploy)"]})
    reading = Policy(PolicyConfig(level="strict", read_claude_settings=True))
    assert run(reading, "npm publish", workspace).behavior == "deny"
    assert run(reading, "make test", workspace).behavior == "allow"
    assert run(reading, "make deploy", workspace).behavior == "ask"
    ignoring = Policy(PolicyConfig(level="strict"))
    assert run(ignoring, "make test", workspace).behavior == "ask"


def test_settings_additional_directories_join_the_workspace(workspace: Path) -> None:
    write_settings(workspace / ".claude/settings.json", {"additionalDirectories": ["/srv/shared"]})
    p = Policy(PolicyConfig(level="moderate", read_claude_settings=True))
    assert call(p, "Write", workspace, file_path="/srv/shared/a").behavior == "allow"


def test_a_broken_settings_file_denies_with_its_name_and_line(workspace: Path) -> None:
    (workspace / ".claude").mkdir()
    (workspace / ".claude/settings.json").write_text('{\n  "permissions": {,}\n}')
    p = Policy(PolicyConfig(level="permissive", read_claude_settings=True))
    decision = run(p, "ls", workspace)
    assert decision.behavior == "deny"
    assert "settings.json, line 2" in decision.reason
