"""The body of one session's Ray actor: a session owner on a thread, on whatever node Ray
placed it.

:class:`SessionRunner` is a plain class; :mod:`csup.ray.backend` makes it a Ray actor
(threaded, so a stop is handled while the driver waits for reports). Its owner runs the
same :class:`~csup.session.owner.SessionOwner` and :class:`~csup.session.core.SessionCore`
as a local session, with claude started here (:func:`~csup.claude.process.claude_transport`,
so this process's guardian kills claude and its tools if the actor's process dies) and the
policy decided here (:func:`node_decider`): a decision never leaves the node, except an
"ask", which goes up to the driver's escalation chain (:class:`Escalating`).
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import threading
import uuid
from typing import Any

from csup.actors.messages import SessionSpec
from csup.calls import Decision, ToolCall
from csup.claude.options import SessionOptions
from csup.claude.process import claude_transport
from csup.claude.result import SessionStatus
from csup.claude.transport import Deliver, Transport
from csup.clock import SYSTEM_CLOCK
from csup.deciders import CallableDecider, DeciderPool, NoDecider, decide_safely
from csup.errors import CsupError
from csup.policy import Policy, SessionMemory
from csup.ray.reports import Recorder, Report
from csup.session.core import SessionCore
from csup.session.owner import Decider, Reply, SessionObserver, SessionOwner, Stop, Tick
from csup.session.workspace import WorktreeObserver, prepare_worktree

__all__ = ["PolicyDecider", "SessionRunner", "node_decider"]

log = logging.getLogger(__name__)

_FLUSH = 0.02
_pool: DeciderPool | None = None
_pool_lock = threading.Lock()


class PolicyDecider:
    """The policy engine, run inline on the asking thread (microseconds of pure CPU, as on
    the driver's policy actor), with the session's memory (made at its first call, before
    any of its tools ran, and taught every decision); whatever it raises is a deny."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._memory: SessionMemory | None = None

    def ask(self, call: ToolCall, reply: Reply) -> None:
        if self._memory is None:
            self._memory = SessionMemory.for_workspace(call.cwd)
        memory = self._memory
        decision = decide_safely(lambda c: self._policy.decide(c, memory), call, "policy")
        try:
            memory.observe(call, decision)
        except Exception:
            log.exception("csup: the session's memory could not note a decision")
        reply(decision)


def _shared_pool() -> DeciderPool:
    global _pool  # noqa: PLW0603 - one pool per worker process, for callables that may block
    with _pool_lock:
        if _pool is None:
            _pool = DeciderPool("csup-ray-decider")
        return _pool


def node_decider(policy: Any) -> Decider:
    """The decider of a session on this node for its spec's ``policy``: a
    :class:`~csup.policy.Policy` inline, a callable (or an object with ``decide``) on worker
    threads, nothing at all a deny."""
    if isinstance(policy, Policy):
        return PolicyDecider(policy)
    if policy is None:
        return NoDecider()
    return CallableDecider(getattr(policy, "decide", policy), _shared_pool())


class Escalating:
    """A node's decider whose "ask" goes up to the driver (reviews and people are there);
    every other decision is made and applied on the node."""

    def __init__(self, inner: Decider, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder
        self._lock = threading.Lock()
        self._waiting: dict[int, Reply] = {}
        self._tokens = itertools.count(1)

    def ask(self, call: ToolCall, reply: Reply) -> None:
        def route(decision: Decision) -> None:
            if decision.behavior != "ask":
                reply(decision)
                return
            with self._lock:
                token = next(self._tokens)
                self._waiting[token] = reply
            self._recorder.escalate(token, call, decision)

        self._inner.ask(call, route)

    def answer(self, token: int, decision: Decision) -> None:
        """The driver's answer to an escalated call (once; a second one is ignored)."""
        with self._lock:
            reply = self._waiting.pop(token, None)
        if reply is not None:
            reply(decision)


class SessionRunner:
    """One session on this node; see the module docstring. Methods are called by Ray, from
    the driver: :meth:`begin` once, then :meth:`drain` again and again, :meth:`stop` any
    time."""

    def __init__(self, spec: SessionSpec) -> None:
        self.spec = spec
        self._recorder = Recorder()
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._decider = Escalating(node_decider(spec.policy), self._recorder)
        self._owner = self._make_owner(spec.options, self._recorder)
        self._thread: threading.Thread | None = None

    def _make_owner(self, options: SessionOptions, observer: SessionObserver) -> SessionOwner:
        spec = self.spec
        core = SessionCore(spec.session_id, spec.task, options, clock=SYSTEM_CLOCK)
        token = uuid.uuid4().hex

        def spawn(deliver: Deliver) -> Transport:
            return claude_transport(options, cwd=core.cwd, token=token)(deliver)

        return SessionOwner(
            core, transport=spawn, decider=self._decider, observer=observer, post=self._inbox.put
        )

    def begin(self, wait: float) -> tuple[str, list[Report]]:
        """Start claude and the owner's thread (after making the session's worktree on this
        node, with ``--worktree``); this node's name and the first reports."""
        import ray  # noqa: PLC0415 - only inside a Ray worker

        context = ray.get_runtime_context()
        ip = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
        node = f"{ip}/{context.get_node_id()[:8]}"
        spec = self.spec
        if spec.options.worktree:
            try:
                options, worktree = prepare_worktree(
                    spec.options, run_id=spec.run_id, task=spec.task
                )
            except CsupError as exc:
                self._owner.fail_to_start(f"could not make its worktree: {exc}")
                return node, self._recorder.drain(wait)
            observer = WorktreeObserver(self._recorder, worktree, options)
            self._owner = self._make_owner(options, observer)
        try:
            self._owner.start()
        except CsupError:
            pass  # the owner reported the failed start
        except Exception:
            log.exception("csup: session %s could not start", self.spec.session_id)
            self._owner.kill_now("csup could not start the session")
        if not self._owner.finished:
            self._thread = threading.Thread(
                target=self._loop, name=f"csup-session-{self.spec.session_id}", daemon=True
            )
            self._thread.start()
        return node, self._recorder.drain(wait)

    def drain(self, wait: float, gather: float = 0.0) -> list[Report]:
        """What the session reported since the last drain (:meth:`Recorder.drain`)."""
        return self._recorder.drain(wait, gather)

    def stop(self, reason: str, killed: bool, force: bool) -> None:
        """The driver's :class:`~csup.actors.messages.StopSession`: runs the stop ladder here."""
        status = SessionStatus.KILLED if killed else SessionStatus.CANCELLED
        self._inbox.put(Stop(reason, status, force))

    def answer(self, token: int, decision: Decision) -> None:
        """The driver settled an escalated call (see :class:`Escalating`)."""
        self._decider.answer(token, decision)

    def post(self, message: Any) -> None:
        """A message for the session's owner from the driver (a further prompt, an end of
        input: :class:`~csup.actors.messages.Forward`)."""
        self._inbox.put(message)

    def pid(self) -> int:
        """This actor's process (tests look for what is left of it)."""
        return os.getpid()

    def _loop(self) -> None:
        owner = self._owner
        clock = SYSTEM_CLOCK
        try:
            while not owner.finished:
                due = owner.core.next_deadline()
                timeout = None if due is None else max(0.0, due - clock.monotonic())
                if owner.backlog:
                    timeout = _FLUSH if timeout is None else min(timeout, _FLUSH)
                try:
                    message = self._inbox.get(timeout=timeout)
                except queue.Empty:
                    message = Tick()
                owner.handle(message)
        except Exception:
            log.exception("csup: session %s failed on its node", self.spec.session_id)
            owner.kill_now("the session's owner failed on its node")
