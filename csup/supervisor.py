"""The synchronous API: run many claude sessions under one policy from any Python program.

::

    from csup import MultiSessionSupervisor

    with MultiSessionSupervisor(max_sessions=2, policy="moderate") as sup:
        for task in ["fix the flaky test", "update the changelog", "bump the version"]:
            sup.submit(task, cwd="/path/to/repo", timeout=600)
        for result in sup.wait_all():
            print(result.session_id, result.status, result.cost_usd)

Leaving the ``with`` block, normally or by an exception (Ctrl-C included), stops every
session, its tools included, and the actors behind it.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, cast

import pykka

from csup.actors.coordinator import CoordinatorActor
from csup.actors.messages import GetTotals, SessionSpec, StopAll, StopSession, Submit, TryStart
from csup.actors.metrics import MetricsActor
from csup.actors.policy import DecisionEngine, PolicyActor
from csup.board import SessionBoard, SessionInfo
from csup.calls import Decision, ToolCall
from csup.claude.options import SessionOptions
from csup.claude.result import SessionResult, SessionStatus
from csup.clock import SYSTEM_CLOCK, Clock
from csup.errors import ConfigError, MaxSessionsReached, SessionNotFound, SupervisorStopped
from csup.policy import resolve_policy
from csup.stats import AggregatedStats, StatsBook

__all__ = ["MultiSessionSupervisor", "PolicyLike"]

log = logging.getLogger(__name__)

PolicyLike = str | os.PathLike[str] | Callable[[ToolCall], Decision] | Any | None

_POLL = 0.25
_ACTOR_STOP_TIMEOUT = 10.0
_OPTION_NAMES = frozenset(f.name for f in dataclasses.fields(SessionOptions))


def _engine_for(policy: Any, cwd: str) -> tuple[Any, DecisionEngine]:
    """The policy object users see, and the engine the policy actor calls."""
    if policy is None or isinstance(policy, str | os.PathLike):
        policy = resolve_policy(None if policy is None else os.fspath(policy), cwd=cwd)
    decide = getattr(policy, "decide", None)
    if callable(decide):

        def engine(call: ToolCall) -> Decision:
            result: Decision = decide(call)
            return result

        return policy, engine
    if callable(policy):
        return policy, policy
    raise ConfigError(
        f"policy must be a level name, a policy file, a Policy or a callable, not {policy!r}"
    )


class MultiSessionSupervisor:
    """Runs claude sessions, at most ``max_sessions`` at once, under one policy.

    ``policy``: a level (``"permissive"``, ``"moderate"``, ``"strict"``), the path of a
    policy file, a :class:`csup.policy.Policy`, or a callable ``(ToolCall) -> Decision``;
    ``None`` finds the policy as ``csup run`` does. ``options`` are the defaults for every
    session; keyword options given to :meth:`submit` override them. ``budget_usd`` caps the
    cost of the whole run: past it, every session is stopped.
    """

    def __init__(
        self,
        max_sessions: int = 3,
        policy: PolicyLike = None,
        *,
        options: SessionOptions | None = None,
        budget_usd: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if max_sessions < 1:
            raise ConfigError(f"max_sessions must be at least 1, not {max_sessions}")
        self.max_sessions = max_sessions
        self._defaults = options or SessionOptions()
        cwd = os.fspath(self._defaults.cwd or os.getcwd())
        self._policy, engine = _engine_for(policy, cwd)
        self._clock = clock
        self._board = SessionBoard()
        self._ids = itertools.count(1)
        self._ids_lock = threading.Lock()
        self._closed = False
        self._close_lock = threading.Lock()
        # Started in dependency order; stopped in reverse by close().
        self._metrics = MetricsActor.start(sender=self, clock=clock)
        self._policy_actor = PolicyActor.start(engine)
        self._coordinator = CoordinatorActor.start(
            max_sessions,
            policy=self._policy_actor,
            metrics=self._metrics,
            board=self._board,
            sender=self,
            clock=clock,
            budget_usd=budget_usd,
        )

    # -- properties -------------------------------------------------------------------------

    @property
    def policy(self) -> Any:
        """The policy every session's tool calls are decided by."""
        return self._policy

    @property
    def policy_actor(self) -> pykka.ActorRef[Any]:
        return self._policy_actor

    @property
    def stats(self) -> AggregatedStats:
        """Totals over every session so far (live sessions included)."""
        try:
            totals = cast(AggregatedStats, self._metrics.ask(GetTotals(), timeout=5))
        except (pykka.ActorDeadError, pykka.Timeout):
            book = StatsBook()
            for result in self._board.results():
                book.finished(result, 0.0)
            return book.totals()
        return totals

    # -- starting ---------------------------------------------------------------------------

    def _spec(self, task: str, options: dict[str, Any]) -> SessionSpec:
        if self._closed:
            raise SupervisorStopped("this supervisor has been shut down; make a new one")
        unknown = set(options) - _OPTION_NAMES
        if unknown:
            raise ConfigError(
                f"unknown session option(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(_OPTION_NAMES))}"
            )
        with self._ids_lock:
            session_id = f"s{next(self._ids)}"
        return SessionSpec(session_id, task, dataclasses.replace(self._defaults, **options))

    def submit(self, task: str, **options: Any) -> str:
        """Queue ``task``; it starts when a slot is free. Returns the session id at once."""
        spec = self._spec(task, options)
        self._board.add(spec.session_id, task, self._clock.now())
        self._coordinator_tell(Submit(spec))
        return spec.session_id

    def spawn_session(self, task: str, *, timeout: float | None = None, **options: Any) -> str:
        """Start ``task``, waiting for a free slot first; returns the session id."""
        session_id = self.submit(task, **options)
        if not self._wait(lambda: self._board.wait_started(session_id, _POLL), timeout):
            # The caller gave up on it: it must not start later behind their back.
            self.stop_session(session_id, reason="no free slot in time", wait=False)
            raise TimeoutError(f"no free slot for session {session_id} within {timeout}s")
        return session_id

    def try_spawn_session(self, task: str, **options: Any) -> str:
        """Start ``task`` now, or raise :class:`MaxSessionsReached` if every slot is taken."""
        spec = self._spec(task, options)
        self._board.add(spec.session_id, task, self._clock.now())
        try:
            started = self._coordinator.ask(TryStart(spec), timeout=_ACTOR_STOP_TIMEOUT)
        except (pykka.ActorDeadError, pykka.Timeout) as exc:
            self._fail_unstarted(spec.session_id, f"csup's coordinator is not running ({exc})")
            raise SupervisorStopped("csup's coordinator is not running") from exc
        if not started:
            self._board.forget(spec.session_id)
            raise MaxSessionsReached(self.max_sessions)
        self._wait(lambda: self._board.wait_started(spec.session_id, _POLL), None)
        return spec.session_id

    def spawn_and_wait_all(self, tasks: Iterable[str], **options: Any) -> list[SessionResult]:
        """Queue every task and wait for all of them; results in submission order."""
        ids = [self.submit(task, **options) for task in tasks]
        self.wait_all()
        results = [self._board.get(session_id).result for session_id in ids]
        return [result for result in results if result is not None]

    # -- stopping ---------------------------------------------------------------------------

    def stop_session(
        self,
        session_id: str,
        *,
        reason: str = "stopped on request",
        wait: bool = True,
        timeout: float | None = 30.0,
    ) -> SessionResult | None:
        """Stop one session, queued or running: it ends ``cancelled``, its tools killed.

        Raises :class:`SessionNotFound` for an id this supervisor never had. With ``wait``,
        returns the session's result once it has ended.
        """
        info = self._board.get(session_id)
        if info.result is None:
            self._board.stop_requested(session_id)
            self._coordinator_tell(StopSession(session_id, reason))
        if not wait:
            return None
        self._wait(lambda: self._board.wait_for(lambda: self._finished(session_id), _POLL), timeout)
        return self._board.get(session_id).result

    def stop_all(
        self,
        *,
        reason: str = "stopped on request",
        wait: bool = True,
        force: bool = False,
        timeout: float | None = 30.0,
    ) -> list[SessionResult]:
        """Stop every session and drop the queue; with ``force``, kill at once."""
        for info in self._board.pending():
            self._board.stop_requested(info.id)
        self._coordinator_tell(StopAll(reason, force=force))
        if wait:
            self._wait(lambda: self._board.wait_all(_POLL), timeout)
        return self._board.results()

    def close(self, timeout: float = 30.0) -> None:
        """Stop every session, then the actors (in reverse start order). Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        try:
            if self._board.pending():
                self.stop_all(reason="the supervisor shut down", timeout=timeout)
                if self._board.pending():
                    self.stop_all(reason="the supervisor shut down", force=True, timeout=10)
        finally:
            for ref in (self._coordinator, self._policy_actor, self._metrics):
                try:
                    ref.stop(block=True, timeout=_ACTOR_STOP_TIMEOUT)
                except pykka.Timeout:
                    log.error("csup: %s did not stop within %ss", ref, _ACTOR_STOP_TIMEOUT)
            self._fail_orphans("the supervisor shut down before the session started")

    def __enter__(self) -> MultiSessionSupervisor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- waiting and reading ----------------------------------------------------------------

    def wait_all(self, timeout: float | None = None) -> list[SessionResult]:
        """Wait until no session is queued or running; every result, in submission order."""
        if not self._wait(lambda: self._board.wait_all(_POLL), timeout):
            raise TimeoutError(f"sessions still running after {timeout}s")
        self._board.claim_all()
        return self._board.results()

    def wait_next(self, timeout: float | None = None) -> SessionResult | None:
        """The next session to finish (each handed out once); ``None`` if none is left."""
        found: list[SessionResult | None] = []

        def step() -> bool:
            result = self._board.wait_next(_POLL)
            if result is not None or not self._board.pending():
                found.append(result)
                return True
            return False

        if not self._wait(step, timeout):
            return None
        return found[0] if found else None

    def has_pending(self) -> bool:
        """Whether any session is queued or running."""
        return bool(self._board.pending())

    def active_count(self) -> int:
        return len(self._board.active())

    def active_sessions(self) -> list[SessionInfo]:
        return self._board.active()

    def sessions(self) -> list[SessionInfo]:
        """Every session, queued, running or finished, in submission order."""
        return self._board.all()

    def get_session(self, session_id: str) -> SessionInfo:
        """What is known of one session; :class:`SessionNotFound` if there is none."""
        return self._board.get(session_id)

    # -- internals --------------------------------------------------------------------------

    def _finished(self, session_id: str) -> bool:
        try:
            return self._board.get(session_id).result is not None
        except SessionNotFound:
            return True

    def _coordinator_tell(self, message: Any) -> None:
        try:
            self._coordinator.tell(message)
        except pykka.ActorDeadError:
            self._fail_orphans("csup's coordinator is not running")

    def _wait(self, step: Callable[[], bool], timeout: float | None) -> bool:
        """Repeat ``step`` (which waits a little) until it is true or ``timeout`` passes.

        Short steps keep Ctrl-C responsive and let a dead coordinator be noticed: its
        queued sessions would otherwise never end.
        """
        # Real time, not the injected clock: a test's manual clock must not stop a wait.
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if step():
                return True
            if not self._coordinator.is_alive():
                self._fail_orphans("csup's coordinator stopped before the session started")
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def _fail_unstarted(self, session_id: str, reason: str) -> None:
        info = self._board.get(session_id)
        self._board.finished(
            SessionResult(
                session_id=session_id,
                task=info.task,
                status=SessionStatus.FAILED,
                error=reason,
                ended_at=self._clock.now(),
            )
        )

    def _fail_orphans(self, reason: str) -> None:
        """End the sessions still queued when no coordinator is left to start them."""
        if self._coordinator.is_alive():
            return
        for info in self._board.pending():
            if info.state == "queued":
                self._fail_unstarted(info.id, reason)
        self._board.notify()
