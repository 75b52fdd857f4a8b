"""The answers claude reads: one place that writes every decision shape csup sends.

Both front ends use it: a supervised session (inside a ``control_response``, see
:mod:`csup.claude.protocol`) and ``csup hook`` (on stdout). Shapes are the ones checked
against Claude Code 2.1.330. Plain dicts, no I/O, cheap to import (``csup hook`` loads it
once per tool call).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from csup.calls import Decision

__all__ = [
    "can_use_tool_answer",
    "message",
    "permission_request_output",
    "pre_tool_use_output",
    "stop_block_output",
]


def message(decision: Decision) -> str:
    """The text claude (and the person reading its transcript) gets with a decision."""
    if decision.rule and decision.rule not in decision.reason:
        return f"{decision.reason} (csup policy, rule {decision.rule})"
    return decision.reason


def pre_tool_use_output(decision: Decision) -> dict[str, Any]:
    """A PreToolUse hook's output: the tool runs only on ``allow``; ``ask`` (hook mode only)
    shows Claude Code's own permission prompt."""
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision.behavior,
            "permissionDecisionReason": message(decision),
        }
    }


def permission_request_output(decision: Decision) -> dict[str, Any] | None:
    """A PermissionRequest hook's output; ``None`` for ``ask`` (print nothing, so Claude Code
    shows its dialog to the user)."""
    if decision.behavior == "ask":
        return None
    verdict: dict[str, Any] = {"behavior": decision.behavior}
    if decision.behavior == "deny":
        verdict["message"] = message(decision)
    return {"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": verdict}}


def can_use_tool_answer(decision: Decision, tool_input: Mapping[str, Any]) -> dict[str, Any]:
    """The answer to claude's ``can_use_tool`` permission request.

    An allow echoes the original input verbatim (``updatedInput`` replaces the whole input)
    and never carries ``updatedPermissions``, which could persist a rule to disk.
    """
    if decision.behavior == "allow":
        return {"behavior": "allow", "updatedInput": dict(tool_input)}
    return {"behavior": "deny", "message": message(decision)}


def stop_block_output(reason: str) -> dict[str, Any]:
    """A Stop hook's output that asks claude to go on instead of stopping."""
    return {"decision": "block", "reason": reason}
