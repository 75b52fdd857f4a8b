"""``csup hook pre-tool-use`` escalation: an "ask" judged by the reviewer model first.

With ``escalate = "reviewer"`` in the policy file, the reviewer's allow and deny (and guide)
answer the hook, and a review that fails (no key, API error, timeout, malformed answer) is a
deny. With ``"reviewer+human"`` the human is Claude Code's own permission prompt: a review
that fails answers "ask", so the user is asked as before. ``"human"`` and ``"deny"`` change
nothing here (Claude Code asks its user, as it always did).

Imported only when the policy asks, so a call that does not escalate pays nothing for it;
the review's time limit (:data:`HOOK_REVIEW_TIMEOUT`) stays well under the hook's watchdog
(``csup.hooks.command.DECISION_DEADLINE``), leaving time to import ``anthropic``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from csup.calls import Decision, ToolCall

__all__ = ["HOOK_REVIEW_TIMEOUT", "MODEL_ENV", "TIMEOUT_ENV", "escalate", "review_in_hook"]

HOOK_REVIEW_TIMEOUT = 10.0
"""Seconds one review may take in hook mode (the watchdog ends the hook at about 26 s)."""
MODEL_ENV = "CSUP_REVIEWER_MODEL"
TIMEOUT_ENV = "CSUP_REVIEWER_TIMEOUT"
REVIEWED_MODES = ("reviewer", "reviewer+human")


def _timeout() -> float:
    try:
        value = float(os.environ.get(TIMEOUT_ENV) or HOOK_REVIEW_TIMEOUT)
    except ValueError:
        return HOOK_REVIEW_TIMEOUT
    return value if 0 < value <= HOOK_REVIEW_TIMEOUT else HOOK_REVIEW_TIMEOUT


def review_in_hook(
    call: ToolCall, asked: Decision, mode: str, transcript: str | None = None
) -> Decision:
    """The hook's answer to an "ask" in escalation ``mode``; never raises. The reviewer sees
    the task and last steps read from the session's ``transcript`` (a path) when given."""
    if asked.behavior != "ask" or mode not in REVIEWED_MODES:
        return asked
    from csup.escalation.chain import verdict_decision  # noqa: PLC0415
    from csup.escalation.reviewer import DEFAULT_MODEL, Reviewer  # noqa: PLC0415
    from csup.escalation.transcript import context_from_transcript  # noqa: PLC0415

    reviewer = Reviewer(model=os.environ.get(MODEL_ENV) or DEFAULT_MODEL, timeout=_timeout())
    context = context_from_transcript(
        transcript, cwd=call.cwd, session_id=call.session_id or "", current=call
    )
    try:
        verdict = reviewer.review(call, asked, context)
    except Exception as error:  # a ReviewerError, or anything else: never an allow
        reason = asked.reason or "this tool call needs approval"
        why = f"csup's reviewer could not decide: {error}"
        if mode == "reviewer+human":
            return Decision("ask", f"{reason} ({why})", asked.rule, "csup", "ask")
        return Decision("deny", f"{reason} (needs approval, and {why}; denied)", asked.rule, "csup")
    finally:
        reviewer.close()
    return verdict_decision(verdict, asked)


def escalate(data: Mapping[str, object], asked: Decision, policy_spec: str | None) -> Decision:
    """Escalate the policy's "ask" on the call in a hook input, as its policy file says."""
    tool_name, tool_input = data.get("tool_name"), data.get("tool_input")
    cwd = data.get("cwd")
    cwd = cwd if isinstance(cwd, str) and cwd else os.getcwd()
    session_id = data.get("session_id")
    from csup.policy import resolve_policy  # noqa: PLC0415 - loaded already by the decision

    mode = resolve_policy(policy_spec, cwd=cwd).config.escalate
    if mode not in REVIEWED_MODES or not isinstance(tool_name, str):
        return asked
    call = ToolCall(
        tool_name,
        tool_input if isinstance(tool_input, dict) else {},
        cwd,
        session_id=session_id if isinstance(session_id, str) else None,
    )
    transcript = data.get("transcript_path")
    return review_in_hook(call, asked, mode, transcript if isinstance(transcript, str) else None)
