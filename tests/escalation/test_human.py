"""The human, asked through a real pseudo-terminal: answers typed, the queue, the timeout,
and no terminal at all."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future

import pytest

from csup.calls import Decision, ToolCall, ask
from csup.escalation import Escalation, Human, ReviewContext

from .conftest import ASKED, CONTEXT, CWD, PUSH

WAIT = 20.0  # seconds to wait for a prompt on the terminal before the test fails


class Terminal:
    """The other end of a pty: what csup writes is read here, what a person types is sent."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        self.path = os.ttyname(self.slave)
        self.screen = ""

    def expect(self, pattern: str) -> str:
        """Read until ``pattern`` (a regex) has appeared since the last expect; return it."""
        deadline = time.monotonic() + WAIT
        while not (found := re.search(pattern, self.screen)):
            left = deadline - time.monotonic()
            assert left > 0, f"{pattern!r} never appeared; the terminal shows:\n{self.screen}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                self.screen += os.read(self.master, 4096).decode("utf-8", "replace")
        shown, self.screen = self.screen[: found.end()], self.screen[found.end() :]
        return shown

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> None:
        for fd in (self.master, self.slave):
            os.close(fd)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal()
    yield term
    term.close()


def asking(
    human: Human, call: ToolCall = PUSH, asked: Decision = ASKED, review: str | None = None
) -> Future[Decision]:
    """Ask on a thread (as a policy worker does); the future holds the decision."""
    future: Future[Decision] = Future()

    def run() -> None:
        context = ReviewContext(CONTEXT.task, CWD, call.session_id or "", ())
        try:
            future.set_result(human.ask(call, asked, context, review=review))
        except BaseException as error:  # the test fails at once instead of waiting
            future.set_exception(error)

    threading.Thread(target=run, daemon=True).start()
    return future


PROMPT = r"answer \[a/d/r/g\]> "


def test_the_question_shows_session_call_rule_and_the_reviewers_view(terminal: Terminal) -> None:
    human = Human(tty=terminal.path, timeout=60)
    decision = asking(human, review="could not decide (timeout)")
    shown = terminal.expect(PROMPT)
    for part in (
        "session s1 asks",
        "Bash: git push origin main",
        "net.publish: `git push origin main` publishes",
        "reviewer: could not decide (timeout)",
        "task:     Fix the failing test",
        "[a] allow once",
        "[r] allow rule net.publish for the rest of the run",
    ):
        assert part in shown
    terminal.type("a\n")
    result = decision.result(WAIT)
    assert (result.behavior, result.source, result.requested) == ("allow", "human", "ask")


def test_deny_typed_is_a_deny_by_the_person(terminal: Terminal) -> None:
    decision = asking(Human(tty=terminal.path, timeout=60))
    terminal.expect(PROMPT)
    terminal.type("d\n")
    result = decision.result(WAIT)
    assert (result.behavior, result.source) == ("deny", "human")
    assert result.reason.startswith(ASKED.reason)
    assert "denied by a person" in result.reason


def test_guidance_typed_becomes_the_deny_message(terminal: Terminal) -> None:
    decision = asking(Human(tty=terminal.path, timeout=60))
    terminal.expect(PROMPT)
    terminal.type("g\n")
    terminal.expect("guidance for the session> ")
    terminal.type("Open a pull request instead of pushing to main.\n")
    result = decision.result(WAIT)
    assert (result.behavior, result.source) == ("deny", "human")
    assert result.reason == "Open a pull request instead of pushing to main."


def test_a_wrong_answer_is_asked_again(terminal: Terminal) -> None:
    decision = asking(Human(tty=terminal.path, timeout=60))
    terminal.expect(PROMPT)
    terminal.type("yes please\n")
    terminal.expect(r"\(type a, d, r or g, then Enter\)")
    terminal.expect(PROMPT)
    terminal.type("A\n")
    assert decision.result(WAIT).behavior == "allow"


def test_allowing_a_rule_allows_its_later_calls_without_a_question(terminal: Terminal) -> None:
    prompts: list[str] = []
    human = Human(tty=terminal.path, timeout=60, on_prompt_start=lambda: prompts.append("start"))
    first = asking(human)
    terminal.expect(PROMPT)
    terminal.type("r\n")
    assert first.result(WAIT).behavior == "allow"
    later = human.ask(ToolCall("Bash", {"command": "git push"}, CWD), ASKED, CONTEXT)
    assert (later.behavior, later.source) == ("allow", "human")
    assert "rule net.publish for the rest of the run" in later.reason
    assert prompts == ["start"]
    assert human.allowed_rules == {"net.publish"}
    other = asking(human, asked=ask("fs.outside", "outside the workspace"))
    terminal.expect(PROMPT)  # another rule is asked about
    terminal.type("d\n")
    assert other.result(WAIT).behavior == "deny"


def test_questions_asked_at_once_wait_their_turn_in_order(terminal: Terminal) -> None:
    events: list[str] = []
    two_wait = threading.Event()
    human = Human(
        tty=terminal.path,
        timeout=60,
        on_prompt_start=lambda: events.append("start"),
        on_prompt_end=lambda: events.append("end"),
        on_waiting=lambda waiting: len(waiting) == 2 and two_wait.set(),
    )
    first = asking(human, call=ToolCall("Bash", {"command": "git push one"}, CWD, "s1"))
    terminal.expect(PROMPT)
    second = asking(human, call=ToolCall("Bash", {"command": "git push two"}, CWD, "s2"))
    assert two_wait.wait(WAIT)  # the second is queued behind the first
    waiting = human.waiting()
    assert [w.session_id for w in waiting] == ["s1", "s2"]
    assert [(w.summary, w.asking) for w in waiting] == [
        ("git push one", True),
        ("git push two", False),
    ]
    assert not second.done()
    terminal.type("d\n")
    assert first.result(WAIT).behavior == "deny"
    shown = terminal.expect(PROMPT)
    assert "git push two" in shown and "git push one" not in shown
    terminal.type("a\n")
    assert second.result(WAIT).behavior == "allow"
    assert events == ["start", "end", "start", "end"]
    assert human.waiting() == []


def test_an_unanswered_question_is_denied_at_the_approval_timeout(terminal: Terminal) -> None:
    human = Human(tty=terminal.path, timeout=0.5)
    result = human.ask(PUSH, ASKED, CONTEXT)
    assert (result.behavior, result.source) == ("deny", "csup")
    assert "nobody answered within the approval timeout (0.5 s)" in result.reason
    terminal.expect(r"no answer in time: denied")


def test_escape_sequences_in_a_call_are_shown_escaped(terminal: Terminal) -> None:
    call = ToolCall("Bash", {"command": "echo \x1b[2J\x1b[Hall clear\r"}, CWD)
    decision = asking(Human(tty=terminal.path, timeout=60), call=call)
    shown = terminal.expect(PROMPT)
    assert "\x1b[2J" not in shown and "\\x1b[2J" in shown
    terminal.type("d\n")
    decision.result(WAIT)


def test_the_chain_asks_the_person_in_human_mode(terminal: Terminal) -> None:
    chain = Escalation("human", human=Human(tty=terminal.path, timeout=60))
    future: Future[Decision] = Future()
    threading.Thread(target=lambda: future.set_result(chain.decide(PUSH, ASKED, CONTEXT))).start()
    terminal.expect(PROMPT)
    terminal.type("a\n")
    assert (future.result(WAIT).behavior, future.result().source) == ("allow", "human")


CHILD = textwrap.dedent(
    """
    import fcntl, sys, termios
    if sys.argv[1] == "tty":
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # the pty becomes csup's controlling terminal
    from csup.calls import ToolCall, ask
    from csup.escalation import Human, ReviewContext
    decision = Human(timeout=30).ask(
        ToolCall("Bash", {"command": "git push"}, "/w"), ask("net.publish", "publishes"),
        ReviewContext(session_id="s9"))
    print("DECISION", decision.behavior, decision.source, decision.reason, flush=True)
    """
)


def test_a_process_asks_on_its_controlling_terminal(terminal: Terminal) -> None:
    """The default ``/dev/tty``: the terminal csup runs in, not its stdin or stdout."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, "tty"],
        stdin=terminal.slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        text=True,
    )
    terminal.expect("session s9 asks")
    terminal.expect(PROMPT)
    terminal.type("a\n")
    out, err = child.communicate(timeout=WAIT)
    assert "DECISION allow human" in out, err


def test_without_a_terminal_a_question_is_a_deny_at_once_never_a_hang() -> None:
    """As under CI or a pipe: no controlling terminal, so /dev/tty cannot be opened."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "none"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        start_new_session=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert "DECISION deny csup publishes (needs a person's approval, and no terminal" in done.stdout
    assert "/dev/tty" in done.stdout
