"""Totals over many sessions (pure, no threads): what the summary's last row shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from csup.claude.result import SessionResult, SessionStatus
from csup.claude.stats import StatsSnapshot, Tokens

__all__ = ["AggregatedStats", "StatsBook"]


@dataclass(frozen=True, slots=True)
class AggregatedStats:
    """Figures over every session of a run.

    ``wall_time_s`` is the time from the first session's start to the last one's end;
    ``session_time_s`` the sum of the sessions' own durations.
    """

    sessions: int = 0
    queued: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    killed: int = 0
    lost: int = 0
    turns: int = 0
    tool_calls: int = 0
    approvals: int = 0
    denials: int = 0
    cost_usd: float = 0.0
    tokens: Tokens = field(default_factory=Tokens)
    events: int = 0
    wall_time_s: float = 0.0
    session_time_s: float = 0.0

    @property
    def finished(self) -> int:
        return self.completed + self.failed + self.cancelled + self.killed + self.lost


class StatsBook:
    """Per-session figures and their totals; fed with live snapshots and final results."""

    def __init__(self) -> None:
        self._live: dict[str, StatsSnapshot] = {}
        self._results: dict[str, SessionResult] = {}
        self._queued: set[str] = set()
        self._events: dict[str, int] = {}
        self._first_start: float | None = None
        self._last_end: float | None = None

    def queued(self, session_id: str) -> None:
        self._queued.add(session_id)

    def started(self, session_id: str, at: float) -> None:
        self._queued.discard(session_id)
        self._live.setdefault(session_id, StatsSnapshot())
        if self._first_start is None or at < self._first_start:
            self._first_start = at

    def event(self, session_id: str, count: int = 1) -> None:
        self._events[session_id] = self._events.get(session_id, 0) + count

    def update(self, session_id: str, snapshot: StatsSnapshot) -> None:
        if session_id not in self._results:
            self._live[session_id] = snapshot

    def finished(self, result: SessionResult, at: float) -> None:
        self._queued.discard(result.session_id)
        self._live.pop(result.session_id, None)
        self._results[result.session_id] = result
        if self._last_end is None or at > self._last_end:
            self._last_end = at

    def events_counted(self) -> int:
        return sum(self._events.values())

    def totals(self, now: float | None = None) -> AggregatedStats:
        snapshots: Iterable[StatsSnapshot] = [
            *self._live.values(),
            *(r.stats for r in self._results.values()),
        ]
        turns = tool_calls = approvals = denials = 0
        cost = 0.0
        tokens = Tokens()
        for snap in snapshots:
            turns += snap.turns
            tool_calls += snap.tool_calls
            approvals += snap.approvals
            denials += snap.denials
            cost += snap.cost_usd
            tokens += snap.tokens
        by_status = {status: 0 for status in SessionStatus}
        for result in self._results.values():
            by_status[result.status] += 1
        end = now if self._live and now is not None else self._last_end
        wall = 0.0
        if self._first_start is not None and end is not None:
            wall = max(0.0, end - self._first_start)
        return AggregatedStats(
            sessions=len(self._queued) + len(self._live) + len(self._results),
            queued=len(self._queued),
            running=len(self._live),
            completed=by_status[SessionStatus.COMPLETED],
            failed=by_status[SessionStatus.FAILED],
            cancelled=by_status[SessionStatus.CANCELLED],
            killed=by_status[SessionStatus.KILLED],
            lost=by_status[SessionStatus.LOST],
            turns=turns,
            tool_calls=tool_calls,
            approvals=approvals,
            denials=denials,
            cost_usd=cost,
            tokens=tokens,
            events=self.events_counted(),
            wall_time_s=wall,
            session_time_s=sum(r.duration_s for r in self._results.values()),
        )
