"""The Ray backend: each session is a Ray actor on some node of a cluster.

:class:`RayBackend` is a :class:`~csup.backends.Backend`. ``start`` creates one actor per
session (a :class:`~csup.runner.SessionRunner`, placed by Ray: spread over the nodes, on
those that have the ``resources`` asked for) and returns a :class:`RayHandle`. One pump
thread on the driver waits for the actors' batches of reports (``ray.wait``) and replays
them, in order, on each session's observer, so the board, stats, signals and record are
those of a local run; each result gains its ``node``.

When an actor dies (its node went away, its worker process was killed) the driver hears it
as a Ray error on the session's pending batch. A session that was being stopped ends with
the stop's status; any other ends ``lost``, or, with ``retry_lost``, is started once more on
another node (its events so far stay in the record; the rerun starts the task afresh).

A stop (:class:`~csup.actors.messages.StopSession`) runs the session's stop ladder on its
node; if the session has not ended when the ladder's bound has passed, its actor is killed
(``ray.kill``), and with it, by that process's guardian, claude and every tool.

Decisions are made on the node; only what the policy asks about (an "ask") comes up to the
driver, whose decider (the policy actor, with the run's escalation chain: a reviewer, a
person) settles it and sends the answer back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import pykka
import ray
import ray.exceptions

from csup.actors.messages import SessionSpec, StopSession
from csup.calls import Decision
from csup.claude.result import SessionStatus
from csup.clock import SYSTEM_CLOCK, Clock
from csup.errors import ConfigError, RayBackendError
from csup.ray.reports import Replayed, lost_result, replay
from csup.ray.runner import SessionRunner
from csup.session.ladder import KILL_WAIT
from csup.session.owner import SessionObserver

__all__ = ["RayBackend", "RayHandle"]

log = logging.getLogger(__name__)

DRAIN_WAIT = 0.5
"""Seconds an actor holds a drain open waiting for its session's next report."""
GATHER = 0.05
"""Seconds a drain waits after the first report for more: a batch per round trip (the
driver hears of events that much later; decisions are made on the node and do not wait)."""
_PUMP_WAIT = 0.05
_CLOSE_WAIT = 10.0
_ACTOR_CONCURRENCY = 4  # a drain waiting, a stop, and room for the driver's small calls


class RayHandle:
    """One session on the cluster, as the coordinator holds it."""

    def __init__(
        self, backend: RayBackend, spec: SessionSpec, observer: SessionObserver, decider: Any
    ) -> None:
        self.spec = spec
        self.observer = observer
        self.decider = decider  # the driver's: settles what the node's policy asks about
        self.state = Replayed()
        self.actor: Any = None
        self.node: str | None = None
        self.attempts = 0
        self.ended = False
        self.stop: StopSession | None = None
        self.started_at = SYSTEM_CLOCK.now()
        self._backend = backend
        self._timer: threading.Timer | None = None

    def tell(self, message: Any) -> None:
        """Hand a :class:`StopSession` (its ladder runs there) or a forwarded message to the
        remote session."""
        if self.ended:
            raise pykka.ActorDeadError(f"session {self.spec.session_id} has ended")
        if isinstance(message, StopSession):
            self._backend._stop(self, message)
        else:  # a Forward's prompt or end of input, for the session's owner
            self.actor.post.remote(message)

    def cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class RayBackend:
    """Runs sessions on a Ray cluster; see the module docstring.

    ``address``: the cluster to join (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``);
    ``None`` joins the one Ray is already connected to in this process, or else starts a
    local Ray instance (shut down again by :meth:`close`). ``resources``: custom resources
    each session takes (``{"claude": 1}`` runs sessions only on nodes started with
    ``--resources='{"claude": N}'``, at most N at once each). ``spread``: place sessions
    on as many nodes as possible. ``retry_lost``: run a session whose node died once more.
    ``max_parallel`` (the supervisor's ``max_sessions``) bounds the sessions cluster-wide.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        *,
        resources: Mapping[str, float] | None = None,
        num_cpus: float = 0.0,
        spread: bool = True,
        retry_lost: bool = False,
        init_options: Mapping[str, Any] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if num_cpus < 0 or any(amount <= 0 for amount in (resources or {}).values()):
            raise ConfigError("ray resources and num_cpus must be positive amounts")
        self._owns_ray = False
        if not ray.is_initialized():
            try:
                ray.init(
                    # None would join a cluster `ray start` left on this machine: start one.
                    address=address or "local",
                    include_dashboard=False,
                    log_to_driver=False,
                    **dict(init_options or {}),
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = address or "a local Ray instance"
                raise RayBackendError(f"cannot start or join Ray at {where}: {exc}") from exc
            self._owns_ray = True
        self._clock = clock
        self._retry_lost = retry_lost
        self._options: dict[str, Any] = {
            "num_cpus": num_cpus,
            "resources": dict(resources or {}),
            "max_concurrency": _ACTOR_CONCURRENCY,
            "max_restarts": 0,
        }
        if spread:
            self._options["scheduling_strategy"] = "SPREAD"
        self._runner: Any = ray.remote(SessionRunner)
        self._lock = threading.Lock()
        self._pending: dict[Any, RayHandle] = {}  # an ObjectRef of a batch -> its session
        self._handles: list[RayHandle] = []
        self._closing = False
        self._wake = threading.Event()
        self._pump_thread = threading.Thread(target=self._pump, name="csup-ray-pump", daemon=True)
        self._pump_thread.start()

    # -- Backend ----------------------------------------------------------------------------

    def start(self, spec: SessionSpec, *, observer: SessionObserver, decider: Any) -> RayHandle:
        """Start ``spec`` on the cluster; it decides on its node with ``spec.policy``, and
        hands what that asks about to ``decider`` here (the policy again, then the
        escalation chain)."""
        handle = RayHandle(self, spec, observer, decider)
        self._launch(handle)
        with self._lock:
            self._handles.append(handle)
        return handle

    def close(self) -> None:
        """Kill every session still running (their processes die with their actors), stop
        the pump, and shut Ray down if this backend started it."""
        with self._lock:
            self._closing = True
            left = [h for h in self._handles if not h.ended]
        for handle in left:
            if handle.stop is None:
                handle.stop = StopSession(handle.spec.session_id, "the supervisor shut down")
            self._kill(handle)
        self._wake.set()
        self._pump_thread.join(_CLOSE_WAIT)
        if self._owns_ray:
            ray.shutdown()

    # -- sessions ---------------------------------------------------------------------------

    def _launch(self, handle: RayHandle) -> None:
        handle.attempts += 1
        try:
            actor: Any = self._runner.options(**self._options).remote(handle.spec)
            ref = actor.begin.remote(DRAIN_WAIT)
        except Exception as exc:
            raise RayBackendError(
                f"session {handle.spec.session_id} cannot be shipped to Ray: {exc}. "
                "Its policy must be picklable (a level, a policy file, or a module-level "
                "function)"
            ) from exc
        handle.actor = actor
        with self._lock:
            self._pending[ref] = handle
        self._wake.set()

    def _stop(self, handle: RayHandle, stop: StopSession) -> None:
        if handle.stop is None or stop.force:
            handle.stop = stop
        try:
            handle.actor.stop.remote(stop.reason, stop.killed, stop.force)
        except Exception:
            log.exception("csup: could not hand a stop to session %s", handle.spec.session_id)
        options = handle.spec.options
        bound = KILL_WAIT + 5.0
        if not stop.force:
            bound += options.interrupt_wait + options.close_wait + options.term_wait
        handle.cancel_timer()
        timer = threading.Timer(bound, self._kill, (handle,))
        timer.daemon = True
        handle._timer = timer
        timer.start()

    def _kill(self, handle: RayHandle) -> None:
        """Kill the session's actor if it has not ended (its guardian kills claude)."""
        if handle.ended or handle.actor is None:
            return
        try:
            ray.kill(handle.actor, no_restart=True)
        except Exception:
            log.debug("csup: the actor of session %s was already gone", handle.spec.session_id)

    # -- the pump (its own thread) ----------------------------------------------------------

    def _pump(self) -> None:
        while True:
            with self._lock:
                refs = list(self._pending)
                if self._closing and not refs:
                    return
            if not refs:
                self._wake.wait(_PUMP_WAIT * 4)
                self._wake.clear()
                continue
            try:
                ready, _ = ray.wait(refs, num_returns=1, timeout=_PUMP_WAIT)
                if ready:
                    ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
            except Exception:
                log.exception("csup: waiting for the sessions on Ray failed")
                continue
            for ref in ready:
                with self._lock:
                    handle = self._pending.pop(ref)
                try:
                    self._collect(handle, ref)
                except Exception:
                    log.exception("csup: replaying session %s failed", handle.spec.session_id)

    def _collect(self, handle: RayHandle, ref: Any) -> None:
        try:
            value = ray.get(ref)
        except ray.exceptions.RayError as exc:
            self._died(handle, exc)
            return
        if isinstance(value, tuple):  # begin(): (node, reports)
            handle.node, reports = value
        else:
            reports = value
        replay(
            handle.observer,
            handle.spec.session_id,
            reports,
            handle.state,
            node=handle.node,
            escalate=lambda token, call, asked: self._escalate(handle, token, call),
        )
        if handle.state.finished:
            self._ended(handle)
            return
        next_ref = handle.actor.drain.remote(DRAIN_WAIT, GATHER)
        with self._lock:
            self._pending[next_ref] = handle

    def _escalate(self, handle: RayHandle, token: int, call: Any) -> None:
        """An "ask" from the node: the driver's decider settles it; the answer goes back."""
        actor = handle.actor

        def reply(decision: Any) -> None:
            try:
                actor.answer.remote(token, decision)
            except Exception:
                log.debug("csup: an answer for session %s, which has ended", handle.spec.session_id)

        if handle.decider is None:
            reply(Decision("deny", "nobody to ask on the driver", "csup.no-escalation", "csup"))
            return
        handle.decider.ask(call, reply)

    def _ended(self, handle: RayHandle) -> None:
        handle.ended = True
        handle.cancel_timer()
        handle.actor = None  # the actor ends once no handle holds it

    def _died(self, handle: RayHandle, exc: BaseException) -> None:
        """The session's actor died: it was stopped (and killed), or its node was lost."""
        spec = handle.spec
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        stop = handle.stop
        if stop is None and self._retry_lost and handle.attempts < 2 and not self._closing:
            log.warning(
                "csup: session %s lost its node %s (%s); running it again",
                spec.session_id,
                handle.node,
                why,
            )
            handle.node = None
            try:
                self._launch(handle)
                return
            except RayBackendError as again:
                why = f"{why}; running it again failed: {again}"
        if stop is not None:
            status = SessionStatus.KILLED if stop.killed else SessionStatus.CANCELLED
            reason = f"{stop.reason} (its Ray actor was killed)"
        else:
            status = SessionStatus.LOST
            reason = f"lost with its Ray node {handle.node or '(unknown)'}: {why}"
        result = lost_result(
            spec.session_id,
            spec.task,
            reason=reason,
            node=handle.node,
            stats=handle.state.stats,
            started_at=handle.started_at,
            status=status,
        )
        if not handle.state.started:
            handle.state.started = True
            handle.observer.started(spec.session_id, None)
        self._ended(handle)
        handle.state.finished = True
        handle.observer.finished(result)
