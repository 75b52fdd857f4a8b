"""The real claude binary against the scripted model: the harness itself works end to end."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from csup.testing import text, tool, turn
from csup.testing.scenarios import DANGEROUS_COMMAND, DEMO_SCENARIOS, DEMO_TASKS

pytestmark = pytest.mark.claude

ALLOW = ["--allowedTools", "Write", "Bash"]
DUPLEX = ["--output-format", "stream-json", "--verbose", "--permission-prompt-tool", "stdio"]

WRITE = {
    "write": [
        [text("Writing."), tool("Write", file_path="a.txt", content="hello\n")],
        [tool("Bash", command="cat a.txt", description="Read it back")],
        [text("All done.")],
    ]
}


def run_print(claude_bin: Path, task: str, cwd: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    """``claude -p`` with stream-json output and Write/Bash pre-allowed; its events."""
    proc = subprocess.run(
        [claude_bin, "-p", "--output-format", "stream-json", "--verbose", *ALLOW, "--", task],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def test_write_creates_the_file_and_the_model_sees_the_result(
    claude_bin, scripted_model, workspace, claude_env
):
    model = scripted_model(WRITE)
    events = run_print(claude_bin, "[scenario:write] do it", workspace, claude_env(model))
    assert (workspace / "a.txt").read_text() == "hello\n"
    results = model.tool_results("write")
    assert [(r.name, r.is_error) for r in results] == [("Write", False), ("Bash", False)]
    assert results[1].content == "hello"
    final = events[-1]
    assert final["type"] == "result" and final["subtype"] == "success"
    assert final["result"] == "All done." and final["total_cost_usd"] > 0
    assert [r.turn for r in model.turn_requests("write")] == [0, 1, 2]


def run_duplex(
    claude_bin: Path,
    tasks: list[str],
    cwd: Path,
    env: dict[str, str],
    deny: Callable[[str], bool],
) -> tuple[int, list[dict[str, Any]]]:
    """A stream-json session with a PreToolUse hook denying Bash commands where ``deny`` says.

    ``tasks`` are sent one after the other, each after the previous turn's result; returns
    claude's exit code and its events.
    """
    proc = subprocess.Popen(
        [claude_bin, "-p", "--input-format", "stream-json", *DUPLEX],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdin = proc.stdin

    def send(msg: dict[str, Any]) -> None:
        stdin.write(json.dumps(msg) + "\n")
        stdin.flush()

    def user(content: str) -> None:
        send({"type": "user", "message": {"role": "user", "content": content}})

    hooks = {"PreToolUse": [{"matcher": None, "hookCallbackIds": ["pre_0"]}]}
    request = {"subtype": "initialize", "hooks": hooks}
    send({"type": "control_request", "request_id": "req_init", "request": request})
    pending = list(tasks)
    user(pending.pop(0))
    events = []
    try:
        for line in proc.stdout:
            event = json.loads(line)
            events.append(event)
            if event["type"] == "control_request":
                command = event["request"]["input"]["tool_input"].get("command", "")
                decision = "deny" if deny(command) else "allow"
                output = {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": decision,
                    "permissionDecisionReason": f"test policy: {decision}",
                }
                body = {"hookSpecificOutput": output}
                response = {"subtype": "success", "request_id": event["request_id"]}
                send({"type": "control_response", "response": {**response, "response": body}})
            elif event["type"] == "result":
                if pending:
                    user(pending.pop(0))
                else:
                    stdin.close()
        return proc.wait(timeout=30), events
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()


def test_duplex_session_with_a_denying_hook_and_a_second_turn(
    claude_bin, scripted_model, workspace, claude_env
):
    """The stream-json protocol the runner speaks: the deny reason reaches the model."""
    model = scripted_model(
        {
            "deny": [
                [tool("Bash", command="touch marker", description="make a marker")],
                [text("Refused, fine.")],
                [tool("Bash", command="echo second", description="second turn")],
            ]
        }
    )
    tasks = ["[scenario:deny] make a marker", "go on"]
    code, events = run_duplex(
        claude_bin, tasks, workspace, claude_env(model), lambda c: "touch" in c
    )
    assert code == 0
    assert not (workspace / "marker").exists()
    seen = model.tool_results("deny")
    assert [(r.input["command"], r.is_error) for r in seen if r.input] == [
        ("touch marker", True),
        ("echo second", False),
    ]
    assert "test policy: deny" in seen[0].content
    results = [e["result"] for e in events if e["type"] == "result"]
    assert results == ["Refused, fine.", model.final_text]


def test_three_demo_sessions_at_once_with_the_danger_denied(
    claude_bin, scripted_model, tmp_path, claude_env
):
    """What ``csup demo`` does: one model, three concurrent sessions, the rm denied."""
    model = scripted_model(DEMO_SCENARIOS)
    outcomes: dict[str, tuple[int, list[dict[str, Any]]]] = {}

    def session(name: str) -> None:
        cwd = tmp_path / name
        cwd.mkdir()
        env = claude_env(model)
        outcomes[name] = run_duplex(claude_bin, [DEMO_TASKS[name]], cwd, env, lambda c: "rm" in c)

    threads = [threading.Thread(target=session, args=(name,)) for name in DEMO_TASKS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert sorted(outcomes) == sorted(DEMO_TASKS)
    assert all(code == 0 for code, _ in outcomes.values())
    assert (tmp_path / "demo-write" / "notes.txt").read_text() == "hello from csup\n"
    danger = model.tool_results("demo-danger")
    assert [(r.input, r.is_error) for r in danger] == [
        ({"command": DANGEROUS_COMMAND, "description": "Delete the home directory"}, True),
        ({"command": "pwd", "description": "Show the working directory"}, False),
    ]
    assert "test policy: deny" in danger[0].content
    assert (tmp_path / "home").is_dir()  # the scratch HOME survived
    for name, (_, events) in outcomes.items():
        assert events[-1]["subtype"] == "success", name


def test_an_overloaded_turn_is_retried_by_claude(claude_bin, scripted_model, workspace, claude_env):
    model = scripted_model({"busy": [turn(text("Made it."), error=529)]})
    events = run_print(claude_bin, "[scenario:busy] go", workspace, claude_env(model))
    retries = [e for e in events if e.get("subtype") == "api_retry"]
    assert [e["error_status"] for e in retries] == [529]
    assert events[-1]["result"] == "Made it."
    assert [r.turn for r in model.turn_requests("busy")] == [0, 0]


@pytest.mark.parametrize("name", ["demo-write", "demo-shell"])
def test_harmless_demo_scenarios_run(name, claude_bin, scripted_model, workspace, claude_env):
    model = scripted_model(DEMO_SCENARIOS)
    events = run_print(claude_bin, DEMO_TASKS[name], workspace, claude_env(model))
    assert events[-1]["subtype"] == "success"
    assert all(not r.is_error for r in model.tool_results(name))
    assert len(model.tool_results(name)) == 2
