"""The coordinator actor: the queue of tasks, and at most ``max_sessions`` running at once."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pykka

from csup.actors.messages import (
    CostReported,
    Forward,
    SessionSpec,
    SlotFree,
    StopAll,
    StopSession,
    Submit,
    TryStart,
)
from csup.claude.result import SessionResult, SessionStatus
from csup.clock import Clock

__all__ = ["CoordinatorActor"]

log = logging.getLogger(__name__)


class CoordinatorActor(pykka.ThreadingActor):
    """Starts session actors from its queue, first in first out, up to the limit.

    It only ``tell``s the sessions (they never wait on it), and keeps the run's total
    budget: when the sessions' cost goes over ``budget_usd``, every session is stopped
    (``killed``) and the queue dropped. ``start_session(spec)`` starts a session actor;
    ``queued(spec)`` and ``ended(result)`` report a session queued, and one that ends without
    having started (stopped in the queue).
    """

    def __init__(
        self,
        max_sessions: int,
        *,
        start_session: Callable[[SessionSpec], Any],
        queued: Callable[[SessionSpec], None],
        ended: Callable[[SessionResult], None],
        clock: Clock,
        budget_usd: float | None = None,
    ) -> None:
        super().__init__()
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, not {max_sessions}")
        self.max_sessions = max_sessions
        self._start_session = start_session
        self._queued = queued
        self._ended = ended
        self._clock = clock
        self._budget = budget_usd
        self._queue: OrderedDict[str, SessionSpec] = OrderedDict()
        self._running: dict[str, Any] = {}  # session id -> its handle (an ActorRef locally)
        self._costs: dict[str, float] = {}
        self._over_budget = False

    def on_receive(self, message: Any) -> Any:
        match message:
            case Submit(spec=spec):
                self._submit(spec)
            case TryStart(spec=spec):
                if len(self._running) >= self.max_sessions or self._queue:
                    return False
                self._start(spec)
                return True
            case StopSession(session_id=session_id) as stop:
                return self._stop_one(session_id, stop)
            case Forward(session_id=session_id, message=inner):
                handle = self._running.get(session_id)
                if handle is None:
                    return False
                try:
                    handle.tell(inner)
                except pykka.ActorDeadError:
                    return False
                return True
            case StopAll(reason=reason, killed=killed, force=force):
                self._stop_all(reason, killed=killed, force=force)
            case SlotFree(session_id=session_id):
                self._running.pop(session_id, None)
                self._fill()
            case CostReported(session_id=session_id, cost_usd=cost):
                self._costs[session_id] = cost
                self._check_budget()
            case _:
                return super().on_receive(message)
        return None

    def on_stop(self) -> None:
        self._stop_all("the supervisor shut down", killed=False, force=False)

    # -- scheduling -------------------------------------------------------------------------

    def _submit(self, spec: SessionSpec) -> None:
        if self._over_budget:
            self._end_unstarted(spec, SessionStatus.KILLED, "the run's budget was used up")
            return
        self._queue[spec.session_id] = spec
        self._queued(spec)
        self._fill()

    def _fill(self) -> None:
        while self._queue and len(self._running) < self.max_sessions:
            _, spec = self._queue.popitem(last=False)
            self._start(spec)

    def _start(self, spec: SessionSpec) -> None:
        try:
            ref = self._start_session(spec)
        except Exception as exc:
            log.exception("csup: could not start the actor of session %s", spec.session_id)
            self._end_unstarted(spec, SessionStatus.FAILED, f"could not start the session: {exc}")
            return
        self._running[spec.session_id] = ref

    # -- stopping ---------------------------------------------------------------------------

    def _end_unstarted(self, spec: SessionSpec, status: SessionStatus, reason: str) -> None:
        result = SessionResult(
            session_id=spec.session_id,
            task=spec.task,
            status=status,
            error=reason,
            ended_at=self._clock.now(),
        )
        self._ended(result)

    def _stop_one(self, session_id: str, stop: StopSession) -> bool:
        spec = self._queue.pop(session_id, None)
        if spec is not None:
            status = SessionStatus.KILLED if stop.killed else SessionStatus.CANCELLED
            self._end_unstarted(spec, status, stop.reason)
            return True
        ref = self._running.get(session_id)
        if ref is None:
            return False
        try:
            ref.tell(stop)
        except pykka.ActorDeadError:
            self._running.pop(session_id, None)
            return False
        return True

    def _stop_all(self, reason: str, *, killed: bool, force: bool) -> None:
        status = SessionStatus.KILLED if killed else SessionStatus.CANCELLED
        while self._queue:
            _, spec = self._queue.popitem(last=False)
            self._end_unstarted(spec, status, reason)
        for session_id in list(self._running):
            self._stop_one(session_id, StopSession(session_id, reason, killed, force))

    def _check_budget(self) -> None:
        if self._budget is None or self._over_budget:
            return
        spent = sum(self._costs.values())
        if spent > self._budget:
            self._over_budget = True
            self._stop_all(
                f"the run's budget of ${self._budget:.4f} was used up (${spent:.4f})",
                killed=True,
                force=False,
            )
