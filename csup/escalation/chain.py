"""The escalation chain: who settles a call the policy rated "ask".

Modes (``--escalate`` and ``escalate = "..."`` in the policy file):

* ``deny``: nobody; the call is denied (the default: nothing changes silently);
* ``reviewer``: the reviewer model decides; if it cannot (no key, API error, timeout,
  malformed answer, spending limit), the call is denied;
* ``human``: a person at csup's terminal decides;
* ``reviewer+human``: the reviewer's allow and deny (and guide) stand; a call it could not
  settle goes to the person, with the reviewer's failure shown.

:meth:`Escalation.decide` blocks (a review takes seconds, a person minutes): call it on a
worker thread, never on a thread that decides for other sessions. It is thread-safe and
never raises: every failure is a deny (source ``"csup"``) whose reason says which.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from csup.calls import Decision, ToolCall
from csup.errors import CsupError, ReviewerError
from csup.escalation.cache import ReviewCache
from csup.escalation.human import Human
from csup.escalation.prompt import ReviewContext, Verdict
from csup.escalation.reviewer import Reviewer

__all__ = ["MODES", "Escalation", "verdict_decision"]

MODES = ("deny", "reviewer", "human", "reviewer+human")


def verdict_decision(verdict: Verdict, asked: Decision) -> Decision:
    """The decision a reviewer's verdict makes: allow, deny, or (guide) a deny whose
    message is the guidance."""
    rule = asked.rule
    if verdict.decision == "allow":
        reason = verdict.reason or "the reviewer found it safe"
        return Decision("allow", f"allowed by csup's reviewer: {reason}", rule, "reviewer", "ask")
    if verdict.decision == "guide":
        return Decision("deny", verdict.guidance, rule, "reviewer", "ask")
    reason = verdict.reason or "the reviewer found it unsafe"
    return Decision("deny", f"denied by csup's reviewer: {reason}", rule, "reviewer", "ask")


def _failed(asked: Decision, why: str) -> Decision:
    reason = asked.reason or "this tool call needs approval"
    message = f"{reason} (needs approval, and {why}; denied)"
    return Decision("deny", message, asked.rule, "csup", "ask")


class Escalation:
    """The chain of one run, shared by every session (see the module docstring).

    ``reviewer`` and ``human`` default to a :class:`Reviewer` and a :class:`Human` with
    their defaults when the mode needs them (and are not used when it does not).
    ``on_asked(call, asked, context)`` and ``on_answered(call, decision, context, seconds)``
    are called on the deciding thread around each escalation (e.g. to send the "escalation
    asked/answered" signals); what they raise is ignored.
    """

    def __init__(
        self,
        mode: str,
        *,
        reviewer: Reviewer | None = None,
        human: Human | None = None,
        on_asked: Callable[[ToolCall, Decision, ReviewContext], object] | None = None,
        on_answered: Callable[[ToolCall, Decision, ReviewContext, float], object] | None = None,
    ) -> None:
        if mode not in MODES:
            from csup.errors import ConfigError  # noqa: PLC0415

            raise ConfigError(f"unknown escalation mode {mode!r}: use {', '.join(MODES)}")
        self.mode = mode
        # The mode decides who is asked: a reviewer or human given to a mode without one is
        # not used.
        self.reviewer = (reviewer or Reviewer()) if "reviewer" in mode else None
        self.human = (human or Human()) if "human" in mode else None
        self.cache = ReviewCache()
        self.on_asked = on_asked
        self.on_answered = on_answered
        self._lock = threading.Lock()
        self._outcomes: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"Escalation({self.mode!r})"

    def decide(self, call: ToolCall, asked: Decision, context: ReviewContext) -> Decision:
        """Settle an "ask": allow or deny, by the reviewer, the person or csup."""
        started = time.monotonic()
        if self.on_asked is not None and asked.behavior == "ask":
            with contextlib.suppress(Exception):
                self.on_asked(call, asked, context)
        try:
            decision = self._decide(call, asked, context)
        except BaseException as error:  # never raises: fail closed
            why = str(error) if isinstance(error, CsupError) else repr(error)
            decision = _failed(asked, f"escalation failed: {why}")
        if asked.behavior != "ask":
            return decision
        with self._lock:
            self._outcomes[f"{decision.source}:{decision.behavior}"] += 1
        if self.on_answered is not None:
            with contextlib.suppress(Exception):
                self.on_answered(call, decision, context, time.monotonic() - started)
        return decision

    def _decide(self, call: ToolCall, asked: Decision, context: ReviewContext) -> Decision:
        if asked.behavior != "ask":
            return asked
        if self.mode == "deny":
            return _failed(asked, 'escalation is off (escalate = "deny")')
        view: str | None = None
        if self.reviewer is not None:
            try:
                verdict = self.review(call, asked, context)
            except ReviewerError as error:
                if self.human is None:
                    return _failed(asked, f"the reviewer could not decide: {error}")
                view = f"could not decide ({error})"
            else:
                return verdict_decision(verdict, asked)
        if self.human is None:  # pragma: no cover - every mode has a reviewer or a human
            return _failed(asked, "nobody to ask")
        return self.human.ask(call, asked, context, review=view)

    def review(self, call: ToolCall, asked: Decision, context: ReviewContext) -> Verdict:
        """The reviewer's verdict (cached); raises :class:`ReviewerError`."""
        reviewer = self.reviewer
        if reviewer is None:
            raise ReviewerError("no reviewer in this escalation mode")

        def run() -> Verdict:
            return reviewer.review(call, asked, context)

        try:
            verdict, _hit = self.cache.review(call, asked, run)
        except ReviewerError:
            raise
        except Exception as error:
            raise ReviewerError(f"{type(error).__name__}: {error}") from error
        return verdict

    def close(self) -> None:
        """Let go of the reviewer's connections and threads (at the end of the run)."""
        if self.reviewer is not None:
            self.reviewer.close()

    def stats(self) -> dict[str, Any]:
        """For the summary: the mode, reviews, cache hits, verdicts, failures, the reviewer's
        tokens and cost, and outcomes by ``source:behavior``."""
        out: dict[str, Any] = {"mode": self.mode, **self.cache.stats()}
        if self.reviewer is not None:
            out["reviewer"] = {"model": self.reviewer.model, **self.reviewer.usage().as_dict()}
        with self._lock:
            out["outcomes"] = dict(self._outcomes)
        return out
