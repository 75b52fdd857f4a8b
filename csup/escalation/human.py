"""The human: a person asked in the terminal where csup runs, one question at a time.

csup opens ``/dev/tty`` (not stdin or stdout, which may be pipes, and not the live view's
stderr) for each question. With no terminal (CI, a pipe, a daemon) the answer is a deny that
says so, at once: never a hang. Several sessions asking at once queue in the order they
asked; each waits at most the approval timeout, counted from when it asked, and is denied
when nobody has answered by then. The answers:

* ``a`` allow this call once;
* ``d`` deny it;
* ``r`` allow this rule for the rest of the run (later calls the same rule asks about are
  allowed without a question);
* ``g`` deny, and type a line of guidance that claude gets as the deny message.

``on_prompt_start`` / ``on_prompt_end`` are called around each question (on the asking
thread) so that a live view can pause its redraws; :meth:`Human.waiting` says who waits, and
``on_waiting`` is called with that list whenever it changes.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable

from csup._record import Frozen
from csup.calls import Decision, ToolCall
from csup.errors import NoTerminalError
from csup.escalation.prompt import ReviewContext

__all__ = ["DEFAULT_APPROVAL_TIMEOUT", "Human", "Waiting", "printable"]

DEFAULT_APPROVAL_TIMEOUT = 300.0
TTY = "/dev/tty"
SHOWN_INPUT = 600  # characters of the call's input shown

_set = object.__setattr__


def printable(text: str) -> str:
    """``text`` safe to write to a terminal: control characters (escape sequences, carriage
    returns) shown as ``\\x1b`` etc., so that a tool input cannot redraw the question."""
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


class Waiting(Frozen):
    """A question asked of the person: whose, about what, since when (``time.monotonic``),
    and whether it is the one on screen (``asking``) or queued."""

    __slots__ = ("session_id", "summary", "rule", "since", "asking")  # noqa: RUF023

    session_id: str
    summary: str
    rule: str
    since: float
    asking: bool

    def __init__(
        self, session_id: str, summary: str, rule: str, since: float, asking: bool
    ) -> None:
        _set(self, "session_id", session_id)
        _set(self, "summary", summary)
        _set(self, "rule", rule)
        _set(self, "since", since)
        _set(self, "asking", asking)


class _Ticket:
    __slots__ = ("asking", "call", "context", "rule", "since")

    def __init__(self, call: ToolCall, rule: str, context: ReviewContext) -> None:
        self.call, self.rule, self.context = call, rule, context
        self.since = time.monotonic()
        self.asking = False


class _Terminal:
    """One open terminal: write text, read a line before a deadline."""

    def __init__(self, path: str) -> None:
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        except OSError as error:
            raise NoTerminalError(
                f"no terminal to ask a person on ({path}: {error.strerror or error})"
            ) from None
        if not os.isatty(self.fd):
            os.close(self.fd)
            raise NoTerminalError(f"no terminal to ask a person on ({path} is not a terminal)")
        self._pending = b""

    def write(self, text: str) -> None:
        data = text.encode("utf-8", "replace")
        while data:
            data = data[os.write(self.fd, data) :]

    def readline(self, deadline: float) -> str | None:
        """One line typed (without its newline); None at the deadline or end of input."""
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return None
            try:
                chunk = os.read(self.fd, 1024)
            except OSError:
                return None
            if not chunk:
                return None
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line.decode("utf-8", "replace").strip()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


class Human:
    """Asks a person about escalated calls; thread-safe, never raises from :meth:`ask`.

    Args:
        timeout: the approval timeout, seconds from asking to the deny if unanswered.
        tty: the terminal to ask on (``/dev/tty``: the one csup runs in).
        on_prompt_start, on_prompt_end: called before a question is shown and after it is
            answered (or timed out), e.g. to pause and resume a live view.
        on_waiting: called with :meth:`waiting` each time a question joins or leaves the
            queue (on the asking thread, no lock held), e.g. for the live view.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_APPROVAL_TIMEOUT,
        tty: str = TTY,
        on_prompt_start: Callable[[], object] | None = None,
        on_prompt_end: Callable[[], object] | None = None,
        on_waiting: Callable[[list[Waiting]], object] | None = None,
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"the approval timeout must be positive, not {timeout!r}")
        self.timeout = timeout
        self.tty = tty
        self.on_prompt_start = on_prompt_start
        self.on_prompt_end = on_prompt_end
        self.on_waiting = on_waiting
        self._cond = threading.Condition()
        self._queue: deque[_Ticket] = deque()
        self._allowed_rules: set[str] = set()

    @property
    def allowed_rules(self) -> frozenset[str]:
        """The rules the person allowed for the rest of the run."""
        with self._cond:
            return frozenset(self._allowed_rules)

    def waiting(self) -> list[Waiting]:
        """Who waits for the person, in order: the question on screen first."""
        with self._cond:
            return [
                Waiting(t.context.session_id, t.call.summary(80), t.rule, t.since, t.asking)
                for t in self._queue
            ]

    def ask(
        self,
        call: ToolCall,
        asked: Decision,
        context: ReviewContext,
        review: str | None = None,
    ) -> Decision:
        """The person's decision on ``call`` (``asked`` is the policy's "ask"); ``review``
        is the reviewer's view, shown with the question."""
        rule = asked.rule
        if self._rule_allowed(rule):
            return _allowed_by_rule(asked)
        try:
            _Terminal(self.tty).close()  # no terminal: deny now, not after the queue
        except NoTerminalError as error:
            return Decision("deny", _no_route(asked, str(error)), rule, "csup", "ask")
        ticket = _Ticket(call, rule, context)
        deadline = ticket.since + self.timeout
        with self._cond:
            self._queue.append(ticket)
        self._changed()
        with self._cond:
            in_turn = self._cond.wait_for(
                lambda: self._queue[0] is ticket, timeout=max(0.0, deadline - time.monotonic())
            )
            if not in_turn:
                self._queue.remove(ticket)
                self._cond.notify_all()
            else:
                ticket.asking = True
        if not in_turn:
            self._changed()
            return self._unanswered(asked)
        try:
            if self._rule_allowed(rule):  # a person allowed the rule while this one waited
                return _allowed_by_rule(asked)
            return self._question(call, asked, context, review, deadline)
        except BaseException as error:  # fail closed, whatever the terminal did
            return Decision(
                "deny", _no_route(asked, f"asking failed: {error}"), rule, "csup", "ask"
            )
        finally:
            with self._cond:
                self._queue.popleft()
                self._cond.notify_all()
            self._changed()

    def _changed(self) -> None:
        if self.on_waiting is not None:
            with contextlib.suppress(Exception):  # a view's failure never blocks an answer
                self.on_waiting(self.waiting())

    def _rule_allowed(self, rule: str) -> bool:
        with self._cond:
            return bool(rule) and rule in self._allowed_rules

    def _unanswered(self, asked: Decision) -> Decision:
        why = f"nobody answered within the approval timeout ({self.timeout:g} s)"
        return Decision("deny", _no_route(asked, why), asked.rule, "csup", "ask")

    def _question(
        self,
        call: ToolCall,
        asked: Decision,
        context: ReviewContext,
        review: str | None,
        deadline: float,
    ) -> Decision:
        try:
            terminal = _Terminal(self.tty)
        except NoTerminalError as error:
            return Decision("deny", _no_route(asked, str(error)), asked.rule, "csup", "ask")
        if self.on_prompt_start is not None:
            self.on_prompt_start()
        try:
            with self._cond:
                others = len(self._queue) - 1
            terminal.write(question_text(call, asked, context, review, others, self.timeout))
            while True:
                terminal.write("answer [a/d/r/g]> ")
                line = terminal.readline(deadline)
                if line is None:
                    terminal.write("\n(no answer in time: denied)\n")
                    return self._unanswered(asked)
                answer = line.lower()[:1]
                if answer in ("a", "d", "r"):
                    return self._answer(answer, asked)
                if answer == "g":
                    terminal.write("guidance for the session> ")
                    guidance = terminal.readline(deadline)
                    if guidance is None:
                        terminal.write("\n(no answer in time: denied)\n")
                        return self._unanswered(asked)
                    if guidance:
                        return Decision("deny", guidance, asked.rule, "human", "ask")
                    terminal.write("(empty guidance: answer again)\n")
                    continue
                terminal.write("(type a, d, r or g, then Enter)\n")
        finally:
            terminal.close()
            if self.on_prompt_end is not None:
                self.on_prompt_end()

    def _answer(self, answer: str, asked: Decision) -> Decision:
        rule = asked.rule
        if answer == "a":
            return Decision(
                "allow", "allowed once by a person at csup's terminal", rule, "human", "ask"
            )
        if answer == "r":
            with self._cond:
                if rule:
                    self._allowed_rules.add(rule)
            return _allowed_by_rule(asked)
        reason = asked.reason or "this tool call needs approval"
        return Decision(
            "deny", f"{reason} (denied by a person at csup's terminal)", rule, "human", "ask"
        )


def _allowed_by_rule(asked: Decision) -> Decision:
    return Decision(
        "allow",
        f"allowed by a person at csup's terminal: rule {asked.rule} for the rest of the run",
        asked.rule,
        "human",
        "ask",
    )


def _no_route(asked: Decision, why: str) -> str:
    reason = asked.reason or "this tool call needs approval"
    return f"{reason} (needs a person's approval, and {why}; denied)"


def question_text(  # noqa: PLR0917
    call: ToolCall,
    asked: Decision,
    context: ReviewContext,
    review: str | None,
    others: int,
    timeout: float,
) -> str:
    """The question as shown on the terminal (every value made :func:`printable`)."""
    shown = json.dumps(dict(call.tool_input), ensure_ascii=False, default=str)
    if len(shown) > SHOWN_INPUT:
        shown = shown[: SHOWN_INPUT - 1] + "…"
    lines = [
        "",
        f"── csup: session {printable(context.session_id or '?')} asks to run a tool call ──",
        f"  call:     {printable(call.tool_name)}: {printable(call.summary(200))}",
        f"  input:    {printable(shown)}",
        f"  cwd:      {printable(context.cwd or call.cwd)}",
        f"  rule:     {printable(asked.rule or '(none)')}: {printable(asked.reason)}",
    ]
    if context.task:
        lines.append(f"  task:     {printable(context.task[:200])}")
    if review:
        lines.append(f"  reviewer: {printable(review)}")
    lines.append(
        "  [a] allow once   [d] deny   "
        f"[r] allow rule {printable(asked.rule or '(none)')} for the rest of the run   "
        "[g] deny with guidance"
    )
    waiting = f"{others} more waiting; " if others else ""
    lines.append(f"  ({waiting}denied if unanswered within {timeout:g} s of asking)")
    return "\n".join(lines) + "\n"
