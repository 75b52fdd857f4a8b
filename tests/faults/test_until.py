"""--until: csup runs the check when claude says it is done and hands failures back."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from csup.cli import main
from csup.testing import text, tool

pytestmark = pytest.mark.claude

# Passes on its third run: a counter in the workspace.
THIRD_TIME = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ "$n" -ge 3 ]'


def scenario():
    return {
        "fix": [
            [tool("Write", file_path="code.py", content="x = 1\n")],
            [text("Done.")],
            [text("Fixed it.")],
            [text("Fixed it again.")],
            [text("And again.")],
        ]
    }


def run(args, env):
    return CliRunner().invoke(main, args, env=env)


def test_an_until_check_that_fails_twice_then_passes_takes_three_rounds(
    scripted_model, claude_env, workspace, claude_bin
):
    model = scripted_model(scenario())
    result = run(
        [
            "run",
            "[scenario:fix] fix the tests",
            "--cwd",
            str(workspace),
            "--claude-bin",
            str(claude_bin),
            "--until",
            THIRD_TIME,
            "--json",
        ],
        env=claude_env(model),
    )
    assert result.exit_code == 0, result.output
    (session,) = json.loads(result.stdout)["sessions"]
    assert session["status"] == "completed" and session["rounds"] == 3
    assert (workspace / "count").read_text().strip() == "3"
    prompts = [r for r in model.requests if r.kind == "turn"]
    assert any("round 2 of 3" in json.dumps(r["messages"][-1]) for r in prompts)


def test_an_until_check_that_never_passes_stops_at_max_rounds_and_says_so(
    scripted_model, claude_env, workspace, claude_bin
):
    model = scripted_model(scenario())
    result = run(
        [
            "run",
            "[scenario:fix] fix the tests",
            "--cwd",
            str(workspace),
            "--claude-bin",
            str(claude_bin),
            "--until",
            "echo 'test_x FAILED'; exit 1",
            "--max-rounds",
            "2",
        ],
        env=claude_env(model),
    )
    assert result.exit_code == 1, result.output
    assert "failed" in result.stdout
    assert "still failed after 2 rounds" in result.stdout and "test_x FAILED" in result.stdout


def test_a_session_stopped_by_a_rate_limit_is_marked_and_resumed_after_the_reset(
    scripted_model, claude_env, workspace, claude_bin
):
    from csup.testing import turn  # noqa: PLC0415

    model = scripted_model({"rl": [turn(text("hi there"), error=429, error_times=2)]})
    env = claude_env(model, extra={"CLAUDE_CODE_MAX_RETRIES": "1"})
    plain = run(
        [
            "run",
            "[scenario:rl] go",
            "--cwd",
            str(workspace),
            "--claude-bin",
            str(claude_bin),
            "--json",
        ],
        env=env,
    )
    assert plain.exit_code == 1
    (limited,) = json.loads(plain.stdout)["sessions"]
    assert limited["limited"] is True and "rate or usage limit" in limited["error"]

    model = scripted_model({"rl": [turn(text("hi there"), error=429, error_times=2)]})
    env = claude_env(model, extra={"CLAUDE_CODE_MAX_RETRIES": "1"})
    retried = run(
        [
            "run",
            "[scenario:rl] go",
            "--cwd",
            str(workspace),
            "--claude-bin",
            str(claude_bin),
            "--retry-on-limit",
            "--limit-wait",
            "0.5",
            "--json",
        ],
        env=env,
    )
    assert retried.exit_code == 0, retried.output
    first, second = json.loads(retried.stdout)["sessions"]
    assert first["limited"] and second["status"] == "completed"
