"""The one owner of a session: it feeds a :class:`~csup.session.core.SessionCore` and carries
out its actions. It is the only writer to its claude, and it runs on one thread at a time
(the session actor's, or a :class:`~csup.claude.runner.ClaudeSession`'s).

Everything reaches it as a message through ``post`` (its inbox): claude's lines and exit
from the transport's reader thread, decisions from the decider (any thread), stops and
follow-up prompts from users, ticks from a timer. Nothing calls into the core from another
thread, so there is no half-built state for an early exit to find.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from csup.calls import Decision, ToolCall
from csup.claude.events import Diagnostic, Event, Result
from csup.claude.result import SessionResult, SessionStatus
from csup.claude.stats import StatsSnapshot
from csup.claude.transport import Exited, Output, Transport, TransportFactory
from csup.errors import CsupError
from csup.guardian import guardian
from csup.session import core as c

__all__ = [
    "CheckDone",
    "Decided",
    "Decider",
    "EndInput",
    "Prompt",
    "SessionObserver",
    "SessionOwner",
    "Stop",
    "Tick",
]

log = logging.getLogger(__name__)

Reply = Callable[[Decision], None]


@dataclass(frozen=True, slots=True)
class Decided:
    """The decider's answer to one tool request."""

    request_id: str
    decision: Decision


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop the session (``status`` is how it will have ended)."""

    reason: str
    status: SessionStatus = SessionStatus.CANCELLED
    force: bool = False


@dataclass(frozen=True, slots=True)
class CheckDone:
    """The ``--until`` check ended."""

    passed: bool
    output: str


@dataclass(frozen=True, slots=True)
class Tick:
    """A deadline may be due."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """A further user turn for a session kept open."""

    text: str


@dataclass(frozen=True, slots=True)
class EndInput:
    """Let claude exit after its current turn."""


class Decider(Protocol):
    """Decides on tool calls: ``reply`` is called once, from any thread, maybe later."""

    def ask(self, call: ToolCall, reply: Reply) -> None: ...


class SessionObserver(Protocol):
    """What a session reports, in order, on its owner's thread: keep each call short."""

    def started(self, session_id: str, pid: int | None) -> None: ...

    def output(self, session_id: str, item: Event | Diagnostic) -> None: ...

    def tool_requested(self, session_id: str, call: ToolCall) -> None: ...

    def decided(
        self, session_id: str, call: ToolCall, decision: Decision, latency_s: float
    ) -> None: ...

    def turn_ended(self, session_id: str, result: Result, stats: StatsSnapshot) -> None: ...

    def finished(self, result: SessionResult) -> None: ...


class SessionOwner:
    """Feeds one core; see the module docstring."""

    def __init__(
        self,
        core: c.SessionCore,
        *,
        transport: TransportFactory,
        decider: Decider,
        observer: SessionObserver,
        post: Callable[[Any], None],
    ) -> None:
        self.core = core
        self._factory = transport
        self._decider = decider
        self._observer = observer
        self._post = post
        self.transport: Transport | None = None

    @property
    def finished(self) -> bool:
        return self.core.finished

    @property
    def session_id(self) -> str:
        return self.core.session_id

    def start(self) -> None:
        """Start claude and give it the task. If claude cannot be started, the session ends
        as failed (the observer hears it) and the error is raised."""
        try:
            self.transport = self._factory(self._post)
        except (CsupError, OSError) as exc:
            self._run(self.core.start_failed(str(exc)))
            raise
        self._observer.started(self.session_id, self.transport.pid)
        self._run(self.core.start())

    def fail_to_start(self, error: str) -> None:
        """The session cannot start (before claude is even tried): end it as failed."""
        self._run(self.core.start_failed(error))

    def handle(self, message: Any) -> None:
        """Handle one inbox message."""
        core = self.core
        match message:
            case Output(item=item):
                self._observer.output(self.session_id, item)
                actions = core.output(item)
            case Decided(request_id=request_id, decision=decision):
                actions = core.decided(request_id, decision)
            case Tick():
                actions = core.tick()
                if self.transport is not None and self.transport.backlog:
                    self.transport.flush()
            case Exited(code=code, stderr_tail=stderr):
                actions = core.exited(code, stderr)
            case Stop(reason=reason, status=status, force=force):
                actions = core.stop(reason, status=status, force=force)
            case Prompt(text=text):
                try:
                    actions = core.send(text)
                except CsupError:
                    log.info("csup: session %s is not running; prompt dropped", self.session_id)
                    actions = []
            case EndInput():
                actions = core.close_input()
            case CheckDone(passed=passed, output=output):
                actions = core.check_done(passed, output)
            case _:
                log.warning("csup: session %s got an unknown message %r", self.session_id, message)
                return
        self._run(actions)
        transport = self.transport
        if transport is not None and transport.backlog > c.MAX_BACKLOG and not core.finished:
            why = "claude stopped reading its input"
            self._run(core.stop(why, status=SessionStatus.FAILED, force=True))

    def kill_now(self, reason: str) -> None:
        """Kill claude's tree now and end the session (for an owner that is going away)."""
        if self.finished:
            return
        self._run(self.core.stop(reason, force=True))  # kills the tree
        if self.finished:
            return
        code: int | None = None
        wait = getattr(self.transport, "wait", None)
        if wait is not None:
            try:
                code = wait(3.0)
            except Exception:
                log.exception("csup: waiting for claude of session %s failed", self.session_id)
        self._run(self.core.exited(code if code is not None else -9, ""))

    @property
    def backlog(self) -> int:
        return self.transport.backlog if self.transport is not None else 0

    # -- carrying out actions ---------------------------------------------------------------

    def _run(self, actions: list[c.Action]) -> None:
        transport = self.transport
        for action in actions:
            match action:
                case c.Write(message=message):
                    if transport is not None:
                        self._safely(transport.send, message)
                case c.CloseInput():
                    if transport is not None:
                        self._safely(transport.close_input)
                case c.NoteProcesses():
                    if transport is not None:
                        self._safely(transport.note_descendants)
                case c.Terminate():
                    if transport is not None:
                        self._safely(transport.terminate)
                case c.KillTree():
                    if transport is not None:
                        self._safely(transport.kill_tree)
                case c.Ask(request_id=request_id, call=call):
                    self._observer.tool_requested(self.session_id, call)
                    self._ask(request_id, call)
                case c.RunCheck(command=command, cwd=cwd, timeout=timeout):
                    token = getattr(transport, "token", None)
                    run_check_later(command, cwd, timeout, token, self._post)
                case c.Applied(call=call, decision=decision, latency_s=latency):
                    self._observer.decided(self.session_id, call, decision, latency)
                case c.TurnEnded(result=result):
                    self._observer.turn_ended(self.session_id, result, self.core.stats())
                case c.Finished(result=result):
                    release = getattr(transport, "release", None)
                    if release is not None:
                        self._safely(release)
                    self._observer.finished(result)

    def _ask(self, request_id: str, call: ToolCall) -> None:
        post = self._post

        def reply(decision: Decision) -> None:
            try:
                post(Decided(request_id, decision))
            except Exception:  # the owner is gone: nobody waits for this decision
                log.debug("csup: a decision for a session that ended was dropped")

        try:
            self._decider.ask(call, reply)
        except Exception as exc:
            log.exception("csup: the decider raised for %s", call.tool_name)
            why = f"csup policy error, denied: {exc}"
            reply(Decision("deny", why, "csup.policy-error", "csup"))

    @staticmethod
    def _safely(step: Callable[..., object], *args: Any) -> None:
        try:
            step(*args)
        except Exception:
            log.exception("csup: %s failed", getattr(step, "__name__", step))


def run_check_later(
    command: str, cwd: str, timeout: float, token: str | None, post: Callable[[Any], None]
) -> None:
    """Run ``command`` on a thread of its own and post :class:`CheckDone` when it ends.

    It runs with the session's token in its environment, so a stop of the session kills
    it too; past ``timeout`` it is killed and counts as failed.
    """

    def run() -> None:
        env = {**os.environ, **guardian().env()}
        if token:
            env["CSUP_SESSION_TOKEN"] = token
        try:
            proc = subprocess.run(
                ["/bin/sh", "-c", command],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                start_new_session=True,
                check=False,
            )
            output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
            result = CheckDone(proc.returncode == 0, f"exit status {proc.returncode}\n{output}")
        except subprocess.TimeoutExpired as exc:
            partial = (exc.stdout or b"") + (exc.stderr or b"")
            text = partial.decode("utf-8", "replace")
            result = CheckDone(False, f"timed out after {timeout:g}s\n{text}")
        except Exception as exc:  # whatever went wrong, the session must hear the check ended
            result = CheckDone(False, f"could not run the check: {exc}")
        try:
            post(result)
        except Exception:
            log.debug("csup: a check ended for a session that is gone")

    threading.Thread(target=run, name="csup-until-check", daemon=True).start()
