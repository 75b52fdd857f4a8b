"""The messages csup writes to claude, and answering each request exactly once."""

from __future__ import annotations

import threading

from csup.calls import Decision
from csup.claude import protocol


def test_initialize_registers_pre_tool_use_and_stop_callbacks_for_every_tool():
    msg = protocol.initialize_request("req_1")
    hooks = msg["request"]["hooks"]
    assert msg["request"]["subtype"] == "initialize"
    assert hooks["PreToolUse"][0]["matcher"] is None
    assert hooks["PreToolUse"][0]["hookCallbackIds"] == [protocol.PRE_TOOL_USE_CALLBACK]
    assert hooks["Stop"][0]["hookCallbackIds"] == [protocol.STOP_CALLBACK]


def test_initialize_without_hooks_routes_decisions_through_can_use_tool():
    assert protocol.initialize_request("r", hooks=False)["request"]["hooks"] is None


def test_a_pre_tool_use_answer_has_the_shape_claude_reads():
    msg = protocol.tool_answer("abc", "hook_callback", Decision("deny", "no"), {})
    assert msg == {
        "type": "control_response",
        "response": {
            "subtype": "success",
            "request_id": "abc",
            "response": {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": "no",
                }
            },
        },
    }


def test_a_can_use_tool_allow_echoes_the_input_and_persists_no_rule():
    msg = protocol.tool_answer("abc", "can_use_tool", Decision("allow", "ok"), {"command": "ls"})
    inner = msg["response"]["response"]
    assert inner == {"behavior": "allow", "updatedInput": {"command": "ls"}}


def test_a_can_use_tool_deny_carries_the_reason():
    msg = protocol.tool_answer(
        "abc", "can_use_tool", Decision("deny", "too risky"), {"command": "ls"}
    )
    assert msg["response"]["response"] == {"behavior": "deny", "message": "too risky"}


def test_an_unhandled_request_gets_an_error_response():
    msg = protocol.error_response("x", "unsupported")
    assert msg["response"] == {"subtype": "error", "request_id": "x", "error": "unsupported"}


def test_a_request_is_claimed_exactly_once():
    pending = protocol.PendingRequests()
    assert pending.add("r1")
    assert not pending.add("r1")
    assert pending.claim("r1")
    assert not pending.claim("r1")
    assert not pending.add("r1"), "an answered id is never taken again"


def test_a_cancelled_request_is_never_answered():
    pending = protocol.PendingRequests()
    pending.add("r1", payload="req")
    assert pending.open_payloads() == ["req"]
    assert pending.cancel("r1")
    assert not pending.claim("r1")
    assert len(pending) == 0


def test_racing_threads_claim_a_request_once():
    pending = protocol.PendingRequests()
    for i in range(200):
        pending.add(f"r{i}")
    wins: list[str] = []
    lock = threading.Lock()

    def worker():
        for i in range(200):
            if pending.claim(f"r{i}"):
                with lock:
                    wins.append(f"r{i}")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == sorted(f"r{i}" for i in range(200))
