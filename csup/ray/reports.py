"""What a remote session reports, as plain data: recorded on its node, replayed on the driver.

:class:`Recorder` is the :class:`~csup.session.owner.SessionObserver` of a session running
in a Ray actor: it keeps every report, in order, until the driver drains them (a batch at a
time). :func:`replay` calls the same methods, in the same order, on the driver's observer.
:func:`lost_result` is how a session whose node went away ends. No Ray here: pure logic.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from csup.calls import Decision, ToolCall
from csup.claude.events import Diagnostic, Event, Result
from csup.claude.result import SessionResult, SessionStatus
from csup.claude.stats import StatsSnapshot
from csup.session.owner import SessionObserver

__all__ = ["Recorder", "Replayed", "Report", "lost_result", "replay"]

Report = tuple[Any, ...]
"""One observer call: ``(method name, *arguments)`` (the session id is left out)."""


class Recorder:
    """A session's observer on its node: every call becomes a :data:`Report`. Thread-safe."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._reports: list[Report] = []
        self._finished = False

    def _add(self, report: Report) -> None:
        with self._cond:
            self._reports.append(report)
            self._cond.notify_all()

    def drain(self, wait: float, gather: float = 0.0) -> list[Report]:
        """Every report not yet drained; waits up to ``wait`` seconds for the first one, then
        ``gather`` seconds for more (one batch instead of a round trip per event), unless
        the session has finished."""
        with self._cond:
            if not self._reports and not self._finished:
                self._cond.wait(wait)
            if self._reports and gather > 0 and not self._finished:
                self._cond.wait_for(lambda: self._finished, gather)
            reports, self._reports = self._reports, []
            return reports

    # -- SessionObserver --------------------------------------------------------------------

    def started(self, session_id: str, pid: int | None) -> None:
        self._add(("started", pid))

    def output(self, session_id: str, item: Event | Diagnostic) -> None:
        self._add(("output", item))

    def tool_requested(self, session_id: str, call: ToolCall) -> None:
        self._add(("tool_requested", call))

    def decided(
        self, session_id: str, call: ToolCall, decision: Decision, latency_s: float
    ) -> None:
        self._add(("decided", call, decision, latency_s))

    def turn_ended(self, session_id: str, result: Result, stats: StatsSnapshot) -> None:
        self._add(("turn_ended", result, stats))

    def escalate(self, token: int, call: ToolCall, asked: Decision) -> None:
        """The policy asked: the driver settles it (its escalation chain) and answers."""
        self._add(("escalate", token, call, asked))

    def finished(self, result: SessionResult) -> None:
        with self._cond:
            self._reports.append(("finished", result))
            self._finished = True
            self._cond.notify_all()


@dataclasses.dataclass
class Replayed:
    """What the driver knows of a remote session from the reports replayed so far."""

    started: bool = False
    finished: bool = False
    stats: StatsSnapshot = dataclasses.field(default_factory=StatsSnapshot)
    events: int = 0


def replay(
    observer: SessionObserver,
    session_id: str,
    reports: Sequence[Report],
    state: Replayed,
    *,
    node: str | None,
    escalate: Callable[[int, ToolCall, Decision], None] | None = None,
) -> None:
    """Call ``observer`` for each report, in order, and ``escalate`` for each "ask" the
    node hands up. The result gets ``node``; a second ``started`` (a session run again
    after its node was lost) is not repeated; nothing is replayed after ``finished``."""
    for report in reports:
        if state.finished:
            return
        kind = report[0]
        if kind == "started":
            if not state.started:
                state.started = True
                observer.started(session_id, report[1])
        elif kind == "output":
            state.events += 1
            observer.output(session_id, report[1])
        elif kind == "tool_requested":
            observer.tool_requested(session_id, report[1])
        elif kind == "decided":
            observer.decided(session_id, report[1], report[2], report[3])
        elif kind == "turn_ended":
            state.stats = report[2]
            observer.turn_ended(session_id, report[1], report[2])
        elif kind == "escalate":
            if escalate is not None:
                escalate(report[1], report[2], report[3])
        elif kind == "finished":
            state.finished = True
            observer.finished(dataclasses.replace(report[1], node=node))


def lost_result(
    session_id: str,
    task: str,
    *,
    reason: str,
    node: str | None,
    stats: StatsSnapshot,
    started_at: datetime | None,
    status: SessionStatus = SessionStatus.LOST,
) -> SessionResult:
    """The end of a session whose actor died (its node went away, or it was killed after a
    stop that did not end it in time): what the driver knew of it, and why it ended."""
    now = datetime.now(UTC)
    duration = (now - started_at).total_seconds() if started_at is not None else 0.0
    return SessionResult(
        session_id=session_id,
        task=task,
        status=status,
        error=reason,
        started_at=started_at,
        ended_at=now,
        duration_s=max(0.0, duration),
        stats=stats,
        node=node,
    )
