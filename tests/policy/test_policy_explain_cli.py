"""``csup policy explain`` and ``csup policy show``: how a line is read, and why decided."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from csup.cli import main


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["policy", *args])
    return result.exit_code, result.output


def explain(workspace: Path, command: str, *options: str) -> dict[str, object]:
    code, out = invoke("explain", "--cwd", str(workspace), "--json", *options, command)
    assert code == 0, out
    info: dict[str, object] = json.loads(out)
    return info


def test_explain_shows_argv_after_normalisation_and_the_rule(workspace: Path) -> None:
    info = explain(workspace, "sudo timeout 5 rm 2>/dev/null -rf ~")
    assert info["commands"] == [
        {"argv": ["rm", "-rf", "~"], "via": ["sudo", "timeout"], "unknown": []}
    ]
    assert (info["decision"], info["rule"]) == ("deny", "fs.rm-root-or-home")
    assert "built-in rule" in str(info["to_allow"])
    assert info["writes"] == []


def test_explain_shows_what_a_line_executes_and_writes(workspace: Path) -> None:
    info = explain(workspace, "c='ls -la'; $c > out.txt && tee log.txt <<< done")
    assert info["executes"] == ["ls", "tee"]
    assert info["writes"] == ["log.txt", "out.txt"] or set(info["writes"]) == {"log.txt", "out.txt"}


def test_an_asked_command_gets_the_exact_policy_line_to_allow_it(workspace: Path) -> None:
    info = explain(workspace, "git push origin feature", "--policy", "moderate")
    assert info["decision"] == "ask"
    assert str(info["to_allow"]).endswith('allow = ["Bash(git push origin feature)"]')


def test_explain_prints_readable_text_by_default(workspace: Path) -> None:
    code, out = invoke("explain", "--cwd", str(workspace), "echo 'rm -rf ~' | bash")
    assert code == 0
    assert '1. ["echo", "rm -rf ~"]' in out
    assert '["rm", "-rf", "~"]   via echo | bash' in out
    assert "decision: deny  (fs.rm-root-or-home" in out


def test_show_names_the_level_and_where_it_came_from(workspace: Path) -> None:
    policy = workspace / ".csup" / "policy.toml"
    policy.parent.mkdir()
    policy.write_text('level = "strict"\nprotected_branches = ["main"]\n')
    code, out = invoke("show", "--cwd", str(workspace))
    assert code == 0
    assert f"level:              strict   (from {policy.resolve()})" in out
    assert "protected_branches: main" in out


def test_a_bad_policy_is_a_clear_error(workspace: Path) -> None:
    code, out = invoke("explain", "--cwd", str(workspace), "--policy", "lenient", "ls")
    assert code == 1
    assert "Unknown policy 'lenient'" in out
