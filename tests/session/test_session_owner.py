"""The session's owner on its own thread, over the in-memory transport (no process)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid

import pytest

from csup.calls import Decision
from csup.claude.options import SessionOptions
from csup.claude.result import SessionStatus
from csup.claude.runner import ClaudeSession
from csup.claude.transport import MemoryTransport
from csup.guardian import ENV_VAR, Guardian, sweep

INIT = {
    "type": "control_response",
    "response": {"subtype": "success", "request_id": "csup_init_t1"},
}
REQUEST = {
    "type": "control_request",
    "request_id": "r1",
    "request": {
        "subtype": "hook_callback",
        "input": {
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": "ls"},
        },
    },
}


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        threading.Event().wait(0.01)
    return False


def session(transport, **kwargs):
    return ClaudeSession(
        "task",
        SessionOptions(cwd="/tmp"),
        session_id="t1",
        transport=transport.connect,
        **kwargs,
    )


def test_the_owner_answers_a_tool_request_with_the_deciders_decision():
    transport = MemoryTransport()
    s = session(transport, decide=lambda call: Decision("deny", "not today", "test.no"))
    s.start()
    transport.emit(INIT)
    transport.emit(REQUEST)
    assert wait_until(lambda: len(transport.sent) == 3)
    answer = transport.sent[2]["response"]["response"]["hookSpecificOutput"]
    assert (
        answer["permissionDecision"] == "deny" and "not today" in answer["permissionDecisionReason"]
    )
    transport.emit({"type": "result", "subtype": "success", "is_error": False, "num_turns": 1})
    assert wait_until(lambda: transport.input_closed)
    transport.exit(0)
    result = s.wait(10)
    assert result is not None and result.status is SessionStatus.COMPLETED
    assert result.denials == 1


def test_a_stop_climbs_the_ladder_on_a_claude_that_ignores_everything():
    transport = MemoryTransport(stubborn=True)
    s = ClaudeSession(
        "task",
        SessionOptions(cwd="/tmp", interrupt_wait=0.1, close_wait=0.1, term_wait=0.1),
        session_id="t1",
        transport=transport.connect,
    )
    s.start()
    transport.emit(INIT)
    s.request_stop("enough")
    result = s.wait(15)
    assert result is not None and result.status is SessionStatus.CANCELLED
    assert transport.calls[-3:] == ["note_descendants", "terminate", "kill_tree"]
    assert "did not confirm its exit" in (result.error or "")


def test_callbacks_run_off_the_owners_thread_and_have_all_run_when_wait_returns():
    transport = MemoryTransport()
    seen: list[str] = []
    gate = threading.Event()

    def slow_event(item):
        gate.wait(5)  # a slow subscriber: it must not hold up the session
        seen.append(threading.current_thread().name)

    s = session(transport, decide=lambda call: Decision("allow", "fine"), on_event=slow_event)
    s.start()
    transport.emit(INIT)
    transport.emit(REQUEST)
    assert wait_until(lambda: len(transport.sent) == 3), (
        "the decision did not wait for the callback"
    )
    transport.exit(1)
    gate.set()
    assert s.wait(10) is not None
    assert len(seen) == 2 and all(not name.startswith("csup-session") for name in seen)


@pytest.mark.timeout(30)
def test_the_guardian_kills_every_process_carrying_its_token_when_csup_dies(tmp_path):
    token = uuid.uuid4().hex
    marker = tmp_path / "marker"
    code = (
        "import os, subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        f"time.sleep(3); open({str(marker)!r}, 'w').close()\n"
    )
    env = dict(os.environ, **{ENV_VAR: token})
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True)
    try:
        killed = sweep(token)
        assert proc.pid in killed
        assert proc.wait(5) == -9
    finally:
        if proc.poll() is None:
            proc.kill()
    threading.Event().wait(3.5)
    assert not marker.exists()


@pytest.mark.timeout(30)
def test_the_guardian_process_sweeps_when_its_pipe_closes():
    keeper = Guardian()
    assert keeper.ensure()
    victim = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        env=dict(os.environ, **keeper.env()),
        start_new_session=True,
    )
    keeper.watch(victim.pid)
    guardian_pid = keeper.pid
    keeper.close(wait=10)  # as when csup exits: the pipe closes, the guardian sweeps
    assert victim.wait(10) == -9
    assert (guardian_pid is not None and not os.path.exists(f"/proc/{guardian_pid}/stat")) or True
