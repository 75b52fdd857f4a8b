"""The state of one session as a plain state machine: no threads, no I/O, an injected clock.

Inputs are claude's output (:meth:`SessionCore.output`), its exit (:meth:`exited`),
decisions (:meth:`decided`), the passing of time (:meth:`tick`, at
:meth:`next_deadline`), stop requests (:meth:`stop`) and follow-up prompts (:meth:`send`).
Each returns the actions its owner must carry out, in order: write to claude, ask the
decider, step the stop ladder, report. Because nothing else touches the state, every
question of "what if the exit comes before X" has one answer, found here.

Guarantees, each with its own test:

* every tool request is answered exactly once, before the tool runs, or dropped when claude
  cancels it or exits; a request with no decision by its deadline is denied;
* every session ends: each wait (start-up, decision, each ladder step, the exit after a
  kill) has a deadline, and the last one ends the session whatever claude does;
* idle means no output *and* no tool running (nor a decision pending, nor a background task).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from csup.calls import Decision, ToolCall, settle
from csup.claude import protocol
from csup.claude.events import (
    AssistantMessage,
    ControlCancelRequest,
    ControlRequest,
    ControlResponse,
    Diagnostic,
    Event,
    Result,
    SystemEvent,
    SystemInit,
    UserMessage,
)
from csup.claude.options import SessionOptions
from csup.claude.result import DeniedCall, SessionResult, SessionStatus
from csup.claude.stats import SessionStats, StatsSnapshot
from csup.clock import SYSTEM_CLOCK, Clock
from csup.errors import SessionError
from csup.session import ladder
from csup.session.outcome import StopRequest, classify, hit_limit

__all__ = [
    "Action",
    "Applied",
    "Ask",
    "CloseInput",
    "Finished",
    "KillTree",
    "NoteProcesses",
    "RunCheck",
    "SessionCore",
    "Terminate",
    "TurnEnded",
    "Write",
]

MAX_DIAGNOSTICS = 20
MAX_DENIED = 100
NOTABLE = ("user-work.",)
"""Rules whose allowed calls the summary names (the user's own work, at permissive)."""
AFTER_BACKGROUND = 10.0
"""Seconds to wait, after the last background task ended, for the turn claude starts by
itself to report it; past that the session ends on its last result."""
END_WAIT = 10.0
"""Seconds claude is given to exit once its work is done and its stdin closed (it saves its
session file first), before the ladder goes on with SIGTERM."""
CHECK_GRACE = 30.0
"""Seconds past ``until_timeout`` after which a check that never reported counts as failed."""
MAX_BACKLOG = 8 << 20
"""Bytes csup may have waiting for a claude that stopped reading its input."""


# -- actions: what the owner does -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Write:
    """Write one message to claude's stdin."""

    message: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CloseInput:
    """Close claude's stdin (after what is queued)."""


@dataclass(frozen=True, slots=True)
class NoteProcesses:
    """Remember claude's descendants now (before a stop step may orphan them)."""


@dataclass(frozen=True, slots=True)
class Terminate:
    """SIGTERM to claude."""


@dataclass(frozen=True, slots=True)
class KillTree:
    """SIGKILL claude and every process of the session (also its leftovers after an exit)."""


@dataclass(frozen=True, slots=True)
class Ask:
    """Ask the decider about ``call``; its answer comes back as :meth:`SessionCore.decided`."""

    request_id: str
    call: ToolCall


@dataclass(frozen=True, slots=True)
class RunCheck:
    """Run the ``--until`` check ``command`` in ``cwd``; its end comes back as
    :meth:`SessionCore.check_done`."""

    command: str
    cwd: str
    timeout: float


@dataclass(frozen=True, slots=True)
class Applied:
    """A decision was written to claude (for stats, signals and the record)."""

    call: ToolCall
    decision: Decision
    latency_s: float


@dataclass(frozen=True, slots=True)
class TurnEnded:
    """claude printed a ``result``: one turn is over."""

    result: Result


@dataclass(frozen=True, slots=True)
class Finished:
    """The session is over: the owner reports ``result`` and stops."""

    result: SessionResult


Action = (
    Write
    | CloseInput
    | NoteProcesses
    | Terminate
    | KillTree
    | Ask
    | RunCheck
    | Applied
    | TurnEnded
    | Finished
)


@dataclass(slots=True)
class _Pending:
    request: ControlRequest
    call: ToolCall
    asked_at: float
    deadline: float


class SessionCore:
    """One session's state. See the module docstring. Not thread-safe: one owner feeds it."""

    def __init__(
        self,
        session_id: str,
        task: str,
        options: SessionOptions,
        *,
        keep_open: bool = False,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.session_id = session_id
        self.task = task
        self.options = options
        self.cwd = str(Path(options.cwd or ".").absolute())
        self.keep_open = keep_open or options.keep_open
        self._clock = clock
        self._stats = SessionStats()
        self._init_id = f"csup_init_{session_id}"
        self._interrupt_id = f"csup_int_{session_id}"
        self._started_at = clock.now()
        self._started_mono = clock.monotonic()
        self._last_activity = self._started_mono
        self.started = False
        self.initialized = False
        self.turn_active = False
        self.claude_session_id: str | None = None
        self._pending: dict[str, _Pending] = {}
        self._closed_ids: set[str] = set()
        self._running_tools: set[str] = set()
        self.background: frozenset[str] = frozenset()
        self._background_ended_at: float | None = None
        self.last_result: Result | None = None
        self.last_retry: dict[str, Any] | None = None
        self.rate_limit: dict[str, Any] | None = None  # claude's last rate_limit_event
        self._diagnostics: list[str] = []
        self._denied: list[DeniedCall] = []
        self._noted: list[DeniedCall] = []  # allowed, but the summary names them
        self._stop: StopRequest | None = None
        self._step: ladder.Step | None = None
        self._step_deadline: float | None = None
        self._ending = False  # claude finished its work: its stdin is closed, its exit awaited
        self.rounds = 0  # --until checks run
        self._until_id: str | None = None  # the check waiting for its policy decision
        self._checking = False  # the check runs
        self._until_deadline: float | None = None  # for the decision, then for the check
        self._failure: str | None = None  # the work is over but it did not meet the bar
        self.result: SessionResult | None = None

    # -- queries ----------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.result is not None

    @property
    def stopping(self) -> bool:
        return self._stop is not None

    @property
    def step(self) -> ladder.Step | None:
        """The stop ladder's current step, if a stop (or the end of the work) is under way."""
        return self._step

    def stats(self) -> StatsSnapshot:
        return self._stats.snapshot()

    def pending_ids(self) -> list[str]:
        return list(self._pending)

    def busy(self) -> bool:
        """Whether claude is legitimately quiet: a tool runs, a decision or a task is pending."""
        return bool(
            self._running_tools
            or self._pending
            or self.background
            or self._checking
            or self._until_id
        )

    def next_deadline(self) -> float | None:
        """The monotonic time (on the core's clock) of the next :meth:`tick` that matters."""
        if self.finished:
            return None
        times = [p.deadline for p in self._pending.values()]
        opts = self.options
        if self._step_deadline is not None:
            times.append(self._step_deadline)
        if self._stop is None:
            if self.started and not self.initialized:
                times.append(self._started_mono + opts.startup_timeout)
            if opts.timeout is not None:
                times.append(self._started_mono + opts.timeout)
            if opts.idle_timeout is not None and not self.busy():
                times.append(self._last_activity + opts.idle_timeout)
            if self._background_ended_at is not None:
                times.append(self._background_ended_at + AFTER_BACKGROUND)
        return min(times) if times else None

    # -- inputs -----------------------------------------------------------------------------

    def start(self) -> list[Action]:
        """claude runs: initialize it and give it the task."""
        self.started = True
        self._started_mono = self._last_activity = self._clock.monotonic()
        self.turn_active = True
        hooks = self.options.decision_route == "hook"
        return [
            Write(protocol.initialize_request(self._init_id, hooks=hooks)),
            Write(protocol.user_message(self.task)),
        ]

    def start_failed(self, error: str) -> list[Action]:
        """claude could not be started at all."""
        self._stop = StopRequest(SessionStatus.FAILED, error)
        return self._finish(None, "")

    def send(self, text: str) -> list[Action]:
        """A further user turn in the same process (``keep_open``)."""
        if not self.started or self.finished or self._stop is not None or self._ending:
            raise SessionError(f"session {self.session_id} is not running")
        self.turn_active = True
        self._last_activity = self._clock.monotonic()
        return [Write(protocol.user_message(text))]

    def close_input(self) -> list[Action]:
        """Let claude exit after its current turn."""
        if self.finished or self._stop is not None or self._ending:
            return []
        return self._end_work()

    def output(self, item: Event | Diagnostic) -> list[Action]:
        now = self._clock.monotonic()
        self._last_activity = now
        if self.finished:
            return []
        if isinstance(item, Diagnostic):
            if len(self._diagnostics) < MAX_DIAGNOSTICS:
                self._diagnostics.append(f"{item.error}: {item.line[:200]}")
            return []
        self._stats.observe(item)
        if isinstance(item, ControlRequest):
            return self._request(item, now)
        if isinstance(item, ControlCancelRequest):
            if item.request_id:
                self._pending.pop(item.request_id, None)
                self._closed_ids.add(item.request_id)
            return []
        if isinstance(item, ControlResponse):
            return self._control_response(item)
        if isinstance(item, SystemInit):
            self.claude_session_id = item.session_id or self.claude_session_id
        elif isinstance(item, SystemEvent):
            self._system(item, now)
        elif isinstance(item, AssistantMessage):
            for block in item.tool_uses:
                if block.id:
                    self._running_tools.add(block.id)
        elif isinstance(item, UserMessage):
            for tool_result in item.tool_results:
                self._running_tools.discard(tool_result.tool_use_id or "")
        elif isinstance(item, Result):
            return self._result(item)
        elif item.type == "rate_limit_event":
            info = item.raw.get("rate_limit_info")
            self.rate_limit = dict(info) if isinstance(info, dict) else None
        return []

    def decided(self, request_id: str, decision: Decision) -> list[Action]:
        """The decider's answer to :class:`Ask` ``request_id`` (late or repeated: ignored)."""
        if request_id == self._until_id and not self.finished:
            self._until_deadline = None
            return self._until_decided(settle(decision))
        pending = self._pending.pop(request_id, None)
        if pending is None or self.finished:
            return []
        self._closed_ids.add(request_id)
        return self._answer(pending, settle(decision))

    def tick(self) -> list[Action]:
        """Time passed: act on every deadline that is due."""
        if self.finished:
            return []
        now = self._clock.monotonic()
        actions: list[Action] = []
        timeout = self.options.decision_timeout
        for request_id, pending in list(self._pending.items()):
            if pending.deadline <= now:
                del self._pending[request_id]
                self._closed_ids.add(request_id)
                why = f"no decision within {timeout:g}s; csup denies"
                actions += self._answer(pending, Decision("deny", why, "csup.timeout", "csup"))
        if self._step is not None and self._step_deadline is not None:
            if now >= self._step_deadline:
                actions += self._advance()
            return actions
        if self._until_deadline is not None and now >= self._until_deadline:
            actions += self._until_overdue()
        if self._stop is not None:
            return actions
        opts = self.options
        if (
            self.started
            and not self.initialized
            and now >= self._started_mono + opts.startup_timeout
        ):
            why = f"claude did not answer within {opts.startup_timeout:g}s of starting"
            return actions + self.stop(why, status=SessionStatus.FAILED)
        if opts.timeout is not None and now >= self._started_mono + opts.timeout:
            return actions + self.stop(
                f"timed out after {opts.timeout:g}s", status=SessionStatus.KILLED
            )
        if (
            opts.idle_timeout is not None
            and not self.busy()
            and now >= self._last_activity + opts.idle_timeout
        ):
            why = f"no output from claude and no tool running for {opts.idle_timeout:g}s"
            return actions + self.stop(why, status=SessionStatus.KILLED)
        if (
            self._background_ended_at is not None
            and now >= self._background_ended_at + AFTER_BACKGROUND
        ):
            self._background_ended_at = None
            if not self.turn_active and not self.keep_open:
                actions += self._end_work()
        return actions

    def stop(
        self, reason: str, *, status: SessionStatus = SessionStatus.CANCELLED, force: bool = False
    ) -> list[Action]:
        """Stop the session: deny what waits, then climb the ladder (at the kill if ``force``).

        A second stop changes nothing, except that ``force`` cuts a stop under way short.
        """
        if self.finished:
            return []
        if self._stop is not None or self._ending:
            # Already on the way out (a stop, or claude's work is done): only force matters,
            # and a session that finished its work keeps its status.
            if force and self._step is not ladder.Step.KILL:
                return self._enter(ladder.Step.KILL)
            return []
        self._stop = StopRequest(status, reason)
        actions = self._deny_pending(f"the session was stopped: {reason}")
        if not self.started:
            return actions + self._finish(None, "")
        first = ladder.first_step(
            force=force, turn_active=self.turn_active, initialized=self.initialized
        )
        return actions + self._enter(first)

    def exited(self, code: int, stderr: str = "") -> list[Action]:
        """claude exited: sweep what it left running and end the session."""
        if self.finished:
            return []
        # Requests claude can no longer receive: the tools never run.
        for pending in self._pending.values():
            self._record(
                pending.call, Decision("deny", "claude exited first", "csup.exited", "csup")
            )
        self._pending.clear()
        return [KillTree(), *self._finish(code, stderr)]

    # -- internals --------------------------------------------------------------------------

    def _request(self, request: ControlRequest, now: float) -> list[Action]:
        rid = request.request_id
        if request.is_tool_request:
            if not rid or rid in self._pending or rid in self._closed_ids:
                return []
            hook_input = request.hook_input
            agent = hook_input.get("agent_id")
            call = ToolCall(
                request.tool_name or "",
                request.tool_input,
                str(hook_input.get("cwd") or self.cwd),
                self.session_id,
                tool_use_id=request.tool_use_id,
                agent_id=agent if isinstance(agent, str) else None,
                kind="can_use_tool" if request.subtype == "can_use_tool" else "hook",
            )
            pending = _Pending(request, call, now, now + self.options.decision_timeout)
            if self._stop is not None or self._ending:
                self._closed_ids.add(rid)
                return self._answer(
                    pending, Decision("deny", "the session is stopping", "csup.stopping", "csup")
                )
            self._pending[rid] = pending
            return [Ask(rid, call)]
        if request.subtype == "hook_callback":
            # The Stop hook and any other: csup lets claude go on.
            return [Write(protocol.hook_response(rid))]
        why = f"csup does not handle {request.subtype!r} requests"
        return [Write(protocol.error_response(rid, why))]

    def _answer(self, pending: _Pending, decision: Decision) -> list[Action]:
        request = pending.request
        message = protocol.tool_answer(
            request.request_id, request.subtype, decision, request.tool_input
        )
        self._record(pending.call, decision)
        latency = max(0.0, self._clock.monotonic() - pending.asked_at)
        return [Write(message), Applied(pending.call, decision, latency)]

    def _record(self, call: ToolCall, decision: Decision) -> None:
        self._stats.record_decision(call.tool_use_id, decision.allowed)
        if decision.allowed and decision.rule.startswith(NOTABLE) and len(self._noted) < MAX_DENIED:
            self._noted.append(
                DeniedCall(
                    call.tool_name, call.summary(200), decision.rule, decision.reason, "allow"
                )
            )
        if not decision.allowed:
            if call.tool_use_id:
                self._running_tools.discard(call.tool_use_id)
            if len(self._denied) < MAX_DENIED:
                self._denied.append(
                    DeniedCall(
                        call.tool_name,
                        call.summary(200),
                        decision.rule,
                        decision.reason,
                        decision.requested,
                    )
                )

    def _deny_pending(self, reason: str) -> list[Action]:
        actions: list[Action] = []
        for request_id, pending in list(self._pending.items()):
            del self._pending[request_id]
            self._closed_ids.add(request_id)
            actions += self._answer(pending, Decision("deny", reason, "csup.stopping", "csup"))
        return actions

    def _control_response(self, response: ControlResponse) -> list[Action]:
        if response.request_id == self._init_id:
            self.initialized = True
            if response.subtype == "error":
                why = f"claude refused to initialize: {response.error}"
                return self.stop(why, status=SessionStatus.FAILED)
        return []

    def _system(self, event: SystemEvent, now: float) -> None:
        raw = event.raw
        if event.subtype == "api_retry":
            self.last_retry = {
                k: raw.get(k)
                for k in ("attempt", "max_retries", "retry_delay_ms", "error", "error_status")
            }
        elif event.subtype == "background_tasks_changed":
            tasks = raw.get("tasks")
            ids = {
                str(t.get("task_id"))
                for t in (tasks if isinstance(tasks, list) else [])
                if isinstance(t, dict)
            }
            if self.background and not ids:
                self._background_ended_at = now
            self.background = frozenset(ids)

    def _result(self, result: Result) -> list[Action]:
        self.turn_active = False
        self.last_result = result
        self.last_retry = None if not result.is_error else self.last_retry
        self.claude_session_id = result.session_id or self.claude_session_id
        self._background_ended_at = None
        actions: list[Action] = [TurnEnded(result)]
        if self._step is ladder.Step.INTERRUPT:
            return actions + self._advance()
        if self._stop is not None or self._ending:
            return actions
        limit = self.options.max_cost_usd
        cost = result.total_cost_usd
        if limit is not None and cost is not None and cost > limit:
            why = f"cost ${cost:.4f} went over the limit of ${limit:.4f}"
            return actions + self.stop(why, status=SessionStatus.KILLED)
        if self.options.until and not result.is_error and not self.background:
            return actions + self._check()
        if not self.keep_open and not self.background:
            actions += self._end_work()
        return actions

    # -- --until ----------------------------------------------------------------------------

    def _check(self) -> list[Action]:
        """claude says it is done: ask the policy about the check, then run it."""
        command = self.options.until or ""
        self.rounds += 1
        self._until_id = f"csup_until_{self.session_id}_{self.rounds}"
        self._until_deadline = self._clock.monotonic() + self.options.decision_timeout
        call = ToolCall("Bash", {"command": command}, self.cwd, self.session_id, kind="until")
        return [Ask(self._until_id, call)]

    def _until_decided(self, decision: Decision) -> list[Action]:
        self._until_id = None
        if self._stop is not None or self._ending:
            return []
        command = self.options.until or ""
        if not decision.allowed:
            self._failure = f"the policy denied the --until check `{command}`: {decision.reason}"
            return self._end_work()
        self._checking = True
        # The check ends itself at until_timeout; this is the bound if it never reports.
        self._until_deadline = self._clock.monotonic() + self.options.until_timeout + CHECK_GRACE
        return [RunCheck(command, self.cwd, self.options.until_timeout)]

    def _until_overdue(self) -> list[Action]:
        """The check's decision, or the check itself, never came back: the session ends."""
        self._until_deadline = None
        command = self.options.until or ""
        if self._until_id is not None:
            self._until_id = None
            why = f"no decision within {self.options.decision_timeout:g}s"
            self._failure = f"the --until check `{command}` was not run: {why}"
        else:
            self._checking = False
            self._failure = f"the --until check `{command}` never reported its end"
        if self._stop is not None or self._ending:
            return []
        return self._end_work()

    def check_done(self, passed: bool, output: str) -> list[Action]:
        """The ``--until`` check ended: done if it passed, else its output is the next prompt
        (or, after ``max_rounds`` checks, the session ends saying the check still fails)."""
        if not self._checking or self.finished:
            return []
        self._checking = False
        self._until_deadline = None
        self._last_activity = self._clock.monotonic()
        if self._stop is not None or self._ending:
            return []
        command = self.options.until or ""
        if passed:
            return self._end_work()
        if self.rounds >= self.options.max_rounds:
            tail = output.strip().splitlines()[-3:]
            self._failure = (
                f"the --until check `{command}` still failed after {self.rounds} rounds"
                + (f": {' | '.join(tail)}" if tail else "")
            )
            return self._end_work()
        prompt = (
            f"The check `{command}` failed after your work (round {self.rounds} of "
            f"{self.options.max_rounds}). Its output:\n\n{output[-8000:]}\n\n"
            "Fix the cause, then say you are done."
        )
        self.turn_active = True
        return [Write(protocol.user_message(prompt))]

    def _end_work(self) -> list[Action]:
        """claude's work is done: close its stdin and see it exit (the ladder from CLOSE on,
        so a claude that does not exit is made to)."""
        self._ending = True
        return self._enter(ladder.Step.CLOSE, wait=max(self.options.close_wait, END_WAIT))

    def _enter(self, step: ladder.Step, wait: float | None = None) -> list[Action]:
        self._step = step
        if wait is None:
            wait = ladder.step_wait(step, self.options)
        self._step_deadline = self._clock.monotonic() + wait
        if step is ladder.Step.INTERRUPT:
            return [NoteProcesses(), Write(protocol.interrupt_request(self._interrupt_id))]
        if step is ladder.Step.CLOSE:
            return [NoteProcesses(), CloseInput()]
        if step is ladder.Step.TERMINATE:
            return [NoteProcesses(), Terminate()]
        return [KillTree()]

    def _advance(self) -> list[Action]:
        assert self._step is not None
        following = ladder.next_step(self._step)
        if following is None:  # killed, and still no exit: end the session regardless
            return self._finish(None, "", unconfirmed=True)
        return self._enter(following)

    def _finish(self, code: int | None, stderr: str, *, unconfirmed: bool = False) -> list[Action]:
        ending = classify(
            stop=self._stop,
            last_result=self.last_result,
            exit_code=code,
            diagnostics=self._diagnostics,
            stderr=stderr,
            retry=self.last_retry,
        )
        error = ending.error
        status = ending.status
        if self._failure is not None and status is SessionStatus.COMPLETED:
            status, error = SessionStatus.FAILED, self._failure
        if unconfirmed:
            note = "claude did not confirm its exit after SIGKILL"
            error = f"{error}; {note}" if error else note
        last = self.last_result
        now = self._clock.monotonic()
        limited = ending.status is SessionStatus.FAILED and hit_limit(last, self.rate_limit)
        reset = (self.rate_limit or {}).get("resetsAt")
        resets = float(reset) if isinstance(reset, int | float) else None
        if limited and error and resets is not None:
            error = f"{error} (the limit resets at {_clock_text(resets)})"
        self.result = SessionResult(
            session_id=self.session_id,
            task=self.task,
            status=status,
            claude_session_id=self.claude_session_id,
            error=error,
            exit_code=code,
            stderr_tail=stderr,
            result_text=last.result if last else None,
            started_at=self._started_at,
            ended_at=self._clock.now(),
            duration_s=max(0.0, now - self._started_mono),
            stats=self._stats.snapshot(),
            diagnostics=tuple(self._diagnostics),
            exited_early=ending.exited_early,
            denied=tuple(self._denied),
            noted=tuple(self._noted),
            rounds=self.rounds,
            limited=limited,
            limit_resets_at=resets if limited else None,
        )
        self._pending.clear()
        self._step_deadline = None
        return [Finished(self.result)]


def _clock_text(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))
