"""A session's git worktree, as part of its life: made before claude starts, finished after
it stops, on every exit path (the session's owner calls these two; see csup/worktree)."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from csup.calls import Decision, ToolCall
from csup.claude.events import Diagnostic, Event, Result
from csup.claude.options import SessionOptions
from csup.claude.result import SessionResult, SessionStatus
from csup.claude.stats import StatsSnapshot
from csup.session.owner import SessionObserver

__all__ = ["WorktreeObserver", "prepare_worktree"]

log = logging.getLogger(__name__)


def prepare_worktree(
    options: SessionOptions, *, run_id: str, task: str
) -> tuple[SessionOptions, Any]:
    """The session's options with its cwd moved into a new worktree, and the worktree.
    Raises :class:`~csup.errors.WorktreeError` (with a message for the user)."""
    from csup.worktree import prepare  # noqa: PLC0415 - git only for --worktree

    worktree = prepare(
        str(options.cwd or "."),
        run_id=run_id or "run",
        task=task,
        base=options.worktree_base,
        include=options.worktree_include,
    )
    return dataclasses.replace(options, cwd=str(worktree.cwd)), worktree


class WorktreeObserver:
    """Passes every report on, and finishes the worktree before the session's end is told:
    leftovers committed, the worktree removed if the session completed (kept otherwise)."""

    def __init__(self, inner: SessionObserver, worktree: Any, options: SessionOptions) -> None:
        self._inner = inner
        self._worktree = worktree
        self._keep = options.keep_worktree

    def started(self, session_id: str, pid: int | None) -> None:
        self._inner.started(session_id, pid)

    def output(self, session_id: str, item: Event | Diagnostic) -> None:
        self._inner.output(session_id, item)

    def tool_requested(self, session_id: str, call: ToolCall) -> None:
        self._inner.tool_requested(session_id, call)

    def decided(
        self, session_id: str, call: ToolCall, decision: Decision, latency_s: float
    ) -> None:
        self._inner.decided(session_id, call, decision, latency_s)

    def turn_ended(self, session_id: str, result: Result, stats: StatsSnapshot) -> None:
        self._inner.turn_ended(session_id, result, stats)

    def finished(self, result: SessionResult) -> None:
        from csup.worktree import finish  # noqa: PLC0415

        keep = self._keep or result.status is not SessionStatus.COMPLETED
        try:
            report = finish(self._worktree, task=result.task, keep=keep)
        except Exception as exc:  # the session's end must be told whatever git did
            log.exception("csup: finishing the worktree of %s failed", result.session_id)
            error = f"{result.error}; " if result.error else ""
            result = dataclasses.replace(result, error=f"{error}its worktree: {exc}")
        else:
            result = dataclasses.replace(result, worktree=report)
        self._inner.finished(result)
