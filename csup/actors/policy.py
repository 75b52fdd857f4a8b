"""The policy actor: the one shared policy engine every session's tool calls go to."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any

import pykka

from csup.actors.messages import Crash, Decide, Ping
from csup.calls import Decision, ToolCall

__all__ = ["DecisionEngine", "PolicyActor"]

log = logging.getLogger(__name__)

DecisionEngine = Callable[[ToolCall], Decision]


class PolicyActor(pykka.ThreadingActor):
    """Decides on tool calls with one engine, in the order they arrive.

    Fails closed: an engine that raises gives a deny; when the actor stops or dies, every
    decision still in its inbox is denied at once rather than left to its timeout.
    The engine must be quick (the csup policy takes microseconds); sessions that would wait
    on a slow approval get a deny at their decision timeout.
    """

    def __init__(self, engine: DecisionEngine) -> None:
        super().__init__()
        self._engine = engine
        self.decisions = 0

    def on_receive(self, message: Any) -> Any:
        match message:
            case Decide(call=call, respond=respond):
                self._decide(call, respond)
            case Ping():
                return True
            case Crash(error=error):
                raise RuntimeError(error)
            case _:
                return super().on_receive(message)
        return None

    def _decide(self, call: ToolCall, respond: Callable[[Decision], None]) -> None:
        try:
            decision = self._engine(call)
        except Exception as exc:
            log.exception("csup: the policy raised on %s", call.tool_name)
            decision = Decision("deny", f"csup policy error, denied: {exc}", "csup.policy-error")
        self.decisions += 1
        self._respond(respond, decision)

    @staticmethod
    def _respond(respond: Callable[[Decision], None], decision: Decision) -> None:
        try:
            respond(decision)
        except Exception:
            log.exception("csup: handing a decision to its session failed")

    def _deny_inbox(self, reason: str) -> None:
        denial = Decision("deny", reason, "csup.policy-down")
        others = []
        # This thread is the inbox's only reader, so empty() then get() cannot block.
        while not self.actor_inbox.empty():
            envelope = self.actor_inbox.get()
            message = envelope.message
            if isinstance(message, Decide):
                self._respond(message.respond, denial)
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
