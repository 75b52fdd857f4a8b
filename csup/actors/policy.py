"""The policy actor: the one decision point every session's tool calls go to.

It decides what the policy engine can settle itself on its own thread (microseconds, pure
CPU), and hands whatever may block (a user's callable today; a reviewer or a person with
escalation) to worker threads (:class:`~csup.deciders.DeciderPool`), so a slow decision
costs only its own call. It never writes to claude: it hands each decision to the reply of
the session that asked, whose owner writes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any

import pykka

from csup.actors.messages import Crash, Decide
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

    def __init__(self, *, pool: DeciderPool) -> None:
        super().__init__()
        self._pool = pool
        self.decisions = 0

    def on_receive(self, message: Any) -> Any:
        match message:
            case Decide(call=call, policy=policy, reply=reply):
                self.decisions += 1
                if isinstance(policy, Policy):
                    self._respond(reply, policy.decide(call))
                elif policy is None:
                    self._respond(reply, Decision("deny", "no policy", "csup.no-policy", "csup"))
                else:
                    decide = getattr(policy, "decide", policy)
                    self._pool.submit(decide, call, reply)
            case Crash(error=error):
                raise RuntimeError(error)
            case _:
                return super().on_receive(message)
        return None

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

    def __init__(self, actor: pykka.ActorRef[Any], policy: Any) -> None:
        self._actor = actor
        self._policy = policy

    def ask(self, call: ToolCall, reply: Reply) -> None:
        try:
            self._actor.tell(Decide(call, self._policy, reply))
        except pykka.ActorDeadError:
            why = "csup's policy actor is not running; denied"
            reply(Decision("deny", why, "csup.policy-down", "csup"))
