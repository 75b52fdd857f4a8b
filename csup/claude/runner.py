"""One supervised claude session from plain Python (no actors).

:class:`ClaudeSession` runs one session's owner (:class:`~csup.session.owner.SessionOwner`)
on a thread of its own: claude's events, decisions and stops all reach it through one
inbox, and it is the only writer to its claude. :func:`run_session` is the one-call form.

Failing closed: a tool call whose decision does not arrive within
``options.decision_timeout``, whose decider raises, or that comes while the session stops,
is denied. Every control request is answered exactly once, never after claude cancelled it.
Callbacks (``on_event``, ``on_decision``, ``on_finish``) run in order on a thread of their
own, so a slow one never delays a decision or a stop; :meth:`ClaudeSession.wait` returns once
every callback has run.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Callable
from typing import Any

from csup.calls import Decision, ToolCall
from csup.claude.events import Diagnostic, Event, Result
from csup.claude.options import SessionOptions
from csup.claude.process import claude_transport
from csup.claude.result import SessionResult, SessionStatus
from csup.claude.stats import StatsSnapshot
from csup.claude.transport import TransportFactory
from csup.clock import SYSTEM_CLOCK, Clock
from csup.deciders import AsyncCallableDecider, CallableDecider, DeciderPool, NoDecider
from csup.dispatch import Dispatcher
from csup.errors import CsupError, SessionError
from csup.session.core import SessionCore
from csup.session.ladder import KILL_WAIT
from csup.session.owner import Decider, EndInput, Prompt, SessionOwner, Stop, Tick

__all__ = ["ClaudeSession", "Decider", "run_session"]

EventHandler = Callable[[Event | Diagnostic], None]
DecisionHandler = Callable[[ToolCall, Decision], None]
SyncDecide = Callable[[ToolCall], object]
AsyncDecide = Callable[[ToolCall, Callable[[object], None]], None]

CALLBACK_WAIT = 10.0
"""Seconds :meth:`ClaudeSession.wait` gives the callbacks made before the session's end."""
_FLUSH = 0.02  # seconds between tries to write what claude has not taken yet
_pool: DeciderPool | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> DeciderPool:
    global _pool  # noqa: PLW0603 - one pool for the standalone sessions of a process
    with _pool_lock:
        if _pool is None:
            _pool = DeciderPool("csup-session-decider")
        return _pool


class ClaudeSession:
    """One claude process under supervision. See the module docstring.

    ``decide`` (blocking, run on a worker thread) or ``decide_async`` (must call ``respond``
    once, from any thread) gives the decision for each tool call; with neither, every tool
    call is denied. With ``keep_open=False`` (the default) the session ends after claude's
    first ``result``; with ``True`` it stays open for :meth:`send` until :meth:`close`.
    """

    def __init__(
        self,
        task: str,
        options: SessionOptions | None = None,
        *,
        decide: SyncDecide | None = None,
        decide_async: AsyncDecide | None = None,
        on_event: EventHandler | None = None,
        on_decision: DecisionHandler | None = None,
        on_finish: Callable[[SessionResult], None] | None = None,
        keep_open: bool = False,
        session_id: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
        transport: TransportFactory | None = None,
    ) -> None:
        if decide is not None and decide_async is not None:
            raise ValueError("pass decide or decide_async, not both")
        self.task = task
        self.options = options or SessionOptions()
        self.session_id = session_id or uuid.uuid4().hex[:12]
        self._decider: Decider
        if decide is not None:
            self._decider = CallableDecider(decide, _shared_pool())
        elif decide_async is not None:
            self._decider = AsyncCallableDecider(decide_async)
        else:
            self._decider = NoDecider()
        self._on_event = on_event
        self._on_decision = on_decision
        self._on_finish = on_finish
        self._clock = clock
        self._core = SessionCore(
            self.session_id, task, self.options, keep_open=keep_open, clock=clock
        )
        self.cwd = self._core.cwd
        self._transport = transport
        # In the environment of claude and every process it starts: how a stop finds them all.
        self.token = uuid.uuid4().hex
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[Result | None] = queue.SimpleQueue()
        self._callbacks = Dispatcher(f"csup-callbacks-{self.session_id}")
        self._ended = threading.Event()  # the session is over
        self._done = threading.Event()  # ... and every callback before its end has run
        self._owner: SessionOwner | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stats = StatsSnapshot()
        self._result: SessionResult | None = None

    # -- public API -------------------------------------------------------------------------

    @property
    def claude_session_id(self) -> str | None:
        return self._core.claude_session_id

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def result(self) -> SessionResult | None:
        """The final result, once the session has ended."""
        return self._result if self._ended.is_set() else None

    @property
    def done(self) -> bool:
        return self._ended.is_set()

    def stats(self) -> StatsSnapshot:
        """The session's figures as of its last decision or turn."""
        return self._stats

    def start(self) -> None:
        """Start claude and give it the task. Raises :class:`CsupError` if it cannot start."""
        if self._owner is not None:
            raise SessionError(f"session {self.session_id} was already started")
        factory = self._transport
        token = self.token

        def spawn(deliver: Any) -> Any:
            return claude_transport(self.options, cwd=self.cwd, token=token)(deliver)

        owner = SessionOwner(
            self._core,
            transport=factory or spawn,
            decider=self._decider,
            observer=self,
            post=self._inbox.put,
        )
        self._owner = owner
        try:
            owner.start()
        except CsupError:
            self._callbacks.close(timeout=CALLBACK_WAIT)
            raise
        self._thread = threading.Thread(
            target=self._loop, name=f"csup-session-{self.session_id}", daemon=True
        )
        self._thread.start()

    def send(self, text: str) -> None:
        """Give claude a further user turn in the same process (``keep_open=True``)."""
        core = self._core
        if self._owner is None or core.finished or core.stopping or self._ended.is_set():
            raise SessionError(f"session {self.session_id} is not running")
        self._inbox.put(Prompt(text))

    def next_result(self, timeout: float | None = None) -> Result | None:
        """Wait for claude's next ``result`` (end of a turn); ``None`` if the session ended."""
        try:
            return self._results.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        """Let claude exit after its current turn (closes its stdin)."""
        self._inbox.put(EndInput())

    def wait(self, timeout: float | None = None) -> SessionResult | None:
        """Wait for the session to end; its result, or ``None`` on timeout.

        Once it has ended, also waits (up to :data:`CALLBACK_WAIT` seconds more) for the
        callbacks made before the end, so they have all run when this returns.
        """
        if self._ended.wait(timeout):
            self._done.wait(CALLBACK_WAIT)
        return self.result

    def stop(self, reason: str = "stopped on request") -> SessionResult | None:
        """Stop the session now (status ``cancelled``); waits for the stop ladder."""
        self.request_stop(reason)
        return self.wait(self._ladder_budget())

    def kill(self, reason: str) -> SessionResult | None:
        """Stop the session because it broke a limit (status ``killed``)."""
        self.request_stop(reason, killed=True)
        return self.wait(self._ladder_budget())

    def request_stop(
        self, reason: str = "stopped on request", *, killed: bool = False, force: bool = False
    ) -> None:
        """Ask the session to stop and return at once; ``force`` kills every process now."""
        status = SessionStatus.KILLED if killed else SessionStatus.CANCELLED
        self._inbox.put(Stop(reason, status, force))

    def _ladder_budget(self) -> float:
        o = self.options
        return o.interrupt_wait + o.close_wait + o.term_wait + KILL_WAIT + 5.0

    # -- the owner's thread -----------------------------------------------------------------

    def _loop(self) -> None:
        owner = self._owner
        assert owner is not None
        while not owner.finished:
            due = owner.core.next_deadline()
            timeout = None if due is None else max(0.0, due - self._clock.monotonic())
            if owner.backlog:
                timeout = _FLUSH if timeout is None else min(timeout, _FLUSH)
            try:
                message = self._inbox.get(timeout=timeout)
            except queue.Empty:
                message = Tick()
            owner.handle(message)

    # -- SessionObserver (on the owner's thread) --------------------------------------------

    def started(self, session_id: str, pid: int | None) -> None:
        self._pid = pid

    def output(self, session_id: str, item: Event | Diagnostic) -> None:
        if self._on_event is not None:
            self._callbacks.call(self._on_event, item)

    def tool_requested(self, session_id: str, call: ToolCall) -> None:
        return None

    def decided(
        self, session_id: str, call: ToolCall, decision: Decision, latency_s: float
    ) -> None:
        self._stats = self._core.stats()
        if self._on_decision is not None:
            self._callbacks.call(self._on_decision, call, decision)

    def turn_ended(self, session_id: str, result: Result, stats: StatsSnapshot) -> None:
        self._stats = stats
        self._results.put(result)

    def finished(self, result: SessionResult) -> None:
        self._stats = result.stats
        self._result = result
        self._results.put(None)
        if self._on_finish is not None:
            self._callbacks.call(self._on_finish, result)
        self._callbacks.call(self._done.set)
        self._ended.set()
        self._callbacks.close(timeout=0)


def run_session(
    task: str,
    options: SessionOptions | None = None,
    *,
    decide: SyncDecide | None = None,
    on_event: EventHandler | None = None,
    on_decision: DecisionHandler | None = None,
    timeout: float | None = None,
) -> SessionResult:
    """Run one task to its end and return how it went.

    ``timeout`` bounds the wait here; past it the session is stopped (``killed``). Ctrl-C
    stops the session, its tools included, before the ``KeyboardInterrupt`` goes on.
    """
    session = ClaudeSession(
        task, options, decide=decide, on_event=on_event, on_decision=on_decision
    )
    session.start()
    try:
        result = session.wait(timeout)
        if result is None:
            result = session.kill(f"timed out after {timeout:g}s")
    except BaseException:
        session.stop("interrupted")
        raise
    if result is None:  # pragma: no cover - every step of the ladder is bounded
        raise CsupError(f"session {session.session_id} did not end after the stop ladder")
    return result
