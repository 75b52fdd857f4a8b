"""The session actor: owns one claude process (a :class:`~csup.claude.runner.ClaudeSession`)."""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

import pykka

from csup import signals
from csup.actors.messages import (
    ClaudeFinished,
    CostReported,
    Crash,
    Decide,
    DecisionApplied,
    EventArrived,
    EventCounted,
    Finished,
    Ping,
    SessionEnded,
    SessionSpec,
    Started,
    StatsChanged,
    StopSession,
    ToolCalled,
)
from csup.board import SessionBoard
from csup.calls import Decision, ToolCall
from csup.claude.events import Diagnostic, Event, Result
from csup.claude.result import SessionResult, SessionStatus
from csup.claude.runner import ClaudeSession, Respond
from csup.clock import Clock

__all__ = ["SessionActor"]

log = logging.getLogger(__name__)

_STOP_WAIT = 15.0


class SessionActor(pykka.ThreadingActor):
    """Runs one task in one claude process and reports on it.

    The actor never blocks: claude's events reach it from the reader thread as messages;
    tool calls go from the reader thread straight to the policy actor, and the decision goes
    back to claude through a thread-safe callback; the stop ladder runs on its own thread.
    So a stop is handled within milliseconds even while a decision is pending.
    """

    def __init__(
        self,
        spec: SessionSpec,
        *,
        policy: pykka.ActorRef[Any],
        coordinator: pykka.ActorRef[Any],
        metrics: pykka.ActorRef[Any],
        board: SessionBoard,
        sender: Any,
        clock: Clock,
    ) -> None:
        super().__init__()
        self.spec = spec
        self._policy = policy
        self._coordinator = coordinator
        self._metrics = metrics
        self._board = board
        self._sender = sender
        self._clock = clock
        self._session: ClaudeSession | None = None
        self._reported = False
        self._report_lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------------

    def on_start(self) -> None:
        spec = self.spec
        session = ClaudeSession(
            spec.task,
            spec.options,
            decide_async=self._decide,
            on_event=self._on_event,
            on_decision=self._on_decision,
            on_finish=self._on_finish,
            session_id=spec.session_id,
            clock=self._clock,
        )
        self._session = session
        try:
            session.start()
        except Exception as exc:
            now = self._clock.now()
            self._report(
                SessionResult(
                    session_id=spec.session_id,
                    task=spec.task,
                    status=SessionStatus.FAILED,
                    error=str(exc),
                    started_at=now,
                    ended_at=now,
                )
            )
            return
        self._board.started(spec.session_id, session.pid, self._clock.now())
        self._tell(self._metrics, Started(spec.session_id, self._clock.monotonic()))
        signals.send(
            signals.session_started,
            self._sender,
            session_id=spec.session_id,
            task=spec.task,
            pid=session.pid,
        )

    def on_stop(self) -> None:
        self._make_sure_claude_is_gone("the supervisor stopped")

    def on_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._make_sure_claude_is_gone(f"the session actor failed: {exception_value}")

    def _make_sure_claude_is_gone(self, reason: str) -> None:
        session = self._session
        if session is None or session.pid is None or session.done:
            return  # never started, or already over
        session.request_stop(reason, force=True)
        result = session.wait(_STOP_WAIT)
        if result is not None:
            # The actor is gone, so _on_finish could not tell it: report from here.
            self._report(result)

    # -- messages ---------------------------------------------------------------------------

    def on_receive(self, message: Any) -> Any:
        match message:
            case EventArrived(event=event):
                self._event(event)
            case ToolCalled(call=call):
                signals.send(
                    signals.tool_requested, self._sender, session_id=self.spec.session_id, call=call
                )
            case DecisionApplied(call=call, verdict=verdict):
                signals.send(
                    signals.decision_made,
                    self._sender,
                    session_id=self.spec.session_id,
                    call=call,
                    decision=verdict,
                )
                if self._session is not None:
                    stats = self._session.stats()
                    self._tell(self._metrics, StatsChanged(self.spec.session_id, stats))
            case StopSession(reason=reason, killed=killed, force=force):
                if self._session is not None:
                    self._session.request_stop(reason, killed=killed, force=force)
            case ClaudeFinished(result=result):
                self._report(result)
            case Ping():
                return True
            case Crash(error=error):
                raise RuntimeError(error)
            case _:
                return super().on_receive(message)
        return None

    def _event(self, event: Event | Diagnostic) -> None:
        session_id = self.spec.session_id
        signals.send(signals.event_received, self._sender, session_id=session_id, event=event)
        self._tell(self._metrics, EventCounted(session_id))
        if isinstance(event, Result) and event.total_cost_usd is not None:
            self._tell(self._coordinator, CostReported(session_id, event.total_cost_usd))
            if self._session is not None:
                self._tell(self._metrics, StatsChanged(session_id, self._session.stats()))

    def _report(self, result: SessionResult) -> None:
        """Hand the result on, once: slot first, then the board, metrics and subscribers."""
        with self._report_lock:
            if self._reported:
                return
            self._reported = True
        self._tell(self._coordinator, SessionEnded(result))
        self._board.finished(result)
        self._tell(self._metrics, Finished(result, self._clock.monotonic()))
        signals.send(
            signals.session_finished, self._sender, session_id=result.session_id, result=result
        )
        if self.actor_ref.is_alive():
            self.stop()

    # -- called from other threads ----------------------------------------------------------

    @staticmethod
    def _tell(ref: pykka.ActorRef[Any], message: Any) -> bool:
        try:
            ref.tell(message)
        except pykka.ActorDeadError:
            return False
        return True

    def _on_event(self, event: Event | Diagnostic) -> None:
        self._tell(self.actor_ref, EventArrived(event))

    def _decide(self, call: ToolCall, respond: Respond) -> None:
        """Reader thread: send the call to the policy actor; a dead one means deny."""
        self._tell(self.actor_ref, ToolCalled(call))
        if not self._tell(self._policy, Decide(call, respond)):
            respond(
                Decision("deny", "csup's policy actor is not running; denied", "csup.policy-down")
            )

    def _on_decision(self, call: ToolCall, verdict: Decision) -> None:
        # Runs on whichever thread answered (often the shared policy actor's): only a tell.
        self._tell(self.actor_ref, DecisionApplied(call, verdict))

    def _on_finish(self, result: SessionResult) -> None:
        if not self._tell(self.actor_ref, ClaudeFinished(result)):
            self._report(result)
