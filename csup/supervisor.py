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

import collections
import dataclasses
import itertools
import logging
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

import pykka

from csup import signals
from csup.actors.coordinator import CoordinatorActor
from csup.actors.messages import (
    CostReported,
    EventCounted,
    Finished,
    Forward,
    GetTotals,
    Queued,
    SessionSpec,
    SlotFree,
    Started,
    StatsChanged,
    StopAll,
    StopSession,
    Submit,
    TryStart,
)
from csup.actors.metrics import MetricsActor
from csup.actors.policy import PolicyActor, PolicyClient
from csup.backends import Backend, SessionHandle, make_backend
from csup.board import SessionBoard, SessionInfo
from csup.calls import Decision, ToolCall
from csup.claude.events import AssistantMessage, Diagnostic, Event, Result, UserMessage
from csup.claude.options import SessionOptions
from csup.claude.result import SessionResult, SessionStatus
from csup.claude.stats import StatsSnapshot
from csup.clock import SYSTEM_CLOCK, Clock
from csup.deadlines import Deadline, schedule
from csup.deciders import DeciderPool
from csup.dispatch import Dispatcher
from csup.errors import (
    ConfigError,
    CsupError,
    MaxSessionsReached,
    SessionError,
    SessionNotFound,
    SupervisorStopped,
)
from csup.policy import Policy, resolve_policy
from csup.session.owner import EndInput, Prompt
from csup.stats import AggregatedStats, StatsBook

if TYPE_CHECKING:
    from csup.record import RecordWriter

__all__ = ["MultiSessionSupervisor", "PolicyLike", "Supervisor", "new_run_id"]

log = logging.getLogger(__name__)

PolicyLike = str | os.PathLike[str] | Callable[[ToolCall], object] | Any | None

_POLL = 0.25
_RECENT_STEPS = 12
_ACTOR_STOP_TIMEOUT = 10.0
_OPTION_NAMES = frozenset(f.name for f in dataclasses.fields(SessionOptions))


def new_run_id() -> str:
    """A run's id: when it started (UTC), and a few random letters (``20261202-0512-k3v9``)."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)


def _explicit_policy(policy: Any) -> Any:
    """The engine for an explicit ``policy``: a level or file (loaded now), a Policy, or a
    callable / object with ``decide`` (run on worker threads)."""
    if isinstance(policy, str | os.PathLike):
        return resolve_policy(os.fspath(policy), cwd=os.getcwd())
    if isinstance(policy, Policy) or callable(policy) or callable(getattr(policy, "decide", None)):
        return policy
    raise ConfigError(
        f"policy must be a level name, a policy file, a Policy or a callable, not {policy!r}"
    )


class _CallableEscalation:
    """``Supervisor(escalate=fn)``: the program's own reviewer or UI, ``fn(call, asked,
    context) -> decision``, run on a worker thread; what it returns is read as a decision."""

    def __init__(self, fn: Callable[..., object]) -> None:
        self._fn = fn

    def decide(self, call: ToolCall, asked: Decision, context: Any) -> Decision:
        return Decision.coerce(self._fn(call, asked, context))

    def stats(self) -> dict[str, Any]:
        return {"mode": "callable"}

    def close(self) -> None:
        return None


def _escalation(escalate: Any, announce: Callable[..., None]) -> Any:
    """The chain for ``escalate``: None or "deny" (none), a mode name, an
    :class:`~csup.escalation.Escalation`, or a callable."""
    if escalate is None or escalate == "deny":
        return None
    if isinstance(escalate, str):
        from csup.cli.escalation import make_escalation  # noqa: PLC0415

        return make_escalation(
            escalate,
            on_asked=lambda call, asked, context: announce("asked", call, asked, context=context),
            on_answered=lambda call, decision, context, latency: announce(
                "answered", call, decision, context=context, latency_s=latency
            ),
        )
    if callable(getattr(escalate, "decide", None)):
        return escalate
    if callable(escalate):
        return _CallableEscalation(escalate)
    raise ConfigError(f"escalate must be a mode, an Escalation or a callable, not {escalate!r}")


def _check_repository(cwd: str) -> None:
    """``--worktree`` needs a git repository with a work tree: say so before anything runs."""
    from csup.worktree._git import find_repo  # noqa: PLC0415 - git only for --worktree

    try:
        find_repo(cwd)
    except CsupError as exc:
        raise ConfigError(f"--worktree: {exc}") from exc


class _Reporter:
    """A session's :class:`~csup.session.owner.SessionObserver`: feeds the board, the
    metrics actor, the coordinator and the signal dispatcher. Runs on the session's owner
    thread, so each call is a short non-blocking hand-over."""

    def __init__(self, sup: Supervisor, spec: SessionSpec) -> None:
        self._sup = sup
        self._id = spec.session_id
        self._task = spec.task
        self._cwd = str(os.path.abspath(os.fspath(spec.options.cwd or ".")))
        self._resumed_from = spec.resumed_from
        self._recent: collections.deque[str] = collections.deque(maxlen=_RECENT_STEPS)
        self._events = 0  # counted here, told to the metrics actor a turn at a time

    def _count_events(self) -> None:
        if self._events:
            self._sup._tell(self._sup._metrics, EventCounted(self._id, self._events))
            self._events = 0

    def context(self) -> Any:
        """What a reviewer is told of this session: its task, cwd and last steps (read on the
        session's owner thread, where :meth:`output` fills it)."""
        from csup.escalation import ReviewContext  # noqa: PLC0415

        return ReviewContext(self._task, self._cwd, self._id, tuple(self._recent))

    def started(self, session_id: str, pid: int | None) -> None:
        sup = self._sup
        if sup._record is not None:
            sup._record.session_started(
                sup.run_id,
                sup.record_id(session_id),
                task=self._task,
                cwd=self._cwd,
                started_at=time.time(),
                resumed_from=self._resumed_from,
            )
        sup._board.started(session_id, pid, sup._clock.now())
        sup._tell(sup._metrics, Started(session_id, sup._clock.monotonic()))
        sup._signal(signals.session_started, session_id=session_id, task=self._task, pid=pid)

    def output(self, session_id: str, item: Event | Diagnostic) -> None:
        sup = self._sup
        if sup._record is not None and isinstance(item, Event):
            sup._record.event(sup.record_id(session_id), item.raw, time.time())
        if sup._escalation is not None and isinstance(item, AssistantMessage | UserMessage):
            from csup.escalation.transcript import step_line  # noqa: PLC0415

            for block in item.blocks:
                line = step_line(block.raw)
                if line:
                    self._recent.append(line)
        self._events += 1
        sup._signal(signals.event_received, session_id=session_id, event=item)

    def tool_requested(self, session_id: str, call: ToolCall) -> None:
        self._sup._signal(signals.tool_requested, session_id=session_id, call=call)

    def decided(
        self, session_id: str, call: ToolCall, decision: Decision, latency_s: float
    ) -> None:
        sup = self._sup
        if sup._record is not None:
            sup._record.decision(sup.record_id(session_id), call, decision, latency_s, time.time())
        sup._signal(signals.decision_made, session_id=session_id, call=call, decision=decision)

    def turn_ended(self, session_id: str, result: Result, stats: StatsSnapshot) -> None:
        sup = self._sup
        self._count_events()
        sup._tell(sup._metrics, StatsChanged(session_id, stats))
        if result.total_cost_usd is not None:
            sup._tell(sup._coordinator, CostReported(session_id, result.total_cost_usd))

    def finished(self, result: SessionResult) -> None:
        self._count_events()
        self._sup._ended(result)
        self._sup._tell(self._sup._coordinator, SlotFree(result.session_id))


class Supervisor:
    """Runs claude sessions, at most ``max_sessions`` at once, under one policy.

    ``policy``: a level (``"permissive"``, ``"moderate"``, ``"strict"``), the path of a
    policy file, a :class:`csup.policy.Policy`, or a callable ``(ToolCall) -> Decision``
    (run on worker threads: a slow one costs only its own calls). ``None`` (the default)
    finds each session's policy from its *own* working directory, as ``csup run`` does
    (``$CSUP_POLICY``, ``.csup/policy.toml`` there or above, ``~/.config/csup/policy.toml``,
    the default level). ``options`` are the defaults for every session; keyword options
    given to :meth:`submit` override them. ``budget_usd`` caps the cost of the whole run:
    past it, every session is stopped.
    """

    def __init__(
        self,
        max_sessions: int = 3,
        policy: PolicyLike = None,
        *,
        options: SessionOptions | None = None,
        budget_usd: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
        record: RecordWriter | None = None,
        run_id: str | None = None,
        backend: str | Backend = "local",
        backend_options: Mapping[str, Any] | None = None,
        retry_on_limit: bool = False,
        limit_wait: float = 60.0,
        max_limit_retries: int = 3,
        escalate: Any = None,
    ) -> None:
        if max_sessions < 1:
            raise ConfigError(f"max_sessions must be at least 1, not {max_sessions}")
        self.max_sessions = max_sessions
        self.run_id = run_id or new_run_id()
        self._record = record
        self._retry_on_limit = retry_on_limit
        self._limit_wait = limit_wait
        self._max_limit_retries = max_limit_retries
        self._specs: dict[str, SessionSpec] = {}  # what each session was asked, for retries
        self._retries: dict[str, tuple[Deadline, SessionSpec]] = {}  # waiting for a reset
        self._retry_lock = threading.Lock()
        self._resumed_as: dict[str, str] = {}  # a session that hit a limit -> its retry
        self._defaults = options or SessionOptions()
        self._explicit = None if policy is None else _explicit_policy(policy)
        self._policies: dict[str, Policy] = {}
        self._policies_lock = threading.Lock()
        self._policy = self._explicit
        if self._policy is None:
            self._policy = self._policy_for(os.fspath(self._defaults.cwd or os.getcwd()))
        self._clock = clock
        self._backend = make_backend(backend, clock=clock, **dict(backend_options or {}))
        self._board = SessionBoard()
        self._ids = itertools.count(1)
        self._ids_lock = threading.Lock()
        self._closed = False
        self._close_lock = threading.Lock()
        if record is not None:
            record.run_started(
                self.run_id, argv=list(sys.argv), cwd=os.getcwd(), started_at=time.time()
            )
        self._dispatch = Dispatcher("csup-signals")
        self._pool = DeciderPool("csup-decider")
        # Started in dependency order; stopped in reverse by close().
        self._metrics = MetricsActor.start(sender=self, clock=clock, dispatch=self._dispatch)
        self._escalation = _escalation(escalate, self._dispatch_escalation)
        self._policy_actor = PolicyActor.start(pool=self._pool, escalation=self._escalation)
        self._coordinator = CoordinatorActor.start(
            max_sessions,
            start_session=self._start_session,
            queued=self._queued,
            ended=self._ended,
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

    def _spec(
        self, task: str, options: dict[str, Any], resumed_from: str | None = None
    ) -> SessionSpec:
        if self._closed:
            raise SupervisorStopped("this supervisor has been shut down; make a new one")
        unknown = set(options) - _OPTION_NAMES
        if unknown:
            raise ConfigError(
                f"unknown session option(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(_OPTION_NAMES))}"
            )
        if not isinstance(task, str) or not task.strip():
            raise ConfigError("a task must be a non-empty text")
        session_options = dataclasses.replace(self._defaults, **options)
        if session_options.worktree:
            _check_repository(os.fspath(session_options.cwd or os.getcwd()))
        policy = self._explicit
        if policy is None:
            policy = self._policy_for(os.fspath(session_options.cwd or os.getcwd()))
        with self._ids_lock:
            session_id = f"s{next(self._ids)}"
        return SessionSpec(session_id, task, session_options, policy, resumed_from, self.run_id)

    def _policy_for(self, cwd: str) -> Policy:
        """The policy of a session in ``cwd``: found from there (cached per directory).
        A policy file that cannot be read raises :class:`ConfigError` naming it."""
        key = os.path.abspath(cwd)
        with self._policies_lock:
            found = self._policies.get(key)
            if found is None:
                found = self._policies[key] = resolve_policy(None, cwd=key)
            return found

    # -- what sessions report (any thread) --------------------------------------------------

    def _start_session(self, spec: SessionSpec) -> SessionHandle:
        """Coordinator thread: start one session on the backend (raises if it cannot)."""
        reporter = _Reporter(self, spec)
        return self._backend.start(
            spec,
            observer=reporter,
            decider=PolicyClient(self._policy_actor, spec.policy, reporter.context),
        )

    def _queued(self, spec: SessionSpec) -> None:
        self._tell(self._metrics, Queued(spec.session_id))
        self._signal(signals.session_queued, session_id=spec.session_id, task=spec.task)

    def record_id(self, session_id: str) -> str:
        """A session's id in the record: unique across runs (``RUN.s1``)."""
        return f"{self.run_id}.{session_id}"

    def _ended(self, result: SessionResult) -> None:
        """The one place a session's end is recorded: the board, the metrics, subscribers
        and the record."""
        record = self._record
        if record is not None:
            rid = self.record_id(result.session_id)
            if result.started_at is None:  # stopped in the queue: it never ran
                record.session_started(
                    self.run_id, rid, task=result.task, cwd="", started_at=time.time()
                )
            tokens = result.stats.tokens
            record.session_ended(
                rid,
                status=result.status.value,
                error=result.error,
                cost_usd=result.stats.cost_usd,
                tokens={
                    "input_tokens": tokens.input,
                    "output_tokens": tokens.output,
                    "cache_read_input_tokens": tokens.cache_read,
                    "cache_creation_input_tokens": tokens.cache_creation,
                },
                turns=result.stats.turns,
                ended_at=time.time(),
                claude_session_id=result.claude_session_id,
            )
        self._board.finished(result)
        if self._retry_on_limit and result.limited and result.claude_session_id:
            self._retry_after_reset(result)
        self._tell(self._metrics, Finished(result, self._clock.monotonic()))
        self._signal(signals.session_finished, session_id=result.session_id, result=result)

    def _retry_after_reset(self, result: SessionResult) -> None:
        """A session stopped on an API usage or rate limit: resume it once the limit resets
        (at the time claude reported, else after ``limit_wait`` seconds). The new session is
        on the board at once (queued), so waits go on until it has run."""
        old = self._specs.get(result.session_id)
        if old is None or self._closed:
            return
        depth = 0
        cursor: SessionSpec | None = old
        while cursor is not None and cursor.resumed_from is not None:
            depth += 1
            cursor = self._specs.get(cursor.resumed_from.rsplit(".", 1)[-1])
        if depth >= self._max_limit_retries:
            return
        options = dataclasses.replace(old.options, resume=result.claude_session_id)
        with self._ids_lock:
            session_id = f"s{next(self._ids)}"
        spec = SessionSpec(
            session_id,
            "Go on with the task where you stopped (the API limit has reset).",
            options,
            old.policy,
            self.record_id(result.session_id),
            self.run_id,
        )
        self._specs[session_id] = spec
        self._resumed_as[result.session_id] = session_id
        resets = result.limit_resets_at
        delay = self._limit_wait if resets is None else max(0.0, resets - time.time())
        self._board.add(session_id, spec.task, self._clock.now())

        def submit() -> None:
            with self._retry_lock:
                if self._retries.pop(session_id, None) is None:
                    return
            self._coordinator_tell(Submit(spec))

        with self._retry_lock:
            self._retries[session_id] = (schedule(delay, submit), spec)

    def carried_on(self, session_id: str) -> bool:
        """Whether a session that stopped on a limit was resumed, and its last resumption
        completed (``--retry-on-limit``)."""
        while session_id in self._resumed_as:
            session_id = self._resumed_as[session_id]
        info = self._board.get(session_id)
        return info.state == "completed"

    def _cancel_retries(self, reason: str) -> None:
        with self._retry_lock:
            waiting, self._retries = list(self._retries.values()), {}
        for deadline, spec in waiting:
            deadline.cancel()
            self._ended(
                SessionResult(
                    session_id=spec.session_id,
                    task=spec.task,
                    status=SessionStatus.CANCELLED,
                    error=reason,
                    ended_at=self._clock.now(),
                )
            )

    def add_reviewer_cost(self) -> None:
        """Count what the reviewer has cost so far into the run's budget."""
        reviewer = getattr(self._escalation, "reviewer", None)
        usage = getattr(reviewer, "usage", None)
        if usage is not None:
            self._tell(self._coordinator, CostReported("csup-reviewer", usage().cost_usd))

    @property
    def escalation(self) -> Any:
        """The escalation chain (``None``: an "ask" is denied)."""
        return self._escalation

    def _dispatch_escalation(
        self, kind: str, call: ToolCall, decision: Decision, **extra: Any
    ) -> None:
        signal = signals.escalation_asked if kind == "asked" else signals.escalation_answered
        self._signal(signal, session_id=call.session_id, call=call, decision=decision, **extra)

    def _signal(self, signal: Any, **kwargs: Any) -> None:
        if signal.receivers:
            self._dispatch.call(signals.send, signal, self, **kwargs)

    @staticmethod
    def _tell(ref: pykka.ActorRef[Any], message: Any) -> None:
        try:
            ref.tell(message)
        except pykka.ActorDeadError:
            log.debug("csup: %r for an actor that has stopped", message)

    def submit(self, task: str, *, resumed_from: str | None = None, **options: Any) -> str:
        """Queue ``task``; it starts when a slot is free. Returns the session id at once.

        ``resumed_from`` names the recorded session this one continues (see :meth:`resume`).
        """
        spec = self._spec(task, options, resumed_from)
        self._specs[spec.session_id] = spec
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

    def resume(
        self,
        claude_session_id: str,
        prompt: str = "Go on with the task where you stopped.",
        *,
        resumed_from: str | None = None,
        **options: Any,
    ) -> str:
        """Continue claude's session ``claude_session_id`` (claude's own ``--resume``) with
        ``prompt``, as a new session under this supervisor's policy; give ``cwd=`` the
        directory it ran in. Returns the new session's id."""
        return self.submit(prompt, resumed_from=resumed_from, resume=claude_session_id, **options)

    def send(self, session_id: str, text: str) -> None:
        """A follow-up prompt to a running session: claude takes it into its current turn,
        or as a new turn if it is between turns (a session submitted with
        ``keep_open=True``). Raises :class:`SessionError` if the session is not running."""
        if not text.strip():
            raise ConfigError("a prompt must be a non-empty text")
        self._forward(session_id, Prompt(text))

    def close_session(self, session_id: str) -> None:
        """Let a session kept open (``keep_open=True``) end after its current turn."""
        self._forward(session_id, EndInput())

    def _forward(self, session_id: str, message: Any) -> None:
        info = self._board.get(session_id)
        if info.state != "running":
            raise SessionError(f"session {session_id} is not running ({info.state})")
        try:
            delivered = self._coordinator.ask(Forward(session_id, message), timeout=10)
        except (pykka.ActorDeadError, pykka.Timeout) as exc:
            raise SupervisorStopped("csup's coordinator is not running") from exc
        if not delivered:
            raise SessionError(f"session {session_id} is not running")

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
            with self._retry_lock:
                waiting = self._retries.pop(session_id, None)
            if waiting is not None:
                waiting[0].cancel()
                self._ended(
                    SessionResult(
                        session_id=session_id,
                        task=info.task,
                        status=SessionStatus.CANCELLED,
                        error=reason,
                        ended_at=self._clock.now(),
                    )
                )
            else:
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
        self._cancel_retries(reason)
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
            self._pool.close()
            if self._escalation is not None:
                self._escalation.close()
            self._backend.close()
            self._fail_orphans("the supervisor shut down before the session started")
            self._dispatch.close()
            if self._record is not None:
                self._record.run_ended(self.run_id, ended_at=time.time())

    def __enter__(self) -> Supervisor:
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


MultiSessionSupervisor = Supervisor
"""The name of :class:`Supervisor` in csup 0.1 (kept)."""
