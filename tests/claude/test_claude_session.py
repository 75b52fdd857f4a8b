"""One supervised session on the real claude binary against the scripted model."""

from __future__ import annotations

import threading
from pathlib import Path

import psutil
import pytest

from csup.calls import Decision, ToolCall
from csup.claude.events import ControlRequest, Event
from csup.claude.options import SessionOptions
from csup.claude.process import processes_with_token
from csup.claude.result import SessionStatus
from csup.claude.runner import ClaudeSession, run_session
from csup.errors import ClaudeNotFoundError
from csup.testing import text, tool

pytestmark = pytest.mark.claude

SLOW = "python3 -c 'import time; time.sleep(30)' && touch marker"


def allow_all(call: ToolCall) -> Decision:
    return Decision("allow", "fine")


def deny_bash(call: ToolCall) -> Decision:
    if call.tool_name == "Bash":
        return Decision("deny", "csup test policy: no shell today", "test.no-bash")
    return Decision("allow", "fine")


@pytest.fixture
def options(workspace, claude_env, claude_bin):
    def make(model, **kwargs) -> SessionOptions:
        return SessionOptions(cwd=workspace, env=claude_env(model), claude_bin=claude_bin, **kwargs)

    return make


def test_an_allowed_write_creates_the_file(scripted_model, options, workspace):
    model = scripted_model(
        {"w": [[tool("Write", file_path="notes.txt", content="hello\n")], [text("Done.")]]}
    )
    result = run_session("[scenario:w] write", options(model), decide=allow_all, timeout=60)
    assert result.status is SessionStatus.COMPLETED, result.error
    assert (workspace / "notes.txt").read_text() == "hello\n"
    assert result.approvals == 1 and result.denials == 0 and result.tool_calls == 1
    assert result.claude_session_id
    assert result.cost_usd > 0
    assert result.tokens.total > 0
    assert result.exit_code == 0


def test_a_denied_bash_never_runs_and_claude_sees_the_reason(scripted_model, options, workspace):
    model = scripted_model(
        {"d": [[tool("Bash", command="touch denied.txt", description="t")], [text("OK.")]]}
    )
    decisions: list[tuple[ToolCall, Decision]] = []
    result = run_session(
        "[scenario:d] go",
        options(model),
        decide=deny_bash,
        on_decision=lambda call, verdict: decisions.append((call, verdict)),
        timeout=60,
    )
    assert result.status is SessionStatus.COMPLETED, result.error
    assert not (workspace / "denied.txt").exists()
    (tool_result,) = model.tool_results("d")
    assert tool_result.is_error
    assert "no shell today" in tool_result.content
    assert result.denials == 1 and result.approvals == 0
    ((call, verdict),) = decisions
    assert call.tool_name == "Bash" and call.tool_input["command"] == "touch denied.txt"
    assert verdict.rule == "test.no-bash"


@pytest.mark.parametrize(("behavior", "exists"), [("allow", True), ("deny", False)])
def test_the_can_use_tool_route_applies_the_decision(
    scripted_model, options, workspace, behavior, exists
):
    model = scripted_model({"p": [[tool("Write", file_path="p.txt", content="x")], [text(".")]]})
    kinds: list[str] = []

    def decide(call: ToolCall) -> Decision:
        kinds.append(call.kind)
        return Decision(behavior, f"route test: {behavior}")

    result = run_session(
        "[scenario:p] go", options(model, decision_route="permission"), decide=decide, timeout=60
    )
    assert result.status is SessionStatus.COMPLETED, result.error
    assert kinds == ["can_use_tool"]
    assert (workspace / "p.txt").exists() is exists
    if not exists:
        assert "route test: deny" in model.tool_results("p")[0].content


def test_two_turns_run_in_one_process(scripted_model, options, workspace):
    model = scripted_model(
        {
            "two": [
                [tool("Write", file_path="one.txt", content="1")],
                [text("First done.")],
                [tool("Write", file_path="two.txt", content="2")],
                [text("Second done.")],
            ]
        }
    )
    session = ClaudeSession(
        "[scenario:two] first", options(model), decide=allow_all, keep_open=True
    )
    session.start()
    try:
        first = session.next_result(60)
        assert first is not None and not first.is_error
        pid = session.pid
        session.send("now the second")
        second = session.next_result(60)
        assert second is not None and not second.is_error
        assert session.pid == pid
    finally:
        session.close()
    result = session.wait(30)
    assert result is not None and result.status is SessionStatus.COMPLETED, result
    assert (workspace / "one.txt").exists() and (workspace / "two.txt").exists()
    assert result.stats.results == 2
    assert result.result_text == "Second done."
    # Checked on claude 2.1.330: num_turns and usage are per user turn, cost accumulates.
    assert result.turns == (first.num_turns or 0) + (second.num_turns or 0)
    assert result.cost_usd == second.total_cost_usd
    assert (second.total_cost_usd or 0) > (first.total_cost_usd or 0)


def test_the_stop_hook_callback_is_answered_and_the_session_ends(scripted_model, options):
    model = scripted_model({"s": [[text("All done.")]]})
    stop_hooks: list[ControlRequest] = []

    def on_event(event: Event) -> None:
        if isinstance(event, ControlRequest) and event.hook_event_name == "Stop":
            stop_hooks.append(event)

    result = run_session("[scenario:s] hi", options(model), on_event=on_event, timeout=60)
    assert result.status is SessionStatus.COMPLETED, result.error
    assert len(stop_hooks) == 1
    assert stop_hooks[0].hook_input.get("stop_hook_active") is False


def wait_for_tool_process(token: str, needle: str, timeout: float = 90) -> psutil.Process:
    """Await the tool's process (polling the process table is the only event there is)."""
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not deadline.is_set():
            for proc in processes_with_token(token):
                try:
                    if needle in " ".join(proc.cmdline()):
                        return proc
                except psutil.Error:
                    continue
            deadline.wait(0.05)
    finally:
        timer.cancel()
    raise AssertionError(f"no process running {needle!r} appeared within {timeout}s")


def test_a_stop_during_a_slow_tool_kills_it_before_its_effect(scripted_model, options, workspace):
    model = scripted_model({"slow": [[tool("Bash", command=SLOW, description="slow")]]})
    session = ClaudeSession("[scenario:slow] go", options(model), decide=allow_all)
    session.start()
    sleeper = wait_for_tool_process(session.token, "time.sleep(30)")
    claude = psutil.Process(session.pid)
    result = session.stop("the user changed their mind")
    assert result is not None
    assert result.status is SessionStatus.CANCELLED
    assert result.error == "the user changed their mind"
    assert not sleeper.is_running() or sleeper.status() == psutil.STATUS_ZOMBIE
    assert not claude.is_running() or claude.status() == psutil.STATUS_ZOMBIE
    assert processes_with_token(session.token) == []
    # Every process that could still create the marker is gone, so it never will appear.
    assert not (workspace / "marker").exists()


def test_a_session_over_its_wall_clock_limit_is_killed(scripted_model, options, workspace):
    model = scripted_model({"slow": [[tool("Bash", command=SLOW, description="slow")]]})
    result = run_session("[scenario:slow] go", options(model, timeout=3), decide=allow_all)
    assert result.status is SessionStatus.KILLED
    assert "timed out after 3s" in (result.error or "")
    assert not (workspace / "marker").exists()


def test_a_session_that_reaches_its_turn_limit_is_killed_with_claudes_reason(
    scripted_model, options, workspace
):
    model = scripted_model(
        {"many": [[tool("Bash", command=f"touch f{i}", description="t")] for i in range(5)]}
    )
    result = run_session("[scenario:many] go", options(model, max_turns=2), decide=allow_all)
    assert result.status is SessionStatus.KILLED
    assert "maximum number of turns (2)" in (result.error or "")
    assert not (workspace / "f3").exists()


def test_a_missing_claude_names_both_ways_to_point_at_one(tmp_path, monkeypatch):
    monkeypatch.delenv("CSUP_CLAUDE_BIN", raising=False)
    session = ClaudeSession("hi", SessionOptions(cwd=tmp_path, claude_bin=tmp_path / "nope"))
    with pytest.raises(ClaudeNotFoundError, match="--claude-bin") as info:
        session.start()
    assert "leave it out" in str(info.value)
    monkeypatch.setenv("CSUP_CLAUDE_BIN", str(tmp_path / "nope"))
    with pytest.raises(ClaudeNotFoundError, match="CSUP_CLAUDE_BIN"):
        ClaudeSession("hi", SessionOptions(cwd=tmp_path)).start()


def test_claude_that_exits_early_is_a_failure_with_its_stderr(tmp_path, fake_binary):
    binary = fake_binary("import sys\nsys.stderr.write('Error: invalid API key\\n')\nsys.exit(3)\n")
    result = run_session("hi", SessionOptions(cwd=tmp_path, claude_bin=binary), timeout=30)
    assert result.status is SessionStatus.FAILED
    assert result.exit_code == 3
    assert "exited with code 3" in (result.error or "")
    assert "invalid API key" in (result.error or "")
    assert "invalid API key" in result.stderr_tail


def test_claude_that_crashes_mid_session_is_a_failure(tmp_path, fake_binary):
    binary = fake_binary(
        """
        import json, os, signal, sys
        init = json.loads(sys.stdin.readline())
        print(json.dumps({"type": "control_response", "response": {
            "subtype": "success", "request_id": init["request_id"], "response": {}}}), flush=True)
        print(json.dumps({"type": "system", "subtype": "init", "session_id": "s1"}), flush=True)
        sys.stderr.write("panic: out of memory\\n"); sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGSEGV)
        """
    )
    result = run_session("hi", SessionOptions(cwd=tmp_path, claude_bin=binary), timeout=30)
    assert result.status is SessionStatus.FAILED
    assert result.exit_code == -11
    assert "out of memory" in (result.error or "")
    assert result.claude_session_id == "s1"


def test_claude_that_prints_garbage_is_a_failure_that_says_so(tmp_path, fake_binary):
    binary = fake_binary("print('Segmentation fault (core dumped)')\nprint('<html>')\n")
    result = run_session("hi", SessionOptions(cwd=tmp_path, claude_bin=binary), timeout=30)
    assert result.status is SessionStatus.FAILED
    assert "2 unreadable line(s)" in (result.error or "")
    assert "Segmentation fault" in (result.error or "")


def test_claude_that_hangs_silently_fails_at_the_startup_timeout(tmp_path, fake_binary):
    binary = fake_binary("import time\nprint('garbage', flush=True)\ntime.sleep(120)\n")
    opts = SessionOptions(cwd=tmp_path, claude_bin=binary, startup_timeout=1.0)
    result = run_session("hi", opts, timeout=30)
    assert result.status is SessionStatus.FAILED
    assert "did not answer within 1s" in (result.error or "")


def test_a_decider_that_raises_is_a_deny(scripted_model, options, workspace):
    model = scripted_model(
        {"r": [[tool("Bash", command="touch ran.txt", description="t")], [text(".")]]}
    )

    def broken(call: ToolCall) -> Decision:
        raise RuntimeError("policy exploded")

    result = run_session("[scenario:r] go", options(model), decide=broken, timeout=60)
    assert result.status is SessionStatus.COMPLETED, result.error
    assert not (workspace / "ran.txt").exists()
    assert "policy exploded" in model.tool_results("r")[0].content
    assert result.denials == 1


def test_a_decider_that_hangs_is_denied_at_the_decision_timeout(scripted_model, options, workspace):
    model = scripted_model(
        {"h": [[tool("Bash", command="touch ran.txt", description="t")], [text(".")]]}
    )
    release = threading.Event()

    def hangs(call: ToolCall) -> Decision:
        release.wait(60)
        return Decision("allow", "too late")

    try:
        result = run_session(
            "[scenario:h] go", options(model, decision_timeout=1.0), decide=hangs, timeout=60
        )
    finally:
        release.set()
    assert result.status is SessionStatus.COMPLETED, result.error
    assert not (workspace / "ran.txt").exists()
    assert "no decision within 1s" in model.tool_results("h")[0].content


def test_ask_without_an_approver_is_a_deny(scripted_model, options, workspace):
    model = scripted_model(
        {"a": [[tool("Bash", command="touch ran.txt", description="t")], [text(".")]]}
    )

    class Ask:
        behavior = "ask"
        reason = "pushing needs a human"
        rule = "test.ask"

    result = run_session("[scenario:a] go", options(model), decide=lambda call: Ask(), timeout=60)
    assert not (workspace / "ran.txt").exists()
    content = model.tool_results("a")[0].content
    assert "pushing needs a human" in content and "no approver" in content
    assert result.denials == 1


def test_no_decider_means_every_tool_call_is_denied(scripted_model, options, workspace: Path):
    model = scripted_model({"n": [[tool("Write", file_path="x.txt", content="x")], [text(".")]]})
    result = run_session("[scenario:n] go", options(model), timeout=60)
    assert not (workspace / "x.txt").exists()
    assert result.denials == 1


def test_parallel_tool_calls_in_one_message_are_decided_one_by_one(
    scripted_model, options, workspace
):
    model = scripted_model(
        {
            "par": [
                [
                    tool("Bash", command="touch a.txt", description="a"),
                    tool("Bash", command="touch b.txt", description="b"),
                ],
                [text("done")],
            ]
        }
    )

    def decide(call: ToolCall) -> Decision:
        if call.tool_input.get("command") == "touch b.txt":
            return Decision("deny", "not b")
        return Decision("allow", "fine")

    result = run_session("[scenario:par] go", options(model), decide=decide, timeout=60)
    assert result.status is SessionStatus.COMPLETED, result.error
    assert (workspace / "a.txt").exists()
    assert not (workspace / "b.txt").exists()
    assert (result.approvals, result.denials, result.tool_calls) == (1, 1, 2)


def test_a_subagents_tool_calls_are_decided_by_csup_too(scripted_model, options, workspace):
    model = scripted_model(
        {
            "main": [
                [
                    tool(
                        "Task",
                        description="d",
                        prompt="[scenario:sub] work",
                        subagent_type="general-purpose",
                    )
                ],
                [text("main done")],
            ],
            "sub": [[tool("Bash", command="touch sub.txt", description="s")], [text("sub done")]],
        }
    )
    calls: list[ToolCall] = []
    agent_ids: list[object] = []

    def decide(call: ToolCall) -> Decision:
        calls.append(call)
        if call.tool_name == "Bash":
            return Decision("deny", "subagents may not touch files")
        return Decision("allow", "fine")

    def on_event(event: Event) -> None:
        if isinstance(event, ControlRequest) and event.tool_name == "Bash":
            agent_ids.append(event.hook_input.get("agent_id"))

    result = run_session(
        "[scenario:main] go", options(model), decide=decide, on_event=on_event, timeout=90
    )
    assert result.status is SessionStatus.COMPLETED, result.error
    # claude 2.1.330 calls the Task tool "Agent" in its hook input.
    assert [c.tool_name for c in calls] == ["Agent", "Bash"]
    assert agent_ids and agent_ids[0], "the subagent's call carries its agent_id"
    assert not (workspace / "sub.txt").exists()
    assert "subagents may not touch files" in model.tool_results("sub")[0].content


def test_a_background_subagent_finishes_and_is_decided_before_the_session_ends(
    scripted_model, options, workspace
):
    model = scripted_model(
        {
            "main": [
                [
                    tool(
                        "Task",
                        description="d",
                        prompt="[scenario:sub] work",
                        subagent_type="general-purpose",
                        run_in_background=True,
                    )
                ],
                [text("main done")],
                [text("the background work is done too")],
            ],
            "sub": [
                [tool("Bash", command="sleep 1; touch sub.txt", description="s")],
                [text("sub done")],
            ],
        }
    )
    calls: list[str] = []

    def decide(call: ToolCall) -> Decision:
        calls.append(call.tool_name)
        return Decision("allow", "fine")

    result = run_session("[scenario:main] go", options(model), decide=decide, timeout=90)
    assert result.status is SessionStatus.COMPLETED, result.error
    assert calls == ["Agent", "Bash"], "the subagent's call came after the first result"
    assert (workspace / "sub.txt").exists(), "the session did not end under its subagent"
    assert result.stats.results >= 2
