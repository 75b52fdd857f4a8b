"""``csup hook`` writes its decisions to the record, so a project using the hooks has the same
audit trail as a supervised run.

One run and one session per Claude Code session (the hook input's ``session_id``): the run
is ``hook-<session id>``, the session is the session id itself. Each decision is written at
once in one short transaction (:func:`csup.record._direct.write_now`, ``busy_timeout``
50 ms), because the hook process ends right after it answers.

Recording never changes a decision and never fails the hook: every error is swallowed with
one line on stderr, which Claude Code shows only in its debug output. The record is where
:func:`csup.record.resolve_db_path` says (``$CSUP_DB``, else the user's data dir);
``CSUP_NO_RECORD=1`` turns it off.
"""

from __future__ import annotations

import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from csup.calls import Decision, ToolCall

__all__ = ["HOOK_TASK", "record_decision"]

HOOK_TASK = "Claude Code session (csup hook)"
_KINDS = {"PreToolUse": "pre-tool-use", "PermissionRequest": "permission-request"}


def record_decision(
    data: Mapping[str, object],
    call: ToolCall,
    decision: Decision,
    latency_s: float,
    env: Mapping[str, str] | None = None,
) -> bool:
    """Record one hook decision; True if it was written. Never raises."""
    try:
        from csup.record._where import resolve_db_path  # noqa: PLC0415

        path = resolve_db_path(None, env)
        if path is None:
            return False
        from csup.record import _rows  # noqa: PLC0415
        from csup.record._direct import write_now  # noqa: PLC0415

        claude_id = call.session_id or "unknown"
        event = data.get("hook_event_name")
        kind = _KINDS.get(event, "hook") if isinstance(event, str) else "hook"
        now = time.time()
        run_id = f"hook-{claude_id}"
        write_now(
            path,
            [
                *_rows.run_started_rows(run_id, ["csup", "hook", kind], call.cwd, now, "hook"),
                *_rows.session_started_rows(run_id, claude_id, HOOK_TASK, call.cwd, now),
                (
                    "UPDATE sessions SET claude_session_id = ? "
                    "WHERE session_id = ? AND claude_session_id IS NULL",
                    (claude_id, claude_id),
                ),
                *_rows.decision_rows(claude_id, call, decision, latency_s, now, kind=kind),
            ],
        )
    except Exception as exc:
        try:  # noqa: SIM105 - contextlib costs the hook an import
            sys.stderr.write(f"csup hook: the decision was not recorded: {exc}\n")
        except Exception:  # noqa: S110 - a closed stderr must not fail the hook either
            pass
        return False
    return True
