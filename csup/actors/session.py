"""The session actor: the owner of one claude session, as a pykka actor.

Its inbox is the owner's inbox (:mod:`csup.session.owner`): claude's lines and exit come
from the reader thread, decisions from the policy actor or its workers, stops from the
coordinator, ticks from the shared timer. It handles one at a time and is the only writer to
its claude; none of them blocks it for long (the stop ladder is a sequence of deadlines, not
of waits), so a stop is handled within milliseconds even while a decision is pending.
"""

from __future__ import annotations

import logging
import threading
import uuid
from types import TracebackType
from typing import Any

import pykka

from csup.actors.messages import Crash, SessionSpec, StopSession
from csup.claude.options import SessionOptions
from csup.claude.process import claude_transport
from csup.claude.result import SessionStatus
from csup.claude.transport import Deliver, Transport, TransportFactory
from csup.clock import Clock
from csup.deadlines import Deadline, schedule
from csup.errors import CsupError
from csup.session.core import SessionCore
from csup.session.owner import Decider, SessionObserver, SessionOwner, Stop, Tick
from csup.session.workspace import WorktreeObserver, prepare_worktree

__all__ = ["SessionActor"]

log = logging.getLogger(__name__)

_FLUSH = 0.02


class SessionActor(pykka.ThreadingActor):
    """Runs one task in one claude process; see the module docstring."""

    def __init__(
        self,
        spec: SessionSpec,
        *,
        decider: Decider,
        observer: SessionObserver,
        clock: Clock,
        transport: TransportFactory | None = None,
    ) -> None:
        super().__init__()
        self.spec = spec
        self._clock = clock
        self._decider = decider
        self._observer = observer
        self._transport = transport
        self._owner = self._make_owner(spec.options, observer, transport)
        self._tick: Deadline | None = None
        self._tick_at: float | None = None
        self._tick_lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------------

    def _make_owner(
        self,
        options: SessionOptions,
        observer: SessionObserver,
        transport: TransportFactory | None,
    ) -> SessionOwner:
        spec = self.spec
        core = SessionCore(spec.session_id, spec.task, options, clock=self._clock)
        if transport is None:
            token = uuid.uuid4().hex

            def transport(deliver: Deliver) -> Transport:
                return claude_transport(options, cwd=core.cwd, token=token)(deliver)

        return SessionOwner(
            core, transport=transport, decider=self._decider, observer=observer, post=self._post
        )

    def on_start(self) -> None:
        if self.spec.options.worktree:
            try:
                options, worktree = prepare_worktree(
                    self.spec.options, run_id=self.spec.run_id, task=self.spec.task
                )
            except CsupError as exc:
                self._owner.fail_to_start(f"could not make its worktree: {exc}")
                self._after()
                return
            observer = WorktreeObserver(self._observer, worktree, options)
            self._owner = self._make_owner(options, observer, self._transport)
        try:
            self._owner.start()
        except CsupError:
            pass  # the owner reported the failed start
        except Exception:
            log.exception("csup: session %s could not start", self.spec.session_id)
            self._owner.kill_now("csup could not start the session")
        self._after()

    def on_receive(self, message: Any) -> Any:
        match message:
            case StopSession(reason=reason, killed=killed, force=force):
                status = SessionStatus.KILLED if killed else SessionStatus.CANCELLED
                self._owner.handle(Stop(reason, status, force))
            case Crash(error=error):
                raise RuntimeError(error)
            case _:
                if isinstance(message, Tick):
                    with self._tick_lock:
                        self._tick_at = None
                self._owner.handle(message)
        self._after()
        return None

    def on_stop(self) -> None:
        self._cancel_tick()
        self._owner.kill_now("the supervisor stopped")

    def on_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._cancel_tick()
        self._owner.kill_now(f"the session actor failed: {exception_value}")

    # -- deadlines --------------------------------------------------------------------------

    def _after(self) -> None:
        owner = self._owner
        if owner.finished:
            self._cancel_tick()
            self.stop()
            return
        due = owner.core.next_deadline()
        delay = None if due is None else max(0.0, due - self._clock.monotonic())
        if owner.backlog:
            delay = _FLUSH if delay is None else min(delay, _FLUSH)
        if delay is None:
            return
        at = self._clock.monotonic() + delay
        with self._tick_lock:
            if self._tick_at is not None and self._tick_at <= at + 0.001:
                return  # a tick no later than this one is already on its way
            if self._tick is not None:
                self._tick.cancel()
            self._tick_at = at
            self._tick = schedule(delay, lambda: self._post(Tick()))

    def _cancel_tick(self) -> None:
        with self._tick_lock:
            if self._tick is not None:
                self._tick.cancel()
            self._tick = None
            self._tick_at = None

    def _post(self, message: Any) -> None:
        """The owner's inbox: this actor's. Called from any thread; a message for an actor
        that is gone is dropped (its session has ended)."""
        try:
            self.actor_ref.tell(message)
        except pykka.ActorDeadError:
            log.debug("csup: %r for session %s, which has ended", message, self.spec.session_id)
