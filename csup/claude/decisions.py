"""Turning whatever a decider returns into the verdict csup applies, and running a blocking
decider off the reader thread.

A decider is any callable ``(ToolCall) -> decision``; a decision is any object with
``behavior`` ("allow", "deny" or "ask"), ``reason`` and optionally ``rule`` (the policy
engine's ``Decision`` is one). Anything else is a deny: csup fails closed.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from csup.calls import Decision, ToolCall, settle

__all__ = ["AsyncDecider", "Decider", "Respond", "SyncDecider", "to_verdict"]

log = logging.getLogger(__name__)

Respond = Callable[[Decision], None]
Decider = Callable[[ToolCall], Decision]
AsyncDecider = Callable[[ToolCall, Respond], None]


def to_verdict(decision: object) -> Decision:
    """The decision to write to claude: "ask" with no one to ask, or anything unreadable,
    is a deny."""
    return settle(Decision.coerce(decision))


class SyncDecider:
    """Runs a blocking decider on one worker thread per session, in order.

    A decider that hangs holds only this worker; the calls behind it are denied at their
    deadlines, which is the fail-closed answer for a broken policy.
    """

    def __init__(self, decide: Decider, name: str) -> None:
        self._decide = decide
        self._queue: queue.SimpleQueue[tuple[ToolCall, Respond] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def __call__(self, call: ToolCall, respond: Respond) -> None:
        self._queue.put((call, respond))

    def close(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            call, respond = item
            try:
                decision: Decision = self._decide(call)
            except Exception as exc:
                log.exception("csup: the decider raised for %s", call.tool_name)
                decision = Decision(
                    "deny", f"csup policy error, denied: {exc}", "csup.policy-error"
                )
            respond(decision)
