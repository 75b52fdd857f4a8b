"""End to end: the real claude binary, with csup's hooks installed at project scope.

A scratch git repository, a scratch HOME, headless ``claude -p`` with Bash and Write
pre-allowed (so Claude Code itself would run them without asking), the scripted model asking
for the tool calls. csup's hook alone stands between the call and its effect.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from csup.hooks.install import desired_hooks
from csup.testing import ScriptedModel, ToolResult, text, tool

pytestmark = pytest.mark.claude

CSUP = str(Path(sys.executable).parent / "csup")
WAIT = 120  # seconds for one claude run (a run takes about 1 s)

ORIGINAL_SETTINGS = '{\n  "env": {"CSUP_E2E": "1"},\n  "permissions": {"deny": ["WebFetch"]}\n}\n'


@pytest.fixture
def repo(tmp_path: Path, claude_home: Path) -> Path:
    """A git repository with its own project settings and csup's hooks installed in them."""
    path = tmp_path / "repo"
    path.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=path, check=True, timeout=30)
    (path / ".claude").mkdir()
    (path / ".claude" / "settings.json").write_text(ORIGINAL_SETTINGS)
    csup(["install-hooks", "--scope", "project"], cwd=path, home=claude_home)
    return path


@pytest.fixture
def important(claude_home: Path) -> Path:
    """A directory in the scratch HOME that a destructive command would delete."""
    path = claude_home / "important"
    path.mkdir()
    (path / "keep.txt").write_text("precious\n")
    return path


def csup(args: list[str], *, cwd: Path, home: Path) -> str:
    done = subprocess.run(
        [CSUP, *args],
        cwd=cwd,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_claude(
    claude_bin: Path,
    repo: Path,
    env: dict[str, str],
    scenario: str,
    allowed: tuple[str, ...] = ("Bash", "Write"),
) -> list[dict[str, Any]]:
    """Run one headless claude session with ``allowed`` tools pre-allowed; its events."""
    allowed_tools = ["--allowedTools", *allowed] if allowed else []
    done = subprocess.run(
        [
            str(claude_bin),
            *("-p", "--output-format", "stream-json", "--verbose"),
            *allowed_tools,
            *("--", f"[scenario:{scenario}] do it"),
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def scenario(*calls: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """One turn per tool call, then a final text turn."""
    return [*([text("On it."), call] for call in calls), [text("Done.")]]


def only_result(model: ScriptedModel) -> ToolResult:
    (result,) = model.tool_results()
    return result


# The scratch HOME lives under /tmp, where the policy lets a session delete (a temporary
# directory), so the commands aim at HOME itself, which it never lets go: if one ran, the
# marker inside HOME would be gone.
@pytest.mark.parametrize(
    "command",
    [
        "bash -c 'rm -rf ~'",
        "rm -rf ../home",  # outside the workspace, relative to it
        'cd /tmp && sh -c "rm -rf $HOME"',
    ],
)
def test_a_dangerous_bash_call_is_blocked_before_it_runs(
    command: str,
    claude_bin: Path,
    repo: Path,
    important: Path,
    scripted_model: Callable[..., ScriptedModel],
    claude_env: Callable[..., dict[str, str]],
) -> None:
    model = scripted_model({"danger": scenario(tool("Bash", command=command, description="x"))})
    events = run_claude(claude_bin, repo, claude_env(model), "danger")
    result = only_result(model)
    assert result.is_error
    assert "(csup policy, rule " in result.content  # a decision, not a crash of the hook
    assert (important / "keep.txt").read_text() == "precious\n"  # its effect never happened
    (final,) = [e for e in events if e.get("type") == "result"]
    assert [d["tool_name"] for d in final["permission_denials"]] == ["Bash"]


def test_a_benign_call_runs(
    claude_bin: Path,
    repo: Path,
    scripted_model: Callable[..., ScriptedModel],
    claude_env: Callable[..., dict[str, str]],
) -> None:
    model = scripted_model(
        {
            "benign": scenario(
                tool("Bash", command="echo hello > from-bash.txt", description="x"),
                tool("Write", file_path=str(repo / "from-write.txt"), content="written\n"),
            )
        }
    )
    events = run_claude(claude_bin, repo, claude_env(model), "benign")
    results = model.tool_results()
    assert [r.is_error for r in results] == [False, False], results
    assert (repo / "from-bash.txt").read_text() == "hello\n"
    assert (repo / "from-write.txt").read_text() == "written\n"
    (final,) = [e for e in events if e.get("type") == "result"]
    assert final["permission_denials"] == []


def test_a_bad_policy_file_blocks_every_call(
    claude_bin: Path,
    repo: Path,
    scripted_model: Callable[..., ScriptedModel],
    claude_env: Callable[..., dict[str, str]],
) -> None:
    """Fail closed: with an unreadable policy, even a harmless call does not run."""
    policy = repo / ".csup" / "policy.toml"
    policy.parent.mkdir()
    policy.write_text("level = [broken\n")
    model = scripted_model(
        {"bad": scenario(tool("Bash", command="touch ran.txt", description="x"))}
    )
    run_claude(claude_bin, repo, claude_env(model), "bad")
    result = only_result(model)
    assert result.is_error
    assert "csup denied this tool call" in result.content
    assert str(policy) in result.content
    assert not (repo / "ran.txt").exists()


def test_install_then_uninstall_gives_back_the_original_settings(
    repo: Path, claude_home: Path
) -> None:
    settings = repo / ".claude" / "settings.json"
    assert settings.read_text() != ORIGINAL_SETTINGS
    assert "already" in csup(["install-hooks", "--scope", "project"], cwd=repo, home=claude_home)
    csup(["uninstall-hooks", "--scope", "project"], cwd=repo, home=claude_home)
    assert settings.read_text() == ORIGINAL_SETTINGS
    assert sorted(p.name for p in settings.parent.iterdir()) == ["settings.json"]


def test_ask_goes_to_claude_code_which_has_no_one_to_ask_headless(
    claude_bin: Path,
    repo: Path,
    scripted_model: Callable[..., ScriptedModel],
    claude_env: Callable[..., dict[str, str]],
) -> None:
    """``git push`` is an "ask" at the default level: interactive Claude Code would prompt
    the user; headless ``claude -p`` has no one to ask and denies, although Bash is allowed."""
    model = scripted_model(
        {"ask": scenario(tool("Bash", command="git push origin main; touch ran.txt"))}
    )
    events = run_claude(claude_bin, repo, claude_env(model), "ask")
    result = only_result(model)
    assert result.is_error
    assert "(csup policy, rule " in result.content
    assert not (repo / "ran.txt").exists()
    (final,) = [e for e in events if e.get("type") == "result"]
    assert [d["tool_name"] for d in final["permission_denials"]] == ["Bash"]


def test_the_stop_check_makes_claude_go_on_once(
    claude_bin: Path,
    repo: Path,
    claude_home: Path,
    scripted_model: Callable[..., ScriptedModel],
    claude_env: Callable[..., dict[str, str]],
) -> None:
    """Claude stops before done.txt exists; the check fails, Claude goes on and writes it."""
    csup(
        ["install-hooks", "--scope", "project", "--stop-check", "test -f done.txt"],
        cwd=repo,
        home=claude_home,
    )
    model = scripted_model(
        {
            "stop": [
                [text("All done.")],
                [text("Fixing."), tool("Write", file_path=str(repo / "done.txt"), content="ok\n")],
                [text("Now it is done.")],
            ]
        }
    )
    events = run_claude(claude_bin, repo, claude_env(model), "stop")
    assert (repo / "done.txt").read_text() == "ok\n"
    feedback = json.dumps(model.turn_requests()[1]["messages"])
    assert "The check `test -f done.txt` failed" in feedback
    (final,) = [e for e in events if e.get("type") == "result"]
    assert final["result"] == "Now it is done."


def test_a_stop_check_that_keeps_failing_does_not_loop(
    claude_bin: Path,
    repo: Path,
    claude_home: Path,
    scripted_model: Callable[..., ScriptedModel],
    claude_env: Callable[..., dict[str, str]],
) -> None:
    csup(
        ["install-hooks", "--scope", "project", "--stop-check", "false"], cwd=repo, home=claude_home
    )
    model = scripted_model({"loop": [[text("Done.")], [text("Still done.")], [text("Again.")]]})
    events = run_claude(claude_bin, repo, claude_env(model), "loop")
    assert len(model.turn_requests()) == 2  # blocked once, then allowed to stop
    (final,) = [e for e in events if e.get("type") == "result"]
    assert final["result"] == "Still done."


def test_permission_request_answers_claude_codes_permission_check(
    claude_bin: Path,
    tmp_path: Path,
    scripted_model: Callable[..., ScriptedModel],
    claude_env: Callable[..., dict[str, str]],
) -> None:
    """Only the PermissionRequest hook, and no tool pre-allowed: the policy answers the
    permission check Claude Code would show a person (ask: no answer, so headless denies)."""
    repo = tmp_path / "plain"
    (repo / ".claude").mkdir(parents=True)
    (spec,) = [
        s
        for s in desired_hooks(permission_request=True, argv=[CSUP])
        if s.event == "PermissionRequest"
    ]
    (repo / ".claude" / "settings.json").write_text(
        json.dumps({"hooks": {spec.event: [spec.group()]}})
    )
    calls = [
        "touch allowed.txt",
        "rm -rf /etc/csup-nothing",
        "git push origin main; touch pushed.txt",
    ]
    model = scripted_model({"perm": scenario(*(tool("Bash", command=c) for c in calls))})
    run_claude(claude_bin, repo, claude_env(model), "perm", allowed=())
    allowed, denied, asked = model.tool_results()
    assert not allowed.is_error and (repo / "allowed.txt").exists()
    assert denied.is_error and "(csup policy, rule " in denied.content
    assert asked.is_error and not (repo / "pushed.txt").exists()
