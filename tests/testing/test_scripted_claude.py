"""The real claude binary against the scripted model: the harness itself works end to end."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from csup.testing import text, tool
from csup.testing.scenarios import DEMO_SCENARIOS, DEMO_TASKS

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
    proc = subprocess.Popen(
        [claude_bin, "-p", "--input-format", "stream-json", *DUPLEX],
        cwd=workspace,
        env=claude_env(model),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None

    def send(msg: dict[str, Any]) -> None:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(msg) + "\n")
        proc.stdin.flush()

    def user(content: str) -> None:
        send({"type": "user", "message": {"role": "user", "content": content}})

    def answer(request_id: str, response: dict[str, Any]) -> None:
        send(
            {
                "type": "control_response",
                "response": {"subtype": "success", "request_id": request_id, "response": response},
            }
        )

    hooks = {"PreToolUse": [{"matcher": None, "hookCallbackIds": ["pre_0"]}]}
    send(
        {
            "type": "control_request",
            "request_id": "req_init",
            "request": {"subtype": "initialize", "hooks": hooks},
        }
    )
    user("[scenario:deny] make a marker")
    results = []
    try:
        for line in proc.stdout:
            event = json.loads(line)
            if event["type"] == "control_request":
                command = event["request"]["input"]["tool_input"]["command"]
                decision = "deny" if "touch" in command else "allow"
                answer(
                    event["request_id"],
                    {
                        "hookSpecificOutput": {
                            "hookEventName": "PreToolUse",
                            "permissionDecision": decision,
                            "permissionDecisionReason": f"test policy: {decision}",
                        }
                    },
                )
            elif event["type"] == "result":
                results.append(event)
                if len(results) == 1:
                    user("go on")
                else:
                    proc.stdin.close()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()
        assert proc.stderr is not None
        proc.stderr.close()
    assert proc.returncode == 0
    assert not (workspace / "marker").exists()
    seen = model.tool_results("deny")
    assert [(r.input["command"], r.is_error) for r in seen if r.input] == [
        ("touch marker", True),
        ("echo second", False),
    ]
    assert "test policy: deny" in seen[0].content
    assert [r["result"] for r in results] == ["Refused, fine.", model.final_text]


@pytest.mark.parametrize("name", ["demo-write", "demo-shell"])
def test_harmless_demo_scenarios_run(name, claude_bin, scripted_model, workspace, claude_env):
    model = scripted_model(DEMO_SCENARIOS)
    events = run_print(claude_bin, DEMO_TASKS[name], workspace, claude_env(model))
    assert events[-1]["subtype"] == "success"
    assert all(not r.is_error for r in model.tool_results(name))
    assert len(model.tool_results(name)) == 2
