"""Fault injection: whatever fails or stops, csup ends in bounded time, prints its summary
where it survives, and leaves no process of any session and no late side effect.

Faults of claude itself run on stand-in executables (a claude cannot be made to crash on
cue); everything else runs the real claude binary against the scripted model.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from csup.calls import Decision, ToolCall
from csup.claude.options import SessionOptions
from csup.claude.result import SessionStatus
from csup.claude.runner import run_session
from csup.testing import text, tool
from csup.testing.standins import INSTANT_EXITS
from tests.actors.conftest import descendants_running, gone, named, wait_for_descendant
from tests.cli.test_cli_run import start_multi

CSUP = str(Path(sys.executable).with_name("csup"))
MARKER_AFTER = 4  # seconds the slow tool sleeps before its side effect
SLOW = f"python3 -c 'import time; time.sleep({MARKER_AFTER})' && touch marker"

EXITS = INSTANT_EXITS  # claude stand-ins that exit at each stage of the protocol


@pytest.mark.parametrize("stage", list(EXITS))
@pytest.mark.timeout(60)
def test_a_claude_that_exits_at_any_stage_ends_the_session_as_failed_in_bounded_time(
    stage, fake_binary, tmp_path
):
    binary = fake_binary(EXITS[stage])
    for _ in range(5):
        result = run_session(
            "hi",
            SessionOptions(cwd=tmp_path, claude_bin=binary),
            decide=lambda call: Decision("allow", "fine"),
            timeout=30,
        )
        assert result.status is SessionStatus.FAILED, result
        assert "exited with code" in (result.error or "")


@pytest.mark.timeout(120)
def test_csup_run_with_bin_false_never_hangs():
    for _ in range(10):
        proc = subprocess.run(
            [CSUP, "run", "hello", "--claude-bin", "/bin/false"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr
        assert "exited with code 1" in proc.stdout


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_hundreds_of_instant_exits_never_hang(fake_binary, tmp_path):
    binary = fake_binary(EXITS["segfault at once"])
    for _ in range(300):
        result = run_session(
            "hi", SessionOptions(cwd=tmp_path, claude_bin=Path("/bin/false")), timeout=30
        )
        assert result.status is SessionStatus.FAILED
        result = run_session("hi", SessionOptions(cwd=tmp_path, claude_bin=binary), timeout=30)
        assert result.status is SessionStatus.FAILED


def guardian(proc):
    try:
        return "guardian" in " ".join(proc.cmdline())
    except psutil.Error:
        return False


def assert_all_gone_within(procs, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(gone(p) for p in procs):
        threading.Event().wait(0.05)
    assert all(gone(p) for p in procs), [p for p in procs if not gone(p)]


@pytest.mark.claude
@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("signum", "code", "reason"),
    [
        (signal.SIGTERM, 143, "stopped by SIGTERM"),
        (signal.SIGHUP, 129, "the terminal hung up (SIGHUP)"),
    ],
)
def test_a_stop_signal_mid_tool_stops_every_session_prints_the_summary_and_exits(
    signum, code, reason, scripted_model, claude_env, workspace, claude_bin
):
    model = scripted_model({"slow": [[tool("Bash", command=SLOW, description="slow")]]})
    proc = start_multi(
        ["[scenario:slow] a", "[scenario:slow] b"],
        env=claude_env(model),
        workspace=workspace,
        claude_bin=claude_bin,
        extra=["--json"],
    )
    try:
        wait_for_descendant("time.sleep(", root=proc.pid)
        tree = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, err
    doc = json.loads(out)
    assert {s["status"] for s in doc["sessions"]} == {"cancelled"}
    assert all(s["error"] == reason for s in doc["sessions"])
    assert "Ctrl-C" not in err or signum == signal.SIGINT
    assert_all_gone_within(tree, 2)
    threading.Event().wait(MARKER_AFTER + 1)
    assert not (workspace / "marker").exists(), "a tool finished its side effect after the stop"


@pytest.mark.claude
@pytest.mark.timeout(120)
def test_sigkill_of_csup_leaves_no_claude_and_no_tool_within_two_seconds(
    scripted_model, claude_env, workspace, claude_bin
):
    model = scripted_model({"slow": [[tool("Bash", command=SLOW, description="slow")]]})
    proc = start_multi(
        ["[scenario:slow] a", "[scenario:slow] b"],
        env=claude_env(model),
        workspace=workspace,
        claude_bin=claude_bin,
    )
    try:
        wait_for_descendant("time.sleep(", root=proc.pid)
        threading.Event().wait(0.3)  # both sessions' tools, most likely
        tree = [p for p in psutil.Process(proc.pid).children(recursive=True) if not guardian(p)]
        assert any(named(p, "claude") for p in tree)
        proc.kill()
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert_all_gone_within(tree, 2)
    assert descendants_running("time.sleep(") == []
    threading.Event().wait(MARKER_AFTER + 1)
    assert not (workspace / "marker").exists(), "a tool finished its side effect after csup died"


@pytest.mark.claude
@pytest.mark.timeout(120)
def test_a_slow_decider_for_one_session_costs_only_its_own_call(
    scripted_model, supervisor_factory, workspace
):
    model = scripted_model(
        {
            "slow": [[tool("Bash", command="touch slow.txt", description="s")], [text("done")]],
            "fast": [
                [tool("Bash", command="touch f1.txt", description="f")],
                [tool("Bash", command="touch f2.txt", description="f")],
                [tool("Bash", command="touch f3.txt", description="f")],
                [text("done")],
            ],
        }
    )
    release = threading.Event()

    def decide(call: ToolCall) -> Decision:
        if "slow" in call.tool_input.get("command", ""):
            release.wait(60)  # a decider that hangs, for this session's call only
        return Decision("allow", "fine")

    sup = supervisor_factory(model, policy=decide, decision_timeout=3.0)
    try:
        slow = sup.submit("[scenario:slow] go")
        fast = sup.submit("[scenario:fast] go")
        results = {r.session_id: r for r in sup.wait_all(timeout=90)}
    finally:
        release.set()
    assert results[fast].status is SessionStatus.COMPLETED
    assert results[fast].approvals == 3, "the other session's calls were decided at once"
    assert all((workspace / f"f{i}.txt").exists() for i in (1, 2, 3))
    assert not (workspace / "slow.txt").exists()
    assert results[slow].denials == 1
    (denied,) = results[slow].denied
    assert "no decision within 3s" in denied.reason


@pytest.mark.claude
@pytest.mark.timeout(60)
def test_close_returns_promptly_with_a_decider_still_hung(scripted_model, supervisor_factory):
    model = scripted_model({"h": [[tool("Bash", command="ls", description="l")], [text("done")]]})
    entered, release = threading.Event(), threading.Event()

    def hang(call: ToolCall) -> Decision:
        entered.set()
        while not release.is_set():  # Python code: the pool can end it at close()
            release.wait(0.05)
        return Decision("allow", "too late")

    sup = supervisor_factory(model, policy=hang)
    sup.submit("[scenario:h] go")
    assert entered.wait(60)
    started = time.monotonic()
    sup.close()
    assert time.monotonic() - started < 30
    threading.Event().wait(0.5)
    assert not [t for t in threading.enumerate() if t.name.startswith("csup-decider")]
    release.set()


@pytest.mark.claude
@pytest.mark.timeout(60)
def test_an_idle_limit_does_not_kill_a_tool_that_runs_longer(
    scripted_model, supervisor_factory, workspace
):
    model = scripted_model(
        {
            "t": [
                [
                    tool(
                        "Bash",
                        command="python3 -c 'import time; time.sleep(4)' && touch done.txt",
                        description="t",
                    )
                ],
                [text("tests pass")],
            ]
        }
    )
    sup = supervisor_factory(model, policy=lambda call: Decision("allow", "fine"), idle_timeout=2.0)
    sup.submit("[scenario:t] run the tests")
    (result,) = sup.wait_all(timeout=60)
    assert result.status is SessionStatus.COMPLETED, result.error
    assert (workspace / "done.txt").exists()


@pytest.mark.claude
@pytest.mark.timeout(60)
def test_each_session_uses_the_policy_of_its_own_directory(
    scripted_model, supervisor_factory, workspace, tmp_path
):
    strict_project = tmp_path / "strict-project"
    (strict_project / ".csup").mkdir(parents=True)
    (strict_project / ".csup" / "policy.toml").write_text('level = "strict"\n')
    model = scripted_model(
        {"w": [[tool("Bash", command="touch made.txt", description="t")], [text("ok")]]}
    )
    sup = supervisor_factory(model, policy=None)
    here = sup.submit("[scenario:w] go")
    there = sup.submit("[scenario:w] go", cwd=strict_project)
    results = {r.session_id: r for r in sup.wait_all(timeout=60)}
    assert results[here].approvals == 1 and (workspace / "made.txt").exists()
    assert results[there].denials == 1 and not (strict_project / "made.txt").exists()
    assert results[there].denied[0].rule == "level.strict"


@pytest.mark.claude
@pytest.mark.timeout(90)
def test_an_unreachable_api_is_shown_and_reported_in_plain_words(
    claude_env, workspace, claude_bin, tmp_path
):
    env = claude_env("http://127.0.0.1:9", extra={"CLAUDE_CODE_MAX_RETRIES": "2"})
    retries = []
    result = run_session(
        "hello",
        SessionOptions(cwd=workspace, env=env, claude_bin=claude_bin),
        decide=lambda call: Decision("allow", "fine"),
        on_event=lambda e: (
            retries.append(e) if getattr(e, "subtype", None) == "api_retry" else None
        ),
        timeout=60,
    )
    assert result.status is SessionStatus.FAILED
    assert retries, "claude's API retries reach csup as they happen"
    assert result.error.startswith("claude could not connect to the model API after 2 retries")
    assert "(success)" not in result.error
