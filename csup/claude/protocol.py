"""Claude Code's duplex stream-json control protocol: the messages csup writes to claude.

Shapes are the ones checked against Claude Code 2.1.330 (the project's recordings in
``csup/testing/recordings``). Pure functions; no I/O. Answering every request exactly once
is the session core's job (:mod:`csup.session.core`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from csup import answers
from csup.calls import Decision

__all__ = [
    "PRE_TOOL_USE_CALLBACK",
    "STOP_CALLBACK",
    "error_response",
    "hook_response",
    "initialize_request",
    "interrupt_request",
    "tool_answer",
    "user_message",
]

PRE_TOOL_USE_CALLBACK = "csup_pre_tool_use"
STOP_CALLBACK = "csup_stop"


def initialize_request(request_id: str, *, hooks: bool = True) -> dict[str, Any]:
    """The first message: register a PreToolUse and a Stop hook callback for every tool.

    A PreToolUse hook callback is asked for every tool call, before the permission engine;
    ``can_use_tool`` alone (``hooks=False``) is asked only for what claude would prompt
    about, and misses the tools claude allows by itself.
    """
    registered = {
        "PreToolUse": [{"matcher": None, "hookCallbackIds": [PRE_TOOL_USE_CALLBACK]}],
        "Stop": [{"matcher": None, "hookCallbackIds": [STOP_CALLBACK]}],
    }
    return {
        "type": "control_request",
        "request_id": request_id,
        "request": {"subtype": "initialize", "hooks": registered if hooks else None},
    }


def user_message(text: str) -> dict[str, Any]:
    """A user turn (the task, or a follow-up in the same process)."""
    return {
        "type": "user",
        "message": {"role": "user", "content": text},
        "parent_tool_use_id": None,
        "session_id": "default",
    }


def interrupt_request(request_id: str) -> dict[str, Any]:
    """Ask claude to abort the current turn; it kills a running tool and prints a result."""
    return {
        "type": "control_request",
        "request_id": request_id,
        "request": {"subtype": "interrupt"},
    }


def _success(request_id: str, response: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "control_response",
        "response": {"subtype": "success", "request_id": request_id, "response": dict(response)},
    }


def error_response(request_id: str, message: str) -> dict[str, Any]:
    """Refuse a control request csup does not handle."""
    return {
        "type": "control_response",
        "response": {"subtype": "error", "request_id": request_id, "error": message},
    }


def tool_answer(
    request_id: str, subtype: str | None, decision: Decision, tool_input: Mapping[str, Any]
) -> dict[str, Any]:
    """Answer a tool request: a PreToolUse ``hook_callback`` or a ``can_use_tool``.

    The shapes come from :mod:`csup.answers`, which ``csup hook`` writes too.
    """
    if subtype == "can_use_tool":
        return _success(request_id, answers.can_use_tool_answer(decision, tool_input))
    return _success(request_id, answers.pre_tool_use_output(decision))


def hook_response(request_id: str, output: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Answer any other hook callback (``{}`` lets claude go on, e.g. stop at a Stop hook)."""
    return _success(request_id, output or {})
