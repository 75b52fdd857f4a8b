"""The supervisor's record of its sessions: what the synchronous API reads and waits on.

Thread-safe and not an actor: actors write to it with short, non-blocking calls, and the
façade's waits (``wait_all``, ``wait_next``, a free slot) block on its condition variable,
never on an actor.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from csup.claude.result import SessionResult
from csup.errors import SessionNotFound

__all__ = ["SessionBoard", "SessionInfo"]


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What is known of one session now."""

    id: str
    task: str
    state: str  # "queued", "running", or the final status ("completed", "failed", ...)
    queued_at: datetime | None = None
    started_at: datetime | None = None
    pid: int | None = None
    cancelled: bool = False  # a stop was asked for
    result: SessionResult | None = None

    @property
    def active(self) -> bool:
        return self.state == "running"

    @property
    def finished(self) -> bool:
        return self.result is not None


class SessionBoard:
    """Every session of one supervisor, in submission order."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._sessions: dict[str, SessionInfo] = {}
        self._unclaimed: deque[str] = deque()

    def _set(self, session_id: str, **changes: object) -> None:
        info = self._sessions.get(session_id)
        if info is not None:
            self._sessions[session_id] = replace(info, **changes)  # type: ignore[arg-type]

    def add(self, session_id: str, task: str, at: datetime) -> None:
        with self._cond:
            self._sessions[session_id] = SessionInfo(session_id, task, "queued", queued_at=at)
            self._cond.notify_all()

    def forget(self, session_id: str) -> None:
        """Drop a session that was never started (``try_spawn_session`` found no slot)."""
        with self._cond:
            info = self._sessions.get(session_id)
            if info is not None and info.state == "queued":
                del self._sessions[session_id]

    def started(self, session_id: str, pid: int | None, at: datetime) -> None:
        with self._cond:
            info = self._sessions.get(session_id)
            if info is not None and info.result is None:
                self._set(session_id, state="running", pid=pid, started_at=at)
            self._cond.notify_all()

    def stop_requested(self, session_id: str) -> None:
        with self._cond:
            self._set(session_id, cancelled=True)

    def finished(self, result: SessionResult) -> None:
        """Record a session's end; the first result recorded for a session wins."""
        with self._cond:
            info = self._sessions.get(result.session_id)
            if info is None:
                self._sessions[result.session_id] = SessionInfo(
                    result.session_id, result.task, result.status.value, result=result
                )
            elif info.result is not None:
                return
            else:
                self._set(result.session_id, state=result.status.value, result=result)
            self._unclaimed.append(result.session_id)
            self._cond.notify_all()

    # -- reading ----------------------------------------------------------------------------

    def get(self, session_id: str) -> SessionInfo:
        with self._cond:
            info = self._sessions.get(session_id)
        if info is None:
            raise SessionNotFound(session_id)
        return info

    def all(self) -> list[SessionInfo]:
        with self._cond:
            return list(self._sessions.values())

    def active(self) -> list[SessionInfo]:
        return [info for info in self.all() if info.active]

    def pending(self) -> list[SessionInfo]:
        """Sessions queued or running."""
        return [info for info in self.all() if info.result is None]

    def results(self) -> list[SessionResult]:
        return [info.result for info in self.all() if info.result is not None]

    # -- waiting ----------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def wait_started(self, session_id: str, timeout: float | None) -> bool:
        """Wait until the session runs (or already ended)."""

        def ready() -> bool:
            info = self._sessions.get(session_id)
            return info is None or info.state != "queued"

        return self.wait_for(ready, timeout)

    def wait_all(self, timeout: float | None) -> bool:
        return self.wait_for(lambda: all(i.result for i in self._sessions.values()), timeout)

    def wait_next(self, timeout: float | None) -> SessionResult | None:
        """The next finished session not handed out before, in finishing order."""
        with self._cond:
            if not self._cond.wait_for(
                lambda: bool(self._unclaimed) or all(i.result for i in self._sessions.values()),
                timeout,
            ):
                return None
            if not self._unclaimed:
                return None
            info = self._sessions[self._unclaimed.popleft()]
            return info.result

    def claim_all(self) -> None:
        """Mark every finished session as handed out (``wait_all`` returned them)."""
        with self._cond:
            self._unclaimed.clear()

    def notify(self) -> None:
        """Wake the waiters (e.g. after the coordinator died) so they look again."""
        with self._cond:
            self._cond.notify_all()
