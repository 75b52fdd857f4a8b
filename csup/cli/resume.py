"""``csup resume SESSION [PROMPT]``: continue a recorded session where it stopped."""

from __future__ import annotations

from typing import Any

import click

from csup.cli.execute import TaskSpec, UsageProblem
from csup.cli.run import run_tasks, session_options
from csup.errors import RecordError

__all__ = ["resume"]

DEFAULT_PROMPT = "Go on with the task where you stopped."


def _recorded_session(ident: str, db: str | None) -> dict[str, Any]:
    from csup.record import resolve_db_path  # noqa: PLC0415 - sqlite3 only here
    from csup.record.queries import find, open_record, session_detail  # noqa: PLC0415

    path = resolve_db_path(db, None)
    if path is None:
        raise UsageProblem("the record is off (CSUP_NO_RECORD): there is nothing to resume")
    try:
        conn = open_record(path)
        try:
            kind, found = find(conn, ident)
            if kind != "session":
                raise UsageProblem(
                    f"{ident} is a run; resume one of its sessions (csup show {ident})"
                )
            sessions = session_detail(conn, found)["sessions"]
        finally:
            conn.close()
    except RecordError as exc:
        raise UsageProblem(str(exc)) from exc
    session: dict[str, Any] = sessions[0]
    return session


@click.command()
@click.argument("session")
@click.argument("prompt", required=False)
@session_options
def resume(session: str, prompt: str | None, **kwargs: Any) -> None:
    """Continue the recorded SESSION (its id, or claude's) with PROMPT, in its directory,
    under the policy, as a new session of a new run linked to the old one."""
    if prompt is not None and not prompt.strip():
        raise click.BadParameter("the prompt is empty", param_hint="'PROMPT'")
    found = _recorded_session(session, kwargs["db"])
    claude_id = found.get("claude_session_id")
    if not claude_id:
        raise UsageProblem(
            f"session {found['session_id']} has no claude session id in the record "
            "(it never started): run its task again instead"
        )
    options: dict[str, Any] = {"resume": claude_id, "resumed_from": found["session_id"]}
    if kwargs["cwd"] is None and found.get("cwd"):
        options["cwd"] = found["cwd"]
    raise SystemExit(run_tasks([TaskSpec(prompt or DEFAULT_PROMPT, options)], 1, kwargs))
