"""End to end: the real claude binary, with csup's hooks installed at project scope.

A scratch git repository, a scratch HOME, headless ``claude -p`` with Bash and Write
pre-allowed (so Claude Code itself would run them without asking), the scripted model asking
for the tool calls. csup's hook alone stands between the call and its effect.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from csup.hooks.install import desired_hooks
from csup.testing import ScriptedModel, ToolResult, text, tool

_RULE_NAMED = re.compile(r"csup (?:policy, )?rule [\w.-]+")


def names_its_rule(text: str) -> bool:
    """A csup decision names its rule (``[csup rule X; ...]`` or ``(csup policy, rule X)``);
    a crash of the hook does not."""
    return _RULE_NAMED.search(text) is not None


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


@dataclass
class Run:
    """One headless claude session: the model it talked to and the events it printed."""

    model: ScriptedModel
    events: list[dict[str, Any]]

    @property
    def result(self) -> dict[str, Any]:
        (final,) = [e for e in self.events if e.get("type") == "result"]
        return final

    @property
    def denied_tools(self) -> list[str]:
        return [d["tool_name"] for d in self.result["permission_denials"]]

    def only_tool_result(self) -> ToolResult:
        (result,) = self.model.tool_results()
        return result


Play = Callable[..., Run]


@pytest.fixture
def play(
    claude_bin: Path,
    repo: Path,
    scripted_model: Callable[..., ScriptedModel],
    claude_env: Callable[..., dict[str, str]],
) -> Play:
    """``play(turns, cwd=repo, allowed=("Bash", "Write"))`` runs claude -p on one scenario."""

    def run(
        turns: list[list[dict[str, Any]]],
        *,
        cwd: Path = repo,
        allowed: tuple[str, ...] = ("Bash", "Write"),
    ) -> Run:
        model = scripted_model({"s": turns})
        allowed_tools = ["--allowedTools", *allowed] if allowed else []
        done = subprocess.run(
            [
                str(claude_bin),
                *("-p", "--output-format", "stream-json", "--verbose"),
                *allowed_tools,
                *("--", "[scenario:s] do it"),
            ],
            cwd=cwd,
            env=claude_env(model),
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        return Run(model, events)

    return run


def calls(*blocks: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """One turn per tool call, then a final text turn."""
    return [*([text("On it."), block] for block in blocks), [text("Done.")]]


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
    command: str, play: Play, important: Path
) -> None:
    run = play(calls(tool("Bash", command=command, description="x")))
    result = run.only_tool_result()
    assert result.is_error
    assert names_its_rule(result.content)  # a decision, not a crash of the hook
    assert (important / "keep.txt").read_text() == "precious\n"  # its effect never happened
    assert run.denied_tools == ["Bash"]


def test_a_benign_call_runs(play: Play, repo: Path) -> None:
    run = play(
        calls(
            tool("Bash", command="echo hello > from-bash.txt", description="x"),
            tool("Write", file_path=str(repo / "from-write.txt"), content="written\n"),
        )
    )
    results = run.model.tool_results()
    assert [r.is_error for r in results] == [False, False], results
    assert (repo / "from-bash.txt").read_text() == "hello\n"
    assert (repo / "from-write.txt").read_text() == "written\n"
    assert run.denied_tools == []


def test_a_bad_policy_file_blocks_every_call(play: Play, repo: Path) -> None:
    """Fail closed: with an unreadable policy, even a harmless call does not run."""
    policy = repo / ".csup" / "policy.toml"
    policy.parent.mkdir()
    policy.write_text("level = [broken\n")
    result = play(calls(tool("Bash", command="touch ran.txt", description="x"))).only_tool_result()
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


def test_ask_goes_to_claude_code_which_has_no_one_to_ask_headless(play: Play, repo: Path) -> None:
    """``git push`` is an "ask" at the default level: interactive Claude Code would prompt
    the user; headless ``claude -p`` has no one to ask and denies, although Bash is allowed."""
    run = play(calls(tool("Bash", command="git push origin main; touch ran.txt")))
    result = run.only_tool_result()
    assert result.is_error
    assert names_its_rule(result.content)
    assert not (repo / "ran.txt").exists()
    assert run.denied_tools == ["Bash"]


def test_the_stop_check_makes_claude_go_on_once(play: Play, repo: Path, claude_home: Path) -> None:
    """Claude stops before done.txt exists; the check fails, Claude goes on and writes it."""
    install = ["install-hooks", "--scope", "project", "--stop-check", "test -f done.txt"]
    csup(install, cwd=repo, home=claude_home)
    run = play(
        [
            [text("All done.")],
            [text("Fixing."), tool("Write", file_path=str(repo / "done.txt"), content="ok\n")],
            [text("Now it is done.")],
        ]
    )
    assert (repo / "done.txt").read_text() == "ok\n"
    feedback = json.dumps(run.model.turn_requests()[1]["messages"])
    assert "The check `test -f done.txt` failed" in feedback
    assert run.result["result"] == "Now it is done."


def test_a_stop_check_that_keeps_failing_does_not_loop(
    play: Play, repo: Path, claude_home: Path
) -> None:
    csup(
        ["install-hooks", "--scope", "project", "--stop-check", "false"], cwd=repo, home=claude_home
    )
    run = play([[text("Done.")], [text("Still done.")], [text("Again.")]])
    assert len(run.model.turn_requests()) == 2  # blocked once, then allowed to stop
    assert run.result["result"] == "Still done."


def test_permission_request_answers_claude_codes_permission_check(
    play: Play, tmp_path: Path
) -> None:
    """Only the PermissionRequest hook, and no tool pre-allowed: the policy answers the
    permission check Claude Code would show a person (ask: no answer, so headless denies)."""
    plain = tmp_path / "plain"
    (plain / ".claude").mkdir(parents=True)
    specs = desired_hooks(permission_request=True, argv=[CSUP])
    (spec,) = [s for s in specs if s.event == "PermissionRequest"]
    settings = {"hooks": {spec.event: [spec.group()]}}
    (plain / ".claude" / "settings.json").write_text(json.dumps(settings))
    commands = ["touch allowed.txt", "rm -rf /etc/csup-nothing", "git push origin main; touch p"]
    run = play(calls(*(tool("Bash", command=c) for c in commands)), cwd=plain, allowed=())
    allowed, denied, asked = run.model.tool_results()
    assert not allowed.is_error and (plain / "allowed.txt").exists()
    assert denied.is_error and names_its_rule(denied.content)
    assert asked.is_error and not (plain / "p").exists()


def _failing_csup(directory: Path, body: str) -> str:
    """An executable in csup's place that fails the way a broken csup would."""
    path = directory / "bin" / "csup"
    path.parent.mkdir(parents=True)
    path.write_text(f"#!/bin/sh\ncat > /dev/null\n{body}\n")
    path.chmod(0o755)
    return str(path)


def _hook_settings(directory: Path, command: str) -> None:
    (directory / ".claude").mkdir(parents=True)
    group = {"matcher": "*", "hooks": [{"type": "command", "command": command, "timeout": 30}]}
    settings = {"hooks": {"PreToolUse": [group]}}
    (directory / ".claude" / "settings.json").write_text(json.dumps(settings))


FAILURES = {
    "segfault": ("kill -SEGV $$", 139),
    "broken interpreter": (f"exec {sys.executable} -c 'import csup_is_not_installed'", 1),
    "csup missing": (None, 127),
}


@pytest.mark.parametrize("failure", FAILURES)
def test_a_crashing_hook_blocks_the_call_through_the_installed_guard(
    play: Play, tmp_path: Path, failure: str
) -> None:
    body, status = FAILURES[failure]
    plain = tmp_path / "plain"
    plain.mkdir()
    argv = [_failing_csup(tmp_path, body) if body else str(tmp_path / "gone" / "csup")]
    (spec,) = desired_hooks(argv=argv)
    _hook_settings(plain, spec.group()["hooks"][0]["command"])
    run = play(calls(tool("Bash", command="touch ran.txt", description="x")), cwd=plain)
    result = run.only_tool_result()
    assert result.is_error
    assert f"csup hook failed (exit status {status}" in result.content
    assert not (plain / "ran.txt").exists()  # its effect never happened


def test_without_the_guard_claude_code_runs_the_call_when_the_hook_crashes(
    play: Play, tmp_path: Path
) -> None:
    """Why the guard exists: Claude Code treats a hook killed by SIGSEGV (exit 139) as a
    non-blocking error and runs the tool call (Bash is pre-allowed here: nothing else asks)."""
    plain = tmp_path / "plain"
    plain.mkdir()
    _hook_settings(plain, shlex.quote(_failing_csup(tmp_path, "kill -SEGV $$")) + " hook x")
    run = play(calls(tool("Bash", command="touch ran.txt", description="x")), cwd=plain)
    assert not run.only_tool_result().is_error
    assert (plain / "ran.txt").exists()
