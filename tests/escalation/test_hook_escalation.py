"""``csup hook pre-tool-use`` with ``escalate = "reviewer"``: the real claude binary, csup's
hook, and one scripted model answering both claude's turns and the hook's review.

Bash is pre-allowed (Claude Code itself would run it); ``git push`` is an "ask" at the
default level; the reviewer's verdict decides whether the ``touch`` after it runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import csup
from csup.hooks.command import run as run_hook
from csup.hooks.install import desired_hooks
from csup.testing import Review, ReviewScript, ScriptedModel, ToolResult, text, tool

WAIT = 120
SOURCE = str(Path(csup.__file__).resolve().parent.parent)  # this checkout's csup, for the hook

VERDICTS = ReviewScript(
    default=Review("deny", "Publishing was not asked for."),
    by_command=[
        ("touch allowed.txt", Review("allow", "The task asks to publish.")),
        ("touch guided.txt", Review("guide", "No.", "Commit locally; do not push.")),
        ("touch slow.txt", Review("allow", delay=60)),
    ],
)


@dataclass
class Run:
    model: ScriptedModel
    repo: Path

    def result(self) -> ToolResult:
        (result,) = self.model.tool_results("s")
        return result


Play = Callable[..., Run]


@pytest.fixture
def play(
    claude_bin: Path,
    tmp_path: Path,
    scripted_model: Callable[..., ScriptedModel],
    claude_env: Callable[..., dict[str, str]],
) -> Play:
    """``play(command, policy=..., reviews=...)``: claude -p makes one Bash call."""

    def run(
        command: str,
        *,
        policy: str = 'escalate = "reviewer"\n',
        reviews: ReviewScript = VERDICTS,
        env: dict[str, str] | None = None,
    ) -> Run:
        repo = tmp_path / "repo"
        (repo / ".claude").mkdir(parents=True)
        (repo / ".csup").mkdir()
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True, timeout=30)
        (spec,) = desired_hooks(argv=[sys.executable, "-m", "csup"])
        settings = {"hooks": {spec.event: [spec.group()]}}
        (repo / ".claude" / "settings.json").write_text(json.dumps(settings))
        (repo / ".csup" / "policy.toml").write_text(policy)
        turns = [[text("On it."), tool("Bash", command=command, description="x")], [text("Ok.")]]
        model = scripted_model({"s": turns}, reviews=reviews)
        done = subprocess.run(
            [
                str(claude_bin),
                *("-p", "--output-format", "stream-json", "--verbose"),
                *("--allowedTools", "Bash", "--", "[scenario:s] do it"),
            ],
            cwd=repo,
            env=claude_env(model, {"PYTHONPATH": SOURCE, **(env or {})}),
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return Run(model, repo)

    return run


@pytest.mark.claude
def test_an_ask_the_reviewer_allows_runs(play: Play) -> None:
    run = play("git push origin main; touch allowed.txt")
    assert (run.repo / "allowed.txt").exists()
    assert not run.result().is_error
    (review,) = run.model.review_requests()
    prompt = review["messages"][0]["content"]
    assert "Rule: net.publish" in prompt
    assert '"task": "[scenario:s] do it"' in prompt  # read from claude's transcript
    assert '"said: On it."' in prompt


@pytest.mark.claude
def test_an_ask_the_reviewer_denies_does_not_run_and_claude_gets_the_reason(play: Play) -> None:
    run = play("git push origin main; touch denied.txt")
    assert not (run.repo / "denied.txt").exists()
    result = run.result()
    assert result.is_error
    assert "denied by csup's reviewer: Publishing was not asked for." in result.content


@pytest.mark.claude
def test_guide_reaches_claude_as_the_deny_message(play: Play) -> None:
    run = play("git push origin main; touch guided.txt")
    assert not (run.repo / "guided.txt").exists()
    assert "Commit locally; do not push." in run.result().content


@pytest.mark.claude
def test_a_slow_reviewer_is_a_deny_within_the_hooks_limit(play: Play) -> None:
    run = play("git push origin main; touch slow.txt", env={"CSUP_REVIEWER_TIMEOUT": "1"})
    assert not (run.repo / "slow.txt").exists()
    assert "timeout: the reviewer gave no answer within 1 s" in run.result().content


@pytest.mark.claude
def test_without_escalation_the_reviewer_is_never_asked(play: Play) -> None:
    run = play("git push origin main; touch allowed.txt", policy="")
    assert not (run.repo / "allowed.txt").exists()  # headless claude has no one to ask
    assert run.model.review_requests() == []


# -- the hook process alone (no claude): the edge cases --------------------------------------


def hook(tmp_path: Path, policy: str, command: str) -> dict[str, Any]:
    """``csup hook pre-tool-use`` run in-process on one Bash call; its parsed output."""
    (tmp_path / ".csup").mkdir(exist_ok=True)
    (tmp_path / ".csup" / "policy.toml").write_text(policy)
    data = {
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "cwd": str(tmp_path),
        "session_id": "s1",
    }
    read, write = os.pipe()
    os.write(write, json.dumps(data).encode())
    os.close(write)
    try:
        result = run_hook(["pre-tool-use"], read)
    finally:
        os.close(read)
    assert result.code == 0, result.stderr
    output: dict[str, Any] = json.loads(result.stdout)["hookSpecificOutput"]
    return output


@pytest.fixture
def review_env(
    monkeypatch: pytest.MonkeyPatch, scripted_model: Callable[..., ScriptedModel]
) -> ScriptedModel:
    model = scripted_model(None, reviews=VERDICTS)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", model.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "csup-scripted")
    monkeypatch.delenv("CSUP_POLICY", raising=False)
    return model


def test_reviewer_human_mode_hands_a_failed_review_to_claude_codes_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("CSUP_POLICY", raising=False)
    out = hook(tmp_path, 'escalate = "reviewer+human"\n', "git push origin main")
    assert out["permissionDecision"] == "ask"
    assert "csup's reviewer could not decide: no API key" in out["permissionDecisionReason"]


def test_reviewer_mode_denies_a_failed_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("CSUP_POLICY", raising=False)
    out = hook(tmp_path, 'escalate = "reviewer"\n', "git push origin main")
    assert out["permissionDecision"] == "deny"
    assert "no API key" in out["permissionDecisionReason"]


def test_reviewer_human_mode_keeps_the_reviewers_allow(
    tmp_path: Path, review_env: ScriptedModel
) -> None:
    out = hook(tmp_path, 'escalate = "reviewer+human"\n', "git push; touch allowed.txt")
    assert out["permissionDecision"] == "allow"
    assert len(review_env.review_requests()) == 1


@pytest.mark.parametrize("mode", ["deny", "human"])
def test_other_modes_leave_the_ask_to_claude_code(
    tmp_path: Path, review_env: ScriptedModel, mode: str
) -> None:
    out = hook(tmp_path, f'escalate = "{mode}"\n', "git push origin main")
    assert out["permissionDecision"] == "ask"
    assert review_env.review_requests() == []


def test_calls_the_policy_settles_are_never_reviewed(
    tmp_path: Path, review_env: ScriptedModel
) -> None:
    assert hook(tmp_path, 'escalate = "reviewer"\n', "ls")["permissionDecision"] == "allow"
    assert hook(tmp_path, 'escalate = "reviewer"\n', "rm -rf ~")["permissionDecision"] == "deny"
    assert review_env.review_requests() == []


def test_the_hook_does_not_import_anthropic_when_nothing_escalates(tmp_path: Path) -> None:
    (tmp_path / ".csup").mkdir()
    (tmp_path / ".csup" / "policy.toml").write_text('escalate = "reviewer"\n')
    data = {"tool_name": "Bash", "tool_input": {"command": "ls"}, "cwd": str(tmp_path)}
    code = (
        "import sys; from csup.hooks.command import main; code = main(['pre-tool-use']); "
        "assert 'anthropic' not in sys.modules and 'csup.escalation' not in sys.modules; "
        "sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": SOURCE},
    )
    assert done.returncode == 0, done.stderr
    assert '"permissionDecision":"allow"' in done.stdout
