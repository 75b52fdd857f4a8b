"""The messages csup writes to claude, and answering each request exactly once."""

from __future__ import annotations

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
