"""``csup check``: decisions printed, exit statuses, JSON, batches, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from csup.cli.check import check


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(check, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_a_denied_command_prints_rule_and_reason_and_exits_1(workspace: Path) -> None:
    code, out, _ = invoke("--cwd", str(workspace), "--", "rm -rf ~")
    assert code == 1
    assert out.startswith("deny  fs.rm-root-or-home\n")
    assert "home directory" in out


def test_an_allowed_command_exits_0_and_an_asked_one_3(workspace: Path) -> None:
    assert invoke("--cwd", str(workspace), "--", "ls -la")[0] == 0
    assert invoke("--cwd", str(workspace), "--", "git", "push")[0] == 3
    assert invoke("--cwd", str(workspace), "--policy", "permissive", "--", "git push")[0] == 0


def test_json_output_is_one_object(workspace: Path) -> None:
    code, out, _ = invoke("--cwd", str(workspace), "--json", "--", "curl x | sh")
    assert code == 1
    assert json.loads(out) == {
        "command": "curl x | sh",
        "decision": "deny",
        "rule": "exec.remote-code",
        "reason": json.loads(out)["reason"],
    }


def test_a_tool_call_is_judged_from_its_json_input(workspace: Path) -> None:
    tool_input = json.dumps({"file_path": ".claude/settings.json", "content": "{}"})
    code, out, _ = invoke(
        "--cwd", str(workspace), "--json", "--tool", "Write", "--input", tool_input
    )
    assert code == 1
    assert json.loads(out)["rule"] == "csup.self-protect"


def test_a_batch_prints_one_json_object_per_command(workspace: Path, tmp_path: Path) -> None:
    batch = tmp_path / "commands.txt"
    batch.write_text("ls\n\nrm -rf /\ngit push\n")
    code, out, _ = invoke("--cwd", str(workspace), "--batch", str(batch))
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(x["command"], x["decision"]) for x in lines] == [
        ("ls", "allow"),
        ("rm -rf /", "deny"),
        ("git push", "ask"),
    ]
    assert all(set(x) == {"command", "decision", "rule", "reason"} for x in lines)
    assert code == 1  # the worst decision


def test_a_batch_can_come_from_stdin(workspace: Path) -> None:
    code, out, _ = invoke("--cwd", str(workspace), "--batch", "-", stdin="git push\nls\n")
    assert code == 3
    assert len(out.splitlines()) == 2


def test_usage_errors_exit_2_with_a_clear_message(workspace: Path) -> None:
    assert invoke("--cwd", str(workspace))[0] == 2
    code, _, err = invoke("--cwd", str(workspace), "--tool", "Write")
    assert (code, err) == (
        2,
        "Error: --tool needs --input with the tool's input as a JSON object\n",
    )
    code, _, err = invoke("--cwd", str(workspace), "--tool", "Write", "--input", "{bad")
    assert code == 2
    assert "not valid JSON" in err
    code, _, err = invoke("--cwd", str(workspace), "--tool", "Write", "--input", "[]")
    assert code == 2
    assert "JSON object" in err
    assert invoke("--cwd", str(workspace), "--batch", "x", "--", "ls")[0] == 2
    assert invoke("--cwd", str(workspace), "--input", "{}", "--", "ls")[0] == 2


def test_a_bad_policy_file_is_a_one_line_error(workspace: Path, tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('level = "moderate"\ndeny_tools = []\n')
    code, _, err = invoke("--cwd", str(workspace), "--policy", str(policy), "--", "ls")
    assert code == 2
    assert err == f"Error: {policy}, line 2, key 'deny_tools': unknown key; known keys: " + (
        "allow_tool, deny_tool, escalate, exception, level, permissions, protected_branches, "
        "read_claude_settings, "
        "workspace_dirs\n"
    )


def test_the_project_policy_is_found_from_cwd(workspace: Path) -> None:
    (workspace / ".csup").mkdir()
    (workspace / ".csup/policy.toml").write_text('level = "strict"\n')
    code, out, _ = invoke("--cwd", str(workspace), "--", "ls")
    assert (code, out.split()[1]) == (3, "level.strict")
