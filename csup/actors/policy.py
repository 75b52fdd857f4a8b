"""The policy actor: the one decision point every session's tool calls go to.

It decides what the policy engine can settle itself on its own thread (microseconds, pure
CPU), and hands whatever may block (a user's callable today; a reviewer or a person with
escalation) to worker threads (:class:`~csup.deciders.DeciderPool`), so a slow decision
costs only its own call. It never writes to claude: it hands each decision to the reply of
the session that asked, whose owner writes it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any

import pykka

from csup.actors.messages import Crash, Decide, Observe
from csup.calls import Decision, ToolCall
from csup.deciders import DeciderPool
from csup.policy import Policy

__all__ = ["PolicyActor", "PolicyClient"]

log = logging.getLogger(__name__)

Reply = Callable[[Decision], None]


class PolicyActor(pykka.ThreadingActor):
    """Decides tool calls; see the module docstring.

    Fails closed: an engine that raises gives a deny; when the actor stops or dies, every
    decision still in its inbox is denied at once rather than left to its timeout.
    """

    def __init__(self, *, pool: DeciderPool, escalation: Any = None) -> None:
        super().__init__()
        self._pool = pool
        self._escalation = escalation  # .decide(call, asked, context) -> Decision, may block
        self.decisions = 0

    def on_receive(self, message: Any) -> Any:
        match message:
            case Decide(call=call, policy=policy, reply=reply, context=context, memory=memory):
                self.decisions += 1
                if isinstance(policy, Policy):
                    decision = policy.decide(call, memory)
                    if decision.behavior == "ask" and self._escalation is not None:
                        reply = self._observing(memory, call, reply)
                        self._escalate(call, decision, context, reply)
                    else:
                        self._observe(memory, call, decision)
                        self._respond(reply, decision)
                elif policy is None:
                    self._respond(reply, Decision("deny", "no policy", "csup.no-policy", "csup"))
                else:
                    decide = getattr(policy, "decide", policy)
                    self._pool.submit(self._then_escalate(decide, context), call, reply)
            case Observe(memory=memory, call=call, decision=decision):
                self._observe(memory, call, decision)
            case Crash(error=error):
                raise RuntimeError(error)
            case _:
                return super().on_receive(message)
        return None

    @staticmethod
    def _observe(memory: Any, call: ToolCall, decision: Decision) -> None:
        if memory is None:
            return
        try:
            memory.observe(call, decision)
        except Exception:
            log.exception("csup: the session's memory could not note a decision")

    def _observing(self, memory: Any, call: ToolCall, reply: Reply) -> Reply:
        """``reply``, and the decision sent back here for the memory to learn (its thread)."""
        if memory is None:
            return reply
        ref = self.actor_ref

        def both(decision: Decision) -> None:
            reply(decision)
            with contextlib.suppress(pykka.ActorDeadError):
                ref.tell(Observe(memory, call, decision))

        return both

    def _escalate(self, call: ToolCall, asked: Decision, context: Any, reply: Reply) -> None:
        """An "ask": the escalation chain settles it on a worker (it may take minutes)."""
        escalation = self._escalation
        assert escalation is not None
        self._pool.submit(
            lambda c: escalation.decide(c, asked, context), call, reply, source="reviewer"
        )

    def _then_escalate(
        self, decide: Callable[[ToolCall], object], context: Any
    ) -> Callable[[ToolCall], Decision]:
        """A user's callable, and the escalation of its "ask", on the same worker."""
        escalation = self._escalation

        def run(call: ToolCall) -> Decision:
            decision = Decision.coerce(decide(call))
            if decision.behavior == "ask" and escalation is not None:
                return Decision.coerce(escalation.decide(call, decision, context))
            return decision

        return run

    @staticmethod
    def _respond(reply: Reply, decision: Decision) -> None:
        try:
            reply(decision)
        except Exception:
            log.exception("csup: handing a decision to its session failed")

    def _deny_inbox(self, reason: str) -> None:
        denial = Decision("deny", reason, "csup.policy-down", "csup")
        others = []
        # This thread is the inbox's only reader, so empty() then get() cannot block.
        while not self.actor_inbox.empty():
            envelope = self.actor_inbox.get()
            message = envelope.message
            if isinstance(message, Decide):
                self._respond(message.reply, denial)
            else:
                others.append(envelope)
        # Not ours to drop: pykka's teardown answers the asks among them.
        for envelope in others:
            self.actor_inbox.put(envelope)

    def on_stop(self) -> None:
        self._deny_inbox("csup's policy actor stopped before deciding; denied")

    def on_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._deny_inbox(f"csup's policy actor failed ({exception_value}); denied")


class PolicyClient:
    """A session's :class:`~csup.session.owner.Decider`: its calls go to the policy actor."""

    def __init__(
        self, actor: pykka.ActorRef[Any], policy: Any, context: Callable[[], Any] | None = None
    ) -> None:
        self._actor = actor
        self._policy = policy
        self._context = context
        self._memory: Any = None

    def ask(self, call: ToolCall, reply: Reply) -> None:
        context = self._context() if self._context is not None else None
        if self._memory is None and isinstance(self._policy, Policy):
            # The session's first call, on its owner's thread: note the user's own files now,
            # before any tool of the session has run (git status, bounded).
            from csup.policy import SessionMemory  # noqa: PLC0415

            self._memory = SessionMemory.for_workspace(call.cwd)
        try:
            self._actor.tell(Decide(call, self._policy, reply, context, self._memory))
        except pykka.ActorDeadError:
            why = "csup's policy actor is not running; denied"
            reply(Decision("deny", why, "csup.policy-down", "csup"))
