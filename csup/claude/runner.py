"""One supervised claude session, usable from plain Python (no actors).

:class:`ClaudeSession` starts claude in duplex stream-json mode, streams its events to a
callback, asks a decider for every tool call *before the tool runs*, enforces the session's
limits, and stops it with the ladder interrupt → close stdin → SIGTERM → SIGKILL of every
process of the session. :func:`run_session` is the one-call form.

Failing closed: a tool call whose decision does not arrive within
``options.decision_timeout``, whose decider raises, or that comes while the session stops,
is denied. Every control request is answered exactly once, never after claude cancelled it.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from csup.calls import Decision, ToolCall
from csup.claude import protocol
from csup.claude.decisions import AsyncDecider, Decider, Respond, SyncDecider, to_verdict
from csup.claude.events import (
    ControlCancelRequest,
    ControlRequest,
    ControlResponse,
    Diagnostic,
    Event,
    Result,
    SystemInit,
)
from csup.claude.locate import find_claude
from csup.claude.options import SessionOptions, build_argv, build_env
from csup.claude.process import ClaudeProcess
from csup.claude.result import SessionResult, SessionStatus
from csup.claude.stats import SessionStats, StatsSnapshot
from csup.clock import SYSTEM_CLOCK, Clock
from csup.deadlines import Deadline, schedule
from csup.deadlines import wake as wake_deadlines
from csup.errors import CsupError, SessionError

__all__ = ["ClaudeSession", "Decider", "Respond", "run_session"]

log = logging.getLogger(__name__)

EventHandler = Callable[[Event | Diagnostic], None]
DecisionHandler = Callable[[ToolCall, Decision], None]

_MAX_DIAGNOSTICS = 20
_LIMIT_SUBTYPES = frozenset({"error_max_turns", "error_max_budget_usd"})


class ClaudeSession:
    """One claude process under supervision. See the module docstring.

    ``decide`` (blocking, run on a worker thread) or ``decide_async`` (called in the reader
    thread; must call ``respond`` exactly once, from any thread, later) gives the decision for
    each tool call; with neither, every tool call is denied. ``on_event`` sees every event in
    order, in the reader thread; ``on_decision`` every decision applied. Exceptions in either
    are logged and change nothing.

    With ``keep_open=False`` (the default) the session ends after claude's first ``result``;
    with ``True`` it stays open for :meth:`send` until :meth:`close`.
    """

    def __init__(
        self,
        task: str,
        options: SessionOptions | None = None,
        *,
        decide: Decider | None = None,
        decide_async: AsyncDecider | None = None,
        on_event: EventHandler | None = None,
        on_decision: DecisionHandler | None = None,
        on_finish: Callable[[SessionResult], None] | None = None,
        keep_open: bool = False,
        session_id: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if decide is not None and decide_async is not None:
            raise ValueError("pass decide or decide_async, not both")
        self.task = task
        self.options = options or SessionOptions()
        self.session_id = session_id or uuid.uuid4().hex[:12]
        self.cwd = str(Path(self.options.cwd or ".").absolute())
        self._decide_sync = decide
        self._decider: AsyncDecider | None = decide_async
        self._on_event = on_event
        self._on_decision = on_decision
        self._on_finish = on_finish
        self._keep_open = keep_open
        self._clock = clock

        self._lock = threading.Lock()
        self._stats = SessionStats()
        self._pending = protocol.PendingRequests()
        self._request_deadlines: dict[str, Deadline] = {}
        self._results: queue.SimpleQueue[Result | None] = queue.SimpleQueue()
        self._initialized = threading.Event()
        self._done = threading.Event()
        self._process: ClaudeProcess | None = None
        self._token = uuid.uuid4().hex
        self._claude_session_id: str | None = None
        self._last_result: Result | None = None
        self._diagnostics: list[str] = []
        self._failure: str | None = None
        self._stop_status: SessionStatus | None = None
        self._stop_reason: str | None = None
        self._stopping = threading.Event()
        self._stop_lock = threading.Lock()
        self._interrupt_id = f"csup_int_{self.session_id}"
        self._init_id = f"csup_init_{self.session_id}"
        self._interrupt_result = threading.Event()
        self._turn_active = False
        self._deadlines: list[Deadline] = []
        self._last_activity = 0.0
        self._started_mono: float | None = None
        self._started_at: datetime | None = None
        self._result: SessionResult | None = None

    # -- public API -------------------------------------------------------------------------

    @property
    def claude_session_id(self) -> str | None:
        return self._claude_session_id

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def result(self) -> SessionResult | None:
        """The final result, once the session has ended."""
        return self._result

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def stats(self) -> StatsSnapshot:
        """The session's figures so far."""
        with self._lock:
            return self._stats.snapshot()

    def start(self) -> None:
        """Start claude and give it the task. Raises :class:`CsupError` if it cannot start."""
        if self._process is not None:
            raise SessionError(f"session {self.session_id} was already started")
        self._started_mono = self._clock.monotonic()
        self._started_at = self._clock.now()
        binary = find_claude(self.options.claude_bin)
        cwd = Path(self.cwd)
        if not cwd.is_dir():
            raise SessionError(f"working directory {self.cwd} does not exist or is not a directory")
        if self._decide_sync is not None:
            self._decider = SyncDecider(self._decide_sync, f"csup-decide-{self.session_id}")
        self._last_activity = self._clock.monotonic()
        self._process = ClaudeProcess(
            build_argv(binary, self.options),
            cwd=self.cwd,
            env=build_env(self.options, self._token),
            token=self._token,
            on_line=self._on_line,
            on_exit=self._on_exit,
        )
        self._process.send(
            protocol.initialize_request(self._init_id, hooks=self.options.decision_route == "hook")
        )
        self._turn_active = True
        self._process.send(protocol.user_message(self.task))
        opts = self.options
        self._deadlines.append(schedule(opts.startup_timeout, self._check_started))
        if opts.timeout is not None:
            self._deadlines.append(
                schedule(opts.timeout, lambda: self._limit(f"timed out after {opts.timeout:g}s"))
            )
        if opts.idle_timeout is not None:
            self._deadlines.append(schedule(opts.idle_timeout, self._check_idle))

    def send(self, text: str) -> None:
        """Give claude a further user turn in the same process (``keep_open=True``)."""
        if self._process is None or self._stopping.is_set() or self.done:
            raise SessionError(f"session {self.session_id} is not running")
        self._turn_active = True
        if not self._process.send(protocol.user_message(text)):
            raise SessionError(f"session {self.session_id}: claude no longer reads its input")

    def next_result(self, timeout: float | None = None) -> Result | None:
        """Wait for claude's next ``result`` (end of a turn); ``None`` if the session ended."""
        try:
            return self._results.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        """Let claude exit after its current turn (closes its stdin)."""
        if self._process is not None:
            self._process.close_stdin()

    def wait(self, timeout: float | None = None) -> SessionResult | None:
        """Wait for the session to end; its result, or ``None`` on timeout."""
        self._done.wait(timeout)
        return self._result

    def stop(self, reason: str = "stopped on request") -> SessionResult | None:
        """Stop the session now (status ``cancelled``); blocks for the stop ladder."""
        self._begin_stop(SessionStatus.CANCELLED, reason)
        return self.wait(self._ladder_budget() + 5.0)

    def kill(self, reason: str) -> SessionResult | None:
        """Stop the session because it broke a limit (status ``killed``)."""
        self._begin_stop(SessionStatus.KILLED, reason)
        return self.wait(self._ladder_budget() + 5.0)

    def request_stop(
        self, reason: str = "stopped on request", *, killed: bool = False, force: bool = False
    ) -> None:
        """Start stopping on a background thread and return at once.

        ``force`` skips the polite steps (interrupt, close stdin, SIGTERM) and kills every
        process of the session at once; it also cuts short a stop already under way.
        """
        status = SessionStatus.KILLED if killed else SessionStatus.CANCELLED
        if self.done:
            return
        if self._stopping.is_set():
            if force and self._process is not None:
                self._process.kill_tree()
            return
        threading.Thread(
            target=self._begin_stop,
            args=(status, reason, force),
            name=f"csup-stop-{self.session_id}",
            daemon=True,
        ).start()

    # -- events from the reader thread ------------------------------------------------------

    def _emit(self, item: Event | Diagnostic) -> None:
        if self._on_event is not None:
            try:
                self._on_event(item)
            except Exception:
                log.exception("csup: on_event callback raised; ignored")

    def _on_line(self, item: Event | Diagnostic) -> None:
        self._last_activity = self._clock.monotonic()
        if isinstance(item, Diagnostic):
            if len(self._diagnostics) < _MAX_DIAGNOSTICS:
                self._diagnostics.append(f"{item.error}: {item.line[:200]}")
            self._emit(item)
            return
        with self._lock:
            self._stats.observe(item)
        if isinstance(item, ControlRequest):
            self._emit(item)
            self._handle_request(item)
            return
        if isinstance(item, ControlCancelRequest):
            if item.request_id and self._pending.cancel(item.request_id):
                self._cancel_deadline(item.request_id)
        elif isinstance(item, ControlResponse):
            if item.request_id == self._init_id:
                if item.subtype == "error":
                    self._failure = f"claude refused to initialize: {item.error}"
                    self.request_stop(self._failure)
                self._initialized.set()
        elif isinstance(item, SystemInit):
            self._claude_session_id = item.session_id or self._claude_session_id
        elif isinstance(item, Result):
            self._turn_active = False
            self._last_result = item
            self._claude_session_id = item.session_id or self._claude_session_id
            if self._stopping.is_set():
                self._interrupt_result.set()
        self._emit(item)
        if isinstance(item, Result):
            self._results.put(item)
            self._after_result(item)

    def _after_result(self, result: Result) -> None:
        limit = self.options.max_cost_usd
        if (
            limit is not None
            and result.total_cost_usd is not None
            and result.total_cost_usd > limit
        ):
            self.request_stop(
                f"cost ${result.total_cost_usd:.4f} went over the limit of ${limit:.4f}",
                killed=True,
            )
        elif not self._keep_open and not self._stopping.is_set() and self._process is not None:
            self._process.close_stdin()

    # -- control requests -------------------------------------------------------------------

    def _handle_request(self, request: ControlRequest) -> None:
        process = self._process
        assert process is not None
        if request.is_tool_request:
            self._handle_tool_request(request)
        elif request.subtype == "hook_callback":
            # Stop and any other hook: csup lets claude go on.
            process.send(protocol.hook_response(request.request_id))
        else:
            process.send(
                protocol.error_response(
                    request.request_id, f"csup does not handle {request.subtype!r} requests"
                )
            )

    def _handle_tool_request(self, request: ControlRequest) -> None:
        rid = request.request_id
        if not self._pending.add(rid, request):
            return
        timeout = self.options.decision_timeout
        self._request_deadlines[rid] = schedule(
            timeout,
            lambda: self._answer(
                request,
                Decision("deny", f"no decision within {timeout:g}s; csup denies", "csup.timeout"),
            ),
        )
        call = ToolCall(
            tool_name=request.tool_name or "",
            tool_input=request.tool_input,
            tool_use_id=request.tool_use_id,
            cwd=str(request.hook_input.get("cwd") or self.cwd),
            session_id=self.session_id,
            kind="can_use_tool" if request.subtype == "can_use_tool" else "hook",
        )
        if self._stopping.is_set():
            self._answer(request, Decision("deny", "the session is stopping", "csup.stopping"))
            return
        decider = self._decider
        if decider is None:
            self._answer(request, Decision("deny", "no policy is configured", "csup.no-policy"))
            return
        try:
            decider(call, lambda decision: self._answer(request, decision, call))
        except Exception as exc:
            log.exception("csup: the decider raised for %s", call.tool_name)
            self._answer(
                request, Decision("deny", f"csup policy error, denied: {exc}", "csup.policy-error")
            )

    def _answer(
        self, request: ControlRequest, decision: Decision, call: ToolCall | None = None
    ) -> None:
        """Write the decision for ``request`` unless it was already answered or cancelled."""
        if not self._pending.claim(request.request_id):
            return
        self._cancel_deadline(request.request_id)
        verdict = decision if isinstance(decision, Decision) else to_verdict(decision)
        message = protocol.tool_answer(
            request.request_id, request.subtype, verdict, request.tool_input
        )
        process = self._process
        if process is not None:
            process.send(message)
        with self._lock:
            self._stats.record_decision(request.tool_use_id, verdict.allowed)
        if self._on_decision is not None:
            if call is None:
                call = ToolCall(
                    tool_name=request.tool_name or "",
                    tool_input=request.tool_input,
                    tool_use_id=request.tool_use_id,
                    cwd=self.cwd,
                    session_id=self.session_id,
                )
            try:
                self._on_decision(call, verdict)
            except Exception:
                log.exception("csup: on_decision callback raised; ignored")

    def _cancel_deadline(self, request_id: str) -> None:
        deadline = self._request_deadlines.pop(request_id, None)
        if deadline is not None:
            deadline.cancel()

    def _deny_pending(self, reason: str) -> None:
        # _answer claims each request atomically, so racing the reader or a deadline is safe.
        for request in self._pending.open_payloads():
            if isinstance(request, ControlRequest):
                self._answer(request, Decision("deny", reason, "csup.stopping"))

    # -- limits -----------------------------------------------------------------------------

    def _check_started(self) -> None:
        if not self._initialized.is_set() and not self.done:
            self._failure = (
                f"claude did not answer within {self.options.startup_timeout:g}s of starting"
            )
            self.request_stop(self._failure)

    def _check_idle(self) -> None:
        limit = self.options.idle_timeout
        if limit is None or self.done or self._stopping.is_set():
            return
        quiet = self._clock.monotonic() - self._last_activity
        if quiet >= limit:
            self.request_stop(f"no output from claude for {limit:g}s", killed=True)
        else:
            self._deadlines.append(schedule(limit - quiet, self._check_idle))

    def _limit(self, reason: str) -> None:
        if not self.done:
            self.request_stop(reason, killed=True)

    # -- stopping ---------------------------------------------------------------------------

    def _ladder_budget(self) -> float:
        o = self.options
        return o.interrupt_wait + o.close_wait + o.term_wait + 2.0

    def _begin_stop(self, status: SessionStatus, reason: str, force: bool = False) -> None:
        with self._stop_lock:
            if self._stopping.is_set() or self.done:
                return
            self._stop_status = status
            self._stop_reason = reason
            self._stopping.set()
        process = self._process
        if process is None:
            return
        opts = self.options
        self._deny_pending(f"the session was stopped: {reason}")
        if force:
            process.kill_tree()
        elif not process.exited:
            process.remember_descendants()
            if (
                self._turn_active
                and self._initialized.is_set()
                and process.send(protocol.interrupt_request(self._interrupt_id))
            ):
                self._interrupt_result.wait(opts.interrupt_wait)
            process.remember_descendants()
            process.close_stdin()
            if process.wait(opts.close_wait) is None:
                process.terminate()
                if process.wait(opts.term_wait) is None:
                    process.kill_tree()
        process.wait(opts.close_wait)

    def _on_exit(self, code: int) -> None:
        process = self._process
        assert process is not None
        # Whatever claude left running (a tool, a daemon it started) goes with it.
        leftovers = process.kill_tree()
        if leftovers:
            log.info(
                "csup: killed %d leftover process(es) of session %s",
                len(leftovers),
                self.session_id,
            )
        for deadline in self._deadlines:
            deadline.cancel()
        self._deny_pending("claude exited")
        wake_deadlines()
        if isinstance(self._decider, SyncDecider):
            self._decider.close()
        self._result = self._build_result(code, process.stderr_tail())
        self._results.put(None)
        self._done.set()
        if self._on_finish is not None:
            try:
                self._on_finish(self._result)
            except Exception:
                log.exception("csup: on_finish callback raised; ignored")

    def _build_result(self, code: int, stderr: str) -> SessionResult:
        last = self._last_result
        status: SessionStatus
        error: str | None = None
        exited_early = False
        if self._failure is not None:
            status, error = SessionStatus.FAILED, self._failure
        elif self._stop_status is not None:
            status, error = self._stop_status, self._stop_reason
        elif last is not None and not last.is_error:
            status = SessionStatus.COMPLETED
        elif last is not None and last.subtype in _LIMIT_SUBTYPES:
            # claude stopped itself at a limit csup passed on (--max-turns): a kill, not a failure.
            status = SessionStatus.KILLED
            error = "; ".join(last.errors) or f"claude stopped at a limit ({last.subtype})"
        elif last is not None:
            status = SessionStatus.FAILED
            detail = "; ".join(last.errors) or last.result or last.terminal_reason or ""
            error = f"claude reported an error ({last.subtype or 'error'})" + (
                f": {detail}" if detail else ""
            )
        else:
            status = SessionStatus.FAILED
            error = f"claude exited with code {code} before finishing its turn"
            exited_early = True
        if status is SessionStatus.FAILED:
            if self._diagnostics:
                count, first = len(self._diagnostics), self._diagnostics[0]
                error = f"{error}; it printed {count} unreadable line(s), first: {first}"
            tail = stderr.strip().splitlines()[-5:]
            if tail:
                error = f"{error}; stderr: {' | '.join(tail)}"
        ended = self._clock.now()
        started = self._started_mono if self._started_mono is not None else self._clock.monotonic()
        with self._lock:
            stats = self._stats.snapshot()
        return SessionResult(
            session_id=self.session_id,
            task=self.task,
            status=status,
            claude_session_id=self._claude_session_id,
            error=error,
            exit_code=code,
            stderr_tail=stderr,
            result_text=last.result if last else None,
            started_at=self._started_at,
            ended_at=ended,
            duration_s=max(0.0, self._clock.monotonic() - started),
            stats=stats,
            diagnostics=tuple(self._diagnostics),
            exited_early=exited_early,
        )


def run_session(
    task: str,
    options: SessionOptions | None = None,
    *,
    decide: Decider | None = None,
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
    if result is None:  # pragma: no cover - the ladder always ends the process
        raise CsupError(f"session {session.session_id} did not end after the stop ladder")
    return result
